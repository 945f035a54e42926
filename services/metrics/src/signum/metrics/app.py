"""Composition root of the metrics service."""

from __future__ import annotations

from fastapi import FastAPI

from signum.metrics import api
from signum.metrics.events import EVENTS
from signum.metrics.gauges import BusinessGauges
from signum.metrics.handlers import default_handler
from signum.metrics.repository import MetricsRepository
from signum.metrics.service import MetricsService
from signum.metrics.settings import Settings
from signum.platform.consumer import Batch
from signum.platform.directory import DirectoryReadModel
from signum.platform.http import internal_token_guard
from signum.platform.service import ServiceRuntime, create_app, serve


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, uses_s3=False)
    repository = MetricsRepository(runtime.db)
    runtime.on_startup(repository.ensure_indexes)
    directory = DirectoryReadModel(runtime.db)
    runtime.on_startup(directory.ensure_indexes)
    service = MetricsService(
        repository,
        directory,
        calendar=settings.calendar.work_calendar(),
        tz=settings.calendar.tz,
        costos=settings.costos(),
    )
    # The directory read model only answers queries (which units a dependencia has, who works
    # where); what an oficio contributes never depends on it, so a replay gives the same figures
    # whatever order the topics are read in.
    # Oficio events a fetch at a time (`service.apply_batch`): rebuilding from the topics, or
    # catching up after a stop, costs a few round trips per batch instead of several per event.
    directory_handlers = directory.handlers()
    runtime.consume(
        EVENTS.topics,
        EVENTS.handlers(directory_handlers, default=default_handler(service)),
        batch=Batch(
            types=EVENTS.consumed_types - set(directory_handlers),
            apply=service.apply_batch,
            max_records=settings.batch_events,
        ),
    )
    gauges = BusinessGauges()
    runtime.metrics.registry.register(gauges)

    async def refresh_gauges() -> None:
        gauges.update(await service.gauges())

    runtime.on_startup(refresh_gauges)
    runtime.every(settings.gauges_seconds, refresh_gauges)
    guard = internal_token_guard(settings.infra.internal_token)
    app = create_app(runtime, title="Signum — métricas", routers=[api.router(service, guard)])
    app.state.service = service
    return app


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
