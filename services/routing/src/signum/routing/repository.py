"""The only module of routing that talks to MongoDB.

- `oficios`: one document per oficio routing knows, the source of truth: its state, its timeline and
  every delivery of it (`entregas.<id>`), with the events each change causes (outbox) in the same
  update. Deliveries of one oficio are few (its recipients, copies and turnos), so they live in it.
- `bandeja_<owner>`: each official's (or office mailbox's) inbox, a projection of `oficios` keyed by
  `e:<delivery>` / `o:<oficio>`. One collection per owner: FerretDB 1.24 on SQLite narrows a query
  only by `_id` and scans the whole collection for any other filter (an inbox page's), so a page
  costs what that person's inbox holds, not what the whole city's inboxes hold. On MongoDB the same
  layout is served by the compound index below.
- `acuses_pendientes`, `plazos`: small work queues of the retry and deadline jobs.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.errors import DuplicateKeyError

from signum.contracts import Event
from signum.platform.consumer import apply_if_newer, apply_once
from signum.platform.outbox import insert_with_events, update_with_events, with_events
from signum.routing import domain

INBOX_PREFIX = "bandeja_"


def inbox_collection_name(owner: str) -> str:
    """The collection of one owner's inbox (hashed: ids may hold characters names cannot)."""
    return INBOX_PREFIX + hashlib.sha256(owner.encode()).hexdigest()[:20]


class OficioRepository:
    """Routing's documents of oficios, with their deliveries and their outbox."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection: AsyncIOMotorCollection[Any] = db["oficios"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("office_id", ASCENDING), ("status", ASCENDING)])

    async def apply_event(self, event: Event, update: dict[str, Any], events: Sequence[Event] = ()) -> bool:
        """Apply one consumed event to its oficio's document once, with the events it causes."""
        assert event.oficio_id is not None
        fields = update.get("$set") or {}
        if "status" in fields and await self._stale_status(event.oficio_id, fields["status"]):
            update = {**update, "$set": {k: v for k, v in fields.items() if k != "status"}}
        return await apply_once(self.collection, event.oficio_id, event, with_events(update, events))

    async def _stale_status(self, oficio_id: str, status: object) -> bool:
        current = await self.collection.find_one({"_id": oficio_id}, {"status": 1})
        return current is not None and domain.stale_status(current.get("status"), status)

    async def apply_draft_version(self, oficio_id: str, version: int, fields: dict[str, Any]) -> bool:
        """Keep what a save of the draft says (participants, confidentiality...) unless a later save
        is already kept (`borrador_version`): an older event arriving late changes nothing."""
        if "status" in fields and await self._stale_status(oficio_id, fields["status"]):
            fields = {k: v for k, v in fields.items() if k != "status"}
        return await apply_if_newer(
            self.collection, oficio_id, version, fields, version_field="borrador_version"
        )

    async def apply_event_to(
        self, oficio_id: str, event: Event, update: dict[str, Any], events: Sequence[Event] = ()
    ) -> bool:
        """Apply a consumed event to another oficio's document (e.g. the one an answer answers), once."""
        return await apply_once(self.collection, oficio_id, event, with_events(update, events), upsert=False)

    async def update(
        self, oficio_id: str, condition: dict[str, Any], update: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        """A change asked through the API, applied only if `condition` still holds."""
        result = await update_with_events(self.collection, {"_id": oficio_id, **condition}, update, events)
        return bool(result.modified_count)

    async def get(self, oficio_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": oficio_id}, {"_applied": 0, "_outbox": 0})

    async def insert(self, document: dict[str, Any], events: Sequence[Event]) -> None:
        """A new oficio document (e.g. a registered paper document) with its first events."""
        await insert_with_events(self.collection, document, events)


class InboxRepository:
    """Per-owner inbox collections (see the module docstring)."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self._db = db
        self._indexed: set[str] = set()

    def of(self, owner: str) -> AsyncIOMotorCollection[Any]:
        return self._db[inbox_collection_name(owner)]

    async def _ensure_index(self, owner: str) -> None:
        name = inbox_collection_name(owner)
        if name in self._indexed:
            return
        await self.of(owner).create_index(
            [("carpeta", ASCENDING), ("orden", DESCENDING)], name="carpeta_orden"
        )
        self._indexed.add(name)

    async def write(self, owner: str, entries: list[dict[str, Any]], remove: Sequence[str] = ()) -> list[str]:
        """Upsert `entries` (by `_id`) and delete `remove` from one owner's inbox.

        Returns the ids of the entries that were not there before (what is new to the owner).
        """
        await self._ensure_index(owner)
        coll = self.of(owner)
        created: list[str] = []
        if entries:
            ops = [UpdateOne({"_id": e["_id"]}, {"$set": e}, upsert=True) for e in entries]
            result = await coll.bulk_write(ops, ordered=False)
            created = [str(i) for i in (result.upserted_ids or {}).values()]
        if remove:
            await coll.delete_many({"_id": {"$in": list(remove)}})
        return created

    async def page(self, owner: str, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        cursor = self.of(owner).find(query).sort("orden", DESCENDING).limit(limit)
        return [doc async for doc in cursor]

    async def unread(self, owner: str) -> dict[str, int]:
        """Unread entries per folder."""
        counts: dict[str, int] = {}
        async for doc in self.of(owner).find({"leido": False}, {"carpeta": 1}):
            counts[doc["carpeta"]] = counts.get(doc["carpeta"], 0) + 1
        return counts

    async def overdue(self, owner: str, today: str, open_states: list[str]) -> dict[str, int]:
        """Open deliveries past their deadline, per folder."""
        query = {
            "tipo": "entrega",
            "fecha_limite": {"$lt": today, "$ne": None},
            "estado": {"$in": open_states},
        }
        counts: dict[str, int] = {}
        async for doc in self.of(owner).find(query, {"carpeta": 1}):
            counts[doc["carpeta"]] = counts.get(doc["carpeta"], 0) + 1
        return counts

    async def get(self, owner: str, entry_id: str) -> dict[str, Any] | None:
        return await self.of(owner).find_one({"_id": entry_id})


class QueueRepository:
    """Small work queues: acuses still to be sealed, and open deliveries with a deadline."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.acuses: AsyncIOMotorCollection[Any] = db["acuses_pendientes"]
        self.plazos: AsyncIOMotorCollection[Any] = db["plazos"]

    async def enqueue_acuse(self, entrega: str, oficio_id: str, at: datetime) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self.acuses.insert_one({"_id": entrega, "oficio_id": oficio_id, "desde": at, "intentos": 0})

    async def pending_acuses(self, limit: int = 100) -> list[dict[str, Any]]:
        return [d async for d in self.acuses.find({}).sort("desde", ASCENDING).limit(limit)]

    async def acuse_done(self, entrega: str) -> None:
        await self.acuses.delete_one({"_id": entrega})

    async def acuse_failed(self, entrega: str) -> None:
        await self.acuses.update_one({"_id": entrega}, {"$inc": {"intentos": 1}})

    async def track_deadline(self, entrega: str, oficio_id: str, fecha_limite: str) -> None:
        await self.plazos.update_one(
            {"_id": entrega},
            {"$set": {"oficio_id": oficio_id, "fecha_limite": fecha_limite}},
            upsert=True,
        )

    async def untrack_deadline(self, entrega: str) -> None:
        await self.plazos.delete_one({"_id": entrega})

    async def deadlines(self) -> list[dict[str, Any]]:
        return [d async for d in self.plazos.find({})]

    async def mark_deadline(self, entrega: str, field: str) -> None:
        await self.plazos.update_one({"_id": entrega}, {"$set": {field: True}})
