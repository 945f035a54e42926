"""Schemas of the public REST API (`/api/v1`)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from signum.platform.text import SafeText, refuse_null


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
    asunto: SafeText = Field(min_length=1, max_length=500, description="Asunto del oficio.")
    unidad_id: str | None = Field(
        default=None, max_length=64, description="Unidad que emite; por omisión, la de quien lo crea."
    )
    colaboradores: list[Colaborador] = Field(default_factory=list, max_length=50)
    confidencialidad: Literal["publica", "reservada", "confidencial"] = "publica"
    plantilla_id: str | None = Field(
        default=None, max_length=100, description="Plantilla vigente (por omisión, la homologada)."
    )


class TimelineEntry(BaseModel):
    event_id: str
    type: str
    at: datetime
    actor: dict[str, Any]


class Tracking(BaseModel):
    status: str
    timeline: list[TimelineEntry]


class Clasificacion(BaseModel):
    """Clasificación archivística (cuadro general de clasificación archivística)."""

    model_config = ConfigDict(extra="forbid")

    fondo: str = Field(min_length=1, max_length=100)
    seccion: str = Field(min_length=1, max_length=100)
    serie: str = Field(min_length=1, max_length=100)


Kind = Literal["oficio", "memorandum", "circular"]
Confidencialidad = Literal["publica", "reservada", "confidencial"]
Prioridad = Literal["ordinaria", "urgente"]


class UnsavedOficio(BaseModel):
    """Texto aún no guardado (el del editor): se compara o se previsualiza, nunca se guarda."""

    model_config = ConfigDict(extra="forbid")

    asunto: SafeText | None = Field(default=None, max_length=500)
    contenido: dict[str, Any] | None = None


class UnsavedDiffRequest(UnsavedOficio):
    desde: int = Field(ge=1, description="La versión guardada con la que se compara.")


class UpdateOficioRequest(BaseModel):
    """Guardar el borrador: solo cambian los campos que se envían.

    `version` es la versión a partir de la que se editó (o el encabezado `If-Match`); si otra
    persona guardó después, la respuesta es 409 `version_conflict`.
    """

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1, description="O el encabezado If-Match.")
    kind: Kind | None = None
    asunto: SafeText | None = Field(default=None, min_length=1, max_length=500)
    colaboradores: list[Colaborador] | None = Field(default=None, max_length=50)
    confidencialidad: Confidencialidad | None = None
    contenido: dict[str, Any] | None = Field(
        default=None,
        description="Remitente, destinatarios, cuerpo, firmantes, ccp, iniciales, anexos, referencia.",
    )
    prioridad: Prioridad | None = None
    fecha_limite_respuesta: dt.date | None = None
    clasificacion: Clasificacion | None = None
    en_respuesta_a: str | None = Field(default=None, max_length=64)

    # Left out: unchanged. Null: only where it means "none" (the dates, classification, reply-to).
    _not_null = field_validator(
        "kind", "asunto", "colaboradores", "confidencialidad", "contenido", "prioridad", mode="before"
    )(refuse_null)


class ReviewRequest(BaseModel):
    """Solicitar revisión (por omisión, a todos los colaboradores con rol de revisor)."""

    model_config = ConfigDict(extra="forbid")

    revisores: list[str] | None = Field(default=None, max_length=50)


class VerdictRequest(BaseModel):
    """El dictamen de quien revisa una versión."""

    model_config = ConfigDict(extra="forbid")

    resultado: Literal["visto_bueno", "cambios_solicitados"]
    version: int = Field(ge=1, description="Versión revisada.")
    comentario: SafeText = Field(default="", max_length=2000)


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    motivo: SafeText = Field(default="", max_length=2000)


class Ancla(BaseModel):
    """A qué apunta un comentario: un bloque y, opcionalmente, un rango de su texto en una versión."""

    model_config = ConfigDict(extra="forbid")

    bloque: str = Field(min_length=1, max_length=40, description="asunto, cuerpo, destinatarios, ...")
    inicio: int | None = Field(default=None, ge=0)
    fin: int | None = Field(default=None, ge=0)
    texto_citado: SafeText = Field(default="", max_length=2000)
    version: int | None = Field(default=None, ge=1)


class CommentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texto: SafeText = Field(min_length=1, max_length=5000)
    ancla: Ancla


class ReplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texto: SafeText = Field(min_length=1, max_length=5000)


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resuelto: bool = True


class TemplateUpdateRequest(BaseModel):
    """Una nueva versión de la plantilla, hecha a partir de `version` (409 si ya no es la última)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="La versión a partir de la que se editó.")
    plantilla: dict[str, Any]


class Fragmento(BaseModel):
    op: Literal["equal", "insert", "delete"]
    text: str


class BloqueDiferencias(BaseModel):
    bloque: str
    cambio: bool
    fragmentos: list[Fragmento]


class DiffResponse(BaseModel):
    """Diferencias palabra por palabra entre dos versiones, por bloque."""

    desde: int
    hasta: int | None = Field(default=None, description="null: el texto aún no guardado.")
    bloques: list[BloqueDiferencias]


class Revision(BaseModel):
    revisor_id: str
    estado: str
    version: int
    comentario: str
    solicitada_en: datetime
    respondida_en: datetime | None


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
    contenido: dict[str, Any] = Field(default_factory=dict)
    prioridad: str = "ordinaria"
    fecha_limite_respuesta: dt.date | None = None
    clasificacion: Clasificacion | None = None
    en_respuesta_a: str | None = None
    plantilla_id: str = ""
    plantilla_version: int = 1
    revisiones: list[Revision] = Field(default_factory=list)
    revisores_pendientes: list[str] = Field(default_factory=list)
    folio: str | None = Field(default=None, description="Asignado al finalizar.")
    documento: dict[str, Any] | None = Field(default=None, description="El PDF final (al finalizar).")
    seguimiento: Tracking | None = Field(
        default=None, description="Lo que el servicio de turnado sabe del oficio (null si aún no llega)."
    )
    permisos: dict[str, bool] = Field(
        default_factory=dict,
        description="Lo que quien consulta puede hacer ahora con el oficio (editar, solicitar_revision, "
        "comentar, revisar, finalizar, cancelar, cambiar_colaboradores), según la política y el estado.",
    )
