"""Drafting's use cases."""

from __future__ import annotations

from signum.contracts import Actor
from signum.contracts.drafting import OficioCreated, OficioCreatedPayload
from signum.drafting.domain import Draft, OficioKind, new_draft
from signum.drafting.repository import OficioRepository
from signum.platform.errors import NotFoundError
from signum.platform.outbox import OutboxRelay


class DraftingService:
    """Creates and reads drafts; every change is stored with its events (outbox)."""

    def __init__(self, repository: OficioRepository, relay: OutboxRelay | None) -> None:
        self._repo = repository
        self._relay = relay

    async def create_draft(
        self, *, actor: Actor, kind: OficioKind, asunto: str, office_id: str, correlation_id: str
    ) -> Draft:
        draft = new_draft(kind=kind, asunto=asunto, office_id=office_id, author_id=actor.id)
        event = OficioCreated(
            oficio_id=draft.id,
            correlation_id=correlation_id,
            actor=actor,
            payload=OficioCreatedPayload(
                kind=draft.kind, asunto=draft.asunto, office_id=office_id, author_id=actor.id
            ),
        )
        await self._repo.insert(draft, [event])
        if self._relay is not None:
            self._relay.notify()
        return draft

    async def get_draft(self, oficio_id: str) -> Draft:
        draft = await self._repo.get(oficio_id)
        if draft is None:
            raise NotFoundError("No existe el oficio solicitado.", code="oficio_not_found")
        return draft
