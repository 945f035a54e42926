"""The oficio as Monterrey's municipal government issues it, read as a person reads the paper
(`pdftotext`, and the page as pixels): the year's legend and the escudo of the issuing dependencia,
the answered oficio's date, the recipient block and how to verify the paper copy."""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from signum.drafting.rendering import Renderer
from signum.drafting.rendering.names import implied_by, title_and_office
from signum.drafting.templates import Template, default_template, next_version, validate_template
from signum.drafting.templates.default import DEMO_LEGEND
from signum.drafting.templates.errors import TemplateInvalidError
from signum.platform import verification_code
from tests.drafting.rendering.support import content

BLUE_ESCUDO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="120">'
    b'<rect width="100" height="120" fill="#1040c0"/></svg>'
)


def pdftotext(pdf: bytes) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext (poppler-utils) is needed"
    result = subprocess.run([tool, "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def first_page(pdf: bytes, dpi: int = 40) -> Image.Image:
    tool = shutil.which("pdftoppm")
    assert tool, "pdftoppm (poppler-utils) is needed"
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "oficio.pdf"
        source.write_bytes(pdf)
        command = [tool, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile"]
        subprocess.run([*command, str(source), f"{folder}/pagina"], capture_output=True, check=True)
        with Image.open(Path(folder) / "pagina.png") as image:
            return image.convert("RGB")


def escudo_pixels(pdf: bytes, *, color: tuple[int, int, int] | None = None) -> int:
    """Coloured pixels where the letterhead's escudo goes (top left); of `color` if given."""
    page = first_page(pdf)
    w, h = page.size
    region = page.crop((0, 0, w // 4, h // 8))
    count = 0
    for r, g, b in region.get_flattened_data():
        if color is None:
            count += max(r, g, b) - min(r, g, b) > 40
        else:
            count += abs(r - color[0]) + abs(g - color[1]) + abs(b - color[2]) < 60
    return count


def with_identities(identities: list[dict[str, Any]], *, extra_images: list[dict[str, Any]] = ()) -> Template:
    data = default_template().model_dump(mode="json")
    data["identidades"] = identities
    data["images"] += list(extra_images)
    return validate_template(next_version(Template.model_validate(data)))


def blue_image() -> dict[str, Any]:
    return {"id": "escudo-sa", "media_type": "image/svg+xml", "data": base64.b64encode(BLUE_ESCUDO).decode()}


# --- legend and escudo --------------------------------------------------------------------------


def test_the_demo_template_prints_its_legend_and_escudo_not_a_placeholder(
    renderer: Renderer, template: Template
) -> None:
    pdf = renderer.render(template, content()).pdf
    text = pdftotext(pdf)
    assert DEMO_LEGEND in text
    assert "leyenda institucional" not in text
    assert "configurable" not in text
    assert escudo_pixels(pdf) > 50
    # Without an escudo in the configuration the corner stays white: the pixels above are the escudo.
    bare = with_identities([{"leyenda": DEMO_LEGEND}])
    assert escudo_pixels(renderer.render(bare, content()).pdf) == 0


def test_the_demo_values_are_marked_as_such_in_the_configuration() -> None:
    [identity] = default_template().identidades
    assert identity.dependencia == ""
    assert "demostración" in identity.nota
    assert identity.escudo is not None
    assert default_template().image(identity.escudo) is not None


def test_a_dependencia_has_its_own_legend_and_escudo_and_the_rest_the_general_ones(
    renderer: Renderer,
) -> None:
    template = with_identities(
        [
            {"leyenda": "2026, Año del Agua", "escudo": "escudo-demo"},
            {"dependencia": "SA", "leyenda": "Administración con resultados 2026", "escudo": "escudo-sa"},
            {"dependencia": "TES", "leyenda": "Finanzas sanas 2026"},  # its escudo: the general one
        ],
        extra_images=[blue_image()],
    )
    blue = (0x10, 0x40, 0xC0)

    def sender(dependencia_id: str) -> dict[str, Any]:
        return content()["sender"] | {"dependencia_id": dependencia_id}

    sa = renderer.render(template, content(sender=sender("SA"))).pdf
    assert "Administración con resultados 2026" in pdftotext(sa)
    assert "Año del Agua" not in pdftotext(sa)
    assert escudo_pixels(sa, color=blue) > 50

    tes = renderer.render(template, content(sender=sender("TES"))).pdf
    assert "Finanzas sanas 2026" in pdftotext(tes)
    assert escudo_pixels(tes, color=blue) == 0
    assert escudo_pixels(tes) > 50

    other = renderer.render(template, content(sender=sender("SOP"))).pdf
    assert "2026, Año del Agua" in pdftotext(other)
    assert escudo_pixels(other, color=blue) == 0


def test_an_identity_naming_a_missing_image_or_repeated_is_refused_in_spanish() -> None:
    data = default_template().model_dump(mode="json")
    data["identidades"] = [
        {"leyenda": "A"},
        {"leyenda": "B"},
        {"dependencia": "SA", "escudo": "no-existe"},
    ]
    with pytest.raises(TemplateInvalidError) as info:
        validate_template(data)
    messages = [p["message"] for p in info.value.details["problems"]]
    assert any("2 identidades general" in m for m in messages), messages
    assert any("«no-existe», que la plantilla no tiene" in m for m in messages), messages


# --- the answered oficio, the recipient ---------------------------------------------------------


def test_an_answer_prints_the_answered_oficios_folio_and_date(renderer: Renderer, template: Template) -> None:
    pdf = renderer.render(
        template, content(reference={"folio": "SIGA/DGTI/0006/2026", "date": "2026-12-03"})
    ).pdf
    assert "En atención a: oficio SIGA/DGTI/0006/2026 del 3 de diciembre de 2026" in pdftotext(pdf)


def test_the_recipient_block_does_not_repeat_the_office_its_title_names(
    renderer: Renderer, template: Template
) -> None:
    recipient = {
        "name": "Eduardo Javier Cavazos Benavides",
        "title": "Secretario del Ayuntamiento",
        "organization": "Secretaría del Ayuntamiento",
    }
    lines = [
        line.strip()
        for line in pdftotext(renderer.render(template, content(recipients=[recipient])).pdf).splitlines()
    ]
    at = lines.index("Eduardo Javier Cavazos Benavides")
    assert lines[at + 1 : at + 3] == ["Secretario del Ayuntamiento", "Presente"]
    assert "Secretaría del Ayuntamiento" not in lines


def test_the_recipient_block_names_the_dependencia_when_the_title_does_not(
    renderer: Renderer, template: Template
) -> None:
    lines = [line.strip() for line in pdftotext(renderer.render(template, content()).pdf).splitlines()]
    at = lines.index("Lic. Jorge Luis Ramírez Treviño")
    assert lines[at + 1 : at + 4] == ["Director de Egresos", "Tesorería Municipal", "Presente"]


@pytest.mark.parametrize(
    ("office", "title", "implied"),
    [
        ("Secretaría del Ayuntamiento", "Secretario del Ayuntamiento", True),
        ("Oficina del C. Secretario del Ayuntamiento", "Secretario del Ayuntamiento", True),
        ("Tesorería Municipal", "Tesorera Municipal", True),
        ("Presidencia Municipal", "Presidente Municipal", True),
        ("Dirección Jurídica", "Director Jurídico", True),
        ("Tesorería Municipal", "Director de Egresos", False),
        ("Secretaría de Obras Públicas", "Secretario de Desarrollo Urbano Sostenible", False),
        ("Secretaría de Administración", "Coordinador Administrativo de la Secretaría", False),
        ("Dirección de Egresos", "Director de Ingresos", False),
    ],
)
def test_an_office_is_implied_by_a_title_only_when_every_word_of_it_is_there(
    office: str, title: str, implied: bool
) -> None:
    assert implied_by(office, title) is implied
    assert title_and_office(title, office) == ([title] if implied else [title, office])


# --- verification of the paper copy -------------------------------------------------------------


def test_the_verification_box_prints_the_page_and_the_short_code(
    renderer: Renderer, template: Template
) -> None:
    code = verification_code.short_code("019ae3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b")
    verification = {
        "qr_url": "https://signum.monterrey.gob.mx/verificar/019ae3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b",
        "page_url": "signum.monterrey.gob.mx/verificar",
        "code": code,
    }
    rendered = renderer.render(template, content(verification=verification))
    text = " ".join(pdftotext(rendered.pdf).split())
    assert "Verificación del documento" in text
    assert "Escanee el código QR o visite signum.monterrey.gob.mx/verificar" in text
    assert f"e ingrese el código de verificación: {code}" in text
    assert rendered.qr_box is not None
    # The QR code is drawn inside its reserved area: dark modules there, on the first page.
    page = first_page(rendered.pdf, dpi=72)
    box = rendered.qr_box
    height = page.size[1]
    area = page.crop((int(box.x0), int(height - box.y1), int(box.x1), int(height - box.y0))).convert("L")
    dark = sum(1 for v in area.get_flattened_data() if v < 100)
    assert 0.25 < dark / (area.size[0] * area.size[1]) < 0.75


def test_short_codes_are_grouped_unambiguous_and_forgiving_to_type() -> None:
    code = verification_code.short_code("019ae3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b")
    assert len(code) == 11
    assert code[5] == "-"
    assert set(code.replace("-", "")) <= set(verification_code.ALPHABET)
    assert not set(code) & set("ILOU")
    assert code == verification_code.short_code("019ae3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b")
    assert code != verification_code.short_code("acuse-019ae3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b")
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert verification_code.parse(typed) == code
    for not_a_code in ("019ae3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b", "acuse-x", "ABCDE-FGHIU", "ABCD"):
        assert verification_code.parse(not_a_code) is None
