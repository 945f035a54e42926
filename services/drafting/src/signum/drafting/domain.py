"""Drafting's domain: the oficio draft and its rules. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from signum.contracts.envelope import uuid7
from signum.platform.errors import ValidationFailedError

OficioKind = Literal["oficio", "memorandum", "circular"]
Status = Literal["borrador"]
Confidencialidad = Literal["publica", "reservada", "confidencial"]
CollaboratorRole = Literal["editor", "revisor"]

ASUNTO_MAX = 500


@dataclass(frozen=True)
class Draft:
    """An oficio while it is being written."""

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

    @property
    def participantes(self) -> frozenset[str]:
        """Officials taking part in the draft: its author and collaborators."""
        return frozenset({self.author_id, *(official for official, _ in self.colaboradores)})


def new_draft(
    *,
    kind: OficioKind,
    asunto: str,
    office_id: str,
    author_id: str,
    colaboradores: tuple[tuple[str, CollaboratorRole], ...] = (),
    confidencialidad: Confidencialidad = "publica",
) -> Draft:
    """A new draft, with the asunto cleaned of surrounding and control whitespace."""
    cleaned = " ".join(asunto.split())
    if not cleaned:
        raise ValidationFailedError("El asunto no puede estar vacío.", code="asunto_empty")
    if len(cleaned) > ASUNTO_MAX:
        raise ValidationFailedError(
            f"El asunto no puede exceder {ASUNTO_MAX} caracteres.", code="asunto_too_long"
        )
    seen: set[str] = set()
    for official, _ in colaboradores:
        if official == author_id or official in seen:
            raise ValidationFailedError(
                "Un colaborador aparece más de una vez o es el autor.", code="collaborator_duplicated"
            )
        seen.add(official)
    return Draft(
        id=str(uuid7()),
        kind=kind,
        asunto=cleaned,
        office_id=office_id,
        author_id=author_id,
        colaboradores=colaboradores,
        confidencialidad=confidencialidad,
    )
