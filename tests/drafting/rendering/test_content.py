"""The oficio's content and body: what is accepted, cleaned, or refused with a Spanish message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from signum.drafting.rendering import BodyDocument, OficioContent, long_date
from signum.drafting.rendering.body import MAX_LIST_DEPTH, MAX_TABLE_COLUMNS, MAX_TEXT_CHARS
from signum.drafting.templates import ContentInvalidError
from signum.drafting.templates.text import ZERO_WIDTH_SPACE, breakable, clean_line
from tests.drafting.rendering.support import body, content


def _refused(data: Any) -> list[str]:
    with pytest.raises(ContentInvalidError) as info:
        OficioContent.parse(data)
    assert info.value.status_code == 422
    assert info.value.code == "content_invalid"
    return [p["message"] for p in info.value.details["problems"]]


def _body_refused(data: Any) -> str:
    with pytest.raises(ContentInvalidError) as info:
        BodyDocument.parse(data)
    return info.value.message


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 11, 23), "23 de noviembre de 2026"),
        (dt.date(2027, 1, 1), "1 de enero de 2027"),
        (dt.date(2026, 9, 30), "30 de septiembre de 2026"),
    ],
)
def test_dates_are_written_in_spanish(day: dt.date, expected: str) -> None:
    assert long_date(day) == expected


def test_one_line_fields_collapse_whitespace() -> None:
    parsed = OficioContent.parse(content(subject="  Informe\tde\n  avance  "))
    assert parsed.subject == "Informe de avance"


def test_text_is_normalised_to_nfc() -> None:
    assert clean_line("Nun\u0303ez") == "Nuñez"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\x00b", "carácter de control no permitido (U+0000, posición 2)"),
        ("\x1b[31mrojo", "carácter de control no permitido (U+001B, posición 1)"),
        ("a\x9bb", "carácter de control no permitido (U+009B"),
        ("abc\u202edcba", "control de dirección del texto (U+202E, posición 4)"),
        ("x\u2066y", "control de dirección del texto (U+2066"),
        ("中文", "«中» (U+4E2D, posición 1), que las fuentes del documento no pueden mostrar"),
        ("a\ud800", "carácter Unicode inválido"),
    ],
)
def test_refused_characters_are_named_with_their_field_and_position(value: str, expected: str) -> None:
    [message] = _refused(content(subject=value))
    assert message.startswith("asunto: ")
    assert expected in message


def test_a_refused_character_in_a_nested_field_names_the_field() -> None:
    data = content()
    data["signers"][0]["name"] = "Ana\x07"
    [message] = _refused(data)
    assert message.startswith("firmantes[1].nombre: contiene un carácter de control")


def test_a_100_kb_value_in_a_one_line_field_is_refused_with_its_limit() -> None:
    [message] = _refused(content(subject="x" * 100_000))
    assert message == "asunto: no puede exceder 500 caracteres."


@pytest.mark.parametrize("field", ["folio", "subject"])
def test_required_fields_cannot_be_blank(field: str) -> None:
    [message] = _refused(content(**{field: "   "}))
    assert message.endswith("no puede estar vacío.")


def test_an_oficio_needs_a_recipient_and_a_signer() -> None:
    problems = _refused(content(recipients=[], signers=[]))
    assert "destinatarios: no puede estar vacío." in problems
    assert "firmantes: no puede estar vacío." in problems


def test_a_bad_date_is_refused_in_spanish() -> None:
    assert _refused(content(date="23/11/2026")) == ["fecha: debe ser una fecha (AAAA-MM-DD)."]


def test_the_body_keeps_its_structure() -> None:
    doc = BodyDocument.parse(
        {
            "blocks": [
                {
                    "type": "paragraph",
                    "children": [{"type": "text", "text": "Hola", "bold": True}, {"type": "break"}],
                },
                {"type": "numbered_list", "items": [[{"type": "paragraph", "children": []}]]},
                {"type": "table", "header": True, "rows": [[[{"type": "text", "text": "a"}]]]},
            ]
        }
    )
    assert [b.type for b in doc.blocks] == ["paragraph", "numbered_list", "table"]


def test_body_text_keeps_newlines_and_refuses_controls() -> None:
    doc = BodyDocument.parse(body("línea 1\r\nlínea 2\tfin"))
    assert doc.blocks[0].children[0].text == "línea 1\nlínea 2 fin"  # type: ignore[union-attr]
    assert "Cuerpo.bloques[1].contenido[1].texto: contiene un carácter de control no permitido (U+0000" in (
        _body_refused(body("a\x00b"))
    )


def test_lists_nested_too_deep_are_refused() -> None:
    node: dict[str, Any] = {"type": "paragraph", "children": []}
    for _ in range(MAX_LIST_DEPTH + 1):
        node = {"type": "bullet_list", "items": [[node]]}
    assert f"no pueden anidarse más de {MAX_LIST_DEPTH} niveles" in _body_refused({"blocks": [node]})


def test_absurdly_deep_json_is_refused_not_a_crash() -> None:
    node: dict[str, Any] = {"type": "paragraph", "children": []}
    for _ in range(5_000):
        node = {"type": "bullet_list", "items": [[node]]}
    message = _body_refused({"blocks": [node]})
    assert message.startswith("El contenido del oficio no es válido.")


def test_a_body_over_the_size_limit_is_refused() -> None:
    message = _body_refused(body("a" * (MAX_TEXT_CHARS + 1)))
    assert f"el máximo es {MAX_TEXT_CHARS}" in message


def test_tables_too_wide_are_refused() -> None:
    row = [[{"type": "text", "text": "c"}] for _ in range(MAX_TABLE_COLUMNS + 1)]
    assert "más de 10 columnas" in _body_refused({"blocks": [{"type": "table", "rows": [row]}]})


def test_unknown_body_nodes_are_refused() -> None:
    assert "tipo no reconocido" in _body_refused({"blocks": [{"type": "script", "code": "x"}]})


def test_plain_text_becomes_paragraphs() -> None:
    doc = BodyDocument.from_text("Primero.\nSigue.\n\nSegundo.")
    assert len(doc.blocks) == 2


def test_long_runs_get_break_opportunities_but_clusters_stay_whole() -> None:
    assert breakable("corto y normal") == "corto y normal"
    broken = breakable("x" * 100)
    assert broken.replace(ZERO_WIDTH_SPACE, "") == "x" * 100
    assert max(len(part) for part in broken.split(ZERO_WIDTH_SPACE)) <= 20
    family = "👨\u200d👩\u200d👧" * 20 + "e\u0301" * 40 + "👍🏽" * 20
    for part in breakable(family).split(ZERO_WIDTH_SPACE):
        assert not part.startswith(("\u200d", "\u0301", "🏽"))
        assert not part.endswith("\u200d")
