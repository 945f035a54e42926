"""Composition root of the drafting service."""

from __future__ import annotations

from fastapi import FastAPI

from signum.drafting import api
from signum.drafting.repository import OficioRepository
from signum.drafting.service import DraftingService
from signum.drafting.settings import Settings
from signum.platform.http import internal_token_guard
from signum.platform.service import ServiceRuntime, create_app, serve


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, uses_s3=False)
    repository = OficioRepository(runtime.db)
    runtime.on_startup(repository.ensure_indexes)
    relay = runtime.outbox(repository.collection) if settings.outbox_relay_enabled else None
    service = DraftingService(repository, relay)
    guard = internal_token_guard(settings.infra.internal_token)
    return create_app(runtime, title="Signum — redacción", routers=[api.router(service, guard)])


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
