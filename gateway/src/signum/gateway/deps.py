"""Request dependencies of the public API: who is asking, and the service clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from signum.contracts import Actor
from signum.gateway.clients import ServiceClients
from signum.gateway.settings import Settings
from signum.platform.errors import UnauthorizedError


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of a public request."""

    actor: Actor
    office_id: str
    correlation_id: str


async def current_caller(request: Request) -> Caller:
    """The caller. Identity (accounts, OIDC, API keys) replaces the development stand-in."""
    settings: Settings = request.app.state.settings
    if settings.infra.environment == "production":
        raise UnauthorizedError("Se requiere iniciar sesión.", code="login_required")
    return Caller(
        actor=Actor(kind="official", id=settings.dev_official_id),
        office_id=settings.dev_office_id,
        correlation_id=request.state.correlation_id,
    )


def clients(request: Request) -> ServiceClients:
    return request.app.state.clients  # type: ignore[no-any-return]


CallerDep = Annotated[Caller, Depends(current_caller)]
ClientsDep = Annotated[ServiceClients, Depends(clients)]
