"""A service's local read model of the directory, kept from the `directory.*.upserted` events.

Each entity is stored in `directory_<kind>` of the service's own database and replaced only by a
newer revision, so out-of-order and repeated deliveries change nothing. Wire it with
`runtime.consume([Topic.DIRECTORY], model.handlers())` and `runtime.on_startup(model.ensure_indexes)`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from motor.motor_asyncio import AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo import ASCENDING

from signum.contracts import Event
from signum.contracts.directory import (
    DependenciaPayload,
    DependenciaUpserted,
    DirectoryEntity,
    FuncionarioPayload,
    FuncionarioUpserted,
    PuestoPayload,
    PuestoUpserted,
    SuplenciaPayload,
    SuplenciaUpserted,
    UnidadPayload,
    UnidadUpserted,
)
from signum.platform.consumer import Handler
from signum.platform.repository import store_if_newer_revision

PayloadT = TypeVar("PayloadT", bound=DirectoryEntity)

COLLECTIONS: dict[str, str] = {
    DependenciaUpserted.model_fields["type"].default: "directory_dependencias",
    UnidadUpserted.model_fields["type"].default: "directory_unidades",
    PuestoUpserted.model_fields["type"].default: "directory_puestos",
    FuncionarioUpserted.model_fields["type"].default: "directory_funcionarios",
    SuplenciaUpserted.model_fields["type"].default: "directory_suplencias",
}


class DirectoryReadModel:
    """Who is who, as this service last heard from the gateway."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.dependencias = db["directory_dependencias"]
        self.unidades = db["directory_unidades"]
        self.puestos = db["directory_puestos"]
        self.funcionarios = db["directory_funcionarios"]
        self.suplencias = db["directory_suplencias"]
        self._by_type: dict[str, AsyncIOMotorCollection[Any]] = {
            type_: db[name] for type_, name in COLLECTIONS.items()
        }

    async def ensure_indexes(self) -> None:
        """Look-ups by unit, holder, position and parent unit."""
        await self.puestos.create_index([("unidad_id", ASCENDING)], name="unidad")
        await self.puestos.create_index([("funcionario_id", ASCENDING)], name="funcionario")
        await self.suplencias.create_index([("puesto_id", ASCENDING)], name="puesto")
        await self.unidades.create_index([("padre_id", ASCENDING)], name="padre")

    def handlers(self) -> dict[str, Handler]:
        """The handlers for `runtime.consume([Topic.DIRECTORY], ...)`."""
        return {type_: self.apply for type_ in self._by_type}

    async def apply(self, event: Event) -> None:
        """Store the entity of a directory event unless what is stored is as new or newer."""
        await self.upsert(event.type, event.payload)

    async def upsert(self, event_type: str, payload: Any) -> bool:
        """Store `payload` if its revision is newer; returns whether anything changed."""
        if not isinstance(payload, DirectoryEntity):
            raise TypeError(f"not a directory payload: {type(payload).__name__}")
        fields = payload.model_dump(mode="json", exclude={"id"})
        return await store_if_newer_revision(self._by_type[event_type], payload.id, payload.revision, fields)

    # --- look-ups ----------------------------------------------------------------------------

    async def dependencia(self, dependencia_id: str) -> DependenciaPayload | None:
        """A dependencia by id."""
        return await _get(self.dependencias, dependencia_id, DependenciaPayload)

    async def unidad(self, unidad_id: str) -> UnidadPayload | None:
        """An administrative unit by id."""
        return await _get(self.unidades, unidad_id, UnidadPayload)

    async def puesto(self, puesto_id: str) -> PuestoPayload | None:
        """A position by id."""
        return await _get(self.puestos, puesto_id, PuestoPayload)

    async def funcionario(self, funcionario_id: str) -> FuncionarioPayload | None:
        """An official by id (employee number)."""
        return await _get(self.funcionarios, funcionario_id, FuncionarioPayload)

    async def funcionarios_por_id(self, ids: list[str]) -> dict[str, FuncionarioPayload]:
        """The officials with these ids that exist, in one query (a page of many people)."""
        cursor = self.funcionarios.find({"_id": {"$in": list(dict.fromkeys(ids))}})
        return {str(d["_id"]): _payload(d, FuncionarioPayload) async for d in cursor}

    async def puesto_titular(self, unidad_id: str) -> PuestoPayload | None:
        """The head position of a unit."""
        doc = await self.puestos.find_one({"unidad_id": unidad_id, "es_titular": True, "activo": True})
        return None if doc is None else _payload(doc, PuestoPayload)

    async def puesto_de(self, funcionario_id: str) -> PuestoPayload | None:
        """The active position an official holds now, if any."""
        doc = await self.puestos.find_one({"funcionario_id": funcionario_id, "activo": True})
        return None if doc is None else _payload(doc, PuestoPayload)

    async def titular_de(self, unidad_id: str) -> FuncionarioPayload | None:
        """The official who heads a unit now (None if the head position is vacant)."""
        puesto = await self.puesto_titular(unidad_id)
        if puesto is None or puesto.funcionario_id is None:
            return None
        return await self.funcionario(puesto.funcionario_id)

    async def subunidades_directas(self, unidad_id: str) -> list[str]:
        """The active units directly below a unit, by id."""
        cursor = self.unidades.find({"padre_id": unidad_id}, {"activa": 1})
        return sorted([str(d["_id"]) async for d in cursor if d.get("activa", True)])

    async def unidades_de(self, dependencia_id: str | None = None) -> list[UnidadPayload]:
        """Every unit (active or not), or those of one dependencia, by id."""
        query = {} if dependencia_id is None else {"dependencia_id": dependencia_id}
        return sorted(
            [_payload(d, UnidadPayload) async for d in self.unidades.find(query)], key=lambda u: u.id
        )

    async def arbol(self, unidad_id: str) -> list[str]:
        """A unit and every unit below it, however deep (ids, the unit first)."""
        found, pending = [unidad_id], [unidad_id]
        while pending:
            for child in await self.subunidades_directas(pending.pop()):
                if child not in found:
                    found.append(child)
                    pending.append(child)
        return found

    async def puestos_en(self, unidades: list[str]) -> list[PuestoPayload]:
        """The positions of these units."""
        cursor = self.puestos.find({"unidad_id": {"$in": unidades}})
        return [_payload(d, PuestoPayload) async for d in cursor]

    async def tiene_rol(self, unidad_id: str, rol: str) -> bool:
        """Whether an active official holding an active position in the unit has role `rol`."""
        holders = [
            d["funcionario_id"]
            async for d in self.puestos.find({"unidad_id": unidad_id}, {"funcionario_id": 1, "activo": 1})
            if d.get("funcionario_id") and d.get("activo", True)
        ]
        if not holders:
            return False
        cursor = self.funcionarios.find({"_id": {"$in": holders}}, {"roles": 1, "activo": 1})
        return any([d async for d in cursor if d.get("activo", True) and rol in (d.get("roles") or [])])

    async def suplente_vigente(self, puesto_id: str, on: date) -> FuncionarioPayload | None:
        """Who stands in for the position's holder on `on`, if anyone."""
        day = on.isoformat()
        doc = await self.suplencias.find_one(
            {"puesto_id": puesto_id, "cancelada": False, "desde": {"$lte": day}, "hasta": {"$gte": day}}
        )
        if doc is None:
            return None
        suplencia = _payload(doc, SuplenciaPayload)
        return await self.funcionario(suplencia.suplente_id)


async def _get(coll: AsyncIOMotorCollection[Any], id_: str, model: type[PayloadT]) -> PayloadT | None:
    doc = await coll.find_one({"_id": id_})
    return None if doc is None else _payload(doc, model)


def _payload(doc: dict[str, Any], model: type[PayloadT]) -> PayloadT:
    fields = {k: v for k, v in doc.items() if k != "_id" and k in model.model_fields}
    return model.model_validate({"id": doc["_id"], **fields})
