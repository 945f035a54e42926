"""Metrics' internal HTTP API (thin: the gateway calls it with the caller; rules live in service.py)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from signum.metrics.service import Consulta, MetricsService
from signum.platform.http import InternalGuard, caller_from_request


def router(service: MetricsService, guard: InternalGuard) -> APIRouter:
    api = APIRouter(prefix="/internal", dependencies=[Depends(guard)], tags=["indicadores"])

    def consulta(
        periodo: Literal["dia", "mes"] = "mes",
        desde: str | None = Query(None, max_length=10),
        hasta: str | None = Query(None, max_length=10),
        unidad_id: str | None = Query(None, min_length=1, max_length=64),
        dependencia_id: str | None = Query(None, min_length=1, max_length=64),
        funcionario_id: str | None = Query(None, min_length=1, max_length=64),
    ) -> Consulta:
        return Consulta(periodo, desde, hasta, unidad_id, dependencia_id, funcionario_id)

    @api.get("/indicadores")
    async def indicadores(request: Request, q: Consulta = Depends(consulta)) -> dict[str, Any]:
        return await service.indicadores(caller_from_request(request), q)

    @api.get("/indicadores/csv")
    async def indicadores_csv(request: Request, q: Consulta = Depends(consulta)) -> dict[str, str]:
        # JSON around the text: internal clients speak JSON; the gateway serves it as text/csv.
        return {"contenido": await service.indicadores_csv(caller_from_request(request), q)}

    return api
