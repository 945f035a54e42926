"""Public oficio endpoints."""

from __future__ import annotations

from fastapi import APIRouter, status

from signum.gateway.deps import CallerDep, ClientsDep
from signum.gateway.schemas import CreateOficioRequest, OficioResponse, Tracking
from signum.platform.errors import NotFoundError

router = APIRouter(prefix="/api/v1/oficios", tags=["oficios"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OficioResponse, summary="Crear borrador")
async def create_oficio(
    body: CreateOficioRequest,
    caller: CallerDep,
    services: ClientsDep,
) -> OficioResponse:
    draft = await services.drafting.request(
        "POST",
        "/internal/oficios",
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        json={"kind": body.kind, "asunto": body.asunto, "office_id": caller.office_id},
    )
    return OficioResponse(**draft)


@router.get("/{oficio_id}", response_model=OficioResponse, summary="Consultar oficio")
async def get_oficio(
    oficio_id: str,
    caller: CallerDep,
    services: ClientsDep,
) -> OficioResponse:
    draft = await services.drafting.request(
        "GET", f"/internal/oficios/{oficio_id}", actor=caller.actor, correlation_id=caller.correlation_id
    )
    try:
        tracking = await services.routing.request(
            "GET",
            f"/internal/oficios/{oficio_id}/tracking",
            actor=caller.actor,
            correlation_id=caller.correlation_id,
        )
    except NotFoundError:
        tracking = None  # routing has not consumed the creation event yet
    seguimiento = Tracking(**tracking) if tracking else None
    return OficioResponse(**draft, seguimiento=seguimiento)
