"""Public oficio endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from signum.gateway.deps import ClientsDep, require
from signum.gateway.schemas import CreateOficioRequest, OficioResponse, Tracking
from signum.platform.errors import NotFoundError, ValidationFailedError
from signum.platform.http import current_correlation_id
from signum.platform.identity import Caller
from signum.platform.policy import Action, UnitAccess, authorize

router = APIRouter(prefix="/api/v1/oficios", tags=["oficios"])


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
        },
    )
    return OficioResponse(**draft)


@router.get("/{oficio_id}", response_model=OficioResponse, summary="Consultar oficio")
async def get_oficio(
    oficio_id: str,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_LEER)),
) -> OficioResponse:
    # Drafting decides with the same policy whether this caller may read the oficio.
    draft = await services.drafting.request(
        "GET", f"/internal/oficios/{oficio_id}", caller=caller, correlation_id=current_correlation_id()
    )
    try:
        tracking = await services.routing.request(
            "GET",
            f"/internal/oficios/{oficio_id}/tracking",
            caller=caller,
            correlation_id=current_correlation_id(),
        )
    except NotFoundError:
        tracking = None  # routing has not consumed the creation event yet
    seguimiento = Tracking(**tracking) if tracking else None
    return OficioResponse(**draft, seguimiento=seguimiento)
