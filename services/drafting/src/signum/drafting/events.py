"""Drafting's event map (`signum.contracts.eventmap`): `app.py` subscribes from it."""

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
from signum.contracts.routing import DeliveryCreated, OficioDispatched
from signum.contracts.signing import OficioSigned

EVENTS = EventMap(
    "drafting",
    consumes=(
        *DIRECTORY_EVENTS,  # its directory read model: folio prefixes, recipients, signers
        OficioSigned,  # lifecycle.py: firmado
        OficioDispatched,  # lifecycle.py: enviado
        DeliveryCreated,  # the oficio's readers (signum.platform.readers)
    ),
    produces=(
        OficioCreated,
        OficioUpdated,
        OficioReviewRequested,
        OficioReviewed,
        OficioFinalized,
        OficioCancelled,
    ),
)
