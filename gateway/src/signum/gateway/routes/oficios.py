"""Public oficio endpoints: drafts, versions, comments, reviews, finalization, cancellation, preview.

Thin routes: validate, forward to drafting's internal API, answer. `require()` makes the coarse
check; drafting decides with the same policy on the oficio itself (author, editors, reviewers, ...).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from signum.gateway.deps import ClientsDep, require
from signum.gateway.schemas import (
    CancelRequest,
    CommentRequest,
    CreateOficioRequest,
    DiffResponse,
    OficioResponse,
    ReplyRequest,
    ResolveRequest,
    ReviewRequest,
    Tracking,
    UnsavedDiffRequest,
    UnsavedOficio,
    UpdateOficioRequest,
    VerdictRequest,
)
from signum.platform.errors import NotFoundError, SignumError, ValidationFailedError
from signum.platform.http import current_correlation_id, segment
from signum.platform.identity import Caller
from signum.platform.policy import Action, UnitAccess, authorize

router = APIRouter(prefix="/api/v1/oficios", tags=["oficios"])

Formato = Literal["pdf", "png"]
BINARY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/pdf": {}, "image/png": {}},
        "description": "El documento (PDF) o una página como imagen (PNG).",
    }
}


def binary_response(preview: dict[str, Any]) -> Response:
    """Drafting's base64 JSON (`{media_type, contenido}`) as the real bytes for the browser."""
    try:
        data = base64.b64decode(preview["contenido"], validate=True)
        media_type = str(preview["media_type"])
    except (KeyError, TypeError, binascii.Error) as exc:
        raise SignumError(
            "No se pudo generar la vista previa. Intente de nuevo.", code="preview_failed", status_code=502
        ) from exc
    return Response(content=data, media_type=media_type, headers={"Cache-Control": "no-store"})


def _with_etag(response: Response, draft: dict[str, Any]) -> OficioResponse:
    response.headers["ETag"] = f'"{draft["version"]}"'
    return OficioResponse(**draft)


def _if_match_version(if_match: str | None) -> int | None:
    raw = if_match.strip().removeprefix("W/").strip('"') if if_match else ""
    return int(raw) if raw.isdigit() else None


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OficioResponse, summary="Crear borrador")
async def create_oficio(
    body: CreateOficioRequest,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_CREAR)),
) -> OficioResponse:
    unidad_id = body.unidad_id or caller.unidad_id
    if unidad_id is None:
        raise ValidationFailedError("Indique la unidad que emite el oficio.", code="unidad_required")
    authorize(caller, Action.OFICIO_CREAR, UnitAccess(unidad_id))
    draft = await services.drafting.request(
        "POST",
        "/internal/oficios",
        caller=caller,
        correlation_id=current_correlation_id(),
        json={
            "kind": body.kind,
            "asunto": body.asunto,
            "office_id": unidad_id,
            "colaboradores": [c.model_dump() for c in body.colaboradores],
            "confidencialidad": body.confidencialidad,
            "plantilla_id": body.plantilla_id,
        },
    )
    return OficioResponse(**draft)


@router.get("/{oficio_id}", response_model=OficioResponse, summary="Consultar oficio")
async def get_oficio(
    oficio_id: str,
    services: ClientsDep,
    response: Response,
    caller: Caller = Depends(require(Action.OFICIO_LEER)),
) -> OficioResponse:
    # Drafting decides with the same policy whether this caller may read the oficio.
    draft = await services.drafting.request(
        "GET",
        f"/internal/oficios/{segment(oficio_id)}",
        caller=caller,
        correlation_id=current_correlation_id(),
    )
    try:
        tracking = await services.routing.request(
            "GET",
            f"/internal/oficios/{segment(oficio_id)}/tracking",
            caller=caller,
            correlation_id=current_correlation_id(),
        )
    except NotFoundError:
        tracking = None  # routing has not consumed the creation event yet
    seguimiento = Tracking(**tracking) if tracking else None
    response.headers["ETag"] = f'"{draft["version"]}"'
    return OficioResponse(**draft, seguimiento=seguimiento)


@router.patch(
    "/{oficio_id}",
    response_model=OficioResponse,
    summary="Guardar el borrador (versión en «version» o en If-Match; 409 version_conflict si cambió)",
)
async def update_oficio(
    oficio_id: str,
    body: UpdateOficioRequest,
    services: ClientsDep,
    response: Response,
    if_match: str | None = Header(default=None, description='La versión editada, p. ej. "3".'),
    caller: Caller = Depends(require(Action.OFICIO_EDITAR)),
) -> OficioResponse:
    changes = body.model_dump(mode="json", exclude_unset=True)
    if changes.get("version") is None:
        changes.pop("version", None)
        version = _if_match_version(if_match)
        if version is not None:
            changes["version"] = version
    draft = await services.drafting.request(
        "PATCH",
        f"/internal/oficios/{segment(oficio_id)}",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=changes,
    )
    return _with_etag(response, draft)


# --- versions ---------------------------------------------------------------------------------


@router.get("/{oficio_id}/versiones", summary="Versiones guardadas del oficio")
async def list_versions(
    oficio_id: str, services: ClientsDep, caller: Caller = Depends(require(Action.OFICIO_HISTORIAL))
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await services.drafting.request(
        "GET",
        f"/internal/oficios/{segment(oficio_id)}/versiones",
        caller=caller,
        correlation_id=current_correlation_id(),
    )
    return found


@router.get("/{oficio_id}/versiones/{n}", summary="Una versión del oficio")
async def get_version(
    oficio_id: str,
    services: ClientsDep,
    n: int = Path(ge=1),
    caller: Caller = Depends(require(Action.OFICIO_HISTORIAL)),
) -> dict[str, Any]:
    found: dict[str, Any] = await services.drafting.request(
        "GET",
        f"/internal/oficios/{segment(oficio_id)}/versiones/{segment(n)}",
        caller=caller,
        correlation_id=current_correlation_id(),
    )
    return found


@router.get(
    "/{oficio_id}/diferencias",
    response_model=DiffResponse,
    summary="Diferencias palabra por palabra entre dos versiones",
)
async def diff(
    oficio_id: str,
    services: ClientsDep,
    desde: int = Query(ge=1),
    hasta: int = Query(ge=1),
    caller: Caller = Depends(require(Action.OFICIO_HISTORIAL)),
) -> DiffResponse:
    found = await services.drafting.request(
        "GET",
        f"/internal/oficios/{segment(oficio_id)}/diferencias",
        caller=caller,
        correlation_id=current_correlation_id(),
        params={"desde": desde, "hasta": hasta},
    )
    return DiffResponse(**found)


@router.post(
    "/{oficio_id}/diferencias",
    response_model=DiffResponse,
    summary="Diferencias entre una versión guardada y texto aún no guardado (p. ej. tras un conflicto)",
)
async def diff_unsaved(
    oficio_id: str,
    body: UnsavedDiffRequest,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_HISTORIAL)),
) -> DiffResponse:
    found = await services.drafting.request(
        "POST",
        f"/internal/oficios/{segment(oficio_id)}/diferencias",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=body.model_dump(mode="json"),
    )
    return DiffResponse(**found)


# --- comments ---------------------------------------------------------------------------------


@router.get("/{oficio_id}/comentarios", summary="Comentarios del oficio")
async def list_comments(
    oficio_id: str, services: ClientsDep, caller: Caller = Depends(require(Action.OFICIO_HISTORIAL))
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await services.drafting.request(
        "GET",
        f"/internal/oficios/{segment(oficio_id)}/comentarios",
        caller=caller,
        correlation_id=current_correlation_id(),
    )
    return found


@router.post("/{oficio_id}/comentarios", status_code=status.HTTP_201_CREATED, summary="Comentar")
async def add_comment(
    oficio_id: str,
    body: CommentRequest,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_COMENTAR)),
) -> dict[str, Any]:
    found: dict[str, Any] = await services.drafting.request(
        "POST",
        f"/internal/oficios/{segment(oficio_id)}/comentarios",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=body.model_dump(mode="json"),
    )
    return found


@router.post(
    "/{oficio_id}/comentarios/{comentario_id}/respuestas",
    status_code=status.HTTP_201_CREATED,
    summary="Responder un comentario",
)
async def reply(
    oficio_id: str,
    comentario_id: str,
    body: ReplyRequest,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_COMENTAR)),
) -> dict[str, Any]:
    found: dict[str, Any] = await services.drafting.request(
        "POST",
        f"/internal/oficios/{segment(oficio_id)}/comentarios/{segment(comentario_id)}/respuestas",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=body.model_dump(mode="json"),
    )
    return found


@router.post(
    "/{oficio_id}/comentarios/{comentario_id}/resolucion", summary="Marcar un comentario como resuelto (o no)"
)
async def resolve(
    oficio_id: str,
    comentario_id: str,
    body: ResolveRequest,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_COMENTAR)),
) -> dict[str, Any]:
    found: dict[str, Any] = await services.drafting.request(
        "POST",
        f"/internal/oficios/{segment(oficio_id)}/comentarios/{segment(comentario_id)}/resolucion",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=body.model_dump(mode="json"),
    )
    return found


# --- reviews, finalization, cancellation ------------------------------------------------------


@router.post("/{oficio_id}/revisiones", response_model=OficioResponse, summary="Solicitar revisión")
async def request_review(
    oficio_id: str,
    body: ReviewRequest,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_EDITAR)),
) -> OficioResponse:
    draft = await services.drafting.request(
        "POST",
        f"/internal/oficios/{segment(oficio_id)}/revisiones",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=body.model_dump(mode="json"),
    )
    return OficioResponse(**draft)


@router.post(
    "/{oficio_id}/dictamenes",
    response_model=OficioResponse,
    summary="Dictaminar una versión (visto bueno o cambios solicitados)",
)
async def review(
    oficio_id: str,
    body: VerdictRequest,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_REVISAR)),
) -> OficioResponse:
    draft = await services.drafting.request(
        "POST",
        f"/internal/oficios/{segment(oficio_id)}/dictamenes",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=body.model_dump(mode="json"),
    )
    return OficioResponse(**draft)


@router.post(
    "/{oficio_id}/finalizacion",
    response_model=OficioResponse,
    summary="Finalizar: folio, PDF final y listo para firma",
)
async def finalize(
    oficio_id: str, services: ClientsDep, caller: Caller = Depends(require(Action.OFICIO_FINALIZAR))
) -> OficioResponse:
    draft = await services.drafting.request(
        "POST",
        f"/internal/oficios/{segment(oficio_id)}/finalizacion",
        caller=caller,
        correlation_id=current_correlation_id(),
    )
    return OficioResponse(**draft)


@router.post("/{oficio_id}/cancelacion", response_model=OficioResponse, summary="Cancelar el oficio")
async def cancel(
    oficio_id: str,
    body: CancelRequest,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_CANCELAR)),
) -> OficioResponse:
    draft = await services.drafting.request(
        "POST",
        f"/internal/oficios/{segment(oficio_id)}/cancelacion",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=body.model_dump(mode="json"),
    )
    return OficioResponse(**draft)


@router.get(
    "/{oficio_id}/vista-previa",
    response_class=Response,
    responses=BINARY_RESPONSES,
    summary="Vista previa del oficio (PDF, o una página en PNG)",
)
async def preview(
    oficio_id: str,
    services: ClientsDep,
    formato: Formato = "pdf",
    pagina: int = Query(default=1, ge=1, le=500),
    caller: Caller = Depends(require(Action.OFICIO_LEER)),
) -> Response:
    found = await services.drafting.request(
        "GET",
        f"/internal/oficios/{segment(oficio_id)}/vista-previa",
        caller=caller,
        correlation_id=current_correlation_id(),
        params={"formato": formato, "pagina": pagina},
    )
    return binary_response(found)


@router.post(
    "/{oficio_id}/vista-previa",
    response_class=Response,
    responses=BINARY_RESPONSES,
    summary="Vista previa con cambios aún no guardados (no se guardan)",
)
async def preview_unsaved(
    oficio_id: str,
    body: UnsavedOficio,
    services: ClientsDep,
    formato: Formato = "pdf",
    pagina: int = Query(default=1, ge=1, le=500),
    caller: Caller = Depends(require(Action.OFICIO_EDITAR)),
) -> Response:
    found = await services.drafting.request(
        "POST",
        f"/internal/oficios/{segment(oficio_id)}/vista-previa",
        caller=caller,
        correlation_id=current_correlation_id(),
        params={"formato": formato, "pagina": pagina},
        json=body.model_dump(mode="json"),
    )
    return binary_response(found)
