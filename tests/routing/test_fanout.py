"""Notifications reach a browser's stream whichever routing replica holds it (real Kafka)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from signum.platform.settings import InfraSettings
from signum.routing.fanout import BroadcastNotifier
from signum.testing.kafka import eventually

pytestmark = pytest.mark.stack


def holds(condition: Any) -> Any:
    """An async check for `eventually` out of a plain condition."""

    async def check() -> bool:
        return bool(condition())

    return check


@contextlib.asynccontextmanager
async def replica(infra: InfraSettings) -> AsyncIterator[BroadcastNotifier]:
    notifier = BroadcastNotifier(infra)
    task = asyncio.create_task(notifier.run())
    try:
        await eventually(holds(lambda: notifier.connected), within=30)
        yield notifier
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _collect(notifier: BroadcastNotifier, owner: str, into: list[dict[str, Any]]) -> None:
    async for chunk in notifier.stream([owner], heartbeat=0.2):
        if chunk.startswith("event:"):
            into.append(json.loads(chunk.split("data: ", 1)[1]))


async def test_a_notification_reaches_the_stream_open_on_another_replica(infra: InfraSettings) -> None:
    async with replica(infra) as a, replica(infra) as b:
        on_a: list[dict[str, Any]] = []
        on_b: list[dict[str, Any]] = []
        readers = [
            asyncio.create_task(_collect(a, "90001", on_a)),
            asyncio.create_task(_collect(b, "90001", on_b)),
        ]
        try:
            await eventually(holds(lambda: a.listeners("90001") == b.listeners("90001") == 1), within=5)
            # Replica A wrote the inbox entry: its own stream hears at once, B's through Kafka.
            a.notify("90001", "bandeja", {"oficio_id": "of-1"})
            a.notify("90002", "bandeja", {"oficio_id": "of-2"})  # someone else's: nobody here hears it
            await eventually(holds(lambda: len(on_b) == 1), within=15)
            await asyncio.sleep(1.0)  # time for a duplicate to show up, if there were one
        finally:
            for reader in readers:
                reader.cancel()
        assert on_a == [{"tipo": "bandeja", "oficio_id": "of-1"}]
        assert on_b == [{"tipo": "bandeja", "oficio_id": "of-1"}]


async def test_without_kafka_notifications_stay_local_and_are_not_queued(infra: InfraSettings) -> None:
    notifier = BroadcastNotifier(infra)  # never connected
    heard: list[dict[str, Any]] = []
    reader = asyncio.create_task(_collect(notifier, "90001", heard))
    await eventually(holds(lambda: notifier.listeners("90001") == 1), within=5)
    notifier.notify("90001", "bandeja", {"oficio_id": "of-1"})
    await eventually(holds(lambda: len(heard) == 1), within=5)
    reader.cancel()
    assert notifier.dropped == 1
