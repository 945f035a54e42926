"""Routing's use cases."""

from __future__ import annotations

from typing import Any

from signum.contracts import Event
from signum.contracts.drafting import OficioCreated
from signum.platform.errors import NotFoundError
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
                "created_at": event.occurred_at,
            },
            _timeline_entry(event),
        )

    async def tracking(self, oficio_id: str) -> dict[str, Any]:
        doc = await self._repo.get(oficio_id)
        if doc is None:
            raise NotFoundError("Routing aún no conoce este oficio.", code="oficio_not_tracked")
        return doc


def _timeline_entry(event: Event) -> dict[str, Any]:
    return {
        "event_id": str(event.event_id),
        "type": event.type,
        "at": event.occurred_at,
        "actor": event.actor.model_dump(),
    }
