"""The web UI's pages and static files, rendered with every value HTML-escaped.

Every page shares one frame (`_pagina.html`: head, header and menu); a page's own file holds only
what goes under the header. The menu offers a signed-in person only what they may open.
"""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path
from string import Template

from signum.platform.identity import Caller
from signum.platform.policy import Action, UnitAccess, decide

UI_DIR = Path(__file__).parent
STATIC_DIR = UI_DIR / "static"

# The «Administración» entry opens for whoever may do any of its pages' actions.
ADMINISTRATION = (
    Action.CUENTAS_ADMINISTRAR,
    Action.DIRECTORIO_IMPORTAR,
    Action.DIRECTORIO_ADMINISTRAR,
    Action.API_KEYS_ADMINISTRAR,
)

# (path, label, the action that opens it (or any of several), or None for every signed-in person).
# Redactar asks the policy about the person's own unit (`may`): an auditor consults, and drafts only
# as a titular.
MENU: tuple[tuple[str, str, Action | tuple[Action, ...] | None], ...] = (
    ("/", "Inicio", None),
    ("/bandeja", "Bandeja", Action.BANDEJA_LEER),
    ("/redaccion", "Redactar", Action.OFICIO_CREAR),
    ("/firmar", "Por firmar", Action.FIRMAS_PENDIENTES_LEER),
    ("/indicadores", "Indicadores", Action.INDICADORES_VER),
    ("/verificar", "Verificar", None),
    ("/plantillas", "Plantillas", Action.PLANTILLA_ADMINISTRAR),
    ("/estado", "Estado", Action.PLATAFORMA_ESTADO),
    ("/administracion", "Administración", ADMINISTRATION),
)
PUBLIC_MENU = '<nav aria-label="Principal"><a href="/">Inicio</a></nav>'


@cache
def _template(name: str) -> Template:
    return Template((UI_DIR / name).read_text(encoding="utf-8"))


def render(name: str, *, raw: dict[str, str] | None = None, **values: str) -> str:
    """Fill a template; `values` are escaped, `raw` (fixed markup built by the server) is not."""
    fields = {key: escape(value) for key, value in values.items()} | (raw or {})
    return _template(name).substitute(fields)


def may(caller: Caller, action: Action | tuple[Action, ...] | None) -> bool:
    """Whether a page of the menu is the person's to open (creating an oficio: in their own unit;
    with several actions, any of them)."""
    if action is None:
        return True
    if isinstance(action, tuple):
        return any(may(caller, a) for a in action)
    if action is Action.OFICIO_CREAR:
        return caller.unidad_id is not None and bool(decide(caller, action, UnitAccess(caller.unidad_id)))
    return bool(decide(caller, action))


def menu(caller: Caller, current: str) -> str:
    """The header's menu for a signed-in person, then their name."""
    links = []
    for path, label, action in MENU:
        if not may(caller, action):
            continue
        here = ' aria-current="page"' if path == current else ""
        links.append(f'<a href="{path}"{here}>{label}</a>')
    name = escape(caller.nombre or caller.id)
    return f'<nav aria-label="Principal">{" · ".join(links)}</nav><span id="quien">{name}</span>'


def page(
    name: str,
    *,
    titulo: str,
    caller: Caller | None = None,
    current: str = "",
    clase: str = "",
    datos: dict[str, str] | None = None,
    encabezado: str | None = None,
    raw: dict[str, str] | None = None,
    **values: str,
) -> str:
    """A whole page: the frame with its title and header around the page's own template.

    `datos` become the body's `data-*` attributes (what the page's script reads); `encabezado`
    replaces the menu (the sign-in page); without a caller the menu leads home only."""
    attributes = f' class="{escape(clase)}"' if clase else ""
    attributes += "".join(f' data-{key}="{escape(value)}"' for key, value in (datos or {}).items())
    if encabezado is None:
        encabezado = menu(caller, current) if caller is not None else PUBLIC_MENU
    return render(
        "_pagina.html",
        titulo=titulo,
        raw={
            "atributos": attributes,
            "encabezado": encabezado,
            "contenido": render(name, raw=raw, titulo=titulo, **values),
        },
    )
