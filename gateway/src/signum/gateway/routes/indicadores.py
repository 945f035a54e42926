"""Indicators (response times, volumes, overdue work, savings): JSON and CSV, from the metrics service.

Thin routes: `require()` makes the coarse check (officials only); metrics decides on the figures
asked for (an auditor all, a titular their units and those under them, an official their own).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from signum.gateway.deps import ClientsDep, require
from signum.platform.http import content_disposition, current_correlation_id
from signum.platform.identity import Caller
from signum.platform.policy import Action

router = APIRouter(prefix="/api/v1", tags=["indicadores"])

_ID = r"^[A-Za-z0-9._:-]+$"


@router.get(
    "/indicadores",
    summary="Indicadores: volumen, tiempos por etapa (mediana y p90), vencidos, cumplimiento y ahorros",
)
async def indicadores(
    services: ClientsDep,
    periodo: Literal["dia", "mes"] = Query("mes", description="Agrupar por día o por mes."),
    desde: str | None = Query(None, max_length=10, description="AAAA-MM (meses) o AAAA-MM-DD (días)."),
    hasta: str | None = Query(None, max_length=10, description="AAAA-MM (meses) o AAAA-MM-DD (días)."),
    unidad_id: str | None = Query(
        None, max_length=64, pattern=_ID, description="Una unidad y las que dependen de ella."
    ),
    dependencia_id: str | None = Query(None, max_length=64, pattern=_ID),
    funcionario_id: str | None = Query(None, max_length=64, pattern=_ID),
    formato: Literal["json", "csv"] = Query(
        "json", description="«csv» descarga una fila por periodo y el total."
    ),
    caller: Caller = Depends(require(Action.INDICADORES_VER)),
) -> Any:
    params = {
        "periodo": periodo,
        "desde": desde,
        "hasta": hasta,
        "unidad_id": unidad_id,
        "dependencia_id": dependencia_id,
        "funcionario_id": funcionario_id,
    }
    sent = {k: v for k, v in params.items() if v is not None}
    if formato == "csv":
        body = await services.metrics.request(
            "GET",
            "/internal/indicadores/csv",
            caller=caller,
            correlation_id=current_correlation_id(),
            params=sent,
        )
        name = "indicadores-" + "-".join(str(v) for v in sent.values()) + ".csv"
        return Response(
            content=str(body["contenido"]).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": content_disposition(name)},
        )
    return await services.metrics.request(
        "GET", "/internal/indicadores", caller=caller, correlation_id=current_correlation_id(), params=sent
    )
