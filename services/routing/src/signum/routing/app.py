"""Composition root of the routing service."""

from __future__ import annotations

from fastapi import FastAPI

from signum.contracts import Topic
from signum.platform.directory import DirectoryReadModel
from signum.platform.http import internal_token_guard
from signum.platform.service import ServiceRuntime, create_app, serve
from signum.routing import api
from signum.routing.handlers import handlers
from signum.routing.repository import TrackingRepository
from signum.routing.service import RoutingService
from signum.routing.settings import Settings


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, uses_s3=False)
    repository = TrackingRepository(runtime.db)
    runtime.on_startup(repository.ensure_indexes)
    service = RoutingService(repository)
    # Who holds which position and who stands in for whom: deliveries will need it.
    directory = DirectoryReadModel(runtime.db)
    runtime.on_startup(directory.ensure_indexes)
    runtime.consume([Topic.DRAFTING, Topic.DIRECTORY], {**handlers(service), **directory.handlers()})
    guard = internal_token_guard(settings.infra.internal_token)
    return create_app(runtime, title="Signum — turnado", routers=[api.router(service, guard)])


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
