"""Kafka: the broker factory, topic provisioning and a publisher for envelopes."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware

from signum.contracts import Event, Topic
from signum.contracts.topics import dlq_topic
from signum.platform.metrics import ServiceMetrics
from signum.platform.settings import InfraSettings


def build_broker(infra: InfraSettings, service: str, metrics: ServiceMetrics) -> KafkaBroker:
    """A FastStream Kafka broker with broker metrics in the service's registry."""
    return KafkaBroker(
        infra.kafka_url,
        client_id=f"signum-{service}",
        logger=logging.getLogger("faststream"),
        log_level=logging.DEBUG,
        request_timeout_ms=10_000,
        graceful_timeout=10.0,
        middlewares=[KafkaPrometheusMiddleware(registry=metrics.registry, app_name=service)],
        # Not idempotent on purpose: aiokafka's idempotent producer never recovers from
        # OutOfOrderSequenceNumber, which it gets when a broker restarts and has lost the
        # producer's sequence state, and then every publish fails until the process restarts.
        # Duplicates are harmless here (the outbox is at least once and consumers drop repeats),
        # and aiokafka keeps one batch in flight per partition, so order per key is kept.
        enable_idempotence=False,
        acks="all",
    )


def all_topics(infra: InfraSettings) -> list[str]:
    """Every physical topic of Signum, dead-letter topics included."""
    names = [infra.topic(t.value) for t in Topic]
    return names + [dlq_topic(n) for n in names]


async def ensure_topics(
    infra: InfraSettings, topics: Iterable[str], *, configs: dict[str, str] | None = None
) -> None:
    """Create the topics that do not exist yet (idempotent; safe across services)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_url, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if not missing:
            return
        new = [
            NewTopic(
                t,
                num_partitions=infra.kafka_partitions,
                replication_factor=infra.kafka_replication_factor,
                topic_configs=configs or {},
            )
            for t in missing
        ]
        # Another service may create it between our list and create.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(new)
    finally:
        await admin.close()


async def publish_event(broker: KafkaBroker, infra: InfraSettings, event: Event) -> None:
    """Publish one envelope on its topic, keyed by its oficio, and wait for the broker's ack."""
    await broker.publish(
        event.to_wire(),
        topic=infra.topic(event.topic.value),
        key=event.key,
        headers={"signum-type": event.type, "signum-version": str(event.version)},
        correlation_id=event.correlation_id,
    )
