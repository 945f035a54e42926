"""The only module of the platform library that writes MongoDB update operators.

Its callers (the outbox relay, the idempotent consumer, the read models of readers and of the
directory) say what they mean (`claim`, `clear`, `apply_once`, `add_readers`...); the operators,
and the reasons each write is atomic on MongoDB, are here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError, OperationFailure

from signum.contracts import Event

# --- the outbox (signum.platform.outbox) -------------------------------------------------------

OUTBOX = "_outbox"
OUTBOX_SINCE = "_outbox_since"
OUTBOX_LEASE = "_outbox_lease"
OUTBOX_LEASE_OWNER = "_outbox_lease_owner"

# A sparse index: only documents with pending events have `_outbox_since`, so the relay's query
# reads those and nothing else, however many documents the collection holds.
OUTBOX_INDEX = "outbox_pending"
_OLD_OUTBOX_INDEX = "outbox_since"  # the same key without `sparse` (every document in it)
_NOTHING_TO_DROP = (26, 27)  # NamespaceNotFound (no collection yet), IndexNotFound (dropped already)


def with_events(update: dict[str, Any], events: Sequence[Event]) -> dict[str, Any]:
    """Add `events` to a MongoDB update document, so the change and its events land together.

    `$min` keeps `_outbox_since` at the oldest pending event's time: a document written to again
    and again keeps its place in the relay's queue.
    """
    if not events:
        return update
    merged = {op: dict(fields) for op, fields in update.items()}
    merged.setdefault("$push", {})[OUTBOX] = {"$each": [e.to_document() for e in events]}
    merged.setdefault("$min", {})[OUTBOX_SINCE] = datetime.now(UTC)
    return merged


def new_document_with_events(document: dict[str, Any], events: Sequence[Event]) -> dict[str, Any]:
    """A document to insert together with its first events."""
    doc = dict(document)
    if events:
        doc[OUTBOX] = [e.to_document() for e in events]
        doc[OUTBOX_SINCE] = datetime.now(UTC)
    return doc


class OutboxStore:
    """The pending events of one collection, as the relays see them.

    Every write is one atomic update of MongoDB, so several relays (replicas) and the service's own
    writers may work on the same document at once: a writer's `$push` of new events and a relay's
    `$pull` of the events it published (by event id) never undo each other, and the lease is taken
    by an update whose filter says it is free.
    """

    def __init__(self, collection: AsyncIOMotorCollection[Any]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        """The relay's index (the plain one it replaces is dropped first: MongoDB refuses two
        indexes of the same key that differ only in `sparse`)."""
        try:
            await self.collection.drop_index(_OLD_OUTBOX_INDEX)
        except OperationFailure as exc:
            if exc.code not in _NOTHING_TO_DROP:
                raise
        await self.collection.create_index([(OUTBOX_SINCE, ASCENDING)], name=OUTBOX_INDEX, sparse=True)

    async def pending(self) -> int:
        """How many documents have events not yet published."""
        return int(await self.collection.count_documents({OUTBOX_SINCE: {"$exists": True}}))

    async def oldest_pending(self) -> datetime | None:
        """When the oldest write still waiting to be published was made (None if none waits)."""
        doc = await self.collection.find_one(
            {OUTBOX_SINCE: {"$exists": True}}, {OUTBOX_SINCE: 1}, sort=[(OUTBOX_SINCE, ASCENDING)]
        )
        return None if doc is None else doc[OUTBOX_SINCE]

    async def claim(self, owner: str, now: datetime, until: datetime, limit: int) -> list[dict[str, Any]]:
        """Lease up to `limit` documents with pending events (oldest first) to `owner` until
        `until`; returns those this owner got, with their events, oldest first."""
        claimable = {OUTBOX_SINCE: {"$exists": True}, OUTBOX_LEASE: {"$not": {"$gte": now}}}
        cursor = self.collection.find(claimable, {"_id": 1}).sort(OUTBOX_SINCE, ASCENDING).limit(limit)
        ids = [d["_id"] async for d in cursor]
        if not ids:
            return []
        # The filter is checked again by the update, document by document: of two relays that
        # found the same documents, each one is leased to exactly one of them.
        await self.collection.update_many(
            {"_id": {"$in": ids}, **claimable},
            {"$set": {OUTBOX_LEASE: until, OUTBOX_LEASE_OWNER: owner}},
        )
        leased = self.collection.find(
            {"_id": {"$in": ids}, OUTBOX_LEASE_OWNER: owner, OUTBOX_LEASE: until},
            {OUTBOX: 1, OUTBOX_SINCE: 1},
        )
        docs = [d async for d in leased]
        docs.sort(key=lambda d: d[OUTBOX_SINCE])
        return docs

    async def clear(self, ids: Sequence[Any], owner: str, published: Sequence[str]) -> None:
        """Remove the `published` events (by id) from these documents and end `owner`'s lease.

        Events written meanwhile stay: `$pull` removes only the ids given. A document whose lease
        ran out and went to another relay keeps that relay's lease, but still loses what this one
        published (the other relay may publish it again; consumers drop the duplicate).
        """
        pull: dict[str, Any] = (
            {"$pull": {OUTBOX: {"event_id": {"$in": list(published)}}}} if published else {}
        )
        result = await self.collection.update_many(
            {"_id": {"$in": list(ids)}, OUTBOX_LEASE_OWNER: owner},
            {**pull, "$unset": {OUTBOX_LEASE: "", OUTBOX_LEASE_OWNER: ""}},
        )
        if pull and result.matched_count < len(ids):
            await self.collection.update_many(
                {"_id": {"$in": list(ids)}, OUTBOX_LEASE_OWNER: {"$ne": owner}}, pull
            )
        # No longer pending once empty; a writer's `$push` landing first keeps it pending.
        await self.collection.update_many(
            {"_id": {"$in": list(ids)}, OUTBOX: {"$size": 0}, OUTBOX_SINCE: {"$exists": True}},
            {"$unset": {OUTBOX_SINCE: ""}},
        )


# --- the idempotent consumer (signum.platform.consumer) ----------------------------------------


async def apply_once(
    collection: AsyncIOMotorCollection[Any],
    doc_id: Any,
    event: Event,
    update: dict[str, Any],
    *,
    upsert: bool = True,
    session: Any = None,
) -> bool:
    """Apply `update` to one document unless this event was already applied to it.

    The event id is recorded in the same atomic update (`_applied`), so even a crash between the
    effect and `ProcessedEvents.mark` cannot apply it twice. Returns False if it was a duplicate.
    """
    event_id = str(event.event_id)
    merged = {op: dict(fields) for op, fields in update.items()}
    merged.setdefault("$push", {})["_applied"] = event_id
    try:
        result = await collection.update_one(
            {"_id": doc_id, "_applied": {"$ne": event_id}}, merged, upsert=upsert, session=session
        )
    except DuplicateKeyError:
        return False  # the upsert met the existing document that already holds this event id
    return bool(result.modified_count or result.upserted_id is not None)


async def apply_if_newer(
    collection: AsyncIOMotorCollection[Any],
    doc_id: Any,
    version: int,
    fields: dict[str, Any],
    *,
    version_field: str = "version",
) -> bool:
    """Set `fields` on one document, stamped with `version`, unless it holds that version or a later one.

    For read models of a state the owner numbers (a draft's version): applying the same version
    again changes nothing, and an older one arriving after a newer one is ignored. A missing
    document is created; a document without a version (written before it was kept) counts as older.
    Returns whether the fields were written.
    """
    older = {"$or": [{version_field: {"$lt": version}}, {version_field: {"$exists": False}}]}
    for _ in range(3):
        result = await collection.update_one(
            {"_id": doc_id, **older}, {"$set": {**fields, version_field: version}}
        )
        if result.matched_count:
            return True
        try:
            await collection.insert_one({"_id": doc_id, **fields, version_field: version})
            return True
        except DuplicateKeyError:
            # It exists: at this version or a later one (nothing to do), or someone created it
            # meanwhile with an older one (try the update again).
            if await collection.find_one({"_id": doc_id, version_field: {"$gte": version}}, {"_id": 1}):
                return False
    return False


# --- read models (signum.platform.readers, signum.platform.directory) --------------------------


async def add_readers(
    collection: AsyncIOMotorCollection[Any], oficio_id: str, readers: Sequence[str]
) -> None:
    """Add readers to an oficio's set (idempotent, in any order)."""
    if readers:
        await collection.update_one(
            {"_id": oficio_id}, {"$addToSet": {"lectores": {"$each": list(readers)}}}, upsert=True
        )


async def store_if_newer_revision(
    collection: AsyncIOMotorCollection[Any], entity_id: str, revision: int, fields: dict[str, Any]
) -> bool:
    """Store an entity's fields unless the stored revision is this one or newer; whether it did."""
    try:
        result = await collection.update_one(
            {"_id": entity_id, "revision": {"$lt": revision}}, {"$set": fields}, upsert=True
        )
    except DuplicateKeyError:
        # The document exists with this revision or a newer one: the upsert tried to insert
        # a second document with the same id. Nothing to do.
        return False
    return bool(result.modified_count or result.upserted_id is not None)
