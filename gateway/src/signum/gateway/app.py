"""Composition root of the gateway."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import timedelta

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from signum.gateway import docs, openapi
from signum.gateway.clients import ServiceClients
from signum.gateway.deps import require
from signum.gateway.directory.demo import DemoLogin, load_demo
from signum.gateway.directory.install import install_directory
from signum.gateway.directory.repository import DirectoryRepository
from signum.gateway.error_pages import install_error_pages, render_error
from signum.gateway.identity.limits import AddressLimiter
from signum.gateway.identity.oidc import OidcClient, OidcConfig
from signum.gateway.identity.passwords import PasswordWorkers
from signum.gateway.identity.repository import IdentityRepository
from signum.gateway.identity.service import IdentityService, LoginPolicy
from signum.gateway.limits import scan_limit, verify_limit
from signum.gateway.routes import (
    admin,
    administracion,
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
from signum.platform.uploads import MULTIPART_ENVELOPE, BodyRule, Limit


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


def body_rules(settings: Settings, directory_max_bytes: int) -> list[BodyRule]:
    """The limit of every route that takes more than a small JSON body (the rest:
    `SIGNUM_GATEWAY_MAX_BODY_BYTES`). A form's limit leaves room for its envelope; each file in it
    has its own cap where the route reads it."""
    envelope = MULTIPART_ENVELOPE
    pdf = replace(verify_limit(settings), bytes=settings.max_verify_bytes + envelope)
    scan = replace(scan_limit(settings), bytes=settings.max_scan_bytes + envelope)
    attachment = Limit(
        settings.max_attachment_bytes,
        "file_too_large",
        "El archivo excede el tamaño máximo permitido de {maximo}.",
    )
    directory_csv = Limit(
        directory_max_bytes + envelope,
        "directory_import_too_large",
        "El archivo excede el máximo de {maximo}. Divídalo por dependencia e impórtelo por partes.",
    )
    template = Limit(settings.max_template_bytes)
    credential = Limit(settings.max_credential_bytes)
    return [
        BodyRule("POST", "/api/v1/verificar", pdf),
        BodyRule("POST", "/verificar", pdf),
        BodyRule("POST", "/api/v1/oficios/{oficio_id}/anexos", attachment),
        BodyRule("POST", "/api/v1/oficialia/registros", scan),
        BodyRule("POST", "/api/v1/directorio/importaciones", directory_csv),
        BodyRule("POST", "/api/v1/plantillas", template),
        BodyRule("PUT", "/api/v1/plantillas/{plantilla_id}", template),
        BodyRule("POST", "/api/v1/oficios/{oficio_id}/firmas/credencial", credential),
        BodyRule("POST", "/api/v1/firmas/lote", credential),
        BodyRule("POST", "/api/v1/oficios/{oficio_id}/firmas/preparacion", credential),
        BodyRule("POST", "/api/v1/oficios/{oficio_id}/firmas/{preparacion_id}/completar", credential),
    ]


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, uses_s3=False)

    directory_service = install_directory(runtime)
    directory = directory_service.repo

    identity_repo = IdentityRepository(runtime.db)
    runtime.on_startup(identity_repo.ensure_indexes)
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
        body_rules=body_rules(settings, directory_service.max_bytes),
        render_error=render_error,
        error_statuses=openapi.error_statuses,
        security=openapi.security,
        security_schemes=openapi.SECURITY_SCHEMES,
        success=openapi.success,
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
            administracion.router,
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
