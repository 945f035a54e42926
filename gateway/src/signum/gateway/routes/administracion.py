"""The administration pages (Spanish): accounts, the directory, suplencias and API keys.

Each page opens only for whoever may do its actions (`signum.platform.policy`); the API under it
decides again on every call. The pages hold no data: their scripts read it from the API."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from signum.gateway.deps import public
from signum.gateway.error_pages import error_page
from signum.gateway.routes.ui import _session_caller
from signum.gateway.ui import ADMINISTRATION, page
from signum.platform.identity import Caller
from signum.platform.policy import API_KEY_ACTIONS, Action, decide

router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])

HOME = "/administracion"


# (path under /administracion, title, what it is for, the actions that open it: any of them)
SECTIONS: tuple[tuple[str, str, str, tuple[Action, ...]], ...] = (
    (
        "cuentas",
        "Cuentas",
        "Crear la cuenta de un funcionario, restablecer su contraseña o desbloquearla.",
        (Action.CUENTAS_ADMINISTRAR,),
    ),
    (
        "directorio",
        "Directorio",
        "Importar el CSV de Recursos Humanos (primero en simulación), buscar funcionarios, darlos de baja.",
        (Action.DIRECTORIO_IMPORTAR, Action.DIRECTORIO_ADMINISTRAR),
    ),
    (
        "suplencias",
        "Suplencias",
        "Registrar quién firma «por ausencia de» un titular, y cancelar suplencias.",
        (Action.DIRECTORIO_ADMINISTRAR,),
    ),
    (
        "claves-api",
        "Claves de API",
        "Crear y revocar las claves de los sistemas que se integran con Signum.",
        (Action.API_KEYS_ADMINISTRAR,),
    ),
)

# What an API key may be granted, as the administrator reads it.
API_KEY_PERMISSIONS = {
    Action.DIRECTORIO_LEER: "Consultar el directorio",
    Action.OFICIO_CREAR: "Crear oficios en sus oficinas",
    Action.OFICIO_LEER: "Leer los oficios de sus oficinas (no los confidenciales)",
}
assert set(API_KEY_PERMISSIONS) == set(API_KEY_ACTIONS), "every grantable permission needs a label"


def _may(caller: Caller, actions: tuple[Action, ...]) -> bool:
    return any(decide(caller, a) for a in actions)


def _subnav(caller: Caller, current: str) -> str:
    """The administration's own menu: the pages this person may open."""
    links = []
    for path, title, _, actions in SECTIONS:
        if not _may(caller, actions):
            continue
        here = ' aria-current="page"' if path == current else ""
        links.append(f'<a href="{HOME}/{path}"{here}>{escape(title)}</a>')
    return f'<nav class="subnav" aria-label="Administración">{"".join(links)}</nav>'


async def _open(request: Request, section: str) -> Caller | HTMLResponse | RedirectResponse:
    """The caller if they may open `section`; otherwise the log-in page or the 403 page."""
    caller = await _session_caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    actions = next(s[3] for s in SECTIONS if s[0] == section) if section else ADMINISTRATION
    if not _may(caller, actions):
        return error_page(403, "Solo el personal administrador puede abrir la administración de Signum.")
    return caller


def _page(
    caller: Caller,
    section: str,
    template: str,
    title: str,
    *,
    datos: dict[str, str] | None = None,
    raw: dict[str, str] | None = None,
) -> HTMLResponse:
    return HTMLResponse(
        page(
            template,
            titulo=title,
            caller=caller,
            current=HOME,
            clase="pagina-admin",
            datos=datos,
            # The start lists the same pages as cards: no sub-menu above them.
            raw={"subnav": _subnav(caller, section) if section else "", **(raw or {})},
        )
    )


@router.get(HOME, response_class=HTMLResponse, response_model=None)
async def administration(request: Request) -> HTMLResponse | RedirectResponse:
    """The administration's start: the pages this person may open."""
    caller = await _open(request, "")
    if not isinstance(caller, Caller):
        return caller
    cards = "".join(
        f'<li><a href="{HOME}/{path}"><span class="titulo">{escape(title)}</span>'
        f"<span>{escape(what)}</span></a></li>"
        for path, title, what, actions in SECTIONS
        if _may(caller, actions)
    )
    return _page(caller, "", "administracion.html", "Administración", raw={"secciones": cards})


@router.get(HOME + "/cuentas", response_class=HTMLResponse, response_model=None)
async def accounts_page(request: Request) -> HTMLResponse | RedirectResponse:
    """Local accounts: create one for an official of the directory, reset, unlock."""
    caller = await _open(request, "cuentas")
    if not isinstance(caller, Caller):
        return caller
    return _page(caller, "cuentas", "admin-cuentas.html", "Cuentas")


@router.get(HOME + "/directorio", response_class=HTMLResponse, response_model=None)
async def directory_page(request: Request) -> HTMLResponse | RedirectResponse:
    """Import the directory's CSV (simulated first), search officials, deactivate one."""
    caller = await _open(request, "directorio")
    if not isinstance(caller, Caller):
        return caller
    may_import = bool(decide(caller, Action.DIRECTORIO_IMPORTAR))
    return _page(
        caller,
        "directorio",
        "admin-directorio.html",
        "Directorio",
        datos={"baja": "1" if decide(caller, Action.DIRECTORIO_ADMINISTRAR) else "0"},
        raw={"importar_oculto": "" if may_import else " hidden"},
    )


@router.get(HOME + "/suplencias", response_class=HTMLResponse, response_model=None)
async def suplencias_page(request: Request) -> HTMLResponse | RedirectResponse:
    """Suplencias: the current and coming ones, register one, cancel one."""
    caller = await _open(request, "suplencias")
    if not isinstance(caller, Caller):
        return caller
    return _page(caller, "suplencias", "admin-suplencias.html", "Suplencias")


@router.get(HOME + "/claves-api", response_class=HTMLResponse, response_model=None)
async def api_keys_page(request: Request) -> HTMLResponse | RedirectResponse:
    """API keys: list, create (shown once), revoke."""
    caller = await _open(request, "claves-api")
    if not isinstance(caller, Caller):
        return caller
    permissions = "".join(
        f'<label class="casilla"><input type="checkbox" name="permisos" value="{escape(action.value)}"> '
        f"{escape(label)}</label>"
        for action, label in API_KEY_PERMISSIONS.items()
    )
    return _page(caller, "claves-api", "admin-claves.html", "Claves de API", raw={"permisos": permissions})
