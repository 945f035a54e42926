"""The wire contracts: JSON Schema snapshots, round trips and refusal of what is not an event."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from signum.contracts import EVENT_TYPES, Actor, Topic, UnknownEventError, decode_event
from signum.contracts.drafting import OficioCreated, OficioCreatedPayload
from signum.contracts.envelope import uuid7

SNAPSHOTS = Path(__file__).parent / "snapshots"


def _snapshot_name(type_: str, version: int) -> str:
    return f"{type_}.v{version}.json"


@pytest.mark.parametrize(("type_", "version"), sorted(EVENT_TYPES))
def test_json_schema_matches_snapshot(type_: str, version: int) -> None:
    """A change to what is on the wire must be seen in review: update the snapshot on purpose
    (SIGNUM_UPDATE_SNAPSHOTS=1) and bump the version if it is breaking."""
    schema = EVENT_TYPES[(type_, version)].model_json_schema()
    path = SNAPSHOTS / _snapshot_name(type_, version)
    rendered = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("SIGNUM_UPDATE_SNAPSHOTS") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"no snapshot for {type_} v{version}; run with SIGNUM_UPDATE_SNAPSHOTS=1"
    assert rendered == path.read_text(encoding="utf-8")


def test_every_snapshot_belongs_to_a_contract() -> None:
    expected = {_snapshot_name(t, v) for t, v in EVENT_TYPES}
    assert {p.name for p in SNAPSHOTS.glob("*.json")} == expected


def _event() -> OficioCreated:
    return OficioCreated(
        oficio_id="01a209f9-6489-7bfb-8825-5f3c2a8a2790",
        correlation_id="req-1",
        actor=Actor(kind="official", id="jlopez"),
        payload=OficioCreatedPayload(
            kind="oficio", asunto="Solicitud de información", office_id="SIGA-DGTI", author_id="jlopez"
        ),
    )


def test_round_trip_through_the_wire() -> None:
    event = _event()
    decoded = decode_event(event.to_wire())
    assert decoded == event
    assert isinstance(decoded, OficioCreated)
    assert decoded.topic is Topic.DRAFTING
    assert decoded.key == event.oficio_id.encode()


def test_occurred_at_is_utc_and_event_ids_sort_by_time() -> None:
    event = _event()
    assert event.occurred_at.utcoffset() is not None
    assert event.occurred_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    ids = [uuid7() for _ in range(50)]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids, key=lambda i: i.int)
    assert len(set(ids)) == 50


def test_contracts_are_frozen_and_refuse_unknown_fields() -> None:
    event = _event()
    with pytest.raises(ValidationError):
        event.correlation_id = "other"  # type: ignore[misc]
    raw = json.loads(event.to_wire())
    raw["payload"]["unexpected"] = 1
    with pytest.raises(UnknownEventError, match=r"invalid oficio\.created"):
        decode_event(json.dumps(raw))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b'{"type": "oficio.created"}',
        b'{"type": "oficio.nonexistent", "version": 1}',
        b'{"type": "oficio.created", "version": 99}',
    ],
)
def test_what_is_not_an_event_is_refused(data: bytes) -> None:
    with pytest.raises(UnknownEventError):
        decode_event(data)


def test_topics_and_dead_letter_topics() -> None:
    assert {t.value for t in Topic} == {
        "signum.drafting",
        "signum.signing",
        "signum.routing",
        "signum.storage",
        "signum.directory",
    }
    assert Topic.ROUTING.dlq == "signum.routing.dlq"
