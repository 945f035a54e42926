"""Schemas of the public REST API (`/api/v1`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Colaborador(BaseModel):
    model_config = ConfigDict(extra="forbid")

    funcionario_id: str = Field(min_length=1, max_length=64)
    rol: Literal["editor", "revisor"]


class CreateOficioRequest(BaseModel):
    """A new draft oficio."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["oficio", "memorandum", "circular"] = Field(
        default="oficio", description="oficio, memorándum (interno) o circular."
    )
    asunto: str = Field(min_length=1, max_length=500, description="Asunto del oficio.")
    unidad_id: str | None = Field(
        default=None, max_length=64, description="Unidad que emite; por omisión, la de quien lo crea."
    )
    colaboradores: list[Colaborador] = Field(default_factory=list, max_length=50)
    confidencialidad: Literal["publica", "reservada", "confidencial"] = "publica"


class TimelineEntry(BaseModel):
    event_id: str
    type: str
    at: datetime
    actor: dict[str, Any]


class Tracking(BaseModel):
    status: str
    timeline: list[TimelineEntry]


class OficioResponse(BaseModel):
    """An oficio as the public API shows it."""

    id: str
    kind: str
    asunto: str
    office_id: str
    author_id: str
    colaboradores: list[Colaborador]
    participantes: list[str]
    confidencialidad: str
    status: str
    created_at: datetime
    version: int
    seguimiento: Tracking | None = Field(
        default=None, description="Lo que el servicio de turnado sabe del oficio (null si aún no llega)."
    )
