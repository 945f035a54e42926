"""One probe request per public route, used by the access matrix (test_access_matrix.py).

Every route of the gateway must appear here: the matrix test fails on a route without a probe.
A probe gets the context (`Probe.ctx`: the oficio of the context, the caller's unit, ...) and
returns what to send. The body only has to get past authorization: an allowed caller may then
get 404 or 422, which the matrix counts as "allowed"; a denied one must get 403 (401 when anonymous).
The oficio probes also run against a signed and sent oficio, as its recipients and as everyone else
(`test_recipients_read_a_sent_oficio_and_nothing_more`): an allowed recipient's probe must be just as
harmless there (a stale version, an empty upload, a finalization or cancellation the state refuses).

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
    # --- drafts (drafting) ---
    # Drafting decides on the oficio first and checks its state after, so each probe below is
    # refused with 403 for a denied caller and, for an allowed one, rejected (409/422/404) before it
    # changes anything, except the cancellation (see there).
    ("PATCH", "/api/v1/oficios/{oficio_id}"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id}, json={"version": 999_999, "asunto": "No se guarda"}
    ),  # stale version: allowed -> 409 version_conflict
    ("GET", "/api/v1/oficios/{oficio_id}/versiones"): _oficio,
    ("GET", "/api/v1/oficios/{oficio_id}/versiones/{n}"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id, "n": "1"}
    ),
    ("GET", "/api/v1/oficios/{oficio_id}/diferencias"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id}, params={"desde": "1", "hasta": "1"}
    ),
    ("POST", "/api/v1/oficios/{oficio_id}/diferencias"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id}, json={"desde": 999_999, "asunto": "Sin guardar"}
    ),  # a read: allowed -> 404 version_not_found
    ("GET", "/api/v1/oficios/{oficio_id}/comentarios"): _oficio,
    ("POST", "/api/v1/oficios/{oficio_id}/comentarios"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id}, json={"texto": "   ", "ancla": {"bloque": "asunto"}}
    ),  # blank once trimmed: allowed -> 422 comment_empty, nothing stored
    ("POST", "/api/v1/oficios/{oficio_id}/comentarios/{comentario_id}/respuestas"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id, "comentario_id": MISSING}, json={"texto": "Respuesta"}
    ),  # allowed -> 404 comment_not_found
    ("POST", "/api/v1/oficios/{oficio_id}/comentarios/{comentario_id}/resolucion"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id, "comentario_id": MISSING}, json={"resuelto": True}
    ),  # allowed -> 404 comment_not_found
    ("POST", "/api/v1/oficios/{oficio_id}/revisiones"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id}, json={"revisores": [MISSING]}
    ),  # not a reviewer of the oficio: allowed -> 422 reviewer_not_collaborator (409 if not a borrador)
    ("POST", "/api/v1/oficios/{oficio_id}/dictamenes"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id}, json={"resultado": "visto_bueno", "version": 999_999}
    ),  # allowed -> 409 not_in_review (the matrix never requests reviews) or version_conflict
    # The matrix's oficios have no content and their reviews were never requested: an allowed caller
    # gets 409 reviews_pending (with a reviewer) or 422 oficio_incomplete, before any folio is taken.
    ("POST", "/api/v1/oficios/{oficio_id}/finalizacion"): _oficio,
    # Drafting checks nothing after the policy that refuses to cancel a borrador, so an allowed
    # caller (a titular of the unit) really cancels the context's oficio and every later one gets
    # 409 oficio_not_cancellable. Harmless to the other probes: drafting checks the policy before
    # the state everywhere, and the policy does not depend on the state.
    ("POST", "/api/v1/oficios/{oficio_id}/cancelacion"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id}, json={"motivo": "Prueba de acceso"}
    ),
    ("GET", "/api/v1/oficios/{oficio_id}/vista-previa"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id}, params={"formato": "pdf"}
    ),
    ("POST", "/api/v1/oficios/{oficio_id}/vista-previa"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id}, json={"asunto": "Sin guardar"}
    ),  # nothing stored; the matrix's oficios have no content: allowed -> 422 oficio_incomplete
    # --- templates (drafting) ---
    ("GET", "/api/v1/plantillas"): lambda ctx: Request(),
    ("GET", "/api/v1/plantillas/catalogo"): lambda ctx: Request(),
    ("POST", "/api/v1/plantillas"): lambda ctx: Request(json={}),  # allowed -> 422 (invalid template)
    ("GET", "/api/v1/plantillas/{plantilla_id}"): lambda ctx: Request(
        path_params={"plantilla_id": "municipal-homologado"}
    ),
    ("PUT", "/api/v1/plantillas/{plantilla_id}"): lambda ctx: Request(
        path_params={"plantilla_id": MISSING}, json={"version": 1, "plantilla": {}}
    ),  # allowed -> 404 plantilla_not_found
    ("DELETE", "/api/v1/plantillas/{plantilla_id}"): lambda ctx: Request(
        path_params={"plantilla_id": "municipal-homologado"}
    ),  # the default template cannot be retired: allowed -> 422 plantilla_default
    ("GET", "/api/v1/plantillas/{plantilla_id}/vista-previa"): lambda ctx: Request(
        path_params={"plantilla_id": MISSING}
    ),  # allowed -> 404 plantilla_not_found
    # --- documents (storage) ---
    ("POST", "/api/v1/oficios/{oficio_id}/anexos"): _oficio,  # empty body: allowed -> 422 file_empty
    ("GET", "/api/v1/oficios/{oficio_id}/documentos/sha256/{digest}/descarga"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id, "digest": "0" * 64}  # allowed -> 404
    ),
    ("GET", "/api/v1/oficios/{oficio_id}/linea-de-tiempo"): _oficio,
    # --- signing (public verification; signing by the signers fixed at finalization) ---
    ("POST", "/api/v1/verificar"): lambda ctx: Request(
        files={"archivo": ("vacio.pdf", b"", "application/pdf")}
    ),  # public -> 422 pdf_invalid
    ("GET", "/api/v1/verificar/{document_id}"): lambda ctx: Request(
        path_params={"document_id": MISSING}
    ),  # public -> 404 document_not_found
    # The verification pages (public): the form, an upload, the QR's link (a Spanish 404 page).
    ("GET", "/verificar"): lambda ctx: Request(),
    ("POST", "/verificar"): lambda ctx: Request(files={"archivo": ("vacio.pdf", b"", "application/pdf")}),
    ("GET", "/verificar/{document_id}"): lambda ctx: Request(path_params={"document_id": MISSING}),
    ("POST", "/api/v1/oficios/{oficio_id}/firmas/preparacion"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id}, json={"cer": "eA=="}
    ),  # the matrix's oficios are never finalized: nobody is their signer -> 403
    ("POST", "/api/v1/oficios/{oficio_id}/firmas/{preparacion_id}/completar"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id, "preparacion_id": MISSING}, json={"firma": "eA=="}
    ),
    ("POST", "/api/v1/oficios/{oficio_id}/firmas/credencial"): lambda ctx: Request(
        path_params={"oficio_id": ctx.oficio_id}, json={}
    ),
    ("POST", "/api/v1/firmas/lote"): lambda ctx: Request(json={"oficio_ids": [ctx.oficio_id]}),
    ("GET", "/api/v1/firmas/pendientes"): lambda ctx: Request(),
    ("GET", "/api/v1/oficios/{oficio_id}/firmas/documento"): _oficio,
    # --- inbox and deliveries (routing) ---
    ("GET", "/api/v1/bandeja"): lambda ctx: Request(),
    ("GET", "/api/v1/bandeja/no-leidos"): lambda ctx: Request(),
    ("GET", "/api/v1/bandeja/instrucciones"): lambda ctx: Request(),
    ("GET", "/api/v1/bandeja/pendientes"): lambda ctx: Request(),
    ("GET", "/api/v1/oficios/{oficio_id}/seguimiento"): _oficio,  # a draft: no deliveries yet
    ("GET", "/api/v1/notificaciones"): lambda ctx: Request(params={"max_segundos": "0"}),
    ("GET", "/api/v1/entregas/{entrega_id}"): lambda ctx: Request(path_params={"entrega_id": MISSING}),
    ("POST", "/api/v1/entregas/{entrega_id}/acuse"): lambda ctx: Request(path_params={"entrega_id": MISSING}),
    ("POST", "/api/v1/entregas/{entrega_id}/turnos"): lambda ctx: Request(
        path_params={"entrega_id": MISSING},
        json={"destinatarios": [ctx.funcionario_id], "instruccion": "para_su_atencion"},
    ),
    ("GET", "/api/v1/entregas/{entrega_id}/turnos"): lambda ctx: Request(path_params={"entrega_id": MISSING}),
    ("GET", "/api/v1/entregas/{entrega_id}/historial"): lambda ctx: Request(
        path_params={"entrega_id": MISSING}
    ),
    ("POST", "/api/v1/entregas/{entrega_id}/conclusion"): lambda ctx: Request(
        path_params={"entrega_id": MISSING}, json={"motivo": "Prueba de acceso"}
    ),
    ("POST", "/api/v1/entregas/{entrega_id}/respuesta"): lambda ctx: Request(
        path_params={"entrega_id": MISSING}, json={}
    ),
    ("POST", "/api/v1/oficialia/registros"): lambda ctx: Request(
        files={"archivo": ("vacio.pdf", b"", "application/pdf")}
    ),
    ("POST", "/api/v1/entregas/{entrega_id}/archivo"): lambda ctx: Request(
        path_params={"entrega_id": MISSING}
    ),
    # --- indicators (metrics) ---
    ("GET", "/api/v1/indicadores"): lambda ctx: Request(params={"unidad_id": ctx.unidad_id}),
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
    ("GET", "/api/v1/admin/cuentas"): lambda ctx: Request(params={"funcionario": ctx.funcionario_id}),
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
# Web pages: they answer anyone (a log-in redirect, or a Spanish refusal); the API under them decides.
OPEN_ROUTES |= {("GET", "/plantillas"), ("GET", "/redaccion")}
OPEN_ROUTES |= {("GET", "/firmar")}  # the signing page (a log-in redirect, or the page)
OPEN_ROUTES |= {("GET", "/bandeja")}  # the inbox page (a log-in redirect, or the page)
OPEN_ROUTES |= {("GET", "/indicadores")}  # the indicators page (a log-in redirect, or the page)
OPEN_ROUTES |= {("GET", "/estado")}  # platform status (a log-in redirect, or a Spanish refusal)
# The administration's pages (a log-in redirect, or a Spanish refusal to whoever may not).
OPEN_ROUTES |= {
    ("GET", "/administracion"),
    ("GET", "/administracion/cuentas"),
    ("GET", "/administracion/directorio"),
    ("GET", "/administracion/suplencias"),
    ("GET", "/administracion/claves-api"),
}
OPEN_ROUTES |= {("GET", "/docs"), ("GET", "/docs/oauth2-redirect")}  # Swagger UI, vendored
