"""What the gateway's OpenAPI document says each route can answer and how a caller authenticates.

Derived from what each route declares (`require(...)` or `public()`, its path and its input), so a
new route is documented like its neighbours without listing anything; `EXTRA` holds the few
statuses only a route's own logic gives (login limits, streamed uploads, previews).
"""

from __future__ import annotations

from typing import Any

from signum.gateway.deps import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, route_action
from signum.platform.openapi import MUTATING_METHODS, has_parameters, path_parameters, takes_upload

PUBLIC = "publico"

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "sesion": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "La sesión del navegador (cookie HttpOnly que pone `POST /api/v1/auth/login`).",
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": "Con la cookie de sesión, todo POST, PUT, PATCH o DELETE lleva el token CSRF "
        f"de la sesión (`csrf_token` del login, o la cookie `{CSRF_COOKIE}`).",
    },
    "clave_api": {
        "type": "http",
        "scheme": "bearer",
        "description": "Integraciones: `Authorization: Bearer` con una clave de API (`sgk_...`, la crea "
        "un administrador) o con un token de sesión de `POST /api/v1/auth/token`. Sin token CSRF.",
    },
}

# Login limits (per account and per address) and streamed bodies refused past their limit.
_LOGIN = {401, 423, 429}
_UPLOAD = {413}
EXTRA: dict[tuple[str, str], set[int]] = {
    ("POST", "/api/v1/auth/login"): _LOGIN,
    ("POST", "/api/v1/auth/token"): _LOGIN,
    ("POST", "/api/v1/auth/contrasena"): _LOGIN,
    ("GET", "/api/v1/auth/oidc/callback"): {401, 404},
    ("GET", "/api/v1/auth/oidc/login"): {404},
    ("POST", "/api/v1/oficios/{oficio_id}/anexos"): _UPLOAD,
    ("POST", "/api/v1/oficios/{oficio_id}/firmas/credencial"): _UPLOAD,
    ("POST", "/api/v1/firmas/lote"): _UPLOAD,
    ("POST", "/api/v1/oficialia/registros"): _UPLOAD,
    ("POST", "/api/v1/verificar"): _UPLOAD,
    ("POST", "/api/v1/directorio/importaciones"): _UPLOAD,
    # Drafting's preview could not be turned into bytes.
    ("GET", "/api/v1/oficios/{oficio_id}/vista-previa"): {502},
    ("POST", "/api/v1/oficios/{oficio_id}/vista-previa"): {502},
}


def error_statuses(route: Any, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer, from what its route declares."""
    public = route_action(route.dependant) == PUBLIC
    extra = EXTRA.get((method, route.path_format), set())
    found = {503} | extra
    if has_parameters(operation) or extra & _UPLOAD:
        found.add(422)  # a parameter, a body or a field refused
    if not public:
        found |= {401, 403}  # no or bad credentials; not allowed (policy, CSRF, temporary password)
    if path_parameters(operation):
        found.add(404)
    if method in MUTATING_METHODS and not public:
        found.add(409)  # the resource's state or version changed
    if takes_upload(operation):
        found.add(413)
    return found


def security(route: Any, method: str) -> list[dict[str, list[str]]]:
    """Who may call the operation: nobody needs to (public), a session (with its CSRF token on a
    change) or a bearer token."""
    if route_action(route.dependant) == PUBLIC:
        return []
    session: dict[str, list[str]] = (
        {"sesion": [], "csrf": []} if method in MUTATING_METHODS else {"sesion": []}
    )
    return [session, {"clave_api": []}]
