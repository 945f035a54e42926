"""Free text people read (asunto, notas, motivos, comentarios, names of anexos): one rule for all.

Control characters (NUL, escape, ...) and the Unicode bidirectional overrides, embeddings and
isolates are refused: `factura\u202eFDP.exe` shows as «facturaexe.PDF». Tabs and line breaks stay
(a nota has paragraphs). The gateway schemas use `SafeText`; the services call `check_safe_text`.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from signum.platform.errors import ValidationFailedError

UNSAFE_TEXT_CODE = "unsafe_text"
UNSAFE_TEXT_MESSAGE = (
    "El texto contiene caracteres de control o marcas de dirección del texto que no se permiten."
)

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; the bidi
# embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def unsafe_characters(value: str) -> list[str]:
    """The refused characters in `value`, as `U+XXXX` (empty when the text is fine)."""
    return sorted({f"U+{ord(c):04X}" for c in _UNSAFE.findall(value)})


def check_safe_text(value: str, *, campo: str = "texto") -> str:
    """`value` unchanged, or `ValidationFailedError` (422 `unsafe_text`) naming `campo`."""
    found = unsafe_characters(value)
    if found:
        raise ValidationFailedError(
            UNSAFE_TEXT_MESSAGE, code=UNSAFE_TEXT_CODE, details={"campo": campo, "caracteres": found}
        )
    return value


def _validated(value: str) -> str:
    found = unsafe_characters(value)
    if found:
        raise PydanticCustomError(UNSAFE_TEXT_CODE, UNSAFE_TEXT_MESSAGE, {"caracteres": found})
    return value


SafeText = Annotated[str, AfterValidator(_validated)]
"""A `str` field of a request schema that refuses control characters and bidi controls."""


NULL_NOT_ALLOWED_CODE = "null_not_allowed"
NULL_NOT_ALLOWED_MESSAGE = "Un campo que se envía no puede ser nulo: omítalo para dejarlo como está."


def refuse_null(value: object) -> object:
    """For `field_validator(..., mode="before")`: a field that may be left out but is never null."""
    if value is None:
        raise PydanticCustomError(NULL_NOT_ALLOWED_CODE, NULL_NOT_ALLOWED_MESSAGE)
    return value
