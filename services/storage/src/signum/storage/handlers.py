"""Storage's Kafka handlers: every event goes into the audit chain; `oficio.created`,
`oficio.updated` (participants and confidentiality after each save) and `delivery.created` (its
readers) also feed the read model the access checks use."""

from __future__ import annotations

from signum.contracts import Event
from signum.contracts.drafting import OficioCreated, OficioUpdated
from signum.platform.consumer import Handler
from signum.storage.service import AuditService, StorageService


def handlers(service: StorageService, audit: AuditService) -> tuple[dict[str, Handler], Handler]:
    """(handlers by type, default handler for every other type)."""

    async def oficio_created(event: Event) -> None:
        assert isinstance(event, OficioCreated)
        await service.on_oficio_created(event)
        await audit.append(event)

    async def oficio_updated(event: Event) -> None:
        assert isinstance(event, OficioUpdated)
        await service.on_oficio_updated(event)
        await audit.append(event)

    async def delivery_created(event: Event) -> None:
        if service.readers is not None:
            await service.readers.apply(event)
        await audit.append(event)

    async def any_event(event: Event) -> None:
        await audit.append(event)

    by_type: dict[str, Handler] = {
        "oficio.created": oficio_created,
        "oficio.updated": oficio_updated,
        "delivery.created": delivery_created,
    }
    return by_type, any_event
