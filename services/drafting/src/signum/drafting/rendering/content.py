"""What one oficio says: the data a template is filled with.

Every text is checked (control characters refused, whitespace collapsed) and bounded; the body is a
BodyDocument. Build it with `OficioContent.parse(data)` to get Spanish errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from signum.drafting.rendering.body import BodyDocument
from signum.drafting.templates.errors import ContentInvalidError, problems_from
from signum.drafting.templates.text import clean_line

# Length is checked before cleaning (so a 100 KB value is refused before any work on it) and
# emptiness after it (so "   " counts as empty).
_CLEAN = AfterValidator(clean_line)
_NOT_EMPTY = StringConstraints(min_length=1)
Name = Annotated[str, StringConstraints(max_length=200), _CLEAN, _NOT_EMPTY]
Title = Annotated[str, StringConstraints(max_length=300), _CLEAN]
Organization = Annotated[str, StringConstraints(max_length=300), _CLEAN]
Address = Annotated[str, StringConstraints(max_length=400), _CLEAN]
Folio = Annotated[str, StringConstraints(max_length=100), _CLEAN, _NOT_EMPTY]
Subject = Annotated[str, StringConstraints(max_length=500), _CLEAN, _NOT_EMPTY]
Initials = Annotated[str, StringConstraints(max_length=60), _CLEAN]
Attachment = Annotated[str, StringConstraints(max_length=300), _CLEAN, _NOT_EMPTY]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Recipient(_Model):
    name: Name
    title: Title = ""
    organization: Organization = ""


class Sender(_Model):
    """Who issues the oficio: the unit and the official in charge."""

    name: Name
    title: Title = ""
    organization: Organization = Field(default="", description="Dependencia")
    dependencia_id: Annotated[str, StringConstraints(max_length=64), _CLEAN] = Field(
        default="", description="Id de la dependencia en el directorio: elige su leyenda y escudo."
    )
    unit: Organization = Field(default="", description="Unidad administrativa")
    address: Address = ""


class Absent(_Model):
    """The official a stand-in signs for (suplencia)."""

    name: Name
    title: Title = ""


class Signer(_Model):
    name: Name
    title: Title = ""
    on_behalf_of: Absent | None = None


class CopyRecipient(_Model):
    name: Name
    title: Title = ""


class Reference(_Model):
    """The oficio this one answers."""

    folio: Folio
    date: dt.date | None = None


class Verification(_Model):
    """How someone holding the paper copy verifies it: the QR's address, the page and the short code."""

    qr_url: Annotated[str, StringConstraints(max_length=300), _CLEAN, _NOT_EMPTY]
    page_url: Annotated[str, StringConstraints(max_length=300), _CLEAN, _NOT_EMPTY]
    code: Annotated[str, StringConstraints(max_length=20), _CLEAN, _NOT_EMPTY]


class OficioContent(_Model):
    folio: Folio
    date: dt.date
    subject: Subject
    sender: Sender
    recipients: list[Recipient] = Field(min_length=1, max_length=200)
    body: BodyDocument
    signers: list[Signer] = Field(min_length=1, max_length=12)
    ccp: list[CopyRecipient] = Field(default_factory=list, max_length=100)
    initials: Initials = ""
    attachments: list[Attachment] = Field(default_factory=list, max_length=100)
    reference: Reference | None = None
    verification: Verification | None = None

    @classmethod
    def parse(cls, data: Any) -> OficioContent:
        """The content from a dict or JSON text; ContentInvalidError (Spanish) if it breaks a rule."""
        try:
            if isinstance(data, str | bytes):
                return cls.model_validate_json(data)
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ContentInvalidError(problems_from(exc)) from None
        except RecursionError:
            raise ContentInvalidError(
                [{"field": "cuerpo", "message": "cuerpo: está anidado demasiado profundo."}]
            ) from None
