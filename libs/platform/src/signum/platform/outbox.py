"""The transactional outbox (DESIGN.md §2).

A state change and the events it causes are written in ONE document update: the events are pushed
into the aggregate's `_outbox` array next to the change. A relay publishes them in order, then
removes exactly what it published. If the process dies between the write and the publish, the
events are still in the document and the next relay run publishes them; if it dies between the
publish and the removal, they are published again and idempotent consumers drop the duplicate.

Only single-document updates and `$pullAll` are used: FerretDB 1.x has no transactions, and its
`$pull` with a condition is a silent no-op.

FerretDB 1.x also applies an update as read, change, write back, with nothing stopping another
update of the same document in between: the later write wins and the earlier change is lost. The
relay writes to the same documents as the service's own updates, so every relay write (lease,
clear, release) and every writer (`update_with_events`) holds the document's lock (`document_locks`)
in this process. Across replicas on FerretDB
the race remains (development and tests run one replica; MongoDB applies updates atomically).
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from motor.motor_asyncio import AsyncIOMotorCollection
from pymongo import ASCENDING

from signum.contracts import Event, decode_event
from signum.platform.logging import get_logger
from signum.platform.metrics import ServiceMetrics

OUTBOX = "_outbox"
OUTBOX_SINCE = "_outbox_since"
OUTBOX_LEASE = "_outbox_lease"
OUTBOX_LEASE_OWNER = "_outbox_lease_owner"

Publish = Callable[[Event], Awaitable[None]]

log = get_logger(__name__)


class DocumentLocks:
    """One asyncio lock per (collection, document id) in this process, created on demand."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, Any], asyncio.Lock] = {}
        self._users: dict[tuple[str, Any], int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, collection: str, ids: Iterable[Any]) -> AsyncIterator[None]:
        """Hold the locks of `ids` (taken in a fixed order, so two holders never deadlock)."""
        keys = sorted({(collection, i) for i in ids}, key=repr)
        for key in keys:
            self._users[key] = self._users.get(key, 0) + 1
        taken: list[asyncio.Lock] = []
        try:
            for key in keys:
                lock = self._locks.setdefault(key, asyncio.Lock())
                await lock.acquire()
                taken.append(lock)
            yield
        finally:
            for lock in reversed(taken):
                lock.release()
            for key in keys:
                self._users[key] -= 1
                if not self._users[key]:
                    del self._users[key]
                    self._locks.pop(key, None)


document_locks = DocumentLocks()

# The relays running in this process, so a writer can wake the one that publishes its collection.
_relays: weakref.WeakSet[OutboxRelay] = weakref.WeakSet()


def announce(collection: AsyncIOMotorCollection[Any]) -> None:
    """Events were just written to `collection`: wake this process's relays that publish from it.

    Without it a relay finds them at its next poll (up to `poll_seconds` later).
    """
    for relay in list(_relays):
        if relay.publishes_from(collection):
            relay.notify()


async def update_with_events(
    collection: AsyncIOMotorCollection[Any],
    filter: dict[str, Any],
    update: dict[str, Any],
    events: Sequence[Event],
    **kwargs: Any,
) -> Any:
    """`update_one` of one document (by `_id` in `filter`) with its events, under its lock."""
    async with document_locks.hold(collection.name, [filter["_id"]]):
        result = await collection.update_one(filter, with_events(update, events), **kwargs)
    if events and (result.modified_count or result.upserted_id is not None):
        announce(collection)
    return result


async def insert_with_events(
    collection: AsyncIOMotorCollection[Any], document: dict[str, Any], events: Sequence[Event]
) -> None:
    """Insert a new document together with its first events."""
    await collection.insert_one(new_document_with_events(document, events))
    if events:
        announce(collection)


def with_events(update: dict[str, Any], events: Sequence[Event]) -> dict[str, Any]:
    """Add `events` to a MongoDB update document, so the change and its events land together."""
    if not events:
        return update
    merged = {op: dict(fields) for op, fields in update.items()}
    merged.setdefault("$push", {})[OUTBOX] = {"$each": [e.to_document() for e in events]}
    merged.setdefault("$set", {})[OUTBOX_SINCE] = datetime.now(UTC)
    return merged


def new_document_with_events(document: dict[str, Any], events: Sequence[Event]) -> dict[str, Any]:
    """A document to insert together with its first events."""
    doc = dict(document)
    if events:
        doc[OUTBOX] = [e.to_document() for e in events]
        doc[OUTBOX_SINCE] = datetime.now(UTC)
    return doc


async def ensure_outbox_indexes(collection: AsyncIOMotorCollection[Any]) -> None:
    """The index the relay uses to find documents with pending events."""
    await collection.create_index([(OUTBOX_SINCE, ASCENDING)], name="outbox_since")


class OutboxRelay:
    """Publishes the pending events of some collections, oldest first, one document at a time.

    Several replicas may run: a document is leased before its events are published, so two relays
    do not publish the same events at once (and if they ever do, consumers are idempotent).
    """

    def __init__(
        self,
        collections: Iterable[AsyncIOMotorCollection[Any]],
        publish: Publish,
        metrics: ServiceMetrics,
        *,
        poll_seconds: float = 0.5,
        lease_seconds: float = 30.0,
        batch: int = 100,
    ) -> None:
        self._collections = list(collections)
        self._publish = publish
        self._metrics = metrics
        self._poll = poll_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._batch = batch
        self._owner = uuid4().hex
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._names = {(c.database.name, c.name) for c in self._collections}

    def notify(self) -> None:
        """Wake the relay now (called after a write with events) instead of at the next poll."""
        self._wake.set()

    def publishes_from(self, collection: AsyncIOMotorCollection[Any]) -> bool:
        return (collection.database.name, collection.name) in self._names

    def start(self) -> None:
        """Run the relay in the background until `stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")
            _relays.add(self)

    async def stop(self) -> None:
        """Stop the background relay; pending events stay in the outbox."""
        _relays.discard(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        backoff = self._poll
        while True:
            # Cleared before draining, not after: a wake-up that arrives during a drain (a write
            # the drain's query did not see yet) must start another round, not be lost until the poll.
            self._wake.clear()
            try:
                published = await self.drain()
                if not published:
                    # Counting costs a query; do it when idle, not on the publishing path.
                    self._metrics.outbox_pending.set(await self.pending())
                backoff = self._poll
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Kafka or Mongo down: keep the events, retry
                log.warning("outbox relay failed; will retry", error=repr(exc), retry_in=backoff)
                # More writes do not end an outage sooner: back off regardless of wake-ups.
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if published:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)

    async def pending(self) -> int:
        """How many documents have events not yet published."""
        total = 0
        for coll in self._collections:
            total += await coll.count_documents({OUTBOX_SINCE: {"$exists": True}})
        return total

    async def oldest_pending(self) -> datetime | None:
        """When the oldest write still waiting to be published was made (None if none waits)."""
        found = []
        for coll in self._collections:
            doc = await coll.find_one(
                {OUTBOX_SINCE: {"$exists": True}}, {OUTBOX_SINCE: 1}, sort=[(OUTBOX_SINCE, ASCENDING)]
            )
            if doc is not None:
                found.append(doc[OUTBOX_SINCE])
        return min(found, default=None)

    async def drain(self) -> int:
        """Publish what is pending now; returns the number of events published."""
        published = 0
        for coll in self._collections:
            while True:
                docs = await self._claim_batch(coll)
                if not docs:
                    break
                published += await self._publish_batch(coll, docs)
                if len(docs) < self._batch:
                    break
        return published

    async def _claim_batch(self, coll: AsyncIOMotorCollection[Any]) -> list[dict[str, Any]]:
        """Lease up to `batch` documents with pending events, oldest first.

        One query finds them and one update leases them all: on FerretDB a filter without `_id`
        scans the collection, so claiming document by document would scan once per document.
        """
        now = datetime.now(UTC)
        claimable = {
            OUTBOX_SINCE: {"$exists": True},
            "$or": [{OUTBOX_LEASE: {"$exists": False}}, {OUTBOX_LEASE: {"$lt": now}}],
        }
        cursor = coll.find(claimable, {"_id": 1}).sort(OUTBOX_SINCE, ASCENDING).limit(self._batch)
        ids = [d["_id"] async for d in cursor]
        if not ids:
            return []
        async with document_locks.hold(coll.name, ids):
            await coll.update_many(
                {"_id": {"$in": ids}, **claimable},
                {"$set": {OUTBOX_LEASE: now + self._lease, OUTBOX_LEASE_OWNER: self._owner}},
            )
        # Another relay may have leased some of them between the scan and the update.
        docs = [d async for d in coll.find({"_id": {"$in": ids}, OUTBOX_LEASE_OWNER: self._owner})]
        docs.sort(key=lambda d: d[OUTBOX_SINCE])
        return docs

    async def _publish_batch(self, coll: AsyncIOMotorCollection[Any], docs: list[dict[str, Any]]) -> int:
        """Publish each document's events in order; then release what was published."""
        done: dict[Any, list[dict[str, Any]]] = {doc["_id"]: [] for doc in docs}
        try:
            for doc in docs:
                for entry in doc.get(OUTBOX) or []:
                    event = decode_event(entry)
                    await self._publish(event)
                    self._metrics.outbox_published.labels(topic=event.topic.value).inc()
                    done[doc["_id"]].append(entry)
        finally:
            await self._release_batch(coll, docs, done)
        return sum(len(entries) for entries in done.values())

    async def _release_batch(
        self,
        coll: AsyncIOMotorCollection[Any],
        docs: list[dict[str, Any]],
        done: dict[Any, list[dict[str, Any]]],
    ) -> None:
        # Documents whose every event was published are cleared together, grouped by how many
        # events they had: `$size` proves nothing was appended meanwhile. The rest, one by one.
        complete: dict[int, list[Any]] = {}
        one_by_one: list[Any] = []
        for doc in docs:
            entries = doc.get(OUTBOX) or []
            if entries and len(done[doc["_id"]]) == len(entries):
                complete.setdefault(len(entries), []).append(doc["_id"])
            else:
                one_by_one.append(doc["_id"])
        for size, ids in complete.items():
            async with document_locks.hold(coll.name, ids):
                result = await coll.update_many(
                    {"_id": {"$in": ids}, OUTBOX_LEASE_OWNER: self._owner, OUTBOX: {"$size": size}},
                    {
                        "$set": {OUTBOX: []},
                        "$unset": {OUTBOX_SINCE: "", OUTBOX_LEASE: "", OUTBOX_LEASE_OWNER: ""},
                    },
                )
            if result.modified_count < len(ids):
                still = coll.find({"_id": {"$in": ids}, OUTBOX_LEASE_OWNER: self._owner}, {"_id": 1})
                one_by_one.extend([d["_id"] async for d in still])
        for doc_id in one_by_one:
            await self._release(coll, doc_id, done[doc_id])

    async def _release(
        self, coll: AsyncIOMotorCollection[Any], doc_id: Any, done: list[dict[str, Any]]
    ) -> None:
        update: dict[str, Any] = {"$unset": {OUTBOX_LEASE: "", OUTBOX_LEASE_OWNER: ""}}
        if done:
            update["$pullAll"] = {OUTBOX: done}
        async with document_locks.hold(coll.name, [doc_id]):
            await coll.update_one({"_id": doc_id, OUTBOX_LEASE_OWNER: self._owner}, update)
            # Clear the pending marker only if nothing was added meanwhile.
            await coll.update_one(
                {"_id": doc_id, "$or": [{OUTBOX: {"$size": 0}}, {OUTBOX: {"$exists": False}}]},
                {"$unset": {OUTBOX_SINCE: ""}},
            )
