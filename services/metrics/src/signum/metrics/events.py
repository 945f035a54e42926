"""Metrics' event map (`signum.contracts.eventmap`): `app.py` subscribes from it.

Metrics keeps the time between the milestones of each oficio and delivery, so it consumes every
event of the oficio topics (those that mark no milestone change nothing), and the directory's for
its read model (which units a dependencia has, who works where); it produces none."""

from __future__ import annotations

from signum.contracts import EventMap
from signum.contracts.registry import CONTRACTS

EVENTS = EventMap("metrics", consumes=tuple(CONTRACTS))
