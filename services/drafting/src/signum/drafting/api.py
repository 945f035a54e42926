"""Drafting's internal HTTP API (thin: parse, call the service, answer)."""

from __future__ import annotations

import base64
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.encoders import jsonable_encoder

from signum.drafting.schemas import (
    Binary,
    CancelRequest,
    CommentRequest,
    CreateDraftRequest,
    DraftResponse,
    ReplyRequest,
    ResolveRequest,
    ReviewRequest,
    TemplateUpdateRequest,
    UnsavedDiffRequest,
    UnsavedRequest,
    UpdateDraftRequest,
    VerdictRequest,
)
from signum.drafting.service import DraftingService, TemplateService
from signum.platform.errors import ValidationFailedError
from signum.platform.http import InternalGuard, caller_from_request

MEDIA_TYPES = {"pdf": "application/pdf", "png": "image/png"}


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document as JSON: `_id` becomes `id`, the template data stays as it is."""
    out = {("id" if k == "_id" else k): v for k, v in doc.items()}
    return dict(jsonable_encoder(out))


def _expected_version(body_version: int | None, if_match: str | None) -> int:
    raw = if_match.strip().strip('"').removeprefix("W/").strip('"') if if_match else None
    if body_version is not None:
        return body_version
    if raw and raw.isdigit():
        return int(raw)
    raise ValidationFailedError(
        "Indique la versión que editó (campo «version» o encabezado If-Match).", code="version_required"
    )


def _binary(data: bytes, formato: str) -> Binary:
    return Binary(media_type=MEDIA_TYPES[formato], contenido=base64.b64encode(data).decode("ascii"))


def router(service: DraftingService, templates: TemplateService, guard: InternalGuard) -> APIRouter:
    api = APIRouter(prefix="/internal", dependencies=[Depends(guard)], tags=["borradores"])

    # --- drafts -----------------------------------------------------------------------------

    @api.post("/oficios", status_code=status.HTTP_201_CREATED, response_model=DraftResponse)
    async def create_draft(body: CreateDraftRequest, request: Request) -> DraftResponse:
        draft = await service.create_draft(
            caller=caller_from_request(request),
            kind=body.kind,
            asunto=body.asunto,
            office_id=body.office_id,
            correlation_id=request.state.correlation_id,
            colaboradores=tuple((c.funcionario_id, c.rol) for c in body.colaboradores),
            confidencialidad=body.confidencialidad,
            contenido=body.contenido,
            prioridad=body.prioridad,
            fecha_limite_respuesta=body.fecha_limite_respuesta,
            clasificacion=body.clasificacion,
            en_respuesta_a=body.en_respuesta_a,
            plantilla_id=body.plantilla_id,
            plantilla_version=body.plantilla_version,
        )
        return DraftResponse.of(draft, caller_from_request(request))

    @api.get("/oficios/{oficio_id}", response_model=DraftResponse)
    async def get_draft(oficio_id: str, request: Request, response: Response) -> DraftResponse:
        draft = await service.get_draft(caller_from_request(request), oficio_id)
        response.headers["ETag"] = f'"{draft.version}"'
        return DraftResponse.of(draft, caller_from_request(request))

    @api.get("/oficios/{oficio_id}/acceso")
    async def access(oficio_id: str) -> dict[str, Any]:
        """Who takes part in the oficio now, for other services (not the gateway: no caller needed)."""
        return await service.access(oficio_id)

    @api.patch("/oficios/{oficio_id}", response_model=DraftResponse)
    async def update_draft(
        oficio_id: str,
        body: UpdateDraftRequest,
        request: Request,
        response: Response,
        if_match: str | None = Header(default=None),
    ) -> DraftResponse:
        draft = await service.update_draft(
            caller=caller_from_request(request),
            oficio_id=oficio_id,
            expected_version=_expected_version(body.version, if_match),
            changes=body.changes(),
            correlation_id=request.state.correlation_id,
        )
        response.headers["ETag"] = f'"{draft.version}"'
        return DraftResponse.of(draft, caller_from_request(request))

    # --- versions ---------------------------------------------------------------------------

    @api.get("/oficios/{oficio_id}/versiones")
    async def list_versions(oficio_id: str, request: Request) -> list[dict[str, Any]]:
        found = await service.list_versions(caller_from_request(request), oficio_id)
        return [_public(v) for v in found]

    @api.get("/oficios/{oficio_id}/versiones/{n}")
    async def get_version(oficio_id: str, n: int, request: Request) -> dict[str, Any]:
        return _public(await service.get_version(caller_from_request(request), oficio_id, n))

    @api.get("/oficios/{oficio_id}/diferencias")
    async def diff(
        oficio_id: str, request: Request, desde: int = Query(ge=1), hasta: int = Query(ge=1)
    ) -> dict[str, Any]:
        return await service.diff(caller_from_request(request), oficio_id, desde, hasta)

    @api.post("/oficios/{oficio_id}/diferencias")
    async def diff_unsaved(oficio_id: str, body: UnsavedDiffRequest, request: Request) -> dict[str, Any]:
        return await service.diff_unsaved(
            caller_from_request(request), oficio_id, body.desde, body.model_dump(exclude={"desde"})
        )

    # --- comments ---------------------------------------------------------------------------

    @api.get("/oficios/{oficio_id}/comentarios")
    async def list_comments(oficio_id: str, request: Request) -> list[dict[str, Any]]:
        return [_public(c) for c in await service.list_comments(caller_from_request(request), oficio_id)]

    @api.post("/oficios/{oficio_id}/comentarios", status_code=status.HTTP_201_CREATED)
    async def add_comment(oficio_id: str, body: CommentRequest, request: Request) -> dict[str, Any]:
        comment = await service.add_comment(
            caller_from_request(request), oficio_id, body.texto, body.ancla.model_dump()
        )
        return _public(comment)

    @api.post("/oficios/{oficio_id}/comentarios/{comment_id}/respuestas", status_code=status.HTTP_201_CREATED)
    async def reply(oficio_id: str, comment_id: str, body: ReplyRequest, request: Request) -> dict[str, Any]:
        return _public(await service.reply(caller_from_request(request), oficio_id, comment_id, body.texto))

    @api.post("/oficios/{oficio_id}/comentarios/{comment_id}/resolucion")
    async def resolve(
        oficio_id: str, comment_id: str, body: ResolveRequest, request: Request
    ) -> dict[str, Any]:
        comment = await service.resolve(caller_from_request(request), oficio_id, comment_id, body.resuelto)
        return _public(comment)

    # --- reviews, finalization, cancellation ------------------------------------------------

    @api.post("/oficios/{oficio_id}/revisiones", response_model=DraftResponse)
    async def request_review(oficio_id: str, body: ReviewRequest, request: Request) -> DraftResponse:
        draft = await service.request_review(
            caller_from_request(request), oficio_id, body.revisores, request.state.correlation_id
        )
        return DraftResponse.of(draft, caller_from_request(request))

    @api.post("/oficios/{oficio_id}/dictamenes", response_model=DraftResponse)
    async def review(oficio_id: str, body: VerdictRequest, request: Request) -> DraftResponse:
        draft = await service.review(
            caller_from_request(request),
            oficio_id,
            body.resultado,
            body.version,
            body.comentario,
            request.state.correlation_id,
        )
        return DraftResponse.of(draft, caller_from_request(request))

    @api.post("/oficios/{oficio_id}/finalizacion", response_model=DraftResponse)
    async def finalize(oficio_id: str, request: Request) -> DraftResponse:
        draft = await service.finalize(caller_from_request(request), oficio_id, request.state.correlation_id)
        return DraftResponse.of(draft, caller_from_request(request))

    @api.post("/oficios/{oficio_id}/cancelacion", response_model=DraftResponse)
    async def cancel(oficio_id: str, body: CancelRequest, request: Request) -> DraftResponse:
        draft = await service.cancel(
            caller_from_request(request), oficio_id, body.motivo, request.state.correlation_id
        )
        return DraftResponse.of(draft, caller_from_request(request))

    @api.get("/oficios/{oficio_id}/vista-previa", response_model=Binary)
    async def preview(
        oficio_id: str,
        request: Request,
        formato: Literal["pdf", "png"] = "pdf",
        pagina: int = Query(default=1, ge=1, le=500),
    ) -> Binary:
        data = await service.preview(caller_from_request(request), oficio_id, formato, pagina)
        return _binary(data, formato)

    @api.post("/oficios/{oficio_id}/vista-previa", response_model=Binary)
    async def preview_unsaved(
        oficio_id: str,
        body: UnsavedRequest,
        request: Request,
        formato: Literal["pdf", "png"] = "pdf",
        pagina: int = Query(default=1, ge=1, le=500),
    ) -> Binary:
        data = await service.preview(
            caller_from_request(request), oficio_id, formato, pagina, unsaved=body.model_dump()
        )
        return _binary(data, formato)

    # --- templates --------------------------------------------------------------------------

    @api.get("/catalogo-plantillas", tags=["plantillas"])
    async def template_catalogue(request: Request) -> dict[str, Any]:
        return templates.catalogue(caller_from_request(request))

    @api.get("/plantillas", tags=["plantillas"])
    async def list_templates(request: Request) -> list[dict[str, Any]]:
        return [_public(t) for t in await templates.list(caller_from_request(request))]

    @api.post("/plantillas", status_code=status.HTTP_201_CREATED, tags=["plantillas"])
    async def create_template(body: dict[str, Any], request: Request) -> dict[str, Any]:
        return _public(await templates.create(caller_from_request(request), body))

    @api.get("/plantillas/{plantilla_id}", tags=["plantillas"])
    async def get_template(
        plantilla_id: str, request: Request, version: int | None = Query(default=None, ge=1)
    ) -> dict[str, Any]:
        return _public(await templates.get(caller_from_request(request), plantilla_id, version))

    @api.put("/plantillas/{plantilla_id}", tags=["plantillas"])
    async def update_template(
        plantilla_id: str, body: TemplateUpdateRequest, request: Request
    ) -> dict[str, Any]:
        doc = await templates.update(caller_from_request(request), plantilla_id, body.plantilla, body.version)
        return _public(doc)

    @api.delete("/plantillas/{plantilla_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["plantillas"])
    async def retire_template(plantilla_id: str, request: Request) -> Response:
        await templates.retire(caller_from_request(request), plantilla_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @api.get("/plantillas/{plantilla_id}/vista-previa", response_model=Binary, tags=["plantillas"])
    async def preview_template(
        plantilla_id: str,
        request: Request,
        version: int | None = Query(default=None, ge=1),
        formato: Literal["pdf", "png"] = "pdf",
        pagina: int = Query(default=1, ge=1, le=500),
    ) -> Binary:
        data = await templates.preview(caller_from_request(request), plantilla_id, version, formato, pagina)
        return _binary(data, formato)

    return api
