"""Drafting's rules for a new draft."""

from __future__ import annotations

import pytest

from signum.drafting.domain import ASUNTO_MAX, missing_sentence, new_draft
from signum.platform.errors import ValidationFailedError


def test_a_new_draft_is_a_borrador_with_a_clean_asunto() -> None:
    draft = new_draft(kind="memorandum", asunto="  Informe\n de\tavance  ", office_id="OP", author_id="ana")
    assert draft.status == "borrador"
    assert draft.asunto == "Informe de avance"
    assert draft.version == 1
    assert draft.created_at.tzinfo is not None


@pytest.mark.parametrize("asunto", ["", "   ", "\n\t\r"])
def test_an_empty_asunto_is_refused_in_spanish(asunto: str) -> None:
    with pytest.raises(ValidationFailedError) as info:
        new_draft(kind="oficio", asunto=asunto, office_id="OP", author_id="ana")
    assert info.value.code == "asunto_empty"
    assert info.value.message == "El asunto no puede estar vacío."


def test_an_overlong_asunto_is_refused() -> None:
    with pytest.raises(ValidationFailedError) as info:
        new_draft(kind="oficio", asunto="a" * (ASUNTO_MAX + 1), office_id="OP", author_id="ana")
    assert info.value.code == "asunto_too_long"


def test_ids_are_unique_and_time_ordered() -> None:
    ids = [new_draft(kind="oficio", asunto="x", office_id="OP", author_id="a").id for _ in range(20)]
    assert len(set(ids)) == 20
    assert ids == sorted(ids)


@pytest.mark.parametrize(
    ("parts", "sentence"),
    [
        (["remitente"], "Falta el remitente."),
        (["firmantes"], "Faltan los firmantes."),
        (["remitente", "firmantes"], "Faltan el remitente y los firmantes."),
        (
            ["destinatarios", "firmantes", "cuerpo"],
            "Faltan los destinatarios, los firmantes y el cuerpo del oficio.",
        ),
    ],
)
def test_missing_parts_are_named_in_a_spanish_sentence(parts: list[str], sentence: str) -> None:
    assert missing_sentence(parts) == sentence
