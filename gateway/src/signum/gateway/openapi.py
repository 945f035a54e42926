"""What the gateway's OpenAPI document says each route can answer and how a caller authenticates.

Derived from what each route declares (`require(...)` or `public()`, its path and its input), so a
new route is documented like its neighbours without listing anything; `EXTRA` holds the few
statuses only a route's own logic gives (login limits, streamed uploads, previews), and `RESPONSES`
what the routes that relay a service's JSON answer (`signum.gateway.responses`), documented
without touching the body on its way.
"""

from __future__ import annotations

from typing import Any

from signum.gateway import responses as r
from signum.gateway.deps import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, route_action
from signum.gateway.directory.schemas import ReporteImportacion
from signum.gateway.schemas import OficioResponse
from signum.platform.openapi import MUTATING_METHODS, has_parameters, path_parameters, takes_body

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
    ("POST", "/api/v1/admin/cuentas"): {404},  # the official named in the body
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
    if takes_body(operation):
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


_ENTREGA = "/api/v1/entregas/{entrega_id}"
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_PREVIEW = {200: {"application/pdf": _BINARY, "image/png": _BINARY}}
_OFICIO = "/api/v1/oficios/{oficio_id}"
# Routes that relay a service's JSON as it comes (or answer a redirect, a PDF): what they answer.
RESPONSES: dict[tuple[str, str], dict[int, Any]] = {
    # `formato=csv` downloads the same figures as CSV.
    ("GET", "/api/v1/indicadores"): {
        200: {"application/json": r.Indicadores, "text/csv": {"schema": {"type": "string"}}}
    },
    ("GET", f"{_OFICIO}/versiones"): {200: list[r.VersionResumen]},
    ("GET", f"{_OFICIO}/versiones/{{n}}"): {200: r.Version},
    ("GET", f"{_OFICIO}/comentarios"): {200: list[r.Comentario]},
    ("POST", f"{_OFICIO}/comentarios"): {201: r.Comentario},
    ("POST", f"{_OFICIO}/comentarios/{{comentario_id}}/respuestas"): {201: r.Comentario},
    ("POST", f"{_OFICIO}/comentarios/{{comentario_id}}/resolucion"): {200: r.Comentario},
    ("POST", f"{_OFICIO}/anexos"): {201: r.ObjetoGuardado},
    ("GET", f"{_OFICIO}/documentos/sha256/{{digest}}/descarga"): {302: None},
    ("GET", f"{_OFICIO}/linea-de-tiempo"): {200: r.LineaDeTiempo},
    ("POST", f"{_OFICIO}/firmas/preparacion"): {200: r.PreparacionFirma},
    ("POST", f"{_OFICIO}/firmas/{{preparacion_id}}/completar"): {200: r.ResultadoFirma},
    ("POST", f"{_OFICIO}/firmas/credencial"): {200: r.ResultadoFirma},
    ("GET", f"{_OFICIO}/firmas/documento"): {200: bytes},
    ("GET", f"{_OFICIO}/seguimiento"): {200: r.Seguimiento},
    ("GET", "/api/v1/firmas/pendientes"): {200: r.PendientesDeFirma},
    ("POST", "/api/v1/firmas/lote"): {200: r.ResultadoLote},
    ("GET", "/api/v1/bandeja"): {200: r.PaginaBandeja},
    ("GET", "/api/v1/bandeja/no-leidos"): {200: dict[str, int]},
    ("GET", "/api/v1/bandeja/pendientes"): {200: r.Pendientes},
    ("GET", "/api/v1/bandeja/instrucciones"): {200: dict[str, str]},
    ("GET", _ENTREGA): {200: r.Entrega},
    ("POST", f"{_ENTREGA}/acuse"): {200: r.Entrega},
    ("POST", f"{_ENTREGA}/turnos"): {200: r.Entrega},
    ("POST", f"{_ENTREGA}/conclusion"): {200: r.Entrega},
    ("POST", f"{_ENTREGA}/archivo"): {200: r.Entrega},
    ("GET", f"{_ENTREGA}/historial"): {200: r.Historial},
    ("GET", f"{_ENTREGA}/turnos"): {200: r.NodoTurnos},
    ("POST", f"{_ENTREGA}/respuesta"): {201: OficioResponse},
    ("POST", "/api/v1/oficialia/registros"): {201: r.Registro},
    ("GET", "/api/v1/plantillas"): {200: list[r.Plantilla]},
    ("GET", "/api/v1/plantillas/catalogo"): {200: r.CatalogoPlantillas},
    ("POST", "/api/v1/plantillas"): {201: r.Plantilla},
    ("GET", "/api/v1/plantillas/{plantilla_id}"): {200: r.Plantilla},
    ("PUT", "/api/v1/plantillas/{plantilla_id}"): {200: r.Plantilla},
    ("POST", "/api/v1/verificar"): {200: r.Verificacion},
    ("GET", "/api/v1/verificar/{document_id}"): {200: r.VerificacionDocumento},
    ("GET", f"{_OFICIO}/vista-previa"): _PREVIEW,
    ("POST", f"{_OFICIO}/vista-previa"): _PREVIEW,
    ("GET", "/api/v1/plantillas/{plantilla_id}/vista-previa"): _PREVIEW,
    ("GET", "/api/v1/notificaciones"): {200: {"text/event-stream": {"schema": {"type": "string"}}}},
    ("POST", "/api/v1/directorio/importaciones"): {200: ReporteImportacion, 201: ReporteImportacion},
    ("GET", "/api/v1/auth/oidc/login"): {302: None},
    ("GET", "/api/v1/auth/oidc/callback"): {302: None},
}


def success(route: Any, method: str) -> dict[int, Any] | None:
    """What the operation answers when it succeeds, where its route does not declare it."""
    return RESPONSES.get((method, route.path_format))
