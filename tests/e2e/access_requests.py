"""One probe request per public route, used by the access matrix (test_access_matrix.py).

Every route of the gateway must appear here: the matrix test fails on a route without a probe.
A probe gets the context (`Probe.ctx`: the oficio of the context, the caller's unit, ...) and
returns what to send. The body only has to get past authorization: an allowed caller may then
get 404 or 422, which the matrix counts as "allowed"; a denied one must get 403 (401 when anonymous).

Adding a route: add `("METHOD", "/path/{param}"): probe` below, with a body that an allowed caller
can send without changing what other probes see (use ids that do not exist, or harmless reads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MISSING = "no-existe-0000"


@dataclass(frozen=True)
class Ctx:
    """What a probe may use: the oficio and unit of the context being checked."""

    oficio_id: str
    unidad_id: str
    funcionario_id: str


@dataclass(frozen=True)
class Request:
    path_params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    files: dict[str, Any] | None = None
    params: dict[str, str] | None = None
    fresh_session: bool = False  # the call ends the session (log out): use a session of its own


Probe = Callable[[Ctx], Request]


def _oficio(ctx: Ctx) -> Request:
    return Request(path_params={"oficio_id": ctx.oficio_id})


PROBES: dict[tuple[str, str], Probe] = {
    # --- session ---
    ("POST", "/api/v1/auth/login"): lambda ctx: Request(json={"usuario": "x@x.mx", "contrasena": "x"}),
    ("POST", "/api/v1/auth/token"): lambda ctx: Request(json={"usuario": "x@x.mx", "contrasena": "x"}),
    ("POST", "/api/v1/auth/logout"): lambda ctx: Request(fresh_session=True),
    ("GET", "/api/v1/sesion"): lambda ctx: Request(),
    ("POST", "/api/v1/auth/contrasena"): lambda ctx: Request(json={}),
    ("GET", "/api/v1/auth/oidc/login"): lambda ctx: Request(),
    ("GET", "/api/v1/auth/oidc/callback"): lambda ctx: Request(params={"error": "access_denied"}),
    # --- oficios ---
    ("POST", "/api/v1/oficios"): lambda ctx: Request(
        json={"asunto": "Prueba de acceso", "unidad_id": ctx.unidad_id}
    ),
    ("GET", "/api/v1/oficios/{oficio_id}"): _oficio,
    # --- documents (storage) ---
    ("POST", "/api/v1/oficios/{oficio_id}/anexos"): _oficio,  # empty body: allowed -> 422 file_empty
    ("GET", "/api/v1/oficios/{oficio_id}/documentos/sha256/{digest}/descarga"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id, "digest": "0" * 64}  # allowed -> 404
    ),
    ("GET", "/api/v1/oficios/{oficio_id}/linea-de-tiempo"): _oficio,
    # --- directory ---
    ("POST", "/api/v1/directorio/importaciones"): lambda ctx: Request(
        files={"archivo": ("vacio.csv", b"", "text/csv")}, params={"simulacion": "true"}
    ),
    ("GET", "/api/v1/directorio/dependencias"): lambda ctx: Request(),
    ("GET", "/api/v1/directorio/unidades"): lambda ctx: Request(),
    ("GET", "/api/v1/directorio/unidades/{unidad_id}"): lambda ctx: Request(
        path_params={"unidad_id": ctx.unidad_id}
    ),
    ("GET", "/api/v1/directorio/funcionarios"): lambda ctx: Request(),
    ("GET", "/api/v1/directorio/funcionarios/{funcionario_id}"): lambda ctx: Request(
        path_params={"funcionario_id": ctx.funcionario_id}
    ),
    ("POST", "/api/v1/directorio/funcionarios/{funcionario_id}/baja"): lambda ctx: Request(
        path_params={"funcionario_id": MISSING}
    ),
    ("GET", "/api/v1/directorio/suplencias"): lambda ctx: Request(),
    ("POST", "/api/v1/directorio/suplencias"): lambda ctx: Request(json={}),
    ("DELETE", "/api/v1/directorio/suplencias/{suplencia_id}"): lambda ctx: Request(
        path_params={"suplencia_id": MISSING}
    ),
    # --- administration ---
    ("POST", "/api/v1/admin/cuentas"): lambda ctx: Request(json={"funcionario_id": MISSING}),
    ("POST", "/api/v1/admin/cuentas/{funcionario_id}/restablecer"): lambda ctx: Request(
        path_params={"funcionario_id": MISSING}
    ),
    ("POST", "/api/v1/admin/cuentas/{funcionario_id}/desbloquear"): lambda ctx: Request(
        path_params={"funcionario_id": MISSING}
    ),
    ("POST", "/api/v1/admin/api-keys"): lambda ctx: Request(json={}),
    ("GET", "/api/v1/admin/api-keys"): lambda ctx: Request(),
    ("DELETE", "/api/v1/admin/api-keys/{key_id}"): lambda ctx: Request(path_params={"key_id": MISSING}),
}

# Routes anyone may call that are not under /api: health, metrics, the UI's entry page.
OPEN_ROUTES = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/")}
