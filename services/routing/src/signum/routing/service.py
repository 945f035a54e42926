"""Routing's use cases."""

from __future__ import annotations

from typing import Any

from signum.contracts import Event
from signum.contracts.drafting import OficioCreated
from signum.platform.errors import NotFoundError
from signum.platform.identity import Caller
from signum.platform.policy import Action, OficioAccess, authorize
from signum.routing.repository import TrackingRepository


class RoutingService:
    """Tracks oficios from the events of the other services."""

    def __init__(self, repository: TrackingRepository) -> None:
        self._repo = repository

    async def on_oficio_created(self, event: OficioCreated) -> None:
        await self._repo.record(
            event,
            {
                "status": "borrador",
                "kind": event.payload.kind,
                "asunto": event.payload.asunto,
                "office_id": event.payload.office_id,
                "author_id": event.payload.author_id,
                "participantes": event.payload.participantes or [event.payload.author_id],
                "confidencialidad": event.payload.confidencialidad,
                "created_at": event.occurred_at,
            },
            _timeline_entry(event),
        )

    async def tracking(self, caller: Caller, oficio_id: str) -> dict[str, Any]:
        doc = await self._repo.get(oficio_id)
        if doc is None:
            raise NotFoundError("El oficio aún no tiene seguimiento.", code="oficio_not_tracked")
        access = OficioAccess(
            unidad_id=doc["office_id"],
            participantes=frozenset(doc.get("participantes", [])),
            confidencialidad=doc.get("confidencialidad", "publica"),
        )
        authorize(caller, Action.OFICIO_LEER, access)
        return doc


def _timeline_entry(event: Event) -> dict[str, Any]:
    return {
        "event_id": str(event.event_id),
        "type": event.type,
        "at": event.occurred_at,
        "actor": event.actor.model_dump(),
    }
