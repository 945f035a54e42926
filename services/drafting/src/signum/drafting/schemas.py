"""HTTP schemas of drafting's internal API (not the wire contracts, not the Mongo documents)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from signum.drafting.domain import (
    Clasificacion,
    CollaboratorRole,
    Confidencialidad,
    Draft,
    OficioKind,
    Prioridad,
    Verdict,
)
from signum.drafting.service import permissions_of
from signum.platform.identity import Caller
from signum.platform.text import SafeText, refuse_null


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Collaborator(_Request):
    funcionario_id: str = Field(min_length=1, max_length=64)
    rol: CollaboratorRole


class CreateDraftRequest(_Request):
    kind: OficioKind = "oficio"
    asunto: SafeText = Field(min_length=1, max_length=2000)
    office_id: str = Field(min_length=1, max_length=64)
    colaboradores: list[Collaborator] = Field(default_factory=list, max_length=50)
    confidencialidad: Confidencialidad = "publica"
    contenido: dict[str, Any] | None = Field(
        default=None, description="DraftContent (validated by the domain)."
    )
    prioridad: Prioridad = "ordinaria"
    fecha_limite_respuesta: dt.date | None = None
    clasificacion: Clasificacion | None = None
    en_respuesta_a: str | None = Field(default=None, max_length=64)
    plantilla_id: str | None = Field(default=None, max_length=100)
    plantilla_version: int | None = Field(default=None, ge=1)


class UpdateDraftRequest(_Request):
    """A save: only the fields given change. `version` is the version the editor started from."""

    version: int | None = Field(default=None, ge=1, description="Or the If-Match header.")
    kind: OficioKind | None = None
    asunto: SafeText | None = Field(default=None, min_length=1, max_length=2000)
    colaboradores: list[Collaborator] | None = Field(default=None, max_length=50)
    confidencialidad: Confidencialidad | None = None
    contenido: dict[str, Any] | None = None
    prioridad: Prioridad | None = None
    fecha_limite_respuesta: dt.date | None = None
    clasificacion: Clasificacion | None = None
    en_respuesta_a: str | None = Field(default=None, max_length=64)

    # Left out: unchanged. Null: only where it means "none" (the dates, classification, reply-to).
    _not_null = field_validator(
        "kind", "asunto", "colaboradores", "confidencialidad", "contenido", "prioridad", mode="before"
    )(refuse_null)

    def changes(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.model_fields_set if name != "version"}
        if "colaboradores" in data:
            data["colaboradores"] = tuple((c.funcionario_id, c.rol) for c in self.colaboradores or [])
        return data


class UnsavedRequest(_Request):
    """Text not saved yet (what the editor holds): previewed or compared, never stored."""

    asunto: SafeText | None = Field(default=None, max_length=2000)
    contenido: dict[str, Any] | None = None


class UnsavedDiffRequest(UnsavedRequest):
    desde: int = Field(ge=1, description="La versión guardada con la que se compara.")


class ReviewRequest(_Request):
    revisores: list[str] | None = Field(default=None, max_length=50)


class VerdictRequest(_Request):
    resultado: Verdict
    version: int = Field(ge=1, description="Versión revisada.")
    comentario: SafeText = Field(default="", max_length=2000)


class CancelRequest(_Request):
    motivo: SafeText = Field(default="", max_length=2000)


class Anchor(_Request):
    """Where a comment points: a block, optionally a character range of its text in a version."""

    bloque: str = Field(min_length=1, max_length=40, description="asunto, cuerpo, destinatarios, ...")
    inicio: int | None = Field(default=None, ge=0)
    fin: int | None = Field(default=None, ge=0)
    texto_citado: SafeText = Field(default="", max_length=2000)
    version: int | None = Field(default=None, ge=1)


class CommentRequest(_Request):
    texto: SafeText = Field(min_length=1, max_length=5000)
    ancla: Anchor


class ReplyRequest(_Request):
    texto: SafeText = Field(min_length=1, max_length=5000)


class ResolveRequest(_Request):
    resuelto: bool = True


class TemplateUpdateRequest(_Request):
    version: int = Field(ge=1, description="La versión a partir de la que se editó.")
    plantilla: dict[str, Any]


class Binary(BaseModel):
    """Bytes carried in JSON between services (previews)."""

    media_type: str
    contenido: str = Field(description="base64")


class ReviewView(BaseModel):
    revisor_id: str
    estado: str
    version: int
    comentario: str
    solicitada_en: datetime
    respondida_en: datetime | None


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
    contenido: dict[str, Any]
    prioridad: Prioridad
    fecha_limite_respuesta: dt.date | None
    clasificacion: Clasificacion | None
    en_respuesta_a: str | None
    plantilla_id: str
    plantilla_version: int
    revisiones: list[ReviewView]
    revisores_pendientes: list[str]
    folio: str | None
    documento: dict[str, Any] | None
    permisos: dict[str, bool] = Field(
        default_factory=dict, description="Lo que quien consulta puede hacer ahora con el oficio."
    )

    @classmethod
    def of(cls, draft: Draft, caller: Caller | None = None) -> DraftResponse:
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
            contenido=draft.contenido.model_dump(mode="json"),
            prioridad=draft.prioridad,
            fecha_limite_respuesta=draft.fecha_limite_respuesta,
            clasificacion=draft.clasificacion,
            en_respuesta_a=draft.en_respuesta_a,
            plantilla_id=draft.plantilla_id,
            plantilla_version=draft.plantilla_version,
            revisiones=[
                ReviewView(
                    revisor_id=r.revisor_id,
                    estado=r.estado,
                    version=r.version,
                    comentario=r.comentario,
                    solicitada_en=r.solicitada_en,
                    respondida_en=r.respondida_en,
                )
                for r in draft.revisiones
            ],
            revisores_pendientes=draft.pending_reviewers,
            folio=draft.folio.folio if draft.folio else None,
            documento=draft.documento,
            permisos={} if caller is None else permissions_of(caller, draft),
        )
