"""Mexican personal identifiers: RFC (persona física), CURP and e-mail addresses. No I/O here.

Each `*_error` function returns None when the value is well formed, or a Spanish message saying
what is wrong, for the import report.
"""

from __future__ import annotations

import re
from datetime import date

# RENAPO's state codes (entidad federativa de nacimiento); NE = nacido en el extranjero.
CURP_STATES: frozenset[str] = frozenset(
    {
        "AS", "BC", "BS", "CC", "CL", "CM", "CS", "CH", "DF", "DG", "GT", "GR", "HG", "JC", "MC",
        "MN", "MS", "NT", "NL", "OC", "PL", "QT", "QR", "SP", "SL", "SR", "TC", "TS", "TL", "VZ",
        "YN", "ZS", "NE",
    }
)  # fmt: skip

_CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_RFC_ALPHABET = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ")}

_RFC_FISICA = re.compile(r"^([A-ZÑ&]{4})(\d{2})(\d{2})(\d{2})([A-Z0-9]{3})$")
_CURP = re.compile(r"^([A-Z][AEIOUX][A-Z]{2})(\d{2})(\d{2})(\d{2})([A-Z])([A-Z]{2})([A-Z]{3})([A-Z0-9])(\d)$")
_CURP_CONSONANTS = re.compile(r"^[B-DF-HJ-NP-TV-Z]{3}$")
_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def normalize_rfc(value: str) -> str:
    """Upper case, without spaces or dashes (how people often type it)."""
    return re.sub(r"[\s-]", "", value).upper()


def normalize_curp(value: str) -> str:
    """Upper case, without spaces."""
    return re.sub(r"\s", "", value).upper()


def normalize_email(value: str) -> str:
    """Addresses are compared case-insensitively."""
    return value.strip().lower()


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def rfc_error(rfc: str) -> str | None:
    """What is wrong with an RFC of a persona física (13 characters), or None."""
    if len(rfc) != 13:
        return f"El RFC debe tener 13 caracteres (persona física); tiene {len(rfc)}."
    match = _RFC_FISICA.match(rfc)
    if match is None:
        return (
            "El RFC no tiene el formato de persona física: 4 letras, 6 dígitos de la fecha de "
            "nacimiento (AAMMDD) y 3 caracteres de homoclave."
        )
    yy, mm, dd = (int(g) for g in match.group(2, 3, 4))
    # The century is not in the RFC: accept the date if it exists in either.
    if not (_valid_date(1900 + yy, mm, dd) or _valid_date(2000 + yy, mm, dd)):
        return f"La fecha del RFC ({match.group(2)}{match.group(3)}{match.group(4)}) no es una fecha válida."
    return None


def rfc_check_digit(first12: str) -> str:
    """The SAT verification digit of an RFC from its first 12 characters (persona física)."""
    total = sum(_RFC_ALPHABET.get(c, 0) * (13 - i) for i, c in enumerate(first12))
    remainder = total % 11
    if remainder == 0:
        return "0"
    digit = 11 - remainder
    return "A" if digit == 10 else str(digit)


def curp_check_digit(first17: str) -> str:
    """RENAPO's check digit of a CURP from its first 17 characters."""
    total = sum(_CURP_ALPHABET.index(c) * (18 - i) for i, c in enumerate(first17))
    return str((10 - total % 10) % 10)


def curp_error(curp: str) -> str | None:
    """What is wrong with a CURP, or None."""
    if len(curp) != 18:
        return f"El CURP debe tener 18 caracteres; tiene {len(curp)}."
    match = _CURP.match(curp)
    if match is None:
        return (
            "El CURP no tiene el formato oficial: 4 letras, 6 dígitos de la fecha (AAMMDD), sexo, "
            "2 letras de la entidad, 3 consonantes, 1 carácter y 1 dígito verificador."
        )
    _initials, yy, mm, dd, sex, state, consonants, differentiator, digit = match.groups()
    century = 1900 if differentiator.isdigit() else 2000
    if not _valid_date(century + int(yy), int(mm), int(dd)):
        return f"La fecha del CURP ({yy}{mm}{dd}) no es una fecha válida."
    if sex not in {"H", "M", "X"}:
        return f"El sexo del CURP debe ser H, M o X; es «{sex}»."
    if state not in CURP_STATES:
        return f"La entidad federativa del CURP («{state}») no está en el catálogo oficial."
    if _CURP_CONSONANTS.match(consonants) is None:
        return "Las posiciones 14 a 16 del CURP deben ser consonantes."
    expected = curp_check_digit(curp[:17])
    if digit != expected:
        return f"El dígito verificador del CURP no corresponde (debería ser {expected})."
    return None


def email_error(email: str) -> str | None:
    """What is wrong with an e-mail address, or None."""
    if len(email) > 254:
        return "El correo es demasiado largo (máximo 254 caracteres)."
    if _EMAIL.match(email) is None:
        return f"«{email}» no es un correo electrónico válido."
    return None
