"""The renderer: what the PDF says, where the signature and QR areas are, fields, previews, fonts."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image
from pypdf import PdfReader

from signum.drafting.rendering import OficioContent, Renderer, payload, sample_content
from signum.drafting.templates import Template, default_template, next_version, validate_template
from signum.platform.errors import SignumError
from tests.drafting.rendering.support import (
    BAND_SVG,
    body,
    content,
    content_only_template,
    font_names,
    normalize,
    page_texts,
    pdf_text,
    signature_fields,
    two_page_content,
)

WHEN = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)


def _two_signers() -> OficioContent:
    return OficioContent.parse(
        content(
            signers=[
                {"name": "Ing. Laura Martínez Garza", "title": "Directora General"},
                {
                    "name": "Lic. Pedro Salinas Cantú",
                    "title": "Director de Área",
                    "on_behalf_of": {
                        "name": "Mtra. Elena Garza Leal",
                        "title": "Secretaria de Administración",
                    },
                },
            ]
        )
    )


def test_the_default_oficio_shows_every_part_in_spanish(renderer: Renderer, template: Template) -> None:
    pdf = renderer.render(template, sample_content()).pdf
    text = pdf_text(pdf)
    for expected in (
        "Gobierno de Monterrey",
        "Secretaría de Administración",
        "Dirección General de Tecnologías de la Información",
        "2026, Año de la Transparencia y la Participación Ciudadana",
        "Oficio No. SIGA/DGTI/0123/2026",
        "Monterrey, Nuevo León, a 23 de noviembre de 2026",
        "Asunto: Solicitud de información para el informe trimestral",
        "En atención a: oficio TM/DE/0456/2026 del 10 de noviembre de 2026",
        "Lic. Jorge Luis Ramírez Treviño",
        "Director de Egresos",
        "Tesorería Municipal",
        "Por medio del presente",
        "Atentamente",
        "Ing. Laura Martínez Garza",
        "Verificación del documento",
        "C.c.p. Archivo",
        "Anexos: Formato de informe trimestral (1 hoja)",
        "LMG/jlr",
        "Domicilio de la unidad administrativa",
        "Página 1 de 1",
    ):
        assert expected in text, expected
    assert normalize("P r e s e n t e") in normalize(text)


def test_the_pdf_is_pdf_a_2b_tagged_in_spanish_and_titled(renderer: Renderer, template: Template) -> None:
    reader = PdfReader(io.BytesIO(renderer.render(template, sample_content()).pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "es-MX"
    assert reader.metadata is not None
    assert reader.metadata.title == "Solicitud de información para el informe trimestral"
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="2"' in xmp or "<pdfaid:part>2</pdfaid:part>" in xmp


def test_two_pages_are_numbered_x_of_y(renderer: Renderer, template: Template) -> None:
    rendered = renderer.render(template, two_page_content())
    assert rendered.pages == 2
    first, second = page_texts(rendered.pdf)
    assert "Página 1 de 2" in first
    assert "Página 2 de 2" in second
    # the letterhead repeats on every page
    assert "Gobierno de Monterrey" in second


def test_each_signer_gets_a_reserved_area_and_an_empty_signature_field(
    renderer: Renderer, template: Template
) -> None:
    rendered = renderer.render(template, _two_signers())
    areas = rendered.signature_areas
    assert [a.field_name for a in areas] == ["firma-1", "firma-2"]
    fields = signature_fields(rendered.pdf)
    assert set(fields) == {"firma-1", "firma-2"}
    for area in areas:
        field = fields[area.field_name]
        assert field["type"] == "/Sig"
        assert not field["signed"]
        assert field["has_appearance"]  # PDF/A wants every widget to have one
        assert field["page"] == area.box.page
        assert field["rect"] == pytest.approx([area.box.x0, area.box.y0, area.box.x1, area.box.y1], abs=0.01)
        # 70 × 22 mm, as the template says
        assert area.box.width == pytest.approx(70 * 72 / 25.4, abs=0.01)
        assert area.box.height == pytest.approx(22 * 72 / 25.4, abs=0.01)
    left, right = (a.box for a in areas)
    assert left.x1 <= right.x0  # side by side, two columns
    assert left.y0 == pytest.approx(right.y0)
    suplencia = "Por ausencia de Mtra. Elena Garza Leal, Secretaria de Administración"
    assert normalize(suplencia) in normalize(pdf_text(rendered.pdf))


def test_the_signature_area_sits_above_its_signer_s_name(renderer: Renderer, template: Template) -> None:
    rendered = renderer.render(template, sample_content())
    [area] = rendered.signature_areas
    reader = PdfReader(io.BytesIO(rendered.pdf))
    found: list[float] = []

    def visitor(text: str, cm: list[float], tm: list[float], _fd: object, _fs: object) -> None:
        if "Laura" in text:
            found.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])

    reader.pages[area.box.page - 1].extract_text(visitor_text=visitor)
    assert found, "the signer's name is on the page of the signature area"
    name_y = min(found)
    assert area.box.y0 - 20 < name_y < area.box.y0  # just below the box's bottom edge


def test_the_qr_area_is_reported_inside_the_page_and_apart_from_signatures(
    renderer: Renderer, template: Template
) -> None:
    rendered = renderer.render(template, _two_signers())
    qr = rendered.qr_box
    assert qr is not None
    assert qr.width == pytest.approx(22 * 72 / 25.4, abs=0.01)
    assert 0 <= qr.x0 < qr.x1 <= 612
    assert 0 <= qr.y0 < qr.y1 <= 792
    for area in rendered.signature_areas:
        b = area.box
        assert b.page != qr.page or qr.y1 <= b.y0 or qr.x1 <= b.x0 or qr.x0 >= b.x1


def test_signature_fields_can_be_left_out_for_drafts(renderer: Renderer, template: Template) -> None:
    rendered = renderer.render(template, sample_content(), signature_fields=False)
    assert "/AcroForm" not in PdfReader(io.BytesIO(rendered.pdf)).trailer["/Root"]
    assert len(rendered.signature_areas) == 1


def test_the_same_oficio_renders_to_the_same_bytes(renderer: Renderer, template: Template) -> None:
    first = renderer.render(template, sample_content(), signature_fields=False, timestamp=WHEN).pdf
    again = Renderer().render(template, sample_content(), signature_fields=False, timestamp=WHEN).pdf
    assert first == again


def test_only_bundled_fonts_are_embedded(renderer: Renderer, template: Template) -> None:
    data = content(subject="Informe العربية עברית 😀 ✓", body=body("*cursiva* y **negrita**"))
    data["body"]["blocks"][0]["children"][0]["italic"] = True
    data["body"]["blocks"][0]["children"].append({"type": "text", "text": " fuerte", "bold": True})
    names = font_names(renderer.render(template, data).pdf)
    assert names <= {
        "NotoSans-Regular", "NotoSans-Bold", "NotoSans-Italic", "NotoSans-BoldItalic",
        "NotoSansArabic-Regular", "NotoSansArabic-Bold", "NotoSansHebrew-Regular", "NotoSansHebrew-Bold",
        "Symbola",
    }  # fmt: skip
    assert {
        "NotoSans-Regular",
        "NotoSans-Bold",
        "NotoSans-Italic",
        "NotoSansArabic-Regular",
        "Symbola",
    } <= names


def test_fallback_fonts_are_listed_only_when_the_text_needs_them(template: Template) -> None:
    spanish, _ = payload.build(template, OficioContent.parse(sample_content()))
    assert json.loads(spanish)["font"]["families"] == ["Noto Sans"]
    mixed, _ = payload.build(template, OficioContent.parse(content(subject="Informe עברית")))
    assert json.loads(mixed)["font"]["families"] == ["Noto Sans", *payload.FALLBACK_FONTS]


def test_a_serif_template_uses_noto_serif(renderer: Renderer, template: Template) -> None:
    names = font_names(renderer.render(next_version(template, font="Noto Serif"), sample_content()).pdf)
    assert "NotoSerif-Regular" in names
    assert renderer.font_families() == [
        "Noto Sans",
        "Noto Sans Arabic",
        "Noto Sans Hebrew",
        "Noto Serif",
        "Symbola",
    ]


def test_long_justified_spanish_text_is_hyphenated(renderer: Renderer, template: Template) -> None:
    words = "administración municipal transparencia responsabilidad internacionalización " * 40
    text = pdf_text(renderer.render(template, content(body=body(words))).pdf)
    # A hyphenation point extracts as a soft hyphen, so the words read back whole.
    assert any(line.endswith("\u00ad") for line in text.splitlines())
    assert normalize(text).count("internacionalización") == 40


def test_letterhead_and_footer_images_are_drawn(renderer: Renderer) -> None:
    png = io.BytesIO()
    Image.new("RGB", (300, 120), (120, 30, 60)).save(png, "PNG")
    svg = BAND_SVG
    data = default_template().model_dump(mode="json")
    data["images"] += [
        {"id": "escudo", "media_type": "image/png", "data": base64.b64encode(png.getvalue()).decode()},
        {"id": "franja", "media_type": "image/svg+xml", "data": base64.b64encode(svg).decode()},
    ]
    data["blocks"][0]["image"] = {"image_id": "escudo", "width": 30}
    next(b for b in data["blocks"] if b["kind"] == "pie")["image"] = {"image_id": "franja", "width": 150}
    rendered = renderer.render(validate_template(data), sample_content())
    page = PdfReader(io.BytesIO(rendered.pdf)).pages[0]
    assert len(page.images) >= 1  # the PNG; the SVG band becomes vector drawing
    assert "Gobierno de Monterrey" in pdf_text(rendered.pdf)


def test_blocks_without_data_are_left_out(renderer: Renderer, template: Template) -> None:
    text = pdf_text(
        renderer.render(template, content(reference=None, ccp=[], attachments=[], initials="")).pdf
    )
    for absent in ("En atención a", "C.c.p.", "Anexos:", "LMG/jlr"):
        assert absent not in text


def test_the_preview_is_a_png_of_the_asked_page(renderer: Renderer, template: Template) -> None:
    png = renderer.preview_png(template, two_page_content(), page=2, ppi=50)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (round(8.5 * 50), (11 * 50))
    with pytest.raises(SignumError) as info:
        renderer.preview_png(template, sample_content(), page=3)
    assert info.value.message == "El oficio tiene 1 página(s); no existe la página 3."


def test_the_renderer_can_be_shared_between_threads(renderer: Renderer, template: Template) -> None:
    subjects = [f"Asunto concurrente número {i}" for i in range(8)]

    def render(subject: str) -> bytes:
        return renderer.render(template, content(subject=subject), signature_fields=False, timestamp=WHEN).pdf

    with ThreadPoolExecutor(4) as pool:
        pdfs = list(pool.map(render, subjects))
    for subject, pdf in zip(subjects, pdfs, strict=True):
        assert subject in pdf_text(pdf)
        assert pdf == render(subject)


def test_an_invalid_template_is_refused_before_rendering(renderer: Renderer, template: Template) -> None:
    broken = Template.model_validate({**template.model_dump(), "blocks": template.model_dump()["blocks"][:3]})
    with pytest.raises(SignumError) as info:
        renderer.render(broken, sample_content())
    assert info.value.code == "template_invalid"


def test_a_template_may_ask_for_knuth_plass_line_breaking(renderer: Renderer) -> None:
    words = "Por este conducto se solicita la información presupuestal del ejercicio. " * 30
    optimized = next_version(content_only_template(), line_breaking="optimized")
    text = pdf_text(renderer.render(optimized, content(body=body(words, "x" * 5_000))).pdf)
    assert normalize(words) in normalize(text)
    assert "x" * 5_000 in normalize(text)  # a long paragraph is still set (greedily)
