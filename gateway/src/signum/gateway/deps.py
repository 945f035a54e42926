"""Request dependencies of the public API: who is asking, and may they do this.

Every route declares its action with `require(Action.X)` (or `public()`); the access-matrix test
walks the route table and fails on a route without one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from signum.gateway.clients import ServiceClients
from signum.gateway.identity.errors import CsrfError, PasswordChangeRequiredError, SessionRequiredError
from signum.gateway.identity.service import IdentityService
from signum.platform.errors import SignumError
from signum.platform.identity import Caller
from signum.platform.policy import Action, authorize, may_attempt

SESSION_COOKIE = "signum_sesion"
CSRF_COOKIE = "signum_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def identity(request: Request) -> IdentityService:
    return request.app.state.identity  # type: ignore[no-any-return]


def clients(request: Request) -> ServiceClients:
    return request.app.state.clients  # type: ignore[no-any-return]


async def authenticate(request: Request, *, temporary_password_ok: bool = False) -> Caller:
    """The caller: a bearer token (API key or session token) or the session cookie (+ CSRF).

    A session opened with an administrator's temporary password is refused (403
    `password_change_required`) unless `temporary_password_ok` (changing it, logging out)."""
    service = identity(request)
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token:
        token = token.strip()
        if token.startswith("sgk_"):
            return await service.api_key_caller(token)
        caller, session = await service.session_caller(token)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise SessionRequiredError("Se requiere iniciar sesión.")
        caller, session = await service.session_caller(cookie)
        if request.method not in SAFE_METHODS and not service.csrf_matches(
            session, request.headers.get(CSRF_HEADER)
        ):
            raise CsrfError
    if session.debe_cambiar and not temporary_password_ok:
        raise PasswordChangeRequiredError
    return caller


def session_token(request: Request) -> str:
    """The session token of the request (bearer or cookie); empty for none or an API key."""
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    token = token or request.cookies.get(SESSION_COOKIE, "")
    return "" if token.startswith("sgk_") else token


async def viewer(request: Request) -> Caller | None:
    """Who is looking, if anyone signed in (bearer or session cookie); None for a visitor.

    For public, read-only answers that show officials more (public verification). It skips the
    CSRF check: it only decides what a response shows and never changes anything."""
    service = identity(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    try:
        if scheme.lower() == "bearer" and token.strip():
            token = token.strip()
            if token.startswith("sgk_"):
                return await service.api_key_caller(token)
        else:
            token = request.cookies.get(SESSION_COOKIE, "")
        if token:
            caller, session = await service.session_caller(token)
            # A temporary password's session sees what a visitor sees until it is changed.
            return None if session.debe_cambiar else caller
    except SignumError:
        return None
    return None


def require(action: Action, *, temporary_password_ok: bool = False) -> Callable[[Request], Awaitable[Caller]]:
    """A dependency that authenticates the caller and checks they may attempt `action`.

    Decisions that need the resource (the oficio, the unit) are made again by the route and by the
    service that owns the resource, with the same policy module. Only the routes that change the
    password or log out pass `temporary_password_ok`.
    """

    async def dependency(request: Request) -> Caller:
        caller = await authenticate(request, temporary_password_ok=temporary_password_ok)
        if not may_attempt(caller, action):
            authorize(caller, action)  # raises the 403 with the policy's decision
        request.state.caller = caller
        return caller

    dependency.action = action  # type: ignore[attr-defined]
    return dependency


def public() -> Callable[[], Awaitable[None]]:
    """Marks a route that anyone may call (log in, public verification, health)."""

    async def dependency() -> None:
        return None

    dependency.action = "publico"  # type: ignore[attr-defined]
    return dependency


def route_action(dependant: Any) -> str | None:
    """The action a route declared through `require`/`public`, found in its dependency tree."""
    for dep in dependant.dependencies:
        action = getattr(dep.call, "action", None)
        if action is not None:
            return str(action)
        nested = route_action(dep)
        if nested is not None:
            return nested
    return None


ClientsDep = Annotated[ServiceClients, Depends(clients)]
IdentityDep = Annotated[IdentityService, Depends(identity)]
