"""Public template endpoints: every official reads them; administrators add versions and retire them.

Drafting validates a template's content and decides again with the same policy.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response, status

from signum.gateway.deps import ClientsDep, require
from signum.gateway.routes.oficios import BINARY_RESPONSES, Formato, binary_response
from signum.gateway.schemas import TemplateUpdateRequest
from signum.platform.http import current_correlation_id, segment
from signum.platform.identity import Caller
from signum.platform.policy import Action

router = APIRouter(prefix="/api/v1/plantillas", tags=["plantillas"])


@router.get("", summary="Plantillas vigentes (última versión de cada una)")
async def list_templates(
    services: ClientsDep, caller: Caller = Depends(require(Action.PLANTILLA_LEER))
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await services.drafting.request(
        "GET", "/internal/plantillas", caller=caller, correlation_id=current_correlation_id()
    )
    return found


@router.get("/catalogo", summary="Lo que ofrece el diseñador: marcadores, bloques, fuentes y tamaños")
async def template_catalogue(
    services: ClientsDep, caller: Caller = Depends(require(Action.PLANTILLA_LEER))
) -> dict[str, Any]:
    found: dict[str, Any] = await services.drafting.request(
        "GET", "/internal/catalogo-plantillas", caller=caller, correlation_id=current_correlation_id()
    )
    return found


@router.post("", status_code=status.HTTP_201_CREATED, summary="Crear una plantilla (versión 1)")
async def create_template(
    services: ClientsDep,
    plantilla: Annotated[
        dict[str, Any], Body(description="La plantilla; el servicio de redacción la valida.")
    ],
    caller: Caller = Depends(require(Action.PLANTILLA_ADMINISTRAR)),
) -> dict[str, Any]:
    found: dict[str, Any] = await services.drafting.request(
        "POST", "/internal/plantillas", caller=caller, correlation_id=current_correlation_id(), json=plantilla
    )
    return found


@router.get("/{plantilla_id}", summary="Una plantilla (la última versión, o la indicada)")
async def get_template(
    plantilla_id: str,
    services: ClientsDep,
    version: int | None = Query(default=None, ge=1),
    caller: Caller = Depends(require(Action.PLANTILLA_LEER)),
) -> dict[str, Any]:
    found: dict[str, Any] = await services.drafting.request(
        "GET",
        f"/internal/plantillas/{segment(plantilla_id)}",
        caller=caller,
        correlation_id=current_correlation_id(),
        params=None if version is None else {"version": version},
    )
    return found


@router.put("/{plantilla_id}", summary="Guardar una nueva versión de la plantilla (409 si cambió)")
async def update_template(
    plantilla_id: str,
    body: TemplateUpdateRequest,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.PLANTILLA_ADMINISTRAR)),
) -> dict[str, Any]:
    found: dict[str, Any] = await services.drafting.request(
        "PUT",
        f"/internal/plantillas/{segment(plantilla_id)}",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=body.model_dump(mode="json"),
    )
    return found


@router.delete(
    "/{plantilla_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Retirar una plantilla (los oficios que la usan la conservan)",
)
async def retire_template(
    plantilla_id: str, services: ClientsDep, caller: Caller = Depends(require(Action.PLANTILLA_ADMINISTRAR))
) -> Response:
    await services.drafting.request(
        "DELETE",
        f"/internal/plantillas/{segment(plantilla_id)}",
        caller=caller,
        correlation_id=current_correlation_id(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{plantilla_id}/vista-previa",
    response_class=Response,
    responses=BINARY_RESPONSES,
    summary="Vista previa de la plantilla con contenido de ejemplo",
)
async def preview_template(
    plantilla_id: str,
    services: ClientsDep,
    version: int | None = Query(default=None, ge=1),
    formato: Formato = "pdf",
    pagina: int = Query(default=1, ge=1, le=500),
    caller: Caller = Depends(require(Action.PLANTILLA_LEER)),
) -> Response:
    params: dict[str, Any] = {"formato": formato, "pagina": pagina}
    if version is not None:
        params["version"] = version
    found = await services.drafting.request(
        "GET",
        f"/internal/plantillas/{segment(plantilla_id)}/vista-previa",
        caller=caller,
        correlation_id=current_correlation_id(),
        params=params,
    )
    return binary_response(found)
