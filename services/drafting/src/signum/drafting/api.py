"""Drafting's internal HTTP API (thin: parse, call the service, answer)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, status

from signum.drafting.schemas import CreateDraftRequest, DraftResponse
from signum.drafting.service import DraftingService
from signum.platform.http import InternalGuard, caller_from_request


def router(service: DraftingService, guard: InternalGuard) -> APIRouter:
    api = APIRouter(prefix="/internal", dependencies=[Depends(guard)], tags=["borradores"])

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
        )
        return DraftResponse.of(draft)

    @api.get("/oficios/{oficio_id}", response_model=DraftResponse)
    async def get_draft(oficio_id: str, request: Request) -> DraftResponse:
        return DraftResponse.of(await service.get_draft(caller_from_request(request), oficio_id))

    return api
