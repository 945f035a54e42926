"""Storage's event map (`signum.contracts.eventmap`): `app.py` subscribes from it.

Storage consumes every event there is: each one goes into its audit chain, and a few also feed the
read model its access checks use (`handlers.py`)."""

from __future__ import annotations

from signum.contracts import EventMap
from signum.contracts.registry import CONTRACTS
from signum.contracts.storage import ObjectStored, RetentionExpiring

EVENTS = EventMap("storage", consumes=CONTRACTS, produces=(ObjectStored, RetentionExpiring))
