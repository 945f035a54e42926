"""Routing's event map (`signum.contracts.eventmap`): `app.py` subscribes from it.

Besides these events, routing's replicas share inbox notifications on their own topic
(`signum.contracts.topics.INBOX_NOTIFICATIONS`, `fanout.py`)."""

from __future__ import annotations

from signum.contracts import EventMap
from signum.contracts.directory import DIRECTORY_EVENTS
from signum.contracts.drafting import (
    OficioCancelled,
    OficioCreated,
    OficioFinalized,
    OficioReviewed,
    OficioReviewRequested,
    OficioUpdated,
)
from signum.contracts.routing import (
    DeadlineOverdue,
    DeliveryAcknowledged,
    DeliveryClosed,
    DeliveryCreated,
    DeliveryForwarded,
    OficioAnswered,
    OficioDispatched,
)
from signum.contracts.signing import AcuseSealed, DocumentRenewed, OficioSigned, SignatureAdded

EVENTS = EventMap(
    "routing",
    consumes=(
        # The oficio's timeline and inboxes while it is drafted; recipients from `oficio.finalized`.
        OficioCreated,
        OficioUpdated,
        OficioReviewRequested,
        OficioReviewed,
        OficioFinalized,
        OficioCancelled,
        SignatureAdded,
        OficioSigned,  # deliver to every recipient
        AcuseSealed,  # the receipt's seal: the acuse is recorded from here only
        DocumentRenewed,  # the signed PDF or acuse people open becomes the B-LTA version
        *DIRECTORY_EVENTS,  # its directory read model: holders, suplentes, oficialías de partes
    ),
    produces=(
        OficioDispatched,
        DeliveryCreated,
        DeliveryAcknowledged,
        DeliveryForwarded,
        OficioAnswered,
        DeliveryClosed,
        DeadlineOverdue,
    ),
)
