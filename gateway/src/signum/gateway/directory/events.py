"""The `directory.*.upserted` event for each directory entity (what goes on the wire)."""

from __future__ import annotations

from dataclasses import dataclass

from signum.contracts import Actor, Event
from signum.contracts.directory import (
    DependenciaPayload,
    DependenciaUpserted,
    FuncionarioPayload,
    FuncionarioUpserted,
    PuestoPayload,
    PuestoUpserted,
    SuplenciaPayload,
    SuplenciaUpserted,
    UnidadPayload,
    UnidadUpserted,
)
from signum.gateway.directory.domain import ROLES, Dependencia, Funcionario, Puesto, Suplencia, Unidad

Entity = Dependencia | Unidad | Puesto | Funcionario | Suplencia


@dataclass(frozen=True)
class EventContext:
    """Who caused a change and under which request (or import) it happened."""

    actor: Actor
    correlation_id: str
    causation_id: str | None = None


def upserted(entity: Entity, ctx: EventContext) -> Event:
    """The event announcing `entity` at its current revision."""
    common = {"actor": ctx.actor, "correlation_id": ctx.correlation_id, "causation_id": ctx.causation_id}
    match entity:
        case Dependencia():
            return DependenciaUpserted(
                **common,
                payload=DependenciaPayload(
                    id=entity.id, revision=entity.revision, nombre=entity.nombre, activa=entity.activa
                ),
            )
        case Unidad():
            return UnidadUpserted(
                **common,
                payload=UnidadPayload(
                    id=entity.id,
                    revision=entity.revision,
                    dependencia_id=entity.dependencia_id,
                    nombre=entity.nombre,
                    padre_id=entity.padre_id,
                    prefijo_folio=entity.prefijo_folio,
                    activa=entity.activa,
                ),
            )
        case Puesto():
            return PuestoUpserted(
                **common,
                payload=PuestoPayload(
                    id=entity.id,
                    revision=entity.revision,
                    unidad_id=entity.unidad_id,
                    titulo=entity.titulo,
                    reporta_a=entity.reporta_a,
                    es_titular=entity.es_titular,
                    funcionario_id=entity.funcionario_id,
                    activo=entity.activo,
                ),
            )
        case Funcionario():
            return FuncionarioUpserted(
                **common,
                payload=FuncionarioPayload(
                    id=entity.id,
                    revision=entity.revision,
                    nombre=entity.nombre_completo,
                    correo=entity.correo,
                    rfc=entity.rfc,
                    curp=entity.curp,
                    activo=entity.activo,
                    roles=sorted(r for r in entity.roles if r in ROLES),
                ),
            )
        case Suplencia():
            return SuplenciaUpserted(
                **common,
                payload=SuplenciaPayload(
                    id=entity.id,
                    revision=entity.revision,
                    puesto_id=entity.puesto_id,
                    suplente_id=entity.suplente_id,
                    desde=entity.desde,
                    hasta=entity.hasta,
                    motivo=entity.motivo,
                    cancelada=entity.cancelada,
                ),
            )
    raise TypeError(f"not a directory entity: {entity!r}")
