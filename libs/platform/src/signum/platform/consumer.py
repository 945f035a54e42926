"""The idempotent event consumer: each event applied once, failures retried, poison to the DLQ.

`apply_once` and `apply_if_newer` (idempotent effects on one document) are written in
`signum.platform.repository` and offered here.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from motor.motor_asyncio import AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from signum.contracts import Event, Topic, UnknownEventError, decode_event
from signum.contracts.topics import dlq_topic
from signum.platform.errors import SignumError
from signum.platform.logging import bind_correlation_id, get_logger
from signum.platform.metrics import ServiceMetrics
from signum.platform.repository import apply_if_newer, apply_once
from signum.platform.settings import InfraSettings

Handler = Callable[[Event], Awaitable[None]]
BatchHandler = Callable[[Sequence[Event]], Awaitable[None]]

__all__ = [
    "Batch",
    "BatchHandler",
    "EventConsumer",
    "Handler",
    "Incoming",
    "ProcessedEvents",
    "apply_if_newer",
    "apply_once",
]

PROCESSED_EVENTS = "processed_events"
INFRA_BACKOFF_CAP_SECONDS = 30.0

log = get_logger(__name__)


@dataclass(frozen=True)
class Incoming:
    """One Kafka record as the consumer sees it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class Batch:
    """Event types a service applies a batch at a time (what a replay or a consumer far behind
    needs: a few round trips per batch, not several per event).

    `apply` gets, in order, the events of these types among the records of one fetch (up to
    `max_records`) and must itself apply each exactly once, whatever was applied before (a
    redelivered batch, another process): `processed_events` is not consulted for them. Records of
    other types go through their handlers one at a time first. If `apply` fails for a reason
    other than the database being down, each of its events is applied alone through its handler
    (retries, dead-letter topic), so one bad event does not hold up the rest."""

    types: frozenset[str]
    apply: BatchHandler
    max_records: int = 5000
    wait_ms: int = 100  # how long a fetch waits for records when there are none


class ProcessedEvents:
    """Event ids already applied by this service, under a unique `_id`."""

    def __init__(self, collection: AsyncIOMotorCollection[Any]) -> None:
        self._coll = collection

    async def seen(self, event: Event) -> bool:
        """Whether `event` was applied before."""
        return await self._coll.find_one({"_id": str(event.event_id)}, {"_id": 1}) is not None

    async def mark(self, event: Event) -> None:
        """Remember that `event` was applied."""
        # A concurrent delivery may have marked it first; the effect itself was idempotent.
        with contextlib.suppress(DuplicateKeyError):
            await self._coll.insert_one(
                {"_id": str(event.event_id), "type": event.type, "at": datetime.now(UTC)}
            )


class EventConsumer:
    """Subscribes a service to topics and applies each event through its handler exactly once."""

    def __init__(
        self,
        *,
        service: str,
        broker: KafkaBroker,
        infra: InfraSettings,
        db: AsyncIOMotorDatabase[Any],
        metrics: ServiceMetrics,
        topics: Iterable[Topic],
        handlers: dict[str, Handler],
        default: Handler | None = None,
        max_attempts: int = 5,
        retry_base_seconds: float = 0.2,
        idempotent: bool = False,
        batch: Batch | None = None,
    ) -> None:
        """`idempotent`: every handler applies its event at most once by itself (its event id is
        written in the same atomic write or transaction as its effect, and a repeat changes nothing),
        so the consumer neither looks the event up in `processed_events` before nor marks it after:
        one read and one write less per event, on the path of every event."""
        self._service = service
        self._broker = broker
        self._infra = infra
        self._metrics = metrics
        self._topics = [infra.topic(t.value) for t in topics]
        self._handlers = handlers
        self._default = default
        self._max_attempts = max_attempts
        self._retry_base = retry_base_seconds
        self._idempotent = idempotent
        self._batch = batch
        self.processed = ProcessedEvents(db[PROCESSED_EVENTS])

    @property
    def topics(self) -> list[str]:
        """The physical topics it subscribes to."""
        return list(self._topics)

    @property
    def types(self) -> frozenset[str] | None:
        """The event types it applies (others are ignored); None if a default handler takes any."""
        return None if self._default is not None else frozenset(self._handlers)

    def register(self) -> None:
        """Attach the subscriber to the broker (before the broker starts)."""
        if self._batch is not None:
            self._register_batch(self._batch)
            return

        @self._broker.subscriber(
            *self._topics,
            group_id=self._infra.group_id(self._service),
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self._infra.kafka_fetch_max_wait_ms,
            ack_policy=AckPolicy.NACK_ON_ERROR,
        )
        async def on_message(msg: KafkaMessage) -> None:
            record = msg.raw_message
            assert not isinstance(record, tuple)  # a single-message subscriber, never a batch
            await self.handle(_incoming(record))

    def _register_batch(self, batch: Batch) -> None:
        # One commit per batch, after all of it was applied; a failure rewinds every partition to
        # the batch's first record (NACK), so nothing is committed past an unapplied event.
        @self._broker.subscriber(
            *self._topics,
            group_id=self._infra.group_id(self._service),
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            batch=True,
            max_records=batch.max_records,
            batch_timeout_ms=batch.wait_ms,
            decoder=_undecoded,
        )
        async def on_batch(msg: KafkaMessage) -> None:
            records = msg.raw_message
            assert isinstance(records, tuple)
            await self.handle_batch([_incoming(r) for r in records])

    async def handle(self, incoming: Incoming) -> str:
        """Apply one record; returns the outcome (applied, duplicate, ignored, dead_lettered)."""
        event = await self._decode(incoming)
        return "dead_lettered" if event is None else await self._handle_event(incoming, event)

    async def handle_batch(self, records: Sequence[Incoming]) -> None:
        """Apply the records of one fetch: those of the batch's types together, the others alone."""
        with _collector_paused():
            await self._handle_batch(records)

    async def _handle_batch(self, records: Sequence[Incoming]) -> None:
        assert self._batch is not None
        together: list[tuple[Incoming, Event]] = []
        for incoming in records:
            # Bound to the log lines of an event applied alone, not to the whole batch's.
            event = await self._decode(incoming, bind=False)
            if event is None:
                continue
            if event.type in self._batch.types:
                together.append((incoming, event))
            else:
                bind_correlation_id(event.correlation_id)
                await self._handle_event(incoming, event)
        bind_correlation_id(None)
        if not together:
            return
        delay = self._retry_base
        while True:
            try:
                await self._batch.apply([event for _, event in together])
                break
            except ConnectionFailure as exc:
                log.warning("database unavailable while applying a batch", error=repr(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, INFRA_BACKOFF_CAP_SECONDS)
            except Exception:
                log.exception("batch failed, applying its events one at a time", events=len(together))
                for incoming, event in together:
                    bind_correlation_id(event.correlation_id)
                    await self._handle_event(incoming, event)
                return
        # Counted by topic and type, not one label look-up per event (a tenth of a batch's time).
        applied: dict[tuple[str, str], list[datetime]] = {}
        for incoming, event in together:
            applied.setdefault((incoming.topic, event.type), []).append(event.occurred_at)
        for (topic, type_), occurred in applied.items():
            counter = self._metrics.events_consumed.labels(topic=topic, type=type_, outcome="applied")
            counter.inc(len(occurred))
            self._metrics.observe_consumed(topic, *occurred)

    async def _decode(self, incoming: Incoming, *, bind: bool = True) -> Event | None:
        try:
            event = decode_event(incoming.value)
        except UnknownEventError as exc:
            await self.dead_letter(incoming, reason="undecodable", error=str(exc))
            self._count(incoming.topic, "unknown", "dead_lettered")
            return None
        if bind:
            bind_correlation_id(event.correlation_id)
        return event

    async def _handle_event(self, incoming: Incoming, event: Event) -> str:
        handler = self._handlers.get(event.type, self._default)
        if handler is None:
            self._count(incoming.topic, event.type, "ignored")
            return "ignored"
        if not self._idempotent and await self._with_infra_retry(self.processed.seen, event):
            self._count(incoming.topic, event.type, "duplicate")
            return "duplicate"
        failure = await self._apply(handler, event, incoming)
        if failure is not None:
            reason, error = failure
            await self.dead_letter(incoming, reason=reason, error=error)
            self._count(incoming.topic, event.type, "dead_lettered")
            return "dead_lettered"
        if not self._idempotent:
            await self._with_infra_retry(self.processed.mark, event)
        self._count(incoming.topic, event.type, "applied")
        self._metrics.observe_consumed(incoming.topic, event.occurred_at)
        return "applied"

    async def _apply(self, handler: Handler, event: Event, incoming: Incoming) -> tuple[str, str] | None:
        attempt = 0
        infra_delay = self._retry_base
        while True:
            try:
                await handler(event)
                return None
            except ConnectionFailure as exc:
                # The database is down: that is no fault of the event, so wait for it indefinitely
                # instead of dead-lettering everything; /readyz reports the outage meanwhile.
                log.warning("database unavailable while handling event", error=repr(exc))
                await asyncio.sleep(infra_delay)
                infra_delay = min(infra_delay * 2, INFRA_BACKOFF_CAP_SECONDS)
                continue
            except SignumError as exc:
                if not exc.retryable:
                    return exc.code, exc.message
                failure = (exc.code, exc.message)
            except Exception as exc:
                log.exception("event handler failed", event_type=event.type)
                failure = ("handler_error", repr(exc))
            attempt += 1
            if attempt >= self._max_attempts:
                return ("retries_exhausted", f"{failure[0]}: {failure[1]}")
            self._metrics.consumer_retries.labels(topic=incoming.topic, type=event.type).inc()
            await asyncio.sleep(self._retry_base * 2 ** (attempt - 1))

    async def _with_infra_retry(self, call: Callable[[Event], Awaitable[Any]], event: Event) -> Any:
        delay = self._retry_base
        while True:
            try:
                return await call(event)
            except ConnectionFailure as exc:
                log.warning("database unavailable", error=repr(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, INFRA_BACKOFF_CAP_SECONDS)

    async def dead_letter(self, incoming: Incoming, *, reason: str, error: str) -> None:
        """Send a record that cannot be applied to its topic's DLQ, with why, and count it."""
        await self._broker.publish(
            incoming.value,
            topic=dlq_topic(incoming.topic),
            key=incoming.key,
            headers={
                "signum-dlq-reason": reason,
                "signum-dlq-error": error[:1000],
                "signum-dlq-consumer": self._service,
                "signum-source-topic": incoming.topic,
                "signum-source-partition": str(incoming.partition),
                "signum-source-offset": str(incoming.offset),
            },
        )
        self._metrics.dlq_messages.labels(topic=incoming.topic, reason=reason).inc()
        log.warning(
            "message sent to the dead-letter topic",
            topic=incoming.topic,
            offset=incoming.offset,
            reason=reason,
        )

    def _count(self, topic: str, type_: str, outcome: str) -> None:
        self._metrics.events_consumed.labels(topic=topic, type=type_, outcome=outcome).inc()


async def _undecoded(msg: Any) -> Any:
    """FastStream's decoder of a batch subscriber, left undone: the handler decodes each record
    itself (`decode_event`), so FastStream's JSON parse of every body would be thrown away."""
    return msg.body


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Cyclic garbage collection off while a batch is applied. A batch allocates hundreds of
    thousands of objects that hold no cycles (decoded events, documents) and are freed by reference
    counting when it ends; meanwhile the collector's full passes would walk all of them again and
    again (measured on a replay: decoding and folding took three times as long). Collection
    resumes, as it was, when the batch ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _incoming(record: Any) -> Incoming:
    return Incoming(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value or b"",
    )
