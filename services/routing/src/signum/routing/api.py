"""Routing's internal HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from signum.platform.http import InternalGuard, caller_from_request
from signum.routing.service import RoutingService


class TimelineEntry(BaseModel):
    event_id: str
    type: str
    at: datetime
    actor: dict[str, Any]


class TrackingResponse(BaseModel):
    oficio_id: str
    status: str
    office_id: str
    timeline: list[TimelineEntry]


def router(service: RoutingService, guard: InternalGuard) -> APIRouter:
    api = APIRouter(prefix="/internal", dependencies=[Depends(guard)], tags=["seguimiento"])

    @api.get("/oficios/{oficio_id}/tracking", response_model=TrackingResponse)
    async def tracking(oficio_id: str, request: Request) -> TrackingResponse:
        doc = await service.tracking(caller_from_request(request), oficio_id)
        return TrackingResponse(
            oficio_id=doc["_id"], status=doc["status"], office_id=doc["office_id"], timeline=doc["timeline"]
        )

    return api
