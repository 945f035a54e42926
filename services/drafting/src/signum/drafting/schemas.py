"""HTTP schemas of drafting's internal API (not the wire contracts, not the Mongo documents)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from signum.drafting.domain import CollaboratorRole, Confidencialidad, Draft, OficioKind


class Collaborator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    funcionario_id: str = Field(min_length=1, max_length=64)
    rol: CollaboratorRole


class CreateDraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: OficioKind = "oficio"
    asunto: str = Field(min_length=1, max_length=2000)
    office_id: str = Field(min_length=1, max_length=64)
    colaboradores: list[Collaborator] = Field(default_factory=list, max_length=50)
    confidencialidad: Confidencialidad = "publica"


class DraftResponse(BaseModel):
    id: str
    kind: OficioKind
    asunto: str
    office_id: str
    author_id: str
    colaboradores: list[Collaborator]
    participantes: list[str]
    confidencialidad: Confidencialidad
    status: str
    created_at: datetime
    version: int

    @classmethod
    def of(cls, draft: Draft) -> DraftResponse:
        return cls(
            id=draft.id,
            kind=draft.kind,
            asunto=draft.asunto,
            office_id=draft.office_id,
            author_id=draft.author_id,
            colaboradores=[Collaborator(funcionario_id=o, rol=r) for o, r in draft.colaboradores],
            participantes=sorted(draft.participantes),
            confidencialidad=draft.confidencialidad,
            status=draft.status,
            created_at=draft.created_at,
            version=draft.version,
        )
