"""Signing's Kafka handlers (thin: the consumer decodes, these call the repository)."""

from __future__ import annotations

from signum.contracts import Event
from signum.contracts.drafting import OficioCancelled, OficioFinalized
from signum.platform.consumer import Handler
from signum.signing.repository import SigningRepository


def handlers(repository: SigningRepository) -> dict[str, Handler]:
    async def oficio_finalized(event: Event) -> None:
        assert isinstance(event, OficioFinalized)
        await repository.on_finalized(event)
        await repository.remember_code(event.oficio_id)  # the code drafting printed on it

    async def oficio_cancelled(event: Event) -> None:
        assert isinstance(event, OficioCancelled)
        await repository.on_cancelled(event)

    return {"oficio.finalized": oficio_finalized, "oficio.cancelled": oficio_cancelled}
