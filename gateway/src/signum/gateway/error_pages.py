"""Errors on web pages are Spanish pages; errors on the API stay `{code, message, details}`.

A request is for a page unless its path belongs to the API or to operations (`/api/`, `/static/`,
`/openapi.json`, `/healthz`, `/readyz`, `/metrics`) or it asks for JSON and not HTML in `Accept`.
The platform's JSON handlers stay in place and answer everything else.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from signum.gateway import ui
from signum.platform.errors import SignumError
from signum.platform.http import error_response, log_unexpected
from signum.platform.logging import get_logger

log = get_logger(__name__)

NOT_PAGES = ("/api/", "/static/", "/openapi.json", "/healthz", "/readyz", "/metrics")

TITLES = {
    400: "Solicitud no válida",
    401: "Inicie sesión",
    403: "Acceso denegado",
    404: "Página no encontrada",
    405: "Acción no disponible",
    409: "No se pudo completar",
    413: "Archivo demasiado grande",
    415: "Tipo de archivo no admitido",
    422: "Datos no válidos",
    429: "Demasiados intentos",
    503: "Servicio no disponible",
}
MESSAGES = {
    401: "Para ver esta página inicie sesión con su cuenta del municipio.",
    403: "No tiene permiso para ver esta página.",
    404: "La dirección que abrió no corresponde a ninguna página de Signum. Revise que esté bien escrita.",
    405: "Esta dirección no admite esa acción.",
    413: "El archivo enviado es demasiado grande.",
    415: "El tipo de archivo enviado no se admite.",
}
UNEXPECTED = "Ocurrió un error inesperado. Intente de nuevo en unos minutos."

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def wants_page(request: Request) -> bool:
    """Whether an error on this request is shown to a person (a page) rather than to a program."""
    if request.url.path.startswith(NOT_PAGES):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "json" not in accept


def error_page(status: int, message: str, *, correlation_id: str = "") -> HTMLResponse:
    """The Spanish page for an error: its title, the message, and for a server fault the code to
    quote to support."""
    title = TITLES.get(status, "Ocurrió un error" if status >= 500 else "No se pudo completar")
    follow_up = ""
    if status >= 500 and correlation_id:
        follow_up = (
            '<p class="muted">Si el problema continúa, comunique este código de seguimiento a la mesa '
            f"de ayuda: <code>{escape(correlation_id)}</code></p>"
        )
    page = ui.page(
        "error.html", titulo=title, estado=str(status), mensaje=message, raw={"seguimiento": follow_up}
    )
    return HTMLResponse(page, status_code=status)


def _correlation_id(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "")


def _page_for(request: Request, exc: Exception) -> HTMLResponse:
    correlation_id = _correlation_id(request)
    if isinstance(exc, SignumError):
        page = error_page(exc.status_code, exc.message, correlation_id=correlation_id)
        page.headers.update(exc.headers)
        return page
    if isinstance(exc, RequestValidationError):
        return error_page(422, "La dirección o los datos enviados no son válidos.")
    if isinstance(exc, StarletteHTTPException):
        message = MESSAGES.get(exc.status_code, "La solicitud no se pudo procesar.")
        response = error_page(exc.status_code, message, correlation_id=correlation_id)
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    log_unexpected(exc)
    return error_page(500, UNEXPECTED, correlation_id=correlation_id)


def render_error(scope: Scope, error: SignumError) -> Response:
    """An error answered before the application runs (a body past its limit): a page or JSON."""
    request = Request(scope)
    return _page_for(request, error) if wants_page(request) else error_response(error)


def install_error_pages(app: FastAPI) -> None:
    """Put a page in front of each of the platform's JSON error handlers."""
    for kind in (SignumError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, _page_or(app.exception_handlers[kind]))


def _page_or(as_json: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if wants_page(request):
            return _page_for(request, exc)
        answer = as_json(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    return handle
