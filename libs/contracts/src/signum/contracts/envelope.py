"""The one envelope every Signum event travels in (DESIGN.md §2)."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from signum.contracts.topics import Topic


class WireModel(BaseModel):
    """Base of every contract: frozen, and unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


_last_ms = 0
_counter = 0
_uuid7_lock = threading.Lock()


def uuid7() -> UUID:
    """A UUIDv7 (RFC 9562), monotonic within this process: ids sort by creation time.

    Within one millisecond the 12-bit `rand_a` field is a counter (RFC 9562 §6.2, method 1).
    """
    global _last_ms, _counter
    with _uuid7_lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms, _counter = ms, int.from_bytes(os.urandom(2), "big") & 0x3FF
        else:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms, _counter = _last_ms + 1, 0
        ms, counter = _last_ms, _counter
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= int.from_bytes(os.urandom(8), "big") & 0x3FFF_FFFF_FFFF_FFFF
    return UUID(int=value)


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


class Actor(WireModel):
    """Who caused an event: an official (by directory id) or the system itself."""

    kind: Literal["official", "system", "api_key"] = Field(
        description="`official` for a person, `api_key` for an integrating system, `system` for Signum."
    )
    id: str = Field(min_length=1, max_length=128, description="Directory id, API key id or service name.")

    @classmethod
    def system(cls, service: str) -> Actor:
        """The actor for events a service emits on its own."""
        return cls(kind="system", id=service)


class Event(WireModel):
    """Envelope fields shared by every event. Subclasses fix `type`, `version` and `payload`."""

    topic: ClassVar[Topic]

    event_id: UUID = Field(default_factory=uuid7, description="UUIDv7, unique per event.")
    type: str = Field(description="Event type, e.g. `oficio.signed`.")
    version: int = Field(ge=1, description="Contract version of this event type.")
    occurred_at: AwareDatetime = Field(default_factory=utc_now, description="When it happened (UTC).")
    producer: str = Field(min_length=1, max_length=64, description="Service that produced the event.")
    oficio_id: str | None = Field(
        default=None,
        max_length=64,
        description="The oficio concerned; absent for directory events.",
    )
    correlation_id: str = Field(
        min_length=1, max_length=128, description="Id shared by everything one request caused."
    )
    causation_id: str | None = Field(
        default=None, max_length=128, description="Id of the event or request that caused this one."
    )
    actor: Actor
    payload: EventModel

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @property
    def key(self) -> bytes:
        """Partition key: the oficio, so that one oficio's events stay in order."""
        return (self.oficio_id or str(self.event_id)).encode()

    def to_wire(self) -> bytes:
        """Serialize as the JSON bytes put on Kafka."""
        return self.model_dump_json().encode()

    def to_document(self) -> dict[str, Any]:
        """Plain JSON-compatible dict (for outbox storage)."""
        return self.model_dump(mode="json")


class EventModel(WireModel):
    """Base of event payloads."""
