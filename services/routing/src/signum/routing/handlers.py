"""Routing's Kafka handlers (thin: the consumer decodes, these call the service).

Routing consumes drafting's and signing's events (and the directory's, for its read model); never
its own: an oficio's change and its inbox entries are written in one transaction, so there is no
projection to repair when routing's events come back.
"""

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

    async def document_renewed(event: Event) -> None:
        await service.on_document_renewed(event)

    return {
        **{t: drafting for t in DRAFTING_TYPES},
        "signature.added": signature_added,
        "oficio.signed": oficio_signed,
        "acuse.sealed": acuse_sealed,
        "document.renewed": document_renewed,
    }
