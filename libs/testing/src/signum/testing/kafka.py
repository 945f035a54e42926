"""Reading and writing real Kafka topics from tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord


async def produce(bootstrap: str, topic: str, value: bytes, *, key: bytes | None = None) -> None:
    """Put one raw record on a topic."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def collect(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[ConsumerRecord[Any, Any]]], bool],
    within: float = 20.0,
    settle: float = 0.0,
) -> list[ConsumerRecord[Any, Any]]:
    """Read a topic from the beginning until `until(records)` holds (or `within` seconds pass).

    With `settle`, keep reading that many seconds after the condition holds, so that a duplicate
    arriving late is seen too.
    """
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord[Any, Any]] = []
    deadline = time.monotonic() + within
    settle_until: float | None = None
    try:
        while time.monotonic() < deadline:
            if settle_until is not None and time.monotonic() >= settle_until:
                break
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
            if settle_until is None and until(records):
                if settle <= 0:
                    break
                settle_until = time.monotonic() + settle
    finally:
        await consumer.stop()
    return records


async def eventually(check: Callable[[], Any], *, within: float = 20.0, interval: float = 0.2) -> Any:
    """Poll an async `check` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {within:.0f} s; last value: {last!r}")
