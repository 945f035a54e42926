"""The placeholders a template may use (`{{destinatario.nombre}}`) and how template texts are split.

A placeholder is replaced once, by the renderer, with the oficio's value as plain text: a value that
itself looks like `{{folio}}` is shown as typed, never expanded again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# name -> what it stands for (shown in the template designer).
CATALOGUE: dict[str, str] = {
    "folio": "Número de oficio (p. ej. SIGA/DGTI/0123/2026)",
    "fecha": "Fecha del oficio en letra (p. ej. 23 de noviembre de 2026)",
    "anio": "Año de la fecha del oficio (p. ej. 2026)",
    "asunto": "Asunto del oficio",
    "destinatario.nombre": "Nombre del primer destinatario",
    "destinatario.puesto": "Puesto del primer destinatario",
    "destinatario.dependencia": "Dependencia del primer destinatario",
    "remitente.nombre": "Nombre de quien emite (primer firmante)",
    "remitente.puesto": "Puesto de quien emite",
    "remitente.dependencia": "Dependencia que emite el oficio",
    "remitente.unidad": "Unidad administrativa que emite el oficio",
    "remitente.domicilio": "Domicilio de la unidad que emite el oficio",
    "referencia.folio": "Número del oficio que se contesta",
    "referencia.fecha": "Fecha del oficio que se contesta",
    "leyenda": "Leyenda institucional del año de la dependencia que emite (identidades de la plantilla)",
    "iniciales": "Iniciales de quien redactó y revisó (p. ej. JLR/mgs)",
    "pagina": "Número de la página actual",
    "paginas": "Número total de páginas",
}

# Filled by the layout (Typst's page counter), not from the oficio's data.
PAGE_PLACEHOLDERS = frozenset({"pagina", "paginas"})

PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class Placeholder:
    name: str


Segment = Literal | Placeholder


def split(text: str) -> list[Segment]:
    """`text` as literal pieces and placeholders, in order."""
    out: list[Segment] = []
    pos = 0
    for match in PLACEHOLDER_RE.finditer(text):
        if match.start() > pos:
            out.append(Literal(text[pos : match.start()]))
        out.append(Placeholder(match.group(1)))
        pos = match.end()
    if pos < len(text):
        out.append(Literal(text[pos:]))
    return out


def problems_in(text: str) -> list[str]:
    """Spanish descriptions of what is wrong with the placeholders of `text` (empty if nothing)."""
    found = []
    for segment in split(text):
        if isinstance(segment, Placeholder) and segment.name not in CATALOGUE:
            found.append(
                f"el marcador «{{{{{segment.name}}}}}» no existe; los disponibles son: "
                + ", ".join(f"{{{{{name}}}}}" for name in CATALOGUE)
                + "."
            )
        elif isinstance(segment, Literal) and ("{{" in segment.text or "}}" in segment.text):
            found.append("tiene un marcador sin abrir o sin cerrar («{{» o «}}» sueltos).")
    return found
