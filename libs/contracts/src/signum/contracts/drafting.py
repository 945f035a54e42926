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


OficioStatus = Literal["borrador", "en_revision", "listo_para_firma", "cancelado"]


class OficioUpdatedPayload(EventModel):
    """What changed when a draft was saved as a new version."""

    version: int = Field(ge=1, description="Version number the save produced.")
    asunto: str = Field(min_length=1, max_length=500, description="Subject line after the save.")
    campos: list[str] = Field(
        default_factory=list, max_length=50, description="Top-level fields the save changed."
    )
    participantes: list[str] = Field(
        default_factory=list, max_length=200, description="Author and collaborators after the save."
    )
    confidencialidad: Literal["publica", "reservada", "confidencial"] = "publica"
    status: OficioStatus = Field(default="borrador", description="State after the save.")


class OficioUpdated(Event):
    """A draft was saved: a new version of its content or of its collaborators.

    Produced by drafting on every save (the only way its participants or confidentiality change).
    Consumed by routing (timeline, inboxes, access), storage (access, audit log) and metrics. Routing
    and storage keep the participants and confidentiality of the highest `payload.version` they have
    seen.
    """

    topic: ClassVar[Topic] = Topic.DRAFTING

    type: Literal["oficio.updated"] = "oficio.updated"
    version: Literal[1] = 1
    producer: str = "drafting"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: OficioUpdatedPayload


class OficioReviewRequestedPayload(EventModel):
    """Who is asked to review which version."""

    revisores: list[str] = Field(min_length=1, max_length=50, description="Officials asked to review.")
    version: int = Field(ge=1, description="Version of the draft to review.")


class OficioReviewRequested(Event):
    """The draft was sent to review (state `en_revision`).

    Produced by drafting. Consumed by routing (the reviewers' inboxes), storage (audit log) and
    metrics (review times).
    """

    topic: ClassVar[Topic] = Topic.DRAFTING

    type: Literal["oficio.review_requested"] = "oficio.review_requested"
    version: Literal[1] = 1
    producer: str = "drafting"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: OficioReviewRequestedPayload


class OficioReviewedPayload(EventModel):
    """One reviewer's verdict on one version."""

    revisor_id: str = Field(min_length=1, max_length=128)
    resultado: Literal["visto_bueno", "cambios_solicitados"]
    version: int = Field(ge=1, description="Version the verdict applies to.")
    comentario: str = Field(default="", max_length=2000)
    status: OficioStatus = Field(description="State of the oficio after the verdict.")
    pendientes: list[str] = Field(
        default_factory=list, max_length=50, description="Reviewers who have not answered yet."
    )


class OficioReviewed(Event):
    """A reviewer gave *visto bueno* or asked for changes (the draft goes back to `borrador`).

    Produced by drafting. Consumed by routing (the author's inbox), storage (audit log) and metrics
    (review times).
    """

    topic: ClassVar[Topic] = Topic.DRAFTING

    type: Literal["oficio.reviewed"] = "oficio.reviewed"
    version: Literal[1] = 1
    producer: str = "drafting"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: OficioReviewedPayload


class StoredObject(EventModel):
    """An object kept by the storage service."""

    bucket: str = Field(min_length=1, max_length=64, description="drafts, documents or attachments.")
    clave: str = Field(min_length=1, max_length=1024, description="Object key.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the bytes, hex.")
    tamano: int = Field(ge=0, description="Size in bytes.")


class SignerSlot(EventModel):
    """One signer, in signing order, with the signature field reserved for them in the PDF."""

    orden: int = Field(ge=1, description="1 signs first.")
    funcionario_id: str | None = Field(default=None, max_length=128, description="Directory id.")
    nombre: str = Field(min_length=1, max_length=300)
    cargo: str = Field(default="", max_length=300)
    en_ausencia_de: str | None = Field(
        default=None, max_length=300, description="The absent official a stand-in signs for."
    )
    campo: str = Field(min_length=1, max_length=64, description="Signature field name in the PDF.")
    pagina: int = Field(ge=1, description="Page of the signature field.")


class Addressee(EventModel):
    """Someone the signed oficio goes to: from the directory (by id) or external (by name and email)."""

    tipo: Literal["funcionario", "puesto", "unidad", "externo"]
    id: str | None = Field(default=None, max_length=64, description="Directory id; none for externals.")
    nombre: str = Field(default="", max_length=200)
    correo: str = Field(default="", max_length=320, description="Where an external one gets it, if known.")


class OficioFinalizedPayload(EventModel):
    """The oficio as it goes to signature: folio, final PDF/A and signers in order."""

    folio: str = Field(min_length=1, max_length=100, description="e.g. `SIGA/DGTI/0123/2026`.")
    consecutivo: int = Field(ge=1, description="Consecutive of the unit in the year.")
    anio: int = Field(ge=2000, le=9999)
    unidad_id: str = Field(min_length=1, max_length=64)
    kind: OficioKind
    asunto: str = Field(min_length=1, max_length=500)
    plantilla_id: str = Field(min_length=1, max_length=100)
    plantilla_version: int = Field(ge=1)
    version: int = Field(ge=1, description="Draft version that was finalized.")
    documento: StoredObject = Field(description="The unsigned PDF/A-2b.")
    paginas: int = Field(ge=1)
    firmantes: list[SignerSlot] = Field(min_length=1, max_length=12)
    destinatarios: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="Directory ids of recipients (people, positions, units).",
    )
    prioridad: Literal["ordinaria", "urgente"] = "ordinaria"
    confidencialidad: Literal["publica", "reservada", "confidencial"] = "publica"
    fecha_limite_respuesta: str | None = Field(default=None, description="ISO date, if any.")
    en_respuesta_a: str | None = Field(default=None, max_length=64, description="Oficio answered.")
    para: list[Addressee] | None = Field(
        default=None,
        max_length=200,
        description="Recipients as written, externals included (absent: only `destinatarios` is known).",
    )
    ccp: list[Addressee] | None = Field(
        default=None, max_length=200, description="Copies (C.c.p.) that are delivered or emailed."
    )


class OficioFinalized(Event):
    """The draft is ready to sign (state `listo_para_firma`): folio assigned, final PDF/A stored.

    Produced by drafting. Consumed by signing (what to sign, by whom, in which order), routing
    (timeline; the recipients and copies it delivers to once signed), storage (audit log) and metrics.
    """

    topic: ClassVar[Topic] = Topic.DRAFTING

    type: Literal["oficio.finalized"] = "oficio.finalized"
    version: Literal[1] = 1
    producer: str = "drafting"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: OficioFinalizedPayload


class OficioCancelledPayload(EventModel):
    motivo: str = Field(default="", max_length=2000)
    status_anterior: OficioStatus
    folio: str | None = Field(default=None, max_length=100, description="Stays used, never reassigned.")


class OficioCancelled(Event):
    """The oficio was cancelled before being sent (state `cancelado`).

    Produced by drafting. Consumed by routing, signing (drop pending signatures), storage (audit log)
    and metrics.
    """

    topic: ClassVar[Topic] = Topic.DRAFTING

    type: Literal["oficio.cancelled"] = "oficio.cancelled"
    version: Literal[1] = 1
    producer: str = "drafting"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: OficioCancelledPayload


DRAFTING_EVENTS: tuple[type[Event], ...] = (
    OficioCreated,
    OficioUpdated,
    OficioReviewRequested,
    OficioReviewed,
    OficioFinalized,
    OficioCancelled,
)
