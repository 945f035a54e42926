"""The gauges a query tells, against real Kafka and MongoDB: consumer lag and DLQ size from
Kafka's offsets, the outbox's oldest waiting write; and the durations services observe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from motor.motor_asyncio import AsyncIOMotorDatabase

from signum.contracts import Topic
from signum.contracts.topics import dlq_topic
from signum.platform.metrics import KafkaOffsets, ServiceMetrics, timed
from signum.platform.outbox import OutboxRelay, insert_with_events
from signum.platform.settings import InfraSettings
from signum.testing.kafka import produce
from tests.platform.conftest import oficio_created

pytestmark = pytest.mark.stack


def value(metrics: ServiceMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_lag_counts_what_the_group_has_not_committed_and_dlq_size_what_the_dlq_holds(
    infra: InfraSettings, topics: None
) -> None:
    topic = infra.topic(Topic.DRAFTING.value)
    group = infra.group_id("metricstest")
    for n in range(5):
        await produce(infra.kafka_url, topic, b"%d" % n, key=b"same-partition")
    for n in range(2):
        await produce(infra.kafka_url, dlq_topic(topic), b"poison %d" % n)
    metrics = ServiceMetrics("metricstest")
    offsets = KafkaOffsets(metrics, infra.kafka_url, group, [topic])
    try:
        await offsets.sample()  # the group never committed: everything is lag
        lags = {
            s.labels["partition"]: s.value
            for s in metrics.consumer_lag.collect()[0].samples
            if s.labels["topic"] == topic
        }
        assert sum(lags.values()) == 5
        assert value(metrics, "signum_metricstest_dlq_size_messages", topic=topic) == 2

        (partition,) = [p for p, lag in lags.items() if lag == 5]
        tp = TopicPartition(topic, int(partition))
        committer = AIOKafkaConsumer(bootstrap_servers=infra.kafka_url, group_id=group)
        await committer.start()
        try:
            committer.assign([tp])
            await committer.commit({tp: OffsetAndMetadata(3, "")})
        finally:
            await committer.stop()
        await offsets.sample()
        lag = value(metrics, "signum_metricstest_consumer_lag_messages", topic=topic, partition=partition)
        assert lag == 2
    finally:
        await offsets.close()


async def test_outbox_reports_its_oldest_waiting_write(db: AsyncIOMotorDatabase[Any]) -> None:
    coll = db["outboxmetrics"]
    relay = OutboxRelay([coll], publish=_never, metrics=ServiceMetrics("outboxtest"))
    assert await relay.oldest_pending() is None
    before = datetime.now(UTC)
    await insert_with_events(coll, {"_id": "a"}, [oficio_created()])
    await insert_with_events(coll, {"_id": "b"}, [oficio_created()])
    oldest = await relay.oldest_pending()
    assert oldest is not None
    assert before - timedelta(seconds=1) <= oldest <= datetime.now(UTC)
    doc = await coll.find_one({"_id": "a"})
    assert doc is not None
    assert oldest == doc["_outbox_since"]


async def _never(_: Any) -> None:
    raise AssertionError("nothing is published in this test")


def test_durations_are_declared_per_service_and_timed_observes_them() -> None:
    signing = ServiceMetrics("signing")
    with timed(signing, "signature", method="credential"):
        pass
    with timed(signing, "seal"):
        pass
    assert value(signing, "signum_signing_signature_duration_seconds_count", method="credential") == 1
    assert value(signing, "signum_signing_seal_duration_seconds_count") == 1
    assert "pdf_render" not in signing.durations
    assert set(ServiceMetrics("drafting").durations) == {"pdf_render"}
    with timed(None, "pdf_render"):
        pass  # a service built without metrics (unit tests) measures nothing


def test_consumer_latency_is_the_time_since_the_event_occurred() -> None:
    metrics = ServiceMetrics("latencytest")
    metrics.observe_consumed("t.signum.drafting", datetime.now(UTC) - timedelta(seconds=3))
    total = value(metrics, "signum_latencytest_consumer_latency_seconds_sum", topic="t.signum.drafting")
    assert total is not None
    assert 3 <= total < 10
