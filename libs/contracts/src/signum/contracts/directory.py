"""Events of the directory, owned by the gateway (topic `signum.directory`, keyed by entity id).

Services keep local read models from them (names, titles, offices, who holds which position, who
stands in for whom) instead of calling the gateway on every request. Each payload carries the
entity's `revision`, increasing with every change, so a read model applies an event only if it is
newer than what it holds: out-of-order or repeated deliveries change nothing.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from signum.contracts.envelope import Event, EventModel
from signum.contracts.topics import Topic

Role = Literal["funcionario", "titular", "oficialia", "administrador", "auditor"]


class DirectoryEntity(EventModel):
    """Fields every directory payload has."""

    id: str = Field(min_length=1, max_length=64, description="Stable key of the entity.")
    revision: int = Field(ge=1, description="Increases with every change of this entity.")


class DependenciaPayload(DirectoryEntity):
    nombre: str = Field(min_length=1, max_length=300)
    activa: bool = True


class UnidadPayload(DirectoryEntity):
    dependencia_id: str = Field(min_length=1, max_length=64)
    nombre: str = Field(min_length=1, max_length=300)
    padre_id: str | None = Field(default=None, max_length=64, description="Parent unit, if any.")
    prefijo_folio: str = Field(min_length=1, max_length=64, description="e.g. `SIGA/DGTI`.")
    activa: bool = True


class PuestoPayload(DirectoryEntity):
    unidad_id: str = Field(min_length=1, max_length=64)
    titulo: str = Field(min_length=1, max_length=300, description="Title as printed on oficios.")
    reporta_a: str | None = Field(default=None, max_length=64, description="Superior position.")
    es_titular: bool = Field(description="Head of its unit (signs for it, receives its mail).")
    funcionario_id: str | None = Field(default=None, max_length=64, description="Who holds it now.")
    activo: bool = True


class FuncionarioPayload(DirectoryEntity):
    nombre: str = Field(min_length=1, max_length=300, description="Full name as printed.")
    correo: str = Field(min_length=3, max_length=320)
    rfc: str = Field(min_length=12, max_length=13)
    curp: str = Field(min_length=18, max_length=18)
    activo: bool = True
    roles: list[Role] = Field(
        default_factory=list,
        max_length=5,
        description="Roles granted to the official (e.g. `oficialia`); routing finds an office's "
        "oficialía de partes by them. Absent from events of older producers.",
    )


class SuplenciaPayload(DirectoryEntity):
    puesto_id: str = Field(min_length=1, max_length=64, description="Position whose holder is absent.")
    suplente_id: str = Field(min_length=1, max_length=64, description="Official who stands in.")
    desde: date
    hasta: date
    motivo: str = Field(default="", max_length=500)
    cancelada: bool = False


class _DirectoryEvent(Event):
    topic: ClassVar[Topic] = Topic.DIRECTORY
    producer: str = "gateway"
    oficio_id: None = None

    @property
    def key(self) -> bytes:
        """Keyed by the entity, so one entity's changes stay in order."""
        return self.payload.id.encode()  # type: ignore[attr-defined,no-any-return]


class DependenciaUpserted(_DirectoryEvent):
    """A dependencia was created or changed.

    Produced by the gateway. Consumed by drafting, routing, signing and metrics (their directory
    read models) and storage (audit log).
    """

    type: Literal["directory.dependencia.upserted"] = "directory.dependencia.upserted"
    version: Literal[1] = 1
    payload: DependenciaPayload


class UnidadUpserted(_DirectoryEvent):
    """An administrative unit was created or changed (name, parent, folio prefix).

    Produced by the gateway. Consumed by drafting, routing, signing and metrics (their directory
    read models) and storage (audit log).
    """

    type: Literal["directory.unidad.upserted"] = "directory.unidad.upserted"
    version: Literal[1] = 1
    payload: UnidadPayload


class PuestoUpserted(_DirectoryEvent):
    """A position was created or changed, including who holds it.

    Produced by the gateway. Consumed by drafting, routing, signing and metrics (their directory
    read models) and storage (audit log).
    """

    type: Literal["directory.puesto.upserted"] = "directory.puesto.upserted"
    version: Literal[1] = 1
    payload: PuestoPayload


class FuncionarioUpserted(_DirectoryEvent):
    """An official was created or changed.

    Produced by the gateway. Consumed by drafting, routing, signing and metrics (their directory
    read models) and storage (audit log).
    """

    type: Literal["directory.funcionario.upserted"] = "directory.funcionario.upserted"
    version: Literal[1] = 1
    payload: FuncionarioPayload


class SuplenciaUpserted(_DirectoryEvent):
    """A stand-in was set, changed or cancelled (signs "por ausencia de" the position's holder).

    Produced by the gateway. Consumed by drafting, routing, signing and metrics (their directory
    read models) and storage (audit log).
    """

    type: Literal["directory.suplencia.upserted"] = "directory.suplencia.upserted"
    version: Literal[1] = 1
    payload: SuplenciaPayload


DIRECTORY_EVENTS: tuple[type[Event], ...] = (
    DependenciaUpserted,
    UnidadUpserted,
    PuestoUpserted,
    FuncionarioUpserted,
    SuplenciaUpserted,
)
