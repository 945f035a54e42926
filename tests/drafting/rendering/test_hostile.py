"""Hostile input in the body and in every text field: shown literally, or refused in Spanish.

Never another exception, never a broken PDF, never a changed layout. "Literally" is checked on the
text a reader extracts from the PDF (whitespace, zero-width break opportunities and soft hyphens
aside).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from pypdf import PdfReader

from signum.drafting.rendering import OficioContent, Renderer
from signum.drafting.templates import ContentInvalidError, Template
from signum.platform.errors import SignumError
from tests.drafting.rendering.support import (
    body,
    content,
    content_only_template,
    normalize,
    pdf_text,
    pdfa_problems,
)

CORPUS = [
    '#read("/etc/passwd")',
    '#import "x": *',
    '#include "oficio.typ"',
    "#set page(width: 1pt)",
    '#{ panic("x") }',
    "#let x = 1; #x",
    "#sys.inputs",
    '#image("/etc/passwd")',
    "$x^2$",
    "$",
    "#",
    "]",
    "[",
    "[#]",
    "\\",
    "\\\\n \\u{41}",
    "*negrita*",
    "_cursiva_",
    "`crudo`",
    "```python print()```",
    "<etiqueta>",
    "@referencia",
    "// comentario",
    "/* bloque */",
    "= Título",
    "- viñeta",
    "+ número",
    "1. lista",
    "~ ~",
    "\"comillas\" 'simples'",
    "{ } {{",
    "{{no.existe}}",
    "{{folio}}",
    "{{ remitente.nombre }}",
    "<!-- x --> <script>alert(1)</script>",
    "%PDF-1.7 endobj trailer <<>> )(\\)",
    "ñáéíóú ü ¿¡ «» — …",
    "العربية",
    "עברית",
    "😀👍🏽👨\u200d👩\u200d👧 ✓ ★ ☎",
]

# Where each text field of an oficio lives; all of them are set at once in one render.
FIELDS: dict[str, Callable[[dict[str, Any], str], None]] = {
    "folio": lambda d, v: d.__setitem__("folio", v),
    "asunto": lambda d, v: d.__setitem__("subject", v),
    "remitente.nombre": lambda d, v: d["sender"].__setitem__("name", v),
    "remitente.puesto": lambda d, v: d["sender"].__setitem__("title", v),
    "remitente.dependencia": lambda d, v: d["sender"].__setitem__("organization", v),
    "remitente.unidad": lambda d, v: d["sender"].__setitem__("unit", v),
    "remitente.domicilio": lambda d, v: d["sender"].__setitem__("address", v),
    "destinatario.nombre": lambda d, v: d["recipients"][0].__setitem__("name", v),
    "destinatario.puesto": lambda d, v: d["recipients"][0].__setitem__("title", v),
    "destinatario.dependencia": lambda d, v: d["recipients"][0].__setitem__("organization", v),
    "firmante.nombre": lambda d, v: d["signers"][0].__setitem__("name", v),
    "firmante.puesto": lambda d, v: d["signers"][0].__setitem__("title", v),
    "suplencia.nombre": lambda d, v: d["signers"][0].__setitem__("on_behalf_of", {"name": v, "title": v}),
    "ccp": lambda d, v: d.__setitem__("ccp", [{"name": v, "title": v}]),
    "iniciales": lambda d, v: d.__setitem__("initials", v),
    "anexos": lambda d, v: d.__setitem__("attachments", [v]),
    "referencia": lambda d, v: d.__setitem__("reference", {"folio": v, "date": "2026-11-10"}),
}
# How many times the value shows in the default template: remitente.nombre and .puesto are not
# printed by it; the recipient's dependencia is its title here, so it is not repeated; suplencia
# and C.c.p. print name and title; the body holds it four times.
SHOWN = len(FIELDS) - 3 + 2 + 4


def _rich_body(v: str) -> dict[str, Any]:
    t = lambda s, **style: {"type": "text", "text": s, **style}  # noqa: E731
    return {
        "blocks": [
            {"type": "paragraph", "children": [t(v), t(" "), t(v, bold=True, italic=True, underline=True)]},
            {"type": "bullet_list", "items": [[{"type": "paragraph", "children": [t(v)]}]]},
            {"type": "table", "header": True, "rows": [[[t("Celda")]], [[t(v)]]]},
        ]
    }


def _everywhere(v: str) -> dict[str, Any]:
    data = content(body=_rich_body(v))
    for put in FIELDS.values():
        put(data, v)
    return data


def _assert_sound_pdf(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:  # nothing a user typed changes the page
        assert [float(x) for x in page.mediabox] == [0, 0, 612, 792]
    assert pdfa_problems(pdf) == []


@pytest.mark.parametrize("value", CORPUS)
def test_hostile_text_in_every_field_and_the_body_is_shown_literally(
    renderer: Renderer, template: Template, value: str
) -> None:
    rendered = renderer.render(template, _everywhere(value))
    _assert_sound_pdf(rendered.pdf)
    text = normalize(pdf_text(rendered.pdf))
    assert text.count(normalize(value)) >= SHOWN
    assert len(rendered.signature_areas) == 1
    assert rendered.qr_box is not None


def test_a_placeholder_typed_by_a_user_is_not_expanded(renderer: Renderer, template: Template) -> None:
    text = pdf_text(renderer.render(template, content(subject="Pago del {{folio}} de {{fecha}}")).pdf)
    assert "Asunto: Pago del {{folio}} de {{fecha}}" in text
    assert text.count("SIGA/DGTI/0123/2026") == 1  # only where the template asks for the folio


REFUSED = {
    "\x00": "carácter de control no permitido (U+0000",
    "\x07": "carácter de control no permitido (U+0007",
    "\x1b": "carácter de control no permitido (U+001B",
    "\x7f": "carácter de control no permitido (U+007F",
    "\x9b": "carácter de control no permitido (U+009B",
    "\u202e": "control de dirección del texto (U+202E",
    "\u2067": "control de dirección del texto (U+2067",
    "\ufffe": "carácter Unicode inválido (U+FFFE",
    "\ud800": "carácter Unicode inválido",
    "中": "que las fuentes del documento no pueden mostrar",
}


@pytest.mark.parametrize("field", [*FIELDS, "cuerpo"])
@pytest.mark.parametrize("char", REFUSED)
def test_control_and_undrawable_characters_are_refused_in_spanish(field: str, char: str) -> None:
    value = f"texto{char}final"
    data = content(body=_rich_body(value)) if field == "cuerpo" else content()
    if field != "cuerpo":
        FIELDS[field](data, value)
    with pytest.raises(ContentInvalidError) as info:
        OficioContent.parse(data)
    assert info.value.status_code == 422
    assert REFUSED[char] in info.value.message
    assert info.value.message.startswith("El contenido del oficio no es válido.")


@pytest.mark.parametrize("field", list(FIELDS))
def test_a_100_kb_line_in_a_one_line_field_is_refused_with_its_limit(field: str) -> None:
    data = content()
    FIELDS[field](data, "x" * 100_000)
    with pytest.raises(ContentInvalidError) as info:
        OficioContent.parse(data)
    assert "no puede exceder" in info.value.message


@pytest.mark.parametrize(
    ("line", "literal"),
    [
        ("x" * 100_000, True),  # one 100 KB word: wrapped at the added break opportunities
        ("palabra " * 12_500, True),  # 100 KB of ordinary words in one paragraph
        ("😀" * 25_000, True),  # 100 KB of UTF-8
        ("עברית " * 10_000, False),  # RTL across lines: extraction order is the reader's business
    ],
)
def test_a_100_kb_line_in_the_body_wraps_onto_more_pages(
    renderer: Renderer, line: str, literal: bool
) -> None:
    rendered = renderer.render(content_only_template(), content(body=body(line)))
    assert rendered.pages > 5
    _assert_sound_pdf(rendered.pdf)
    if literal:
        assert normalize(line) in normalize(pdf_text(rendered.pdf))
    else:
        assert "עברית" in pdf_text(rendered.pdf)


def test_a_100_kb_word_in_a_table_cell_wraps(renderer: Renderer) -> None:
    cell = lambda s: [{"type": "text", "text": s}]  # noqa: E731
    table = {"type": "table", "rows": [[cell("y" * 100_000), cell("corta")]]}
    rendered = renderer.render(content_only_template(), content(body={"blocks": [table]}))
    _assert_sound_pdf(rendered.pdf)
    assert "y" * 1000 in normalize(pdf_text(rendered.pdf))


@pytest.mark.parametrize(
    "data",
    [
        {"body": "no soy un documento"},
        {"body": {"blocks": [{"type": "paragraph", "children": [{"type": "text", "text": 5}]}]}},
        {"body": {"blocks": [{"type": "raw", "text": '#read("/etc/passwd")'}]}},
        {
            "body": {
                "blocks": [{"type": "paragraph", "children": [{"type": "text", "text": "a", "markup": True}]}]
            }
        },
        {"signers": [{"name": "x"}] * 13},
        {"recipients": "todos"},
        {"date": "ayer"},
    ],
)
def test_malformed_content_is_refused_in_spanish(
    renderer: Renderer, template: Template, data: dict[str, Any]
) -> None:
    with pytest.raises(SignumError) as info:
        renderer.render(template, content(**data))
    assert info.value.code == "content_invalid"
    assert info.value.message.startswith("El contenido del oficio no es válido.")
