"""Outbox publication latency against a raw aiokafka produce of the same bytes, same broker.

value: seconds from a document write with one event to the relay having published it (median).
baseline: seconds for `send_and_wait` of the same bytes with a plain aiokafka producer (median).
ratio = value / baseline (lower is better): the cost of not losing events.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from bench.harness import Result, machine, time_async
from signum.contracts import Actor
from signum.contracts.drafting import OficioCreated, OficioCreatedPayload
from signum.platform.kafka import all_topics, ensure_topics, publish_event
from signum.platform.metrics import ServiceMetrics
from signum.platform.mongo import build_mongo_client
from signum.platform.outbox import OutboxRelay, new_document_with_events
from signum.platform.settings import InfraSettings

REPEAT = 200


def _event() -> OficioCreated:
    return OficioCreated(
        oficio_id=str(uuid.uuid4()),
        correlation_id=uuid.uuid4().hex,
        actor=Actor(kind="official", id="bench"),
        payload=OficioCreatedPayload(kind="oficio", asunto="Bench", office_id="B", author_id="bench"),
    )


async def run(infra: InfraSettings) -> list[Result]:
    await ensure_topics(infra, all_topics(infra))
    client = build_mongo_client(infra)
    coll = client[infra.database_name("bench")]["aggregates"]
    broker = KafkaBroker(infra.kafka_url)
    await broker.start()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_url, acks="all", enable_idempotence=False)
    await producer.start()
    relay = OutboxRelay([coll], lambda e: publish_event(broker, infra, e), ServiceMetrics("bench"))
    topic = infra.topic("signum.drafting")
    try:

        async def through_outbox() -> Any:
            event = _event()
            await coll.insert_one(new_document_with_events({"_id": event.oficio_id}, [event]))
            await relay.drain()

        async def raw_produce() -> Any:
            event = _event()
            await producer.send_and_wait(topic, event.to_wire(), key=event.key)

        baseline = await time_async(raw_produce, repeat=REPEAT)
        value = await time_async(through_outbox, repeat=REPEAT)
    finally:
        await producer.stop()
        await broker.stop()
        await client.drop_database(infra.database_name("bench"))
        client.close()
    return [
        Result(
            name="outbox_publish_vs_raw_produce",
            value=value,
            unit="s/event",
            baseline=baseline,
            ratio=value / baseline,
            machine=machine(),
            note="write + relay publish + mark, against aiokafka send_and_wait (median of 200)",
        )
    ]
