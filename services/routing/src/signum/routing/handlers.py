"""Routing's Kafka handlers (thin: the consumer decodes, these call the service)."""

from __future__ import annotations

from signum.contracts import Event
from signum.contracts.drafting import OficioCreated
from signum.platform.consumer import Handler
from signum.routing.service import RoutingService


def handlers(service: RoutingService) -> dict[str, Handler]:
    async def oficio_created(event: Event) -> None:
        assert isinstance(event, OficioCreated)
        await service.on_oficio_created(event)

    return {"oficio.created": oficio_created}
