"""Routing's Kafka handlers (thin: the consumer decodes, these call the service)."""

from __future__ import annotations

from signum.contracts import Event
from signum.contracts.signing import OficioSigned, SignatureAdded
from signum.platform.consumer import Handler
from signum.routing.service import RoutingService

DRAFTING_TYPES = (
    "oficio.created",
    "oficio.updated",
    "oficio.review_requested",
    "oficio.reviewed",
    "oficio.finalized",
    "oficio.cancelled",
)
# Routing's own events: re-project the oficio's inboxes, so a crash between the write of an
# oficio's document and the write of its inbox entries is repaired when the event comes back.
# One event of each write is enough (the projection is recomputed whole): `delivery.created` rides
# with `oficio.dispatched` (a registered paper document too) or `delivery.forwarded`, and
# `oficio.answered` with `delivery.closed`; handling them too would cost a consume each.
OWN_TYPES = (
    "oficio.dispatched",
    "delivery.acknowledged",
    "delivery.forwarded",
    "delivery.closed",
    "deadline.overdue",
)


def handlers(service: RoutingService) -> dict[str, Handler]:
    async def drafting(event: Event) -> None:
        await service.on_drafting_event(event)

    async def signature_added(event: Event) -> None:
        assert isinstance(event, SignatureAdded)
        await service.on_signature_added(event)

    async def oficio_signed(event: Event) -> None:
        assert isinstance(event, OficioSigned)
        await service.on_oficio_signed(event)

    async def acuse_sealed(event: Event) -> None:
        await service.on_acuse_sealed(event)

    async def own(event: Event) -> None:
        await service.repair(event)

    return {
        **{t: drafting for t in DRAFTING_TYPES},
        "signature.added": signature_added,
        "oficio.signed": oficio_signed,
        "acuse.sealed": acuse_sealed,
        **{t: own for t in OWN_TYPES},
    }
