"""Signing's event map (`signum.contracts.eventmap`): `app.py` subscribes from it."""

from __future__ import annotations

from signum.contracts import EventMap
from signum.contracts.directory import DIRECTORY_EVENTS
from signum.contracts.drafting import OficioCancelled, OficioFinalized
from signum.contracts.signing import (
    AcuseSealed,
    DocumentRenewed,
    OficioSigned,
    SignatureAdded,
    SignatureRefused,
)

EVENTS = EventMap(
    "signing",
    consumes=(
        OficioFinalized,  # what to sign, by whom, in which order
        OficioCancelled,  # drop the pending signatures
        *DIRECTORY_EVENTS,  # its directory read model: each signer's RFC
    ),
    produces=(SignatureAdded, OficioSigned, SignatureRefused, AcuseSealed, DocumentRenewed),
)
