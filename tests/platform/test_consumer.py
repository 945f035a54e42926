"""The idempotent consumer against real Kafka: duplicates applied once, poison to the DLQ."""

from __future__ import annotations

import gc
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from motor.motor_asyncio import AsyncIOMotorDatabase

from signum.contracts import Event, Topic
from signum.contracts.topics import dlq_topic
from signum.platform.consumer import Batch, EventConsumer, Incoming, apply_once
from signum.platform.errors import SignumError, ValidationFailedError
from signum.platform.kafka import publish_event
from signum.platform.metrics import ServiceMetrics
from signum.platform.settings import InfraSettings
from signum.testing.kafka import collect, eventually, produce
from tests.platform.conftest import oficio_created

pytestmark = pytest.mark.stack


class Effects:
    """A handler whose effect is counted in MongoDB, made idempotent by `apply_once`."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.coll = db["effects"]
        self.calls = 0
        self.fail_with: SignumError | None = None

    async def handle(self, event: Event) -> None:
        self.calls += 1
        if self.fail_with is not None and event.payload.asunto == "falla":  # type: ignore[attr-defined]
            raise self.fail_with
        await apply_once(self.coll, event.oficio_id, event, {"$inc": {"applied": 1}})

    async def applied(self, oficio_id: str | None) -> int:
        doc = await self.coll.find_one({"_id": oficio_id})
        return 0 if doc is None else int(doc["applied"])


@pytest.fixture
async def running(
    infra: InfraSettings, db: AsyncIOMotorDatabase[Any], topics: None
) -> AsyncIterator[tuple[EventConsumer, Effects, ServiceMetrics]]:
    metrics = ServiceMetrics("consumertest")
    effects = Effects(db)
    consumer_broker = KafkaBroker(infra.kafka_url)
    consumer = EventConsumer(
        service="consumertest",
        broker=consumer_broker,
        infra=infra,
        db=db,
        metrics=metrics,
        topics=[Topic.DRAFTING],
        handlers={"oficio.created": effects.handle},
        max_attempts=3,
        retry_base_seconds=0.01,
    )
    consumer.register()
    await consumer_broker.start()
    yield consumer, effects, metrics
    await consumer_broker.stop()


def _outcome(metrics: ServiceMetrics, infra: InfraSettings, type_: str, outcome: str) -> float:
    value = metrics.registry.get_sample_value(
        "signum_consumertest_events_consumed_total",
        {"topic": infra.topic(Topic.DRAFTING.value), "type": type_, "outcome": outcome},
    )
    return value or 0.0


async def test_the_same_event_delivered_twice_is_applied_once(
    infra: InfraSettings, broker: KafkaBroker, running: tuple[EventConsumer, Effects, ServiceMetrics]
) -> None:
    _, effects, metrics = running
    event = oficio_created()
    await publish_event(broker, infra, event)
    await publish_event(broker, infra, event)

    await eventually(lambda: _async(_outcome(metrics, infra, "oficio.created", "duplicate") == 1))
    assert await effects.applied(event.oficio_id) == 1
    assert _outcome(metrics, infra, "oficio.created", "applied") == 1


async def test_apply_once_holds_even_if_the_processed_mark_was_lost(
    infra: InfraSettings, db: AsyncIOMotorDatabase[Any]
) -> None:
    """A crash between the effect and the processed-event mark: the effect itself refuses twice."""
    effects = Effects(db)
    event = oficio_created()
    await effects.handle(event)
    await effects.handle(event)
    assert await effects.applied(event.oficio_id) == 1


async def test_an_idempotent_consumer_leaves_repeats_to_its_handler_and_keeps_no_processed_events(
    infra: InfraSettings, broker: KafkaBroker, db: AsyncIOMotorDatabase[Any], topics: None
) -> None:
    """`idempotent=True`: no processed-events read before each event nor mark after it; a repeat
    reaches the handler, whose own write (`apply_once`) refuses it."""
    metrics = ServiceMetrics("idempotenttest")
    effects = Effects(db)
    consumer_broker = KafkaBroker(infra.kafka_url)
    consumer = EventConsumer(
        service="idempotenttest",
        broker=consumer_broker,
        infra=infra,
        db=db,
        metrics=metrics,
        topics=[Topic.DRAFTING],
        handlers={"oficio.created": effects.handle},
        idempotent=True,
    )
    consumer.register()
    await consumer_broker.start()
    try:
        event = oficio_created()
        await publish_event(broker, infra, event)
        await publish_event(broker, infra, event)
        await eventually(lambda: _async(effects.calls == 2))
        assert await effects.applied(event.oficio_id) == 1
        assert not await consumer.processed.seen(event)
        assert await db["processed_events"].count_documents({}) == 0
    finally:
        await consumer_broker.stop()


async def test_a_broken_message_goes_to_the_dlq_and_the_consumer_keeps_going(
    infra: InfraSettings, broker: KafkaBroker, running: tuple[EventConsumer, Effects, ServiceMetrics]
) -> None:
    _, effects, metrics = running
    topic = infra.topic(Topic.DRAFTING.value)
    await produce(infra.kafka_url, topic, b"{not json at all", key=b"broken")
    good = oficio_created()
    await publish_event(broker, infra, good)

    await eventually(lambda: effects.applied(good.oficio_id))
    dead = await collect(infra.kafka_url, dlq_topic(topic), until=lambda r: bool(r))
    assert [r.value for r in dead] == [b"{not json at all"]
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers["signum-dlq-reason"] == "undecodable"
    assert headers["signum-source-topic"] == topic
    assert headers["signum-dlq-consumer"] == "consumertest"
    assert (
        metrics.registry.get_sample_value(
            "signum_consumertest_dlq_messages_total", {"topic": topic, "reason": "undecodable"}
        )
        == 1
    )


async def test_a_refused_event_is_dead_lettered_with_its_code_and_not_marked(
    infra: InfraSettings,
    db: AsyncIOMotorDatabase[Any],
    running: tuple[EventConsumer, Effects, ServiceMetrics],
) -> None:
    consumer, effects, _ = running
    effects.fail_with = ValidationFailedError("Dato inválido", code="bad_payload")
    event = oficio_created()
    event = event.model_copy(update={"payload": event.payload.model_copy(update={"asunto": "falla"})})
    incoming = Incoming(infra.topic(Topic.DRAFTING.value), 0, 0, b"k", event.to_wire())

    assert await consumer.handle(incoming) == "dead_lettered"
    assert effects.calls == 1, "a non-retryable error is not retried"
    assert not await consumer.processed.seen(event)
    dead = await collect(
        infra.kafka_url,
        dlq_topic(incoming.topic),
        until=lambda r: any(json.loads(x.value)["event_id"] == str(event.event_id) for x in r),
    )
    headers = {k: v.decode() for k, v in dead[-1].headers}
    assert headers["signum-dlq-reason"] == "bad_payload"


async def test_a_retryable_failure_is_retried_then_dead_lettered(
    infra: InfraSettings, running: tuple[EventConsumer, Effects, ServiceMetrics]
) -> None:
    consumer, effects, metrics = running
    effects.fail_with = SignumError("Temporal", code="flaky", retryable=True)
    event = oficio_created()
    event = event.model_copy(update={"payload": event.payload.model_copy(update={"asunto": "falla"})})
    incoming = Incoming(infra.topic(Topic.DRAFTING.value), 0, 0, b"k", event.to_wire())

    assert await consumer.handle(incoming) == "dead_lettered"
    assert effects.calls == 3
    assert (
        metrics.registry.get_sample_value(
            "signum_consumertest_dlq_messages_total", {"topic": incoming.topic, "reason": "retries_exhausted"}
        )
        == 1
    )


class Batches:
    """A batch handler (over `Effects`) that fails the whole batch if it holds a poison event."""

    def __init__(self, effects: Effects) -> None:
        self.effects = effects
        self.sizes: list[int] = []
        self.collecting: list[bool] = []  # whether cyclic GC was on while each batch was applied

    async def apply(self, events: Sequence[Event]) -> None:
        self.sizes.append(len(events))
        self.collecting.append(gc.isenabled())
        if any(e.payload.asunto == "falla" for e in events):  # type: ignore[attr-defined]
            raise RuntimeError("one bad event in the batch")
        for event in events:
            await apply_once(self.effects.coll, event.oficio_id, event, {"$inc": {"applied": 1}})


async def test_a_batch_is_applied_together_and_a_failed_one_event_by_event(
    infra: InfraSettings, db: AsyncIOMotorDatabase[Any], topics: None
) -> None:
    metrics = ServiceMetrics("consumertest")
    effects = Effects(db)
    effects.fail_with = ValidationFailedError("Dato inválido", code="bad_payload")
    batches = Batches(effects)
    broker = KafkaBroker(infra.kafka_url)
    consumer = EventConsumer(
        service="consumertest",
        broker=broker,
        infra=infra,
        db=db,
        metrics=metrics,
        topics=[Topic.DRAFTING],
        handlers={"oficio.created": effects.handle},
        batch=Batch(types=frozenset({"oficio.created"}), apply=batches.apply),
    )
    topic = infra.topic(Topic.DRAFTING.value)
    good = [oficio_created() for _ in range(3)]
    bad = oficio_created()
    bad = bad.model_copy(update={"payload": bad.payload.model_copy(update={"asunto": "falla"})})

    def record(n: int, value: bytes) -> Incoming:
        return Incoming(topic, 0, n, b"k", value)

    await broker.start()
    try:
        await consumer.handle_batch([record(n, e.to_wire()) for n, e in enumerate(good)])
        assert batches.sizes == [3]
        assert effects.calls == 0
        assert [await effects.applied(e.oficio_id) for e in good] == [1, 1, 1]
        later = oficio_created()
        mixed = [record(3, b"{not json"), record(4, later.to_wire()), record(5, bad.to_wire())]
        await consumer.handle_batch([*mixed, record(6, good[0].to_wire())])  # one delivered again
        # The batch failed on the bad event: each went alone through its handler, the bad one to
        # the DLQ; the good ones were applied once.
        assert batches.sizes == [3, 3]
        assert effects.calls == 3
        assert await effects.applied(later.oficio_id) == 1
        assert await effects.applied(good[0].oficio_id) == 1
        assert await effects.applied(bad.oficio_id) == 0
        dead = await collect(infra.kafka_url, dlq_topic(topic), until=lambda r: len(r) >= 2)
        assert sorted(dict(r.headers)["signum-dlq-reason"].decode() for r in dead) == [
            "bad_payload",
            "undecodable",
        ]
    finally:
        await broker.stop()


async def test_cyclic_gc_is_paused_while_a_batch_is_applied_and_back_after(
    infra: InfraSettings, db: AsyncIOMotorDatabase[Any], topics: None
) -> None:
    effects = Effects(db)
    batches = Batches(effects)
    consumer = EventConsumer(
        service="consumertest",
        broker=KafkaBroker(infra.kafka_url),
        infra=infra,
        db=db,
        metrics=ServiceMetrics("consumertest"),
        topics=[Topic.DRAFTING],
        handlers={"oficio.created": effects.handle},
        batch=Batch(types=frozenset({"oficio.created"}), apply=batches.apply),
    )
    topic = infra.topic(Topic.DRAFTING.value)
    good, bad = oficio_created(), oficio_created()
    bad = bad.model_copy(update={"payload": bad.payload.model_copy(update={"asunto": "falla"})})
    assert gc.isenabled()
    await consumer.handle_batch([Incoming(topic, 0, 0, b"k", good.to_wire())])
    assert gc.isenabled()
    # A failed batch (its events then applied one at a time) gives collection back as well.
    await consumer.handle_batch([Incoming(topic, 0, 1, b"k", bad.to_wire())])
    assert gc.isenabled()
    assert batches.collecting == [False, False]
    assert await effects.applied(good.oficio_id) == 1


async def _async(value: Any) -> Any:
    return value
