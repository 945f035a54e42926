"""Drafting's oficio follows signing and routing (`oficio.signed` → firmado, `oficio.dispatched` →
enviado), forward only, whatever order the two topics deliver in; on the real MongoDB-wire server."""

from __future__ import annotations

from typing import Any

import pytest

from signum.contracts import Actor
from signum.contracts.routing import DispatchedDelivery, OficioDispatched, OficioDispatchedPayload
from signum.drafting.lifecycle import Lifecycle
from signum.drafting.service import DraftingService
from signum.platform.errors import ConflictError
from tests.drafting.support import UNIT, content, official
from tests.routing.support import signed

pytestmark = pytest.mark.stack

AUTHOR = official("autor")


def dispatched(oficio_id: str) -> OficioDispatched:
    return OficioDispatched(
        oficio_id=oficio_id,
        correlation_id=f"c-{oficio_id}",
        actor=Actor.system("routing"),
        payload=OficioDispatchedPayload(
            folio="TES/SEC/0001/2026",
            asunto="Solicitud de información",
            unidad_id=UNIT,
            entregas=[
                DispatchedDelivery(entrega_id=f"{oficio_id}_x", motivo="destinatario", funcionario_id="1")
            ],
        ),
    )


async def _ready_to_sign(drafting: DraftingService) -> Any:
    draft = await drafting.create_draft(
        caller=AUTHOR,
        kind="oficio",
        asunto="Solicitud de información",
        office_id=UNIT,
        correlation_id="c1",
        contenido=content(),
    )
    return await drafting.finalize(AUTHOR, draft.id, "c2")


async def test_signed_then_sent(drafting: DraftingService) -> None:
    draft = await _ready_to_sign(drafting)
    assert draft.status == "listo_para_firma"
    lifecycle = Lifecycle(drafting._repo)
    await lifecycle.on_signed(signed(draft.id))
    assert (await drafting.get_draft(AUTHOR, draft.id)).status == "firmado"
    await lifecycle.on_dispatched(dispatched(draft.id))
    after = await drafting.get_draft(AUTHOR, draft.id)
    assert after.status == "enviado"
    # Nothing of the drafting half applies any more.
    with pytest.raises(ConflictError):
        await drafting.finalize(AUTHOR, draft.id, "c3")
    with pytest.raises(ConflictError):
        await drafting.cancel(AUTHOR, draft.id, "ya no", "c4")
    doc = await drafting._repo.collection.find_one({"_id": draft.id})
    assert doc is not None
    assert doc["firmado_en"]
    assert doc["enviado_en"]


async def test_sent_before_signed_arrives_stays_sent(drafting: DraftingService) -> None:
    draft = await _ready_to_sign(drafting)
    lifecycle = Lifecycle(drafting._repo)
    await lifecycle.on_dispatched(dispatched(draft.id))
    await lifecycle.on_signed(signed(draft.id))  # the other topic, later
    assert (await drafting.get_draft(AUTHOR, draft.id)).status == "enviado"


async def test_a_draft_or_an_unknown_oficio_is_left_alone(drafting: DraftingService) -> None:
    draft = await drafting.create_draft(
        caller=AUTHOR, kind="oficio", asunto="Borrador", office_id=UNIT, correlation_id="c1"
    )
    lifecycle = Lifecycle(drafting._repo)
    await lifecycle.on_signed(signed(draft.id))
    assert (await drafting.get_draft(AUTHOR, draft.id)).status == "borrador"
    await lifecycle.on_dispatched(dispatched("registro-en-papel"))  # routing's own, drafting never had it
