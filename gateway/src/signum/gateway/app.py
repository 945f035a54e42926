"""Composition root of the gateway."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from signum.gateway.clients import ServiceClients
from signum.gateway.routes import oficios, ui
from signum.gateway.settings import Settings
from signum.platform.http import InternalClient
from signum.platform.service import ServiceRuntime, create_app, serve


def service_ready(client: InternalClient):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        body = await client.request("GET", "/readyz")
        return bool(body and body.get("ready"))

    return check


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, uses_s3=False)
    services = ServiceClients.from_settings(settings)
    for name, client in services.all().items():
        runtime.add_check(name, service_ready(client))
    app = create_app(
        runtime,
        title="Signum API",
        description="API pública de Signum: oficios digitales con firma electrónica avanzada.",
        routers=[oficios.router, ui.router],
    )
    app.state.settings = settings
    app.state.clients = services
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            try:
                yield
            finally:
                await services.aclose()

    app.router.lifespan_context = lifespan
    return app


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
