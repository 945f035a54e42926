"""The web UI (Spanish): the log-in page and the official's start page. Later issues add the inbox
and the editor."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from signum.gateway.deps import SESSION_COOKIE, identity, public
from signum.gateway.error_pages import error_page
from signum.gateway.ui import may, page
from signum.platform.errors import SignumError
from signum.platform.identity import Caller
from signum.platform.policy import Action, decide

router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])

ROLE_NAMES = {
    "funcionario": "funcionario",
    "titular": "titular",
    "oficialia": "oficialía de partes",
    "administrador": "administrador",
    "auditor": "auditor",
}
OIDC_LINK = '<p><a href="/api/v1/auth/oidc/login">Entrar con la cuenta del municipio</a></p>'
STATUS_LINK = '<li><a href="/estado">Estado de la plataforma</a></li>'
TEMPLATES_LINK = '<li><a href="/plantillas">Diseñar plantillas</a></li>'
TAGLINE = "<span>Oficios digitales del municipio de Monterrey</span>"
DRAFT_LINK = '<li><a href="/redaccion">Redactar un oficio</a></li>'
SIGN_LINK = '<li><a href="/firmar">Por firmar (firma con e.firma en este navegador)</a></li>'
SIGN_WAITING = (
    '<li><a href="/bandeja?carpeta=por_firmar" data-pendiente="por_firmar">\n'
    '          <span class="cifra">–</span> Por firmar</a></li>'
)
CONSULT_ONLY = "Su cuenta es de consulta (auditoría): no redacta ni firma oficios."


async def _session_caller(request: Request) -> Caller | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        caller, session = await identity(request).session_caller(token)
    except SignumError:
        return None
    # A temporary password's session signs in again, where the page asks for a new password.
    return None if session.debe_cambiar else caller


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    caller = await _session_caller(request)
    if caller is None:
        oidc = OIDC_LINK if request.app.state.oidc is not None else ""
        return HTMLResponse(
            page("login.html", titulo="Iniciar sesión", encabezado=TAGLINE, raw={"oidc": oidc})
        )
    roles = ", ".join(ROLE_NAMES.get(r, r) for r in sorted(caller.roles))
    # The unit by its name ("Dirección General de Tecnologías de la Información"), not its code.
    unidad = await request.app.state.directory.unidad(caller.unidad_id) if caller.unidad_id else None
    unidad_nombre = unidad.nombre if unidad is not None else (caller.unidad_id or "—")
    # The start page offers only what the person may do.
    status_link = STATUS_LINK if decide(caller, Action.PLATAFORMA_ESTADO) else ""
    templates_link = TEMPLATES_LINK if decide(caller, Action.PLANTILLA_ADMINISTRAR) else ""
    signs = may(caller, Action.FIRMAS_PENDIENTES_LEER)
    return HTMLResponse(
        page(
            "home.html",
            titulo="Inicio",
            caller=caller,
            current="/",
            clase="pagina-inicio",
            nombre=caller.nombre or caller.id,
            unidad=unidad_nombre,
            roles=roles,
            raw={
                "estado_plataforma": status_link,
                "plantillas": templates_link,
                "redactar": DRAFT_LINK if may(caller, Action.OFICIO_CREAR) else "",
                "firmar": SIGN_LINK if signs else "",
                "pendiente_firmar": SIGN_WAITING if signs else "",
            },
        )
    )


# --- drafting pages (template designer, drafting) -----------------------------------------------


@router.get("/plantillas", response_class=HTMLResponse, response_model=None)
async def template_designer(request: Request) -> HTMLResponse | RedirectResponse:
    """The template designer, for administrators only (the API decides again on every call)."""
    caller = await _session_caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    if not caller.has_role("administrador"):
        return error_page(403, "Solo el personal administrador puede diseñar plantillas.")
    return HTMLResponse(
        page("plantillas.html", titulo="Diseñador de plantillas", caller=caller, current="/plantillas")
    )


@router.get("/redaccion", response_class=HTMLResponse, response_model=None)
async def drafting_page(request: Request) -> HTMLResponse | RedirectResponse:
    """Write, review and finalize an oficio (`?oficio=<id>`), or start one from a template."""
    caller = await _session_caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    if "oficio" not in request.query_params and not may(caller, Action.OFICIO_CREAR):
        # Starting an oficio is not theirs; one they take part in still opens (`?oficio=`).
        return error_page(403, CONSULT_ONLY)
    return HTMLResponse(
        page(
            "redaccion.html",
            titulo="Redacción de oficios",
            caller=caller,
            current="/redaccion",
            datos={"yo": caller.id, "unidad": caller.unidad_id or ""},
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
        page(
            "bandeja.html",
            titulo="Bandeja",
            caller=caller,
            current="/bandeja",
            clase="pagina-bandeja",
            datos={
                "oficialia": "1" if caller.has_role("oficialia") else "0",
                "firma": "1" if may(caller, Action.FIRMAS_PENDIENTES_LEER) else "0",
                "unidad": caller.unidad_id or "",
                "yo": caller.id,
            },
        )
    )


# --- signing page -------------------------------------------------------------------------------


@router.get("/firmar", response_class=HTMLResponse, response_model=None)
async def signing_page(request: Request) -> HTMLResponse | RedirectResponse:
    """Por firmar: the caller's pending signatures, signed in the browser (the key never leaves it)."""
    caller = await _session_caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    if not may(caller, Action.FIRMAS_PENDIENTES_LEER):
        return error_page(403, CONSULT_ONLY)
    return HTMLResponse(page("firmar.html", titulo="Por firmar", caller=caller, current="/firmar"))


# --- platform status (administrators) -------------------------------------------------------

CHECK_NAMES = {
    "kafka": "Mensajería de eventos (Kafka)",
    "mongo": "Base de datos de la plataforma",
    "startup": "Arranque de la plataforma",
    "drafting": "Redacción de oficios",
    "routing": "Entrega de oficios (bandejas y acuses)",
    "signing": "Firma electrónica y verificación",
    "storage": "Almacenamiento de documentos",
    "metrics": "Indicadores",
}


def _status_row(name: str, ok: bool, detail: str) -> str:
    state = "Disponible" if ok else "No disponible"
    # Details come from the check (a timeout, an exception's text): shown as such to administrators.
    technical = ""
    if detail and detail != "no disponible":
        technical = f'<br><span class="muted">Detalle técnico: {escape(detail)}</span>'
    return (
        f'<tr data-servicio="{escape(name)}"><td>{escape(CHECK_NAMES.get(name, name))}</td>'
        f'<td><span class="{"estado-ok" if ok else "estado-mal"}">{state}</span>{technical}</td></tr>'
    )


@router.get("/estado", response_class=HTMLResponse, response_model=None)
async def status_page(request: Request) -> HTMLResponse | RedirectResponse:
    """Each part of the platform, ready or not, in Spanish (operators read `/readyz`)."""
    caller = await _session_caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    if not decide(caller, Action.PLATAFORMA_ESTADO):
        return error_page(403, "Solo el personal administrador puede ver el estado de la plataforma.")
    ready, results = await request.app.state.runtime.readiness("all")
    rows = "".join(_status_row(r.name, r.ok, r.detail) for r in results)
    summary = (
        "Todos los servicios están disponibles."
        if ready
        else "Hay servicios que no están disponibles: los usuarios pueden ver errores."
    )
    return HTMLResponse(
        page(
            "estado.html",
            titulo="Estado de la plataforma",
            caller=caller,
            current="/estado",
            resumen=summary,
            clase_resumen="estado-ok" if ready else "estado-mal",
            raw={"filas": rows},
        ),
        status_code=200,
    )


# --- indicators ------------------------------------------------------------------------------------


@router.get("/indicadores", response_class=HTMLResponse, response_model=None)
async def indicators_page(request: Request) -> HTMLResponse | RedirectResponse:
    """Times, volumes, overdue work and savings: an auditor's all, a titular's units, anyone's own."""
    caller = await _session_caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    return HTMLResponse(page("indicadores.html", titulo="Indicadores", caller=caller, current="/indicadores"))
