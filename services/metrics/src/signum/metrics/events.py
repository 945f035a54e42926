"""Metrics' event map (`signum.contracts.eventmap`): `app.py` subscribes from it.

Metrics records when each event of an oficio's life happened, so it consumes every event of the
oficio topics (not the directory's), and produces none."""

from __future__ import annotations

from signum.contracts import EventMap, Topic
from signum.contracts.registry import CONTRACTS

OFICIO_TOPICS = (Topic.DRAFTING, Topic.SIGNING, Topic.ROUTING, Topic.STORAGE)

EVENTS = EventMap("metrics", consumes=tuple(cls for cls in CONTRACTS if cls.topic in OFICIO_TOPICS))
