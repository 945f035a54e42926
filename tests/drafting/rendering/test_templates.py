"""Templates: the default homologated format, the rules a template must follow, versions, images."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from PIL import Image

from signum.drafting.templates import (
    PLACEHOLDERS,
    REQUIRED_BLOCKS,
    Template,
    TemplateInvalidError,
    compare_versions,
    default_template,
    next_version,
    validate_template,
)
from signum.drafting.templates.validation import BLOCK_NAMES
from signum.platform.errors import SignumError


def _png(size: tuple[int, int] = (60, 30), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (120, 30, 60)).save(out, "PNG")
    return out.getvalue()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 30), (120, 30, 60)).save(out, "JPEG")
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10"><rect width="40" height="10"/></svg>'


def _data(**changes: Any) -> dict[str, Any]:
    data = default_template().model_dump(mode="json")
    data.update(changes)
    return data


def _with_logo(data: bytes, media_type: str = "image/png") -> dict[str, Any]:
    # The logo as the template's only image (the demo escudo and its identity left out).
    d = _data(
        images=[{"id": "escudo", "media_type": media_type, "data": base64.b64encode(data).decode()}],
        identidades=[],
    )
    d["blocks"][0]["image"] = {"image_id": "escudo", "width": 30}
    return d


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(TemplateInvalidError) as info:
        validate_template(data)
    assert info.value.status_code == 422
    assert info.value.code == "template_invalid"
    assert info.value.message.startswith("La plantilla no es válida.")
    return [p["message"] for p in info.value.details["problems"]]


def test_the_default_template_is_valid_and_has_every_part_of_the_homologated_format() -> None:
    template = validate_template(default_template())
    kinds = [b.kind for b in template.blocks]
    expected = ["membrete", "folio", "lugar_fecha", "asunto", "referencia", "destinatarios", "cuerpo"]
    expected += ["despedida", "firmas", "qr", "ccp", "iniciales", "anexos", "leyenda", "pie", "paginacion"]
    for kind in expected:
        assert kind in kinds
    assert set(REQUIRED_BLOCKS) <= set(kinds)
    assert template.version == 1
    assert template.page_size == "carta"


def test_a_template_survives_a_json_round_trip_with_its_images() -> None:
    template = validate_template(_with_logo(_png()))
    again = validate_template(json.loads(template.model_dump_json()))
    assert again == template
    assert again.images[0].data.startswith(b"\x89PNG")


def test_an_unknown_placeholder_is_refused_naming_it() -> None:
    data = _data()
    data["blocks"][2]["lines"] = ["{{destinatario.apodo}}"]
    [message] = _problems(data)
    assert "«{{destinatario.apodo}}» no existe" in message
    assert "número de oficio" in message


def test_an_unclosed_placeholder_is_refused() -> None:
    data = _data()
    data["blocks"][2]["lines"] = ["Oficio {{folio"]
    assert any("sin cerrar" in m for m in _problems(data))


def test_every_catalogue_placeholder_is_accepted() -> None:
    data = _data()
    data["blocks"].append({"kind": "texto_fijo", "lines": [" ".join(f"{{{{{p}}}}}" for p in PLACEHOLDERS)]})
    validate_template(data)


@pytest.mark.parametrize("kind", REQUIRED_BLOCKS)
def test_a_missing_required_block_is_refused(kind: str) -> None:
    data = _data()
    data["blocks"] = [b for b in data["blocks"] if b["kind"] != kind]
    assert f"falta el bloque obligatorio «{BLOCK_NAMES[kind]}»." in " ".join(_problems(data))


def test_a_block_twice_is_refused_but_fixed_texts_may_repeat() -> None:
    data = _data()
    data["blocks"] += [{"kind": "texto_fijo", "lines": ["A"]}, {"kind": "texto_fijo", "lines": ["B"]}]
    validate_template(data)
    data["blocks"].append({"kind": "asunto", "lines": ["{{asunto}}"]})
    assert any("«asunto» aparece 2 veces" in m for m in _problems(data))


def test_margins_that_leave_no_room_for_text_are_refused() -> None:
    data = _data(margins={"top": 100, "bottom": 100, "left": 70, "right": 70})
    problems = _problems(data)
    assert any("izquierdo y derecho dejan 76 mm" in m for m in problems)
    assert any("superior e inferior dejan 79 mm" in m for m in problems)


@pytest.mark.parametrize("margin", [0, -5, 500])
def test_out_of_range_margins_are_refused_in_spanish(margin: float) -> None:
    data = _data(margins={"top": margin, "bottom": 20, "left": 20, "right": 20})
    [message] = _problems(data)
    assert message.startswith("márgenes.superior: debe ser")


def test_signatures_must_follow_the_body_and_stay_in_the_content() -> None:
    data = _data()
    firmas = next(b for b in data["blocks"] if b["kind"] == "firmas")
    data["blocks"].remove(firmas)
    data["blocks"].insert(2, firmas)
    assert any("las firmas deben ir después del cuerpo" in m for m in _problems(data))
    firmas["region"] = "header"
    assert any("solo puede ir en el contenido" in m for m in _problems(data))


def test_signature_areas_that_do_not_fit_the_page_are_refused() -> None:
    data = _data()
    firmas = next(b for b in data["blocks"] if b["kind"] == "firmas")
    firmas["columns"] = 3
    firmas["area"] = {"width": 80, "height": 20}
    assert any("3 área(s) de 80 mm no caben" in m for m in _problems(data))


@pytest.mark.parametrize(
    ("make", "media_type"), [(_png, "image/png"), (_jpeg, "image/jpeg"), (lambda: SVG, "image/svg+xml")]
)
def test_png_jpeg_and_svg_images_are_accepted(make: Any, media_type: str) -> None:
    template = validate_template(_with_logo(make(), media_type))
    assert template.images[0].media_type == media_type


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"hola, no soy una imagen", "no es una imagen PNG, JPEG ni SVG"),
        (b"", "está vacío"),
        (_png()[:60], "dañada"),
        (_png()[:40] + b"\0" * 200, "dañada"),
        (b"GIF89a" + b"\0" * 20, "no es una imagen PNG, JPEG ni SVG"),
        (SVG.replace(b"</svg>", b"<script>alert(1)</script></svg>"), "<script>"),
        (SVG.replace(b"<rect", b'<image href="file:///etc/passwd"/><rect'), "externa"),
        (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "b">]>' + SVG, "DOCTYPE"),
        (SVG.replace(b"</svg>", b""), "no es XML válido"),
        (SVG.replace(b"<rect", b'<rect onclick="x()"'), "atributos de evento"),
    ],
)
def test_an_image_that_is_not_a_good_image_is_refused_by_its_content(data: bytes, expected: str) -> None:
    problems = _problems(_with_logo(data))
    assert any(expected in m and m.startswith("imágenes[1] (escudo)") for m in problems), problems


def test_a_cmyk_jpeg_is_refused() -> None:
    out = io.BytesIO()
    Image.new("CMYK", (20, 20)).save(out, "JPEG")
    assert any("CMYK" in m for m in _problems(_with_logo(out.getvalue(), "image/jpeg")))


def test_an_image_declared_as_another_type_is_refused() -> None:
    assert any("su contenido es image/png" in m for m in _problems(_with_logo(_png(), "image/jpeg")))


def test_a_block_using_a_missing_image_is_refused() -> None:
    data = _data()
    data["blocks"][0]["image"] = {"image_id": "no-existe"}
    assert any("usa la imagen «no-existe»" in m for m in _problems(data))


def test_bad_base64_is_refused_in_spanish() -> None:
    data = _data(images=[{"id": "x", "media_type": "image/png", "data": "%%%no-base64%%%"}])
    assert any("no es contenido base64 válido" in m for m in _problems(data))


def test_control_characters_in_a_fixed_text_are_refused() -> None:
    data = _data()
    data["blocks"].append({"kind": "texto_fijo", "lines": ["hola\x00mundo"]})
    assert any("carácter de control no permitido (U+0000" in m for m in _problems(data))


def test_unknown_fields_and_kinds_are_refused() -> None:
    data = _data()
    data["blocks"].append({"kind": "marquesina"})
    data["colores"] = "rojo"
    problems = _problems(data)
    assert any(m.startswith("bloques[17].tipo: no es un valor permitido") for m in problems)
    assert any("no es un campo permitido" in m for m in problems)


def test_template_errors_are_signum_errors_with_every_problem_listed() -> None:
    data = _data(margins={"top": 1, "bottom": 1, "left": 1, "right": 1})
    with pytest.raises(SignumError) as info:
        validate_template(data)
    assert len(info.value.to_body()["details"]["problems"]) == 4


def test_versions_go_up_by_one_and_compare() -> None:
    v1 = default_template()
    v2 = next_version(v1, font="Noto Serif")
    assert (v2.version, v2.font, v2.id) == (2, "Noto Serif", v1.id)
    assert compare_versions(v2, v1) == 1
    assert compare_versions(v1, v2) == -1
    assert compare_versions(v1, default_template()) == 0
    other = Template.model_validate({**v1.model_dump(), "id": "otra"})
    with pytest.raises(ValueError, match="different templates"):
        compare_versions(v1, other)


def test_an_image_that_would_decode_to_too_many_pixels_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("1", (6_000, 6_000)).save(out, "PNG")  # 36 million pixels in a few kilobytes
    assert len(out.getvalue()) < 100_000
    problems = _problems(_with_logo(out.getvalue()))
    assert any("dimensiones de la imagen son demasiado grandes" in m for m in problems), problems
