"""The only module of the directory that talks to MongoDB.

Five collections in the gateway's database, one document per entity, keyed by the entity's id,
each with a `revision` and its pending events (`_outbox`) written in the same update as the change.

Look-ups go through the indexes of `ensure_indexes` (ids, unit, holder, parent unit, stand-in). A
write lease keeps two writers of the whole directory (imports, changes) apart. The position an
official holds is also kept on the official's document (`puesto_id`), as the importer plans it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from signum.contracts import Event
from signum.gateway.directory.domain import Dependencia, Funcionario, Puesto, Suplencia, Unidad
from signum.gateway.directory.importer import Snapshot
from signum.platform.errors import ConflictError
from signum.platform.outbox import (
    OUTBOX,
    announce,
    insert_with_events,
    new_document_with_events,
    update_with_events,
)

DEPENDENCIAS = "dependencias"
UNIDADES = "unidades"
PUESTOS = "puestos"
FUNCIONARIOS = "funcionarios"
SUPLENCIAS = "suplencias"
LEASES = "directorio_bloqueos"

INSERT_BATCH = 500
_NO_OUTBOX = {OUTBOX: 0}
_LEASE_ID = "escritura"

Entity = Dependencia | Unidad | Puesto | Funcionario | Suplencia


class DirectoryBusyError(ConflictError):
    """Another import or change of the directory is being written right now."""

    code = "directory_busy"
    retryable = True
    message = "Otra importación del directorio está en curso. Intente de nuevo cuando termine."


class DirectoryRepository:
    """Dependencias, unidades, puestos, funcionarios and suplencias, with their outbox."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.dependencias_coll = db[DEPENDENCIAS]
        self.unidades_coll = db[UNIDADES]
        self.puestos_coll = db[PUESTOS]
        self.funcionarios_coll = db[FUNCIONARIOS]
        self.suplencias_coll = db[SUPLENCIAS]
        self._leases = db[LEASES]
        self._by_kind: dict[type, AsyncIOMotorCollection[Any]] = {
            Dependencia: self.dependencias_coll,
            Unidad: self.unidades_coll,
            Puesto: self.puestos_coll,
            Funcionario: self.funcionarios_coll,
            Suplencia: self.suplencias_coll,
        }

    @property
    def collections(self) -> list[AsyncIOMotorCollection[Any]]:
        """The collections whose documents carry pending events (for the outbox relay)."""
        return list(self._by_kind.values())

    async def ensure_indexes(self) -> None:
        """Unique correo/RFC/CURP, and the look-ups by parent, unit, holder and stand-in."""
        f = self.funcionarios_coll
        await f.create_index([("correo", ASCENDING)], unique=True, name="correo_unico")
        await f.create_index([("rfc", ASCENDING)], unique=True, name="rfc_unico")
        await f.create_index([("curp", ASCENDING)], unique=True, name="curp_unico")
        await f.create_index([("orden", ASCENDING)], name="orden")
        await self.unidades_coll.create_index([("padre_id", ASCENDING)], name="padre")
        await self.unidades_coll.create_index([("dependencia_id", ASCENDING)], name="dependencia")
        await self.puestos_coll.create_index([("unidad_id", ASCENDING)], name="unidad")
        await self.puestos_coll.create_index([("funcionario_id", ASCENDING)], name="funcionario")
        await self.suplencias_coll.create_index([("puesto_id", ASCENDING)], name="puesto")
        await self.suplencias_coll.create_index([("suplente_id", ASCENDING)], name="suplente")

    # --- reads the auth module uses -----------------------------------------------------------

    async def funcionario(self, funcionario_id: str) -> Funcionario | None:
        doc = await self.funcionarios_coll.find_one({"_id": funcionario_id}, _NO_OUTBOX)
        return None if doc is None else _funcionario(doc)

    async def funcionario_por_correo(self, correo: str) -> Funcionario | None:
        doc = await self.funcionarios_coll.find_one({"correo": correo.strip().lower()}, _NO_OUTBOX)
        return None if doc is None else _funcionario(doc)

    async def puesto_de(self, funcionario_id: str) -> Puesto | None:
        """The position the official holds now, if any."""
        doc = await self.funcionarios_coll.find_one({"_id": funcionario_id}, {"puesto_id": 1})
        if doc is None:
            return None
        if "puesto_id" in doc:
            if doc["puesto_id"] is None:
                return None
            puesto = await self.puesto(doc["puesto_id"])
            if puesto is not None and puesto.funcionario_id == funcionario_id:
                return puesto
        found = await self.puestos_coll.find_one({"funcionario_id": funcionario_id}, _NO_OUTBOX)
        return None if found is None else _puesto(found)

    async def unidad(self, unidad_id: str) -> Unidad | None:
        doc = await self.unidades_coll.find_one({"_id": unidad_id}, _NO_OUTBOX)
        return None if doc is None else _unidad(doc)

    async def subunidades(self, unidad_id: str) -> list[str]:
        """The unit and all the units below it (one query per level, through the `padre` index)."""
        found, seen, level = [unidad_id], {unidad_id}, [unidad_id]
        while level:
            cursor = self.unidades_coll.find({"padre_id": {"$in": level}}, {"_id": 1}).sort("_id", ASCENDING)
            level = [d["_id"] async for d in cursor if d["_id"] not in seen]
            seen.update(level)
            found += level
        return found

    async def suplencias_vigentes(self, suplente_id: str, on: date) -> list[Suplencia]:
        """Suplencias in force on `on` in which this official stands in."""
        day = on.isoformat()
        cursor = self.suplencias_coll.find(
            {"suplente_id": suplente_id, "cancelada": False, "desde": {"$lte": day}, "hasta": {"$gte": day}},
            _NO_OUTBOX,
        )
        return [_suplencia(d) async for d in cursor]

    async def puesto(self, puesto_id: str) -> Puesto | None:
        doc = await self.puestos_coll.find_one({"_id": puesto_id}, _NO_OUTBOX)
        return None if doc is None else _puesto(doc)

    # --- other reads -------------------------------------------------------------------------

    async def dependencia(self, dependencia_id: str) -> Dependencia | None:
        doc = await self.dependencias_coll.find_one({"_id": dependencia_id}, _NO_OUTBOX)
        return None if doc is None else _dependencia(doc)

    async def dependencias(self) -> list[Dependencia]:
        cursor = self.dependencias_coll.find({}, _NO_OUTBOX).sort("_id", ASCENDING)
        return [_dependencia(d) async for d in cursor]

    async def unidades(self, dependencia_id: str | None = None) -> list[Unidad]:
        query = {} if dependencia_id is None else {"dependencia_id": dependencia_id}
        cursor = self.unidades_coll.find(query, _NO_OUTBOX).sort("_id", ASCENDING)
        return [_unidad(d) async for d in cursor]

    async def puestos_de_unidades(self, unidad_ids: Sequence[str]) -> list[Puesto]:
        query = (
            {"unidad_id": unidad_ids[0]} if len(unidad_ids) == 1 else {"unidad_id": {"$in": list(unidad_ids)}}
        )
        cursor = self.puestos_coll.find(query, _NO_OUTBOX).sort("_id", ASCENDING)
        return [_puesto(d) async for d in cursor]

    async def funcionarios_por_id(self, ids: Iterable[str]) -> dict[str, Funcionario]:
        cursor = self.funcionarios_coll.find({"_id": {"$in": sorted(set(ids))}}, _NO_OUTBOX)
        return {d["_id"]: _funcionario(d) async for d in cursor}

    async def buscar_funcionarios(
        self,
        *,
        texto: str = "",
        ids: Iterable[str] | None = None,
        despues_de: str | None = None,
        limite: int = 50,
    ) -> tuple[list[Funcionario], str | None]:
        """Officials whose name, e-mail or number contains every word of `texto`, ordered by
        surname; returns the page and the cursor of the next one (None at the end)."""
        clauses: list[dict[str, Any]] = [
            {"busqueda": {"$regex": re.escape(word)}} for word in search_text(texto).split()
        ]
        if ids is not None:
            clauses.append({"_id": {"$in": sorted(set(ids))}})
        if despues_de is not None:
            clauses.append({"orden": {"$gt": despues_de}})
        query: dict[str, Any] = {"$and": clauses} if clauses else {}
        cursor = self.funcionarios_coll.find(query, _NO_OUTBOX).sort("orden", ASCENDING).limit(limite + 1)
        docs = [d async for d in cursor]
        page = docs[:limite]
        more = len(docs) > limite
        return [_funcionario(d) for d in page], (page[-1]["orden"] if more and page else None)

    async def suplencia(self, suplencia_id: str) -> Suplencia | None:
        doc = await self.suplencias_coll.find_one({"_id": suplencia_id}, _NO_OUTBOX)
        return None if doc is None else _suplencia(doc)

    async def suplencias(
        self,
        *,
        puesto_id: str | None = None,
        suplente_id: str | None = None,
        vigentes_en: date | None = None,
        terminan_desde: date | None = None,
    ) -> list[Suplencia]:
        query: dict[str, Any] = {}
        if terminan_desde is not None:
            query |= {"cancelada": False, "hasta": {"$gte": terminan_desde.isoformat()}}
        if puesto_id is not None:
            query["puesto_id"] = puesto_id
        if suplente_id is not None:
            query["suplente_id"] = suplente_id
        if vigentes_en is not None:
            day = vigentes_en.isoformat()
            query |= {"cancelada": False, "desde": {"$lte": day}, "hasta": {"$gte": day}}
        cursor = self.suplencias_coll.find(query, _NO_OUTBOX).sort("desde", ASCENDING)
        return [_suplencia(d) async for d in cursor]

    async def snapshot(self) -> Snapshot:
        """The whole directory but suplencias, as the importer validates against it."""
        snap = Snapshot()
        async for doc in self.dependencias_coll.find({}, _NO_OUTBOX):
            snap.dependencias[doc["_id"]] = _dependencia(doc)
        async for doc in self.unidades_coll.find({}, _NO_OUTBOX):
            snap.unidades[doc["_id"]] = _unidad(doc)
        async for doc in self.puestos_coll.find({}, _NO_OUTBOX):
            snap.puestos[doc["_id"]] = _puesto(doc)
        async for doc in self.funcionarios_coll.find({}, _NO_OUTBOX):
            snap.funcionarios[doc["_id"]] = _funcionario(doc)
            snap.puesto_de[doc["_id"]] = doc.get("puesto_id")
        return snap

    async def count(self) -> dict[str, int]:
        """Documents per collection (for tests and the operator)."""
        return {c.name: await c.count_documents({}) for c in self.collections}

    # --- writes ------------------------------------------------------------------------------

    async def insert(
        self, items: Sequence[tuple[Entity, Event]], *, puesto_de: dict[str, str | None] | None = None
    ) -> None:
        """Insert new entities of one kind, each with its event, in batches."""
        if not items:
            return
        coll = self._by_kind[type(items[0][0])]
        docs = [new_document_with_events(_document(entity, puesto_de), [event]) for entity, event in items]
        for start in range(0, len(docs), INSERT_BATCH):
            try:
                await coll.insert_many(docs[start : start + INSERT_BATCH], ordered=False)
            except BulkWriteError as exc:
                raise ConflictError(
                    "El directorio cambió mientras se escribía la importación; vuelva a ejecutarla.",
                    code="directory_changed",
                ) from exc
        announce(coll)

    async def update(
        self, entity: Entity, event: Event | None, *, puesto_de: dict[str, str | None] | None = None
    ) -> None:
        """Write the entity's new state and its event in one update."""
        fields = _document(entity, puesto_de)
        fields.pop("_id")
        update = {"$set": fields}
        await update_with_events(
            self._by_kind[type(entity)], {"_id": entity.id}, update, [event] if event is not None else []
        )

    async def set_puesto_de(self, funcionario_id: str, puesto_id: str | None) -> None:
        """Record where an official sits (not versioned: no event)."""
        await self.funcionarios_coll.update_one({"_id": funcionario_id}, {"$set": {"puesto_id": puesto_id}})

    async def release_unique(self, funcionario_id: str, field: str) -> None:
        """Free a unique value (correo, rfc, curp) another official of the same import takes."""
        await self.funcionarios_coll.update_one(
            {"_id": funcionario_id}, {"$set": {field: f"~liberado~{funcionario_id}"}}
        )

    async def insert_suplencia(self, suplencia: Suplencia, event: Event) -> None:
        await insert_with_events(self.suplencias_coll, _document(suplencia), [event])

    # --- the write lease ---------------------------------------------------------------------

    async def acquire_lease(self, owner: str, *, seconds: float) -> None:
        """Take the directory's write lease or raise DirectoryBusyError."""
        now = datetime.now(UTC)
        until = now + timedelta(seconds=seconds)
        taken = await self._leases.find_one_and_update(
            {"_id": _LEASE_ID, "$or": [{"hasta": {"$lt": now}}, {"dueno": owner}]},
            {"$set": {"hasta": until, "dueno": owner}},
        )
        if taken is not None:
            return
        try:
            await self._leases.insert_one({"_id": _LEASE_ID, "hasta": until, "dueno": owner})
        except DuplicateKeyError:
            raise DirectoryBusyError() from None

    async def release_lease(self, owner: str) -> None:
        await self._leases.delete_one({"_id": _LEASE_ID, "dueno": owner})


# --- documents ------------------------------------------------------------------------------


def search_text(value: str) -> str:
    """Lower case without accents, so «Peña» is found by «pena»."""
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _document(entity: Entity, puesto_de: dict[str, str | None] | None = None) -> dict[str, Any]:
    match entity:
        case Dependencia():
            return {
                "_id": entity.id,
                "nombre": entity.nombre,
                "activa": entity.activa,
                "revision": entity.revision,
            }
        case Unidad():
            return {
                "_id": entity.id,
                "dependencia_id": entity.dependencia_id,
                "nombre": entity.nombre,
                "prefijo_folio": entity.prefijo_folio,
                "padre_id": entity.padre_id,
                "activa": entity.activa,
                "revision": entity.revision,
            }
        case Puesto():
            return {
                "_id": entity.id,
                "unidad_id": entity.unidad_id,
                "titulo": entity.titulo,
                "es_titular": entity.es_titular,
                "reporta_a": entity.reporta_a,
                "funcionario_id": entity.funcionario_id,
                "activo": entity.activo,
                "revision": entity.revision,
            }
        case Funcionario():
            doc = {
                "_id": entity.id,
                "nombre": entity.nombre,
                "apellido_paterno": entity.apellido_paterno,
                "apellido_materno": entity.apellido_materno,
                "correo": entity.correo,
                "rfc": entity.rfc,
                "curp": entity.curp,
                "roles": sorted(entity.roles),
                "activo": entity.activo,
                "revision": entity.revision,
                "busqueda": search_text(f"{entity.nombre_completo} {entity.correo} {entity.id}"),
                # Unique (the id closes it), so it is also the search's stable page cursor.
                "orden": search_text(
                    f"{entity.apellido_paterno} {entity.apellido_materno} {entity.nombre}"
                ).strip()
                + f"\x1f{entity.id}",
            }
            if puesto_de is not None and entity.id in puesto_de:
                doc["puesto_id"] = puesto_de[entity.id]
            return doc
        case Suplencia():
            return {
                "_id": entity.id,
                "puesto_id": entity.puesto_id,
                "suplente_id": entity.suplente_id,
                "desde": entity.desde.isoformat(),
                "hasta": entity.hasta.isoformat(),
                "motivo": entity.motivo,
                "cancelada": entity.cancelada,
                "revision": entity.revision,
            }
    raise TypeError(f"not a directory entity: {entity!r}")


def _dependencia(doc: dict[str, Any]) -> Dependencia:
    return Dependencia(id=doc["_id"], nombre=doc["nombre"], activa=doc["activa"], revision=doc["revision"])


def _unidad(doc: dict[str, Any]) -> Unidad:
    return Unidad(
        id=doc["_id"],
        dependencia_id=doc["dependencia_id"],
        nombre=doc["nombre"],
        prefijo_folio=doc["prefijo_folio"],
        padre_id=doc.get("padre_id"),
        activa=doc["activa"],
        revision=doc["revision"],
    )


def _puesto(doc: dict[str, Any]) -> Puesto:
    return Puesto(
        id=doc["_id"],
        unidad_id=doc["unidad_id"],
        titulo=doc["titulo"],
        es_titular=doc["es_titular"],
        reporta_a=doc.get("reporta_a"),
        funcionario_id=doc.get("funcionario_id"),
        activo=doc["activo"],
        revision=doc["revision"],
    )


def _funcionario(doc: dict[str, Any]) -> Funcionario:
    return Funcionario(
        id=doc["_id"],
        nombre=doc["nombre"],
        apellido_paterno=doc["apellido_paterno"],
        apellido_materno=doc["apellido_materno"],
        correo=doc["correo"],
        rfc=doc["rfc"],
        curp=doc["curp"],
        roles=frozenset(doc.get("roles", [])),
        activo=doc["activo"],
        revision=doc["revision"],
    )


def _suplencia(doc: dict[str, Any]) -> Suplencia:
    return Suplencia(
        id=doc["_id"],
        puesto_id=doc["puesto_id"],
        suplente_id=doc["suplente_id"],
        desde=date.fromisoformat(doc["desde"]),
        hasta=date.fromisoformat(doc["hasta"]),
        motivo=doc.get("motivo", ""),
        cancelada=doc["cancelada"],
        revision=doc["revision"],
    )
