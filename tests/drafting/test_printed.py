"""What drafting prints on the oficio beyond what the author typed: the answered oficio's date
(carried with the reference when the answer starts) and how to verify the paper copy."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from signum.drafting.rendering import long_date
from signum.drafting.service import DraftingService
from signum.platform.verification_code import short_code
from tests.drafting.support import UNIT, content, official

pytestmark = pytest.mark.stack

AUTHOR = official("autor")


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


async def _create(drafting: DraftingService, contenido: dict[str, Any]) -> Any:
    return await drafting.create_draft(
        caller=AUTHOR,
        kind="oficio",
        asunto="Solicitud de información",
        office_id=UNIT,
        correlation_id="c1",
        contenido=contenido,
    )


async def test_an_answer_carries_and_prints_the_date_of_the_oficio_it_answers(
    drafting: DraftingService,
) -> None:
    answered = await drafting.finalize(AUTHOR, (await _create(drafting, content())).id, "c2")
    assert answered.folio is not None
    printed_on = drafting._today()

    # What the gateway sends when an answer is started: the answered oficio's id and folio only.
    answer = await _create(
        drafting, content() | {"referencia": {"oficio_id": answered.id, "folio": answered.folio.folio}}
    )
    assert answer.contenido.referencia is not None
    assert answer.contenido.referencia.fecha == printed_on
    stored = await drafting.get_draft(AUTHOR, answer.id)
    assert stored.contenido.referencia is not None
    assert stored.contenido.referencia.fecha == printed_on

    text = _text(await drafting.preview(AUTHOR, answer.id, "pdf"))
    assert f"En atención a: oficio {answered.folio.folio} del {long_date(printed_on)}" in text


async def test_a_reference_to_an_oficio_drafting_does_not_know_keeps_what_was_given(
    drafting: DraftingService,
) -> None:
    # A paper document registered by the oficialía: the gateway passes its own date, or none.
    dated = await _create(
        drafting,
        content() | {"referencia": {"oficio_id": "registro-1", "folio": "EXT/1", "fecha": "2026-11-30"}},
    )
    assert "oficio EXT/1 del 30 de noviembre de 2026" in _text(
        await drafting.preview(AUTHOR, dated.id, "pdf")
    )


async def test_the_preview_and_the_final_pdf_print_the_verification_page_and_short_code(
    drafting: DraftingService,
) -> None:
    draft = await _create(drafting, content())
    code = short_code(draft.id)
    expected = (
        "Escanee el código QR o visite signum.monterrey.gob.mx/verificar "
        f"e ingrese el código de verificación: {code}"
    )
    assert expected in _text(await drafting.preview(AUTHOR, draft.id, "pdf"))
    done = await drafting.finalize(AUTHOR, draft.id, "c2")
    assert done.documento is not None
    final = drafting._store.objects[done.documento["clave"]]  # type: ignore[union-attr]
    assert expected in _text(final)
