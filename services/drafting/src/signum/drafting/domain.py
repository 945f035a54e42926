"""Drafting's domain: the oficio draft, its content, its reviews and its rules. No I/O here."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from signum.contracts.envelope import uuid7
from signum.drafting.rendering.body import BodyDocument, ListBlock, Paragraph, Table, TextRun
from signum.drafting.rendering.content import (
    Address,
    Attachment,
    Folio,
    Initials,
    Name,
    OficioContent,
    Organization,
    Title,
)
from signum.drafting.templates.errors import ContentInvalidError, problems_from
from signum.drafting.templates.text import clean_line
from signum.platform.errors import ConflictError, ValidationFailedError
from signum.platform.text import NULL_NOT_ALLOWED_CODE, NULL_NOT_ALLOWED_MESSAGE, check_safe_text

OficioKind = Literal["oficio", "memorandum", "circular"]
# `firmado` and `enviado` follow signing's and routing's events (lifecycle.py); drafting never sets them.
Status = Literal["borrador", "en_revision", "listo_para_firma", "firmado", "enviado", "cancelado"]
Confidencialidad = Literal["publica", "reservada", "confidencial"]
Prioridad = Literal["ordinaria", "urgente"]
CollaboratorRole = Literal["editor", "revisor"]
ReviewState = Literal["pendiente", "visto_bueno", "cambios_solicitados"]
Verdict = Literal["visto_bueno", "cambios_solicitados"]

ASUNTO_MAX = 500
EDITABLE: frozenset[str] = frozenset({"borrador"})
CANCELLABLE: frozenset[str] = frozenset({"borrador", "en_revision", "listo_para_firma"})

DirectoryId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


RecipientKind = Literal["funcionario", "puesto", "unidad", "externo"]
# Empty for a directory recipient until the directory fills it (recipients.DirectoryResolver).
OptionalName = Annotated[str, StringConstraints(max_length=200), AfterValidator(clean_line)]
_EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def _email(value: str) -> str:
    value = value.strip()
    if value and not _EMAIL_RE.fullmatch(value):
        raise PydanticCustomError("email", "no es un correo electrónico válido (p. ej. nombre@dominio.mx).")
    return value


Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email)]


def _check_reference(tipo: str, id_: str | None, nombre: str) -> None:
    if tipo != "externo" and not id_:
        raise PydanticCustomError("directory_id", "un destinatario del directorio requiere su id.")
    if tipo == "externo" and id_:
        raise PydanticCustomError("external_id", "un destinatario externo no lleva id del directorio.")
    if tipo == "externo" and not nombre:
        raise PydanticCustomError("external_name", "un destinatario externo requiere su nombre.")


class Destinatario(_Model):
    """A recipient: someone of the directory (a person, a position, a whole office) or external.

    Directory recipients are kept by id; their name, title and dependencia come from the directory
    (filled on every save). External ones need a name and an organisation; the email is optional.
    """

    tipo: RecipientKind
    id: DirectoryId | None = Field(default=None, description="Id en el directorio (no para externos).")
    nombre: OptionalName = ""
    cargo: Title = ""
    organizacion: Organization = ""
    correo: Email = ""

    @model_validator(mode="after")
    def _reference(self) -> Destinatario:
        _check_reference(self.tipo, self.id, self.nombre)
        if self.tipo == "externo" and not self.organizacion:
            raise PydanticCustomError(
                "external_organization", "un destinatario externo requiere su organización o dependencia."
            )
        return self


class Copia(_Model):
    """A C.c.p. recipient (from the directory by id, or any name such as «Archivo»)."""

    tipo: RecipientKind = "externo"
    id: DirectoryId | None = None
    nombre: OptionalName = ""
    cargo: Title = ""

    @model_validator(mode="after")
    def _reference(self) -> Copia:
        _check_reference(self.tipo, self.id, self.nombre)
        return self


class Remitente(_Model):
    nombre: Name
    cargo: Title = ""
    dependencia: Organization = ""
    unidad: Organization = ""
    domicilio: Address = ""


class Ausente(_Model):
    nombre: Name
    cargo: Title = ""


class Firmante(_Model):
    """A signer, in the order they sign.

    An official of the directory is given by `funcionario_id`: their legal name (the one on their
    e.firma) and, when no other is given, their position's title come from the directory on every
    save. A signer outside the directory needs a name.
    """

    funcionario_id: DirectoryId | None = None
    nombre: OptionalName = ""
    cargo: Title = ""
    en_ausencia_de: Ausente | None = None

    @model_validator(mode="after")
    def _named(self) -> Firmante:
        if self.funcionario_id is None and not self.nombre:
            raise PydanticCustomError("signer_name", "un firmante fuera del directorio requiere su nombre.")
        return self


class Anexo(_Model):
    """An attachment kept by the storage service."""

    clave: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    nombre: Attachment
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    tamano: int | None = Field(default=None, ge=0)


class Referencia(_Model):
    """The oficio this one answers."""

    oficio_id: DirectoryId | None = None
    folio: Folio
    fecha: dt.date | None = None


class DraftContent(_Model):
    """What the oficio says, as the author is writing it (may be incomplete until finalized)."""

    remitente: Remitente | None = None
    destinatarios: list[Destinatario] = Field(default_factory=list, max_length=200)
    cuerpo: BodyDocument = Field(default_factory=BodyDocument)
    firmantes: list[Firmante] = Field(default_factory=list, max_length=12)
    ccp: list[Copia] = Field(default_factory=list, max_length=100)
    iniciales: Initials = ""
    anexos: list[Anexo] = Field(default_factory=list, max_length=100)
    referencia: Referencia | None = None

    @classmethod
    def parse(cls, data: Any) -> DraftContent:
        """The content from a dict; ContentInvalidError (Spanish) if it breaks a rule."""
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            raise ContentInvalidError(problems_from(exc)) from None
        except RecursionError:
            raise ContentInvalidError(
                [{"field": "cuerpo", "message": "cuerpo: está anidado demasiado profundo."}]
            ) from None


class Clasificacion(_Model):
    """Archival classification (cuadro general de clasificación archivística)."""

    fondo: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    seccion: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    serie: Annotated[str, StringConstraints(min_length=1, max_length=100)]


@dataclass(frozen=True)
class Review:
    """One reviewer's review of the draft."""

    revisor_id: str
    estado: ReviewState = "pendiente"
    version: int = 0  # the version the verdict applies to
    comentario: str = ""
    solicitada_en: datetime = field(default_factory=lambda: datetime.now(UTC))
    respondida_en: datetime | None = None


@dataclass(frozen=True)
class FolioAssignment:
    folio: str
    consecutivo: int
    anio: int


@dataclass(frozen=True)
class Draft:
    """An oficio while it is being written, reviewed and made ready to sign."""

    id: str
    kind: OficioKind
    asunto: str
    office_id: str
    author_id: str
    colaboradores: tuple[tuple[str, CollaboratorRole], ...] = ()
    confidencialidad: Confidencialidad = "publica"
    status: Status = "borrador"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    version: int = 1
    contenido: DraftContent = field(default_factory=DraftContent)
    prioridad: Prioridad = "ordinaria"
    fecha_limite_respuesta: dt.date | None = None
    clasificacion: Clasificacion | None = None
    en_respuesta_a: str | None = None
    plantilla_id: str = ""
    plantilla_version: int = 1
    revisiones: tuple[Review, ...] = ()
    rev: int = 1  # the stored document's revision when read: the repository writes only if it still is
    updated_at: datetime | None = None
    folio: FolioAssignment | None = None
    documento: dict[str, Any] | None = None
    finalizacion: dict[str, Any] | None = None

    @property
    def firmantes_ids(self) -> tuple[str, ...]:
        """The directory officials who will sign it, in signing order."""
        return tuple(f.funcionario_id for f in self.contenido.firmantes if f.funcionario_id)

    @property
    def participantes(self) -> frozenset[str]:
        """Officials taking part in the draft: its author, collaborators and signers."""
        return frozenset(
            {self.author_id, *(official for official, _ in self.colaboradores), *self.firmantes_ids}
        )

    @property
    def editores(self) -> frozenset[str]:
        return frozenset(o for o, role in self.colaboradores if role == "editor")

    @property
    def revisores(self) -> frozenset[str]:
        return frozenset(o for o, role in self.colaboradores if role == "revisor")

    def review_of(self, revisor_id: str) -> Review | None:
        return next((r for r in self.revisiones if r.revisor_id == revisor_id), None)

    @property
    def pending_reviewers(self) -> list[str]:
        """Reviewers whose visto bueno for the current version is missing.

        A review of someone who is no longer a reviewer stays in the history but is not awaited.
        """
        return sorted(r for r in self.revisores if not self._approved_by(r))

    def _approved_by(self, revisor_id: str) -> bool:
        review = self.review_of(revisor_id)
        return review is not None and review.estado == "visto_bueno" and review.version == self.version


def clean_asunto(asunto: str) -> str:
    cleaned = " ".join(check_safe_text(asunto, campo="asunto").split())
    if not cleaned:
        raise ValidationFailedError("El asunto no puede estar vacío.", code="asunto_empty")
    if len(cleaned) > ASUNTO_MAX:
        raise ValidationFailedError(
            f"El asunto no puede exceder {ASUNTO_MAX} caracteres.", code="asunto_too_long"
        )
    return cleaned


def check_collaborators(author_id: str, colaboradores: tuple[tuple[str, CollaboratorRole], ...]) -> None:
    seen: set[str] = set()
    for official, _ in colaboradores:
        if official == author_id or official in seen:
            raise ValidationFailedError(
                "Un colaborador aparece más de una vez o es el autor.", code="collaborator_duplicated"
            )
        seen.add(official)


def new_draft(
    *,
    kind: OficioKind,
    asunto: str,
    office_id: str,
    author_id: str,
    colaboradores: tuple[tuple[str, CollaboratorRole], ...] = (),
    confidencialidad: Confidencialidad = "publica",
    contenido: DraftContent | None = None,
    prioridad: Prioridad = "ordinaria",
    fecha_limite_respuesta: dt.date | None = None,
    clasificacion: Clasificacion | None = None,
    en_respuesta_a: str | None = None,
    plantilla_id: str = "",
    plantilla_version: int = 1,
) -> Draft:
    """A new draft, with the asunto cleaned of surrounding and control whitespace."""
    cleaned = clean_asunto(asunto)
    check_collaborators(author_id, colaboradores)
    return Draft(
        id=str(uuid7()),
        kind=kind,
        asunto=cleaned,
        office_id=office_id,
        author_id=author_id,
        colaboradores=colaboradores,
        confidencialidad=confidencialidad,
        contenido=contenido or DraftContent(),
        prioridad=prioridad,
        fecha_limite_respuesta=fecha_limite_respuesta,
        clasificacion=clasificacion,
        en_respuesta_a=en_respuesta_a,
        plantilla_id=plantilla_id,
        plantilla_version=plantilla_version,
    )


# --- errors of the lifecycle ------------------------------------------------------------------


class VersionConflictError(ConflictError):
    code = "version_conflict"
    message = (
        "Otra persona guardó cambios en este oficio mientras usted lo editaba. "
        "Recargue la última versión y vuelva a aplicar sus cambios."
    )


class StateConflictError(ConflictError):
    code = "invalid_state"


def not_editable(draft: Draft) -> StateConflictError:
    names = {
        "en_revision": "está en revisión; espere las revisiones o cancele la solicitud",
        "listo_para_firma": "ya está listo para firma",
        "firmado": "ya fue firmado",
        "enviado": "ya fue firmado y enviado",
        "cancelado": "fue cancelado",
    }
    reason = names.get(draft.status, f"está en estado {draft.status}")
    return StateConflictError(f"El oficio no se puede modificar porque {reason}.", code="oficio_not_editable")


# --- changes ------------------------------------------------------------------------------------


# What a save may change; null means "none" only for the last three (the others are left out to keep them).
SAVED_FIELDS = frozenset(
    {"kind", "asunto", "colaboradores", "confidencialidad", "contenido", "prioridad"}
    | {"fecha_limite_respuesta", "clasificacion", "en_respuesta_a"}
)
NULLABLE_FIELDS = frozenset({"fecha_limite_respuesta", "clasificacion", "en_respuesta_a"})
CHOICES: dict[str, tuple[str, ...]] = {
    "kind": get_args(OficioKind),
    "confidencialidad": get_args(Confidencialidad),
    "prioridad": get_args(Prioridad),
}


def apply_changes(draft: Draft, changes: dict[str, Any]) -> tuple[Draft, list[str]]:
    """The draft with `changes` applied (fields of a save), and the names of what changed."""
    if draft.status not in EDITABLE:
        raise not_editable(draft)
    updated = draft
    changed: list[str] = []
    for name, value in changes.items():
        if name not in SAVED_FIELDS:
            raise ValidationFailedError(f"El campo «{name}» no se puede guardar.", code="field_not_editable")
        if value is None and name not in NULLABLE_FIELDS:
            raise ValidationFailedError(
                NULL_NOT_ALLOWED_MESSAGE, code=NULL_NOT_ALLOWED_CODE, details={"campo": name}
            )
        if name in CHOICES and value not in CHOICES[name]:
            raise ValidationFailedError(
                f"El valor de «{name}» no es válido.", code="value_invalid", details={"campo": name}
            )
        if name == "asunto":
            value = clean_asunto(value)
        elif name == "colaboradores":
            value = tuple(value)
            check_collaborators(draft.author_id, value)
        elif name == "contenido" and not isinstance(value, DraftContent):
            value = DraftContent.parse(value)
        if getattr(updated, name) != value:
            updated = replace(updated, **{name: value})
            changed.append(name)
    # Reviews stay when roles change (history: who reviewed what, with which comment); only current
    # reviewers are awaited (Draft.pending_reviewers).
    return replace(updated, version=draft.version + 1), changed


def request_review(draft: Draft, revisores: list[str] | None) -> Draft:
    """The draft sent to review by `revisores` (by default, every reviewer collaborator)."""
    if draft.status != "borrador":
        raise StateConflictError(
            "Solo se puede solicitar revisión de un oficio en borrador.", code="review_not_allowed"
        )
    wanted = sorted(set(revisores)) if revisores else sorted(draft.revisores)
    if not wanted:
        raise ValidationFailedError(
            "El oficio no tiene revisores. Agregue colaboradores con rol de revisor.", code="no_reviewers"
        )
    unknown = [r for r in wanted if r not in draft.revisores]
    if unknown:
        raise ValidationFailedError(
            "Solo los colaboradores con rol de revisor pueden revisar el oficio.",
            code="reviewer_not_collaborator",
            details={"funcionarios": unknown},
        )
    # A new round keeps the history: a visto bueno of this very version stands, the others are asked
    # again, and the reviews of people not asked this time stay as they were.
    asked: dict[str, Review] = {}
    for r in wanted:
        previous = draft.review_of(r)
        kept = previous is not None and previous.estado == "visto_bueno" and previous.version == draft.version
        asked[r] = previous if kept and previous is not None else Review(revisor_id=r)
    reviews = tuple(asked.pop(r.revisor_id, r) for r in draft.revisiones) + tuple(asked.values())
    return replace(draft, status="en_revision", revisiones=reviews)


def give_verdict(draft: Draft, revisor_id: str, verdict: Verdict, comentario: str, version: int) -> Draft:
    """The draft after `revisor_id` reviewed `version`: changes asked send it back to borrador."""
    if draft.status != "en_revision":
        raise StateConflictError("El oficio no está en revisión.", code="not_in_review")
    review = draft.review_of(revisor_id)
    if review is None:
        raise StateConflictError("No se le solicitó revisar este oficio.", code="review_not_requested")
    if version != draft.version:
        raise VersionConflictError(
            f"Revisó la versión {version}, pero la vigente es la {draft.version}. Revise la versión vigente."
        )
    now = datetime.now(UTC)
    reviews = tuple(
        replace(r, estado=verdict, version=version, comentario=comentario, respondida_en=now)
        if r.revisor_id == revisor_id
        else r
        for r in draft.revisiones
    )
    status: Status = "borrador" if verdict == "cambios_solicitados" else "en_revision"
    return replace(draft, revisiones=reviews, status=status)


def check_ready_to_finalize(draft: Draft) -> None:
    """Refuse (Spanish, stable code) unless every required review gave visto bueno."""
    if draft.status in ("listo_para_firma", "firmado", "enviado", "cancelado"):
        raise StateConflictError("El oficio ya fue finalizado o cancelado.", code="oficio_not_finalizable")
    if any(draft.review_of(r) is None for r in draft.revisores):
        raise StateConflictError(
            "El oficio tiene revisores a quienes aún no se ha solicitado su revisión.",
            code="reviews_pending",
            details={"revisores_pendientes": draft.pending_reviewers},
        )
    pending = draft.pending_reviewers
    if pending:
        raise StateConflictError(
            "No se puede finalizar: faltan revisiones con visto bueno de la versión vigente.",
            code="reviews_pending",
            details={"revisores_pendientes": pending},
        )


def cancel(draft: Draft) -> Draft:
    if draft.status not in CANCELLABLE:
        raise StateConflictError("El oficio ya no se puede cancelar.", code="oficio_not_cancellable")
    return replace(draft, status="cancelado")


# --- folio ------------------------------------------------------------------------------------

FOLIO_FIELDS = {"prefijo", "consecutivo", "anio", "unidad"}


def format_folio(fmt: str, *, prefijo: str, consecutivo: int, anio: int, unidad: str) -> str:
    """The folio from the configured format, e.g. `{prefijo}/{consecutivo:04d}/{anio}`."""
    return fmt.format(prefijo=prefijo, consecutivo=consecutivo, anio=anio, unidad=unidad)


def check_folio_format(fmt: str) -> str:
    names = {m.group(1) for m in re.finditer(r"{(\w+)(?:[:!][^}]*)?}", fmt)}
    if "consecutivo" not in names or not names <= FOLIO_FIELDS:
        raise ValueError(f"folio format must use {{consecutivo}} and only {sorted(FOLIO_FIELDS)}: {fmt!r}")
    format_folio(fmt, prefijo="X", consecutivo=1, anio=2026, unidad="X")
    return fmt


# --- what is rendered ---

# What a person calls each part of the oficio, with its article (and whether it is plural).
PART_NAMES: dict[str, tuple[str, bool]] = {
    "remitente": ("el remitente", False),
    "destinatarios": ("los destinatarios", True),
    "firmantes": ("los firmantes", True),
    "cuerpo": ("el cuerpo del oficio", False),
}


def missing_sentence(parts: list[str]) -> str:
    """«Faltan el remitente y los firmantes.»: the missing parts in a Spanish sentence."""
    words = [PART_NAMES.get(p, (p, False))[0] for p in parts]
    plural = len(parts) > 1 or PART_NAMES.get(parts[0], ("", False))[1]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " y " + words[-1]
    return f"{'Faltan' if plural else 'Falta'} {listed}."


def render_content(draft: Draft, *, folio: str, fecha: dt.date) -> OficioContent:
    """The renderer's content of the draft, with the folio and the date; Spanish errors if incomplete."""
    c = draft.contenido
    missing = []
    if c.remitente is None:
        missing.append("remitente")
    if not c.destinatarios:
        missing.append("destinatarios")
    if not c.firmantes:
        missing.append("firmantes")
    if not c.cuerpo.blocks:
        missing.append("cuerpo")
    if missing:
        raise ValidationFailedError(
            f"El oficio está incompleto. {missing_sentence(missing)}",
            code="oficio_incomplete",
            details={"faltan": missing},
        )
    assert c.remitente is not None
    return OficioContent.parse(
        {
            "folio": folio,
            "date": fecha,
            "subject": draft.asunto,
            "sender": {
                "name": c.remitente.nombre,
                "title": c.remitente.cargo,
                "organization": c.remitente.dependencia,
                "unit": c.remitente.unidad,
                "address": c.remitente.domicilio,
            },
            "recipients": [
                {"name": d.nombre, "title": d.cargo, "organization": d.organizacion} for d in c.destinatarios
            ],
            "body": c.cuerpo,
            "signers": [
                {
                    "name": f.nombre,
                    "title": f.cargo,
                    "on_behalf_of": None
                    if f.en_ausencia_de is None
                    else {"name": f.en_ausencia_de.nombre, "title": f.en_ausencia_de.cargo},
                }
                for f in c.firmantes
            ],
            "ccp": [{"name": x.nombre, "title": x.cargo} for x in c.ccp],
            "initials": c.iniciales,
            "attachments": [a.nombre for a in c.anexos],
            "reference": None
            if c.referencia is None
            else {"folio": c.referencia.folio, "date": c.referencia.fecha},
        }
    )


# --- word-level diff --------------------------------------------------------------------------

_TOKEN = re.compile(r"\s+|[^\s]+")


def _inline_text(inlines: list[Any]) -> str:
    return "".join(i.text if isinstance(i, TextRun) else "\n" for i in inlines)


def _body_lines(blocks: list[Any]) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield _inline_text(block.children)
        elif isinstance(block, ListBlock):
            for item in block.items:
                yield from _body_lines(item)
        elif isinstance(block, Table):
            for row in block.rows:
                yield " | ".join(_inline_text(cell) for cell in row)


def comparable_blocks(snapshot: dict[str, Any]) -> dict[str, str]:
    """The plain text of each part of a version snapshot, by block name (what a diff compares)."""
    content = DraftContent.model_validate(snapshot.get("contenido") or {})
    remitente = content.remitente
    return {
        "asunto": snapshot.get("asunto", ""),
        "remitente": "" if remitente is None else f"{remitente.nombre}, {remitente.cargo}",
        "destinatarios": "\n".join(
            ", ".join(p for p in (d.nombre, d.cargo, d.organizacion) if p) for d in content.destinatarios
        ),
        "cuerpo": "\n\n".join(_body_lines(content.cuerpo.blocks)),
        "firmantes": "\n".join(f"{f.nombre}, {f.cargo}" for f in content.firmantes),
        "ccp": "\n".join(f"{c.nombre}, {c.cargo}" for c in content.ccp),
        "iniciales": content.iniciales,
        "anexos": "\n".join(a.nombre for a in content.anexos),
        "referencia": "" if content.referencia is None else content.referencia.folio,
    }


def word_diff(old: str, new: str) -> list[dict[str, str]]:
    """Spans `{op: equal|insert|delete, text}` that turn `old` into `new`, word by word."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    spans: list[dict[str, str]] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if spans and spans[-1]["op"] == op:
            spans[-1]["text"] += text
        else:
            spans.append({"op": op, "text": text})

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            add("equal", "".join(a[i1:i2]))
        else:
            add("delete", "".join(a[i1:i2]))
            add("insert", "".join(b[j1:j2]))
    return spans


def diff_versions(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Per block, the word diff between two version snapshots (unchanged blocks are marked so)."""
    a, b = comparable_blocks(old), comparable_blocks(new)
    return [
        {"bloque": name, "cambio": a[name] != b[name], "fragmentos": word_diff(a[name], b[name])}
        for name in a
    ]
