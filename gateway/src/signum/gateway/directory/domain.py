"""Directory types and rules. No I/O here.

dependencia -> unidades (a tree inside the dependencia) -> puestos (positions; a position outlives
the person in it, reports to another position) -> funcionario holding it. A suplencia names who
stands in for a position's holder from one date to another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Role = Literal["funcionario", "titular", "oficialia", "administrador", "auditor"]
ROLES: tuple[Role, ...] = ("funcionario", "titular", "oficialia", "administrador", "auditor")
# Roles an import or an admin may grant; `titular` follows from holding a titular position.
GRANTABLE_ROLES: frozenset[str] = frozenset({"oficialia", "administrador", "auditor"})


@dataclass(frozen=True)
class Dependencia:
    id: str
    nombre: str
    activa: bool = True
    revision: int = 1


@dataclass(frozen=True)
class Unidad:
    id: str
    dependencia_id: str
    nombre: str
    prefijo_folio: str
    padre_id: str | None = None
    activa: bool = True
    revision: int = 1


@dataclass(frozen=True)
class Puesto:
    id: str
    unidad_id: str
    titulo: str
    es_titular: bool
    reporta_a: str | None = None
    funcionario_id: str | None = None
    activo: bool = True
    revision: int = 1


@dataclass(frozen=True)
class Funcionario:
    id: str  # the employee number HR exports: stable across imports
    nombre: str
    apellido_paterno: str
    apellido_materno: str
    correo: str
    rfc: str
    curp: str
    roles: frozenset[str] = field(default_factory=frozenset)
    activo: bool = True
    revision: int = 1

    @property
    def nombre_completo(self) -> str:
        return " ".join(p for p in (self.nombre, self.apellido_paterno, self.apellido_materno) if p)


@dataclass(frozen=True)
class Suplencia:
    id: str
    puesto_id: str
    suplente_id: str
    desde: date
    hasta: date
    motivo: str = ""
    cancelada: bool = False
    revision: int = 1

    def vigente(self, on: date) -> bool:
        """Whether the stand-in is in force on `on`."""
        return not self.cancelada and self.desde <= on <= self.hasta
