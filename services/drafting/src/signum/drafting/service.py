"""Drafting's use cases."""

from __future__ import annotations

from signum.contracts.drafting import OficioCreated, OficioCreatedPayload
from signum.drafting.domain import CollaboratorRole, Confidencialidad, Draft, OficioKind, new_draft
from signum.drafting.repository import OficioRepository
from signum.platform.errors import NotFoundError
from signum.platform.identity import Caller
from signum.platform.outbox import OutboxRelay
from signum.platform.policy import Action, OficioAccess, UnitAccess, authorize


class DraftingService:
    """Creates and reads drafts; every change is stored with its events (outbox)."""

    def __init__(self, repository: OficioRepository, relay: OutboxRelay | None) -> None:
        self._repo = repository
        self._relay = relay

    async def create_draft(
        self,
        *,
        caller: Caller,
        kind: OficioKind,
        asunto: str,
        office_id: str,
        correlation_id: str,
        colaboradores: tuple[tuple[str, CollaboratorRole], ...] = (),
        confidencialidad: Confidencialidad = "publica",
    ) -> Draft:
        authorize(caller, Action.OFICIO_CREAR, UnitAccess(office_id))
        draft = new_draft(
            kind=kind,
            asunto=asunto,
            office_id=office_id,
            author_id=caller.id,
            colaboradores=colaboradores,
            confidencialidad=confidencialidad,
        )
        event = OficioCreated(
            oficio_id=draft.id,
            correlation_id=correlation_id,
            actor=caller.actor,
            payload=OficioCreatedPayload(
                kind=draft.kind,
                asunto=draft.asunto,
                office_id=office_id,
                author_id=caller.id,
                participantes=sorted(draft.participantes),
                confidencialidad=draft.confidencialidad,
            ),
        )
        await self._repo.insert(draft, [event])
        if self._relay is not None:
            self._relay.notify()
        return draft

    async def get_draft(self, caller: Caller, oficio_id: str) -> Draft:
        draft = await self._repo.get(oficio_id)
        if draft is None:
            raise NotFoundError("No existe el oficio solicitado.", code="oficio_not_found")
        authorize(caller, Action.OFICIO_LEER, access_of(draft))
        return draft


def access_of(draft: Draft) -> OficioAccess:
    """What the policy needs to know of a draft."""
    return OficioAccess(
        unidad_id=draft.office_id,
        participantes=draft.participantes,
        confidencialidad=draft.confidencialidad,
    )
