"""Prometheus metrics shared by every service, named `signum_<service>_<what>_<unit>`."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from signum.contracts.topics import dlq_topic

__all__ = ["CONTENT_TYPE_LATEST", "OWN_DURATIONS", "KafkaOffsets", "ServiceMetrics", "timed"]

# Seconds: from a few milliseconds (an event handled at once) to minutes (a consumer catching up).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)
# Seconds: a PDF rendered or signed (a timestamp and revocation data fetched over the network).
WORK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

# Durations only some services measure, `signum_<service>_<what>_duration_seconds`:
# service -> what -> (help, label names). Declared here so the deploy tests see every name.
# `timed` observes failed attempts too: a TSA that times out is time the signer waited.
OWN_DURATIONS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "drafting": {
        "pdf_render": ("Time to render an oficio's PDF when it is finalized.", ()),
    },
    "signing": {
        "signature": (
            "Time to sign an oficio's PDF (PAdES, timestamp included), by how: credential or browser.",
            ("method",),
        ),
        "seal": ("Time to seal an acuse de recibo with the dependencia's seal.", ()),
    },
}


class ServiceMetrics:
    """The platform's metrics of one service, in a registry of its own."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        p = f"signum_{service}"
        self.http_requests = Counter(
            f"{p}_http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            f"{p}_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            registry=self.registry,
        )
        self.events_consumed = Counter(
            f"{p}_events_consumed",
            "Kafka messages handled, by outcome (applied, duplicate, dead_lettered).",
            ["topic", "type", "outcome"],
            registry=self.registry,
        )
        self.consumer_latency = Histogram(
            f"{p}_consumer_latency_seconds",
            "Time from an event's creation (occurred_at) to this service having applied it.",
            ["topic"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            f"{p}_consumer_lag_messages",
            "Messages of a topic partition this service's consumer group has not committed yet.",
            ["topic", "partition"],
            registry=self.registry,
        )
        self.dlq_messages = Counter(
            f"{p}_dlq_messages",
            "Messages sent to a dead-letter topic.",
            ["topic", "reason"],
            registry=self.registry,
        )
        self.dlq_size = Gauge(
            f"{p}_dlq_size_messages",
            "Messages held in the dead-letter topic of each topic this service consumes (`topic`).",
            ["topic"],
            registry=self.registry,
        )
        self.consumer_retries = Counter(
            f"{p}_consumer_retries",
            "Retries of a failed event handler.",
            ["topic", "type"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            f"{p}_outbox_pending_events",
            "Events written to the outbox and not yet published.",
            registry=self.registry,
        )
        self.outbox_oldest_age = Gauge(
            f"{p}_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox write still waiting to be published (0 when none waits).",
            registry=self.registry,
        )
        self.outbox_published = Counter(
            f"{p}_outbox_published",
            "Events published by the outbox relay.",
            ["topic"],
            registry=self.registry,
        )
        self.durations: dict[str, Histogram] = {
            what: Histogram(
                f"{p}_{what}_duration_seconds",
                doc,
                labels,
                buckets=WORK_BUCKETS,
                registry=self.registry,
            )
            for what, (doc, labels) in OWN_DURATIONS.get(service, {}).items()
        }

    def observe_consumed(self, topic: str, *occurred_at: datetime) -> None:
        """Events of `topic` created at these instants were just applied."""
        now, latency = datetime.now(UTC), self.consumer_latency.labels(topic=topic)
        for when in occurred_at:
            latency.observe(max((now - when).total_seconds(), 0.0))

    def render(self) -> bytes:
        """The text exposition of every metric in this registry."""
        return generate_latest(self.registry)


@contextlib.contextmanager
def timed(metrics: ServiceMetrics | None, what: str, **labels: str) -> Iterator[None]:
    """Observe how long the block takes in `signum_<service>_<what>_duration_seconds` (see
    OWN_DURATIONS); nothing when `metrics` is None (a service built without them, in unit tests)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        if metrics is not None:
            histogram = metrics.durations[what]
            (histogram.labels(**labels) if labels else histogram).observe(time.perf_counter() - started)


class KafkaOffsets:
    """Reads a consumer group's lag and its topics' dead-letter sizes from Kafka's own offsets.

    Kafka knows both whatever the consumer is doing: one that is stuck, or whose task died in a
    live process, still shows its lag growing (a process that is down reports nothing; the
    service-down alert covers it). Its clients are opened at the first sample and kept.
    """

    def __init__(self, metrics: ServiceMetrics, bootstrap: str, group_id: str, topics: Iterable[str]) -> None:
        self._metrics = metrics
        self._bootstrap = bootstrap
        self._group_id = group_id
        self._topics = sorted(set(topics))
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def sample(self) -> None:
        """Set the lag of every partition of the consumed topics and the size of their DLQs."""
        if not self._topics:
            return
        try:
            admin, consumer = await self._clients()
            dlqs = {dlq_topic(t): t for t in self._topics}
            described = await admin.describe_topics([*self._topics, *dlqs])
            partitions = [
                TopicPartition(t["topic"], p["partition"])
                for t in described
                if not t.get("error_code")
                for p in t["partitions"]
            ]
            committed = await admin.list_consumer_group_offsets(self._group_id)
            begins: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
            ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        except BaseException:  # a failure or a timeout's cancellation
            await self.close()  # reconnect at the next sample
            raise
        sizes: dict[str, int] = {}
        for tp in partitions:
            if tp.topic in dlqs:
                source = dlqs[tp.topic]
                sizes[source] = sizes.get(source, 0) + ends[tp] - begins[tp]
                continue
            done: Any = committed.get(tp)
            position = done.offset if done is not None and done.offset >= 0 else begins[tp]
            lag = max(ends[tp] - position, 0)
            self._metrics.consumer_lag.labels(topic=tp.topic, partition=str(tp.partition)).set(lag)
        for source in self._topics:
            self._metrics.dlq_size.labels(topic=source).set(sizes.get(source, 0))

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._consumer is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, request_timeout_ms=10_000)
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap, group_id=None, request_timeout_ms=10_000
            )
            self._admin, self._consumer = admin, consumer
            await admin.start()
            await consumer.start()
        return self._admin, self._consumer

    async def close(self) -> None:
        """Close the Kafka clients (they reopen at the next sample)."""
        admin, consumer, self._admin, self._consumer = self._admin, self._consumer, None, None
        with contextlib.suppress(Exception):
            if consumer is not None:
                await consumer.stop()
        with contextlib.suppress(Exception):
            if admin is not None:
                await admin.close()
