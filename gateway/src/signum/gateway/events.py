"""The gateway's event map (`signum.contracts.eventmap`): it owns the directory and publishes its
changes (`directory/events.py`, through the directory's outbox); it consumes no event."""

from __future__ import annotations

from signum.contracts import EventMap
from signum.contracts.directory import (
    DependenciaUpserted,
    FuncionarioUpserted,
    PuestoUpserted,
    SuplenciaUpserted,
    UnidadUpserted,
)

EVENTS = EventMap(
    "gateway",
    produces=(DependenciaUpserted, UnidadUpserted, PuestoUpserted, FuncionarioUpserted, SuplenciaUpserted),
)
