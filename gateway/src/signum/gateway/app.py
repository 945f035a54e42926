"""Composition root of the gateway."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from signum.gateway import docs
from signum.gateway.clients import ServiceClients
from signum.gateway.deps import require
from signum.gateway.directory.demo import DemoLogin, load_demo
from signum.gateway.directory.install import install_directory
from signum.gateway.directory.repository import DirectoryRepository
from signum.gateway.error_pages import install_error_pages
from signum.gateway.identity.limits import AddressLimiter
from signum.gateway.identity.oidc import OidcClient, OidcConfig
from signum.gateway.identity.passwords import PasswordWorkers
from signum.gateway.identity.repository import IdentityRepository
from signum.gateway.identity.service import IdentityService, LoginPolicy
from signum.gateway.routes import (
    admin,
    auth,
    bandeja,
    documentos,
    firma,
    indicadores,
    oficios,
    plantillas,
    ui,
    verificacion,
)
from signum.gateway.routes import directory as directory_routes
from signum.gateway.security_headers import SecurityHeaders
from signum.gateway.settings import Settings
from signum.gateway.ui import STATIC_DIR
from signum.platform.health import CheckFailed
from signum.platform.http import InternalClient
from signum.platform.service import ServiceRuntime, create_app, serve

PURGE_EVERY_SECONDS = 600.0


def service_ready(client: InternalClient):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        ready, checks = await client.readiness()
        if not ready:
            # Say which of the service's checks fails (e.g. "seal: el token PKCS#11 ... no abre").
            failing = [
                f"{name}: {result.get('detail') or 'no disponible'}"
                for name, result in checks.items()
                if isinstance(result, dict) and not result.get("ok")
            ]
            raise CheckFailed("; ".join(failing) or "no disponible")
        return True

    return check


def build_identity(
    settings: Settings, repository: IdentityRepository, directory: DirectoryRepository
) -> IdentityService:
    return IdentityService(
        repository,
        directory,
        session_ttl=timedelta(hours=settings.session_ttl_hours),
        login_policy=LoginPolicy(
            lock_after=settings.login_lock_after,
            lock_minutes=settings.login_lock_minutes,
            delay_base_seconds=settings.login_delay_base_seconds,
            delay_max_seconds=settings.login_delay_max_seconds,
        ),
        workers=PasswordWorkers(settings.password_threads, settings.password_queue),
        addresses=AddressLimiter(settings.login_address_max_failures, settings.login_address_window_seconds),
    )


def build_oidc(settings: Settings, repository: IdentityRepository) -> OidcClient | None:
    if not settings.oidc_issuer:
        return None
    return OidcClient(
        OidcConfig(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret.get_secret_value(),
            redirect_uri=settings.public_url.rstrip("/") + "/api/v1/auth/oidc/callback",
            claim=settings.oidc_claim,
            maps_to=settings.oidc_maps_to,
            scopes=settings.oidc_scopes,
        ),
        repository,
    )


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, uses_s3=False)

    directory_service = install_directory(runtime)
    directory = directory_service.repo

    identity_repo = IdentityRepository(runtime.db)
    runtime.on_startup(identity_repo.ensure_indexes)

    async def purge_expired() -> None:
        await identity_repo.purge_expired(datetime.now(UTC))

    runtime.every(PURGE_EVERY_SECONDS, purge_expired)
    identity = build_identity(settings, identity_repo, directory)
    oidc = build_oidc(settings, identity_repo)

    if settings.demo_data:
        password = settings.demo_password.get_secret_value()

        async def demo_logins(people: Sequence[DemoLogin]) -> None:
            for person in people:
                await identity.set_password(person.numero_empleado, person.correo, password)

        runtime.on_startup(functools.partial(load_demo, directory_service, demo_logins))

    services = ServiceClients.from_settings(settings)
    for name, client in services.all().items():
        runtime.add_check(name, service_ready(client))
    app = create_app(
        runtime,
        title="Signum API",
        description="API pública de Signum: oficios digitales con firma electrónica avanzada.",
        docs_url=None,  # served from vendored files by `docs.router`
        redoc_url=None,
        routers=[
            auth.router,
            oficios.router,
            documentos.router,
            firma.router,
            bandeja.router,
            indicadores.router,
            plantillas.router,
            directory_routes.router(directory_service, require),
            admin.router,
            verificacion.router,
            verificacion.pages,
            docs.router,
            ui.router,
        ],
    )
    install_error_pages(app)
    app.add_middleware(SecurityHeaders, object_store=settings.public_s3_url or settings.infra.s3_url)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.state.settings = settings
    app.state.clients = services
    app.state.identity = identity
    app.state.directory = directory
    app.state.oidc = oidc
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            try:
                yield
            finally:
                await services.aclose()
                identity.close()
                if oidc is not None:
                    await oidc.aclose()

    app.router.lifespan_context = lifespan
    return app


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
