"""The transactional outbox (DESIGN.md §2).

A state change and the events it causes are written in ONE atomic update of one document: the
events are pushed into the aggregate's `_outbox` array next to the change (or, for a change that
spans documents, in the same transaction: pass `session=` to `update_with_events` /
`insert_with_events`). A relay publishes each document's events in order, then removes exactly
the events it published, by event id (`$pull`). If the process dies between the write and the
publish, the events are still in the document and the next relay run publishes them; if it dies
between the publish and the removal, they are published again and idempotent consumers drop the
duplicate.

Nothing is locked in the process: MongoDB applies each update atomically, so any number of
replicas, each with its relay, and the services' own writers may touch the same document at once
without losing an event or a change. A relay leases the documents it is publishing (an update whose
filter says the lease is free), so two relays rarely publish the same events; when a lease runs out
under a slow relay, both may publish, and consumers absorb it. The MongoDB writes are in
`signum.platform.repository`.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from motor.motor_asyncio import AsyncIOMotorCollection

from signum.contracts import Event, decode_event
from signum.platform.logging import get_logger
from signum.platform.metrics import ServiceMetrics
from signum.platform.repository import (
    OUTBOX,
    OUTBOX_LEASE,
    OUTBOX_LEASE_OWNER,
    OUTBOX_SINCE,
    OutboxStore,
    new_document_with_events,
    with_events,
)

__all__ = [
    "OUTBOX",
    "OUTBOX_LEASE",
    "OUTBOX_LEASE_OWNER",
    "OUTBOX_SINCE",
    "OutboxRelay",
    "Publish",
    "announce",
    "ensure_outbox_indexes",
    "insert_with_events",
    "new_document_with_events",
    "update_with_events",
    "with_events",
]

Publish = Callable[[Event], Awaitable[None]]

log = get_logger(__name__)

# The relays running in this process, so a writer can wake the one that publishes its collection.
_relays: weakref.WeakSet[OutboxRelay] = weakref.WeakSet()


def announce(collection: AsyncIOMotorCollection[Any]) -> None:
    """Events were just written to `collection`: wake this process's relays that publish from it.

    Without it a relay finds them at its next poll (up to `poll_seconds` later). After a
    transaction, call it once the transaction has committed.
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
    """`update_one` of one document with its events, in the same atomic update."""
    result = await collection.update_one(filter, with_events(update, events), **kwargs)
    if events and (result.modified_count or result.upserted_id is not None) and not kwargs.get("session"):
        announce(collection)
    return result


async def insert_with_events(
    collection: AsyncIOMotorCollection[Any], document: dict[str, Any], events: Sequence[Event], **kwargs: Any
) -> None:
    """Insert a new document together with its first events."""
    await collection.insert_one(new_document_with_events(document, events), **kwargs)
    if events and not kwargs.get("session"):
        announce(collection)


async def ensure_outbox_indexes(collection: AsyncIOMotorCollection[Any]) -> None:
    """The index the relay uses to find documents with pending events."""
    await OutboxStore(collection).ensure_indexes()


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
        self._stores = [OutboxStore(c) for c in collections]
        self._publish = publish
        self._metrics = metrics
        self._poll = poll_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._batch = batch
        self._owner = uuid4().hex
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._names = {(s.collection.database.name, s.collection.name) for s in self._stores}

    def notify(self) -> None:
        """Wake the relay now (called after a write with events) instead of at the next poll."""
        self._wake.set()

    def publishes_from(self, collection: AsyncIOMotorCollection[Any]) -> bool:
        """Whether this relay publishes the events written to `collection`."""
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
        return sum([await store.pending() for store in self._stores])

    async def oldest_pending(self) -> datetime | None:
        """When the oldest write still waiting to be published was made (None if none waits)."""
        found = [await store.oldest_pending() for store in self._stores]
        return min((when for when in found if when is not None), default=None)

    async def drain(self) -> int:
        """Publish what is pending now; returns the number of events published."""
        published = 0
        for store in self._stores:
            while True:
                now = datetime.now(UTC)
                docs = await store.claim(self._owner, now, now + self._lease, self._batch)
                if not docs:
                    break
                published += await self._publish_batch(store, docs)
                if len(docs) < self._batch:
                    break
        return published

    async def _publish_batch(self, store: OutboxStore, docs: list[dict[str, Any]]) -> int:
        """Publish each document's events in order; then clear what was published and the lease."""
        done: list[str] = []
        try:
            for doc in docs:
                for entry in doc.get(OUTBOX) or []:
                    event = decode_event(entry)
                    await self._publish(event)
                    self._metrics.outbox_published.labels(topic=event.topic.value).inc()
                    done.append(str(event.event_id))
        finally:
            await store.clear([doc["_id"] for doc in docs], self._owner, done)
        return len(done)
