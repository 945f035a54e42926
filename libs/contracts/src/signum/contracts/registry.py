"""Decoding of wire bytes into the event class of their `type` and `version`."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from signum.contracts.directory import DIRECTORY_EVENTS
from signum.contracts.drafting import DRAFTING_EVENTS
from signum.contracts.envelope import Event
from signum.contracts.routing import ROUTING_EVENTS
from signum.contracts.signing import SIGNING_EVENTS
from signum.contracts.storage import STORAGE_EVENTS

# Every event contract; add new ones here.
CONTRACTS: tuple[type[Event], ...] = (
    *DRAFTING_EVENTS,
    *DIRECTORY_EVENTS,
    *STORAGE_EVENTS,
    *SIGNING_EVENTS,
    *ROUTING_EVENTS,
)

EVENT_TYPES: dict[tuple[str, int], type[Event]] = {
    (cls.model_fields["type"].default, cls.model_fields["version"].default): cls for cls in CONTRACTS
}


class UnknownEventError(ValueError):
    """The bytes are not a Signum event this code knows."""


def event_class(type_: str, version: int) -> type[Event]:
    """The contract class of an event type and version."""
    try:
        return EVENT_TYPES[(type_, version)]
    except KeyError:
        raise UnknownEventError(f"unknown event type {type_!r} version {version}") from None


def decode_event(data: bytes | str | dict[str, Any]) -> Event:
    """Parse and validate one event; raises UnknownEventError on anything that is not one."""
    try:
        raw = data if isinstance(data, dict) else json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnknownEventError(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise UnknownEventError("an event must be a JSON object")
    type_, version = raw.get("type"), raw.get("version")
    if not isinstance(type_, str) or not isinstance(version, int):
        raise UnknownEventError("missing or invalid `type`/`version`")
    cls = event_class(type_, version)
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        raise UnknownEventError(f"invalid {type_} v{version}: {exc.error_count()} errors") from exc
