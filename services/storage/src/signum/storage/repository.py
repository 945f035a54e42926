"""The only module of storage that talks to MongoDB: object metadata, direct uploads, the oficios
read model and the audit chain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from signum.contracts import Event
from signum.platform.consumer import apply_if_newer
from signum.platform.outbox import (
    OUTBOX,
    OUTBOX_LEASE,
    OUTBOX_LEASE_OWNER,
    OUTBOX_SINCE,
    insert_with_events,
    update_with_events,
)
from signum.storage.domain import GENESIS_HASH, new_record

_HIDDEN = {"_applied": 0, OUTBOX: 0, OUTBOX_SINCE: 0, OUTBOX_LEASE: 0, OUTBOX_LEASE_OWNER: 0}
APPEND_ATTEMPTS = 50


def object_id(bucket: str, clave: str) -> str:
    return f"{bucket}/{clave}"


class ObjectRepository:
    """`objetos`: one document per stored object (bucket + content address)."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection = db["objetos"]
        self.uploads = db["subidas"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("clave", ASCENDING)])
        await self.collection.create_index([("retencion_hasta", ASCENDING)])

    async def get(self, bucket: str, clave: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": object_id(bucket, clave)}, _HIDDEN)

    async def find_by_key(self, clave: str) -> list[dict[str, Any]]:
        return [doc async for doc in self.collection.find({"clave": clave}, _HIDDEN)]

    async def register(self, doc: dict[str, Any], event: Event) -> bool:
        """Record a new object with its `object.stored` event; False if it was already there."""
        try:
            await insert_with_events(self.collection, doc, [event])
            return True
        except DuplicateKeyError:
            return False

    async def add_owner(self, bucket: str, clave: str, oficio_id: str, event: Event) -> bool:
        """Attach an existing object to another oficio (once), with its event."""
        result = await update_with_events(
            self.collection,
            {"_id": object_id(bucket, clave), "oficios": {"$ne": oficio_id}},
            {"$addToSet": {"oficios": oficio_id}},
            [event],
        )
        return bool(result.modified_count)

    async def set_tamper_evidence(self, bucket: str, clave: str, at: datetime) -> None:
        await update_with_events(
            self.collection, {"_id": object_id(bucket, clave)}, {"$set": {"alteracion_detectada": at}}, []
        )

    def expiring(
        self, before: datetime, *, only_unwarned: bool, limit: int = 1000
    ) -> AsyncIterator[dict[str, Any]]:
        query: dict[str, Any] = {"retencion_hasta": {"$lte": before}}
        if only_unwarned:
            query["aviso_retencion"] = {"$exists": False}
        return self.collection.find(query, _HIDDEN).sort("retencion_hasta", ASCENDING).limit(limit)

    async def mark_warned(self, doc_id: str, at: datetime, event: Event) -> bool:
        """Emit `object.retention_expiring` once per object (the condition makes it once)."""
        result = await update_with_events(
            self.collection,
            {"_id": doc_id, "aviso_retencion": {"$exists": False}},
            {"$set": {"aviso_retencion": at}},
            [event],
        )
        return bool(result.modified_count)

    # --- direct uploads ------------------------------------------------------------------------

    async def new_upload(self, doc: dict[str, Any]) -> None:
        await self.uploads.insert_one(doc)

    async def get_upload(self, upload_id: str) -> dict[str, Any] | None:
        return await self.uploads.find_one({"_id": upload_id})

    async def upload_done(self, upload_id: str, result: dict[str, Any], at: datetime) -> None:
        await self.uploads.update_one(
            {"_id": upload_id}, {"$set": {"estado": "confirmada", "resultado": result, "confirmada": at}}
        )


class OficioRepository:
    """`oficios`: what the access policy needs to know of each oficio: its unit, and its participants
    and confidentiality as of the draft's `version` (from `oficio.created`, `oficio.updated`, or
    drafting itself when asked)."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection = db["oficios"]

    async def record(self, oficio_id: str, version: int, fields: dict[str, Any]) -> bool:
        """Keep `fields` as of the draft's `version`, unless a later one is already kept."""
        return await apply_if_newer(self.collection, oficio_id, version, fields)

    async def set_unit(self, oficio_id: str, unidad_id: str) -> None:
        """The oficio's unit (it never changes), whatever version the rest is at."""
        await self.collection.update_one({"_id": oficio_id}, {"$set": {"unidad_id": unidad_id}}, upsert=True)

    async def get(self, oficio_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": oficio_id}, {"_applied": 0})


class AuditRepository:
    """`auditoria`: the hash chain, one record per event, `seq` consecutive from 1."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection = db["auditoria"]
        self.meta = db["auditoria_meta"]
        self._head: tuple[int, str] | None = None  # (seq, hash) of the last append seen

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("seq", ASCENDING)], unique=True, name="seq_unique")
        await self.collection.create_index([("event_id", ASCENDING)], unique=True, name="event_unique")
        await self.collection.create_index([("oficio_id", ASCENDING), ("seq", ASCENDING)])

    async def head(self) -> dict[str, Any] | None:
        """The last record (highest `seq`, which is also its `_id`)."""
        return await self.collection.find_one({}, {"seq": 1, "hash": 1}, sort=[("_id", DESCENDING)])

    async def append(
        self, event: dict[str, Any], payload: dict[str, Any], topic: str
    ) -> dict[str, Any] | None:
        """Append one event to the chain; None if it is already in it.

        Records are keyed `_id = seq`, and the head is remembered between appends, so the usual
        append is one insert (FerretDB scans the collection for any read not by `_id`). An insert
        that loses on a unique key means either another replica took that `seq` (read the new head
        and try again) or the event is already in the chain (a duplicate delivery: append nothing).
        """
        for _ in range(APPEND_ATTEMPTS):
            if self._head is None:
                head = await self.head()
                self._head = (int(head["seq"]), str(head["hash"])) if head else (0, GENESIS_HASH)
            last, prev = self._head
            record = new_record(seq=last + 1, prev_hash=prev, event=event, payload=payload, topic=topic)
            try:
                await self.collection.insert_one(dict(record, _id=last + 1))
            except DuplicateKeyError:
                self._head = None
                if await self.collection.find_one({"event_id": record["event_id"]}, {"_id": 1}):
                    return None
                continue
            self._head = (last + 1, str(record["hash"]))
            return record
        raise RuntimeError("could not append to the audit chain: too much contention")

    def walk(self) -> AsyncIterator[dict[str, Any]]:
        return self.collection.find({}, {"_id": 0}).sort("seq", ASCENDING)

    def of_oficio(self, oficio_id: str) -> AsyncIterator[dict[str, Any]]:
        return self.collection.find({"oficio_id": oficio_id}, {"_id": 0}).sort("seq", ASCENDING)

    async def count(self) -> int:
        return await self.collection.count_documents({})

    async def last_sealed(self) -> int:
        doc = await self.meta.find_one({"_id": "sello"})
        return int(doc["seq"]) if doc else 0

    async def sealed(self, seq: int, key: str, at: datetime) -> None:
        await self.meta.update_one(
            {"_id": "sello"}, {"$max": {"seq": seq}, "$set": {"clave": key, "at": at}}, upsert=True
        )
