"""The oficio's state after drafting let go of it: `firmado` when signing says every signature is in
(`oficio.signed`), `enviado` when routing sent it (`oficio.dispatched`).

Drafting does not cause these transitions and emits no event for them: it follows the events of the
services that do, so that `GET /oficios/{id}` tells the truth after signing. The states only move
forward (listo_para_firma → firmado → enviado), which makes each handler idempotent and the order in
which the two topics arrive irrelevant.
"""

from __future__ import annotations

from typing import Any

from signum.contracts import Event
from signum.contracts.routing import OficioDispatched
from signum.contracts.signing import OficioSigned
from signum.drafting.domain import Status
from signum.drafting.repository import OficioRepository
from signum.platform.consumer import Handler
from signum.platform.errors import ConflictError
from signum.platform.logging import get_logger

log = get_logger(__name__)

# The states each one may follow; any other (cancelled, already further on) is left as it is.
ORDER = {"listo_para_firma": 0, "firmado": 1, "enviado": 2}


class Lifecycle:
    """Moves drafting's oficio forward on other services' events."""

    def __init__(self, repository: OficioRepository) -> None:
        self._repo = repository

    async def on_signed(self, event: OficioSigned) -> None:
        await self._advance(event.oficio_id, "firmado", {"firmado_en": event.payload.firmado_en})

    async def on_dispatched(self, event: OficioDispatched) -> None:
        await self._advance(event.oficio_id, "enviado", {"enviado_en": event.occurred_at})

    async def _advance(self, oficio_id: str, status: Status, fields: dict[str, Any]) -> bool:
        """Set `status` (and `fields`) if it is further on than the stored one; True if it did."""
        for _ in range(10):
            draft = await self._repo.get(oficio_id)
            if draft is None:
                return False  # not drafted here (a paper registration, an integration's oficio)
            if draft.status not in ORDER or ORDER[draft.status] >= ORDER[status]:
                return False
            if await self._repo.follow_state(draft, status, fields):
                log.info("oficio state followed", oficio_id=oficio_id, status=status)
                return True
        raise ConflictError(code="lifecycle_contended", retryable=True)


def handlers(lifecycle: Lifecycle) -> dict[str, Handler]:
    async def signed(event: Event) -> None:
        assert isinstance(event, OficioSigned)
        await lifecycle.on_signed(event)

    async def dispatched(event: Event) -> None:
        assert isinstance(event, OficioDispatched)
        await lifecycle.on_dispatched(event)

    return {"oficio.signed": signed, "oficio.dispatched": dispatched}
