"""Events of the drafting service (topic `signum.drafting`)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from signum.contracts.envelope import Event, EventModel
from signum.contracts.topics import Topic

OficioKind = Literal["oficio", "memorandum", "circular"]


class OficioCreatedPayload(EventModel):
    """What is known of an oficio when its draft is created."""

    kind: OficioKind = Field(description="oficio, memorándum (internal) or circular (to many).")
    asunto: str = Field(min_length=1, max_length=500, description="Subject line as the author wrote it.")
    office_id: str = Field(min_length=1, max_length=64, description="Office that drafts the oficio.")
    author_id: str = Field(min_length=1, max_length=128, description="Official who created the draft.")
    participantes: list[str] = Field(
        default_factory=list, max_length=200, description="Author and collaborators (official ids)."
    )
    confidencialidad: Literal["publica", "reservada", "confidencial"] = "publica"


class OficioCreated(Event):
    """A draft oficio was created (state `borrador`).

    Produced by drafting. Consumed by routing (tracks the oficio for the author's inbox), storage
    (audit log) and metrics (creation time, the start of every duration).
    """

    topic: ClassVar[Topic] = Topic.DRAFTING

    type: Literal["oficio.created"] = "oficio.created"
    version: Literal[1] = 1
    producer: str = "drafting"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: OficioCreatedPayload
