"""Composition root of the metrics service."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import Counter

from signum.contracts import Event
from signum.metrics.events import EVENTS
from signum.metrics.repository import OficioTimesRepository
from signum.metrics.settings import Settings
from signum.platform.service import ServiceRuntime, create_app, serve


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, uses_s3=False)
    repository = OficioTimesRepository(runtime.db)
    observed = Counter(
        "signum_metrics_oficio_events",
        "Oficio events observed, by type.",
        ["type"],
        registry=runtime.metrics.registry,
    )

    async def on_event(event: Event) -> None:
        if event.oficio_id is not None:
            await repository.record(event.oficio_id, event.type, event.occurred_at)
        observed.labels(type=event.type).inc()

    runtime.consume(EVENTS.topics, EVENTS.handlers({}, default=on_event))
    return create_app(runtime, title="Signum — métricas")


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
