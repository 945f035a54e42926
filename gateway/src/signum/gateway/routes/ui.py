"""The web UI (Spanish): the log-in page and the official's start page. Later issues add the inbox
and the editor."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from signum.gateway.deps import SESSION_COOKIE, identity, public
from signum.gateway.ui import render
from signum.platform.errors import SignumError
from signum.platform.identity import Caller

router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])

ROLE_NAMES = {
    "funcionario": "funcionario",
    "titular": "titular",
    "oficialia": "oficialía de partes",
    "administrador": "administrador",
    "auditor": "auditor",
}
OIDC_LINK = '<p><a href="/api/v1/auth/oidc/login">Entrar con la cuenta del municipio</a></p>'


async def _session_caller(request: Request) -> Caller | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        caller, _ = await identity(request).session_caller(token)
    except SignumError:
        return None
    return caller


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    caller = await _session_caller(request)
    if caller is None:
        oidc = OIDC_LINK if request.app.state.oidc is not None else ""
        return HTMLResponse(render("login.html", raw={"oidc": oidc}))
    roles = ", ".join(ROLE_NAMES.get(r, r) for r in sorted(caller.roles))
    # The unit by its name ("Dirección General de Tecnologías de la Información"), not its code.
    unidad = await request.app.state.directory.unidad(caller.unidad_id) if caller.unidad_id else None
    unidad_nombre = unidad.nombre if unidad is not None else (caller.unidad_id or "—")
    return HTMLResponse(
        render("home.html", nombre=caller.nombre or caller.id, unidad=unidad_nombre, roles=roles)
    )


# --- drafting pages (template designer, drafting) -----------------------------------------------

FORBIDDEN_PAGE = """<!doctype html>
<html lang="es-MX"><head><meta charset="utf-8"><title>Signum — Acceso denegado</title>
<link rel="stylesheet" href="/static/signum.css"></head>
<body><header><h1>Signum</h1></header><main><h2>Acceso denegado</h2>
<p class="error" role="alert">{message}</p><p><a href="/">Volver al inicio</a></p></main></body></html>"""


@router.get("/plantillas", response_class=HTMLResponse, response_model=None)
async def template_designer(request: Request) -> HTMLResponse | RedirectResponse:
    """The template designer, for administrators only (the API decides again on every call)."""
    caller = await _session_caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    if not caller.has_role("administrador"):
        message = "Solo el personal administrador puede diseñar plantillas."
        return HTMLResponse(FORBIDDEN_PAGE.format(message=message), status_code=403)
    return HTMLResponse(render("plantillas.html", nombre=caller.nombre or caller.id))


@router.get("/redaccion", response_class=HTMLResponse, response_model=None)
async def drafting_page(request: Request) -> HTMLResponse | RedirectResponse:
    """Write, review and finalize an oficio (`?oficio=<id>`), or start one from a template."""
    caller = await _session_caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    return HTMLResponse(
        render(
            "redaccion.html",
            nombre=caller.nombre or caller.id,
            yo=caller.id,
            unidad=caller.unidad_id or "",
        )
    )


# --- inbox ---------------------------------------------------------------------------------------


@router.get("/bandeja", response_class=HTMLResponse, response_model=None)
async def inbox_page(request: Request) -> HTMLResponse | RedirectResponse:
    """The official's inbox (folders, filters, acuse, turnar, live updates)."""
    caller = await _session_caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    return HTMLResponse(
        render(
            "bandeja.html",
            nombre=caller.nombre or caller.id,
            yo=caller.id,
            unidad=caller.unidad_id or "",
            oficialia="1" if caller.has_role("oficialia") else "0",
        )
    )


# --- signing page -------------------------------------------------------------------------------


@router.get("/firmar", response_class=HTMLResponse, response_model=None)
async def signing_page(request: Request) -> HTMLResponse | RedirectResponse:
    """Por firmar: the caller's pending signatures, signed in the browser (the key never leaves it)."""
    caller = await _session_caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    return HTMLResponse(render("firmar.html", nombre=caller.nombre or caller.id))
