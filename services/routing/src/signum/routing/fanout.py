"""Notifications across routing replicas.

An inbox entry is written by the replica whose consumer received the event, but a browser's stream
can be open on any replica (the gateway reaches routing through a load balancer, and Kubernetes runs
two or more). So each replica hands its notifications to its own streams at once and also publishes
them on the topic `signum.routing.avisos` (`signum.contracts.topics.INBOX_NOTIFICATIONS`, one
`InboxNotification` per message); every replica reads that topic from its end, without a consumer
group (each one gets every message), and hands the other replicas' notifications to its own streams.

Notifications are hints ("look again"), not records: the inbox is the record. The topic keeps them
for an hour, nothing is committed, and while Kafka is away they are dropped, never queued without
bound; a browser that missed one sees the change at its next refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import ValidationError

from signum.contracts.routing import InboxNotification
from signum.contracts.topics import INBOX_NOTIFICATIONS
from signum.platform.kafka import ensure_topics
from signum.platform.logging import get_logger
from signum.platform.settings import InfraSettings
from signum.routing.notifications import Notifier

RETENTION_MS = 3_600_000
OUTGOING_MAX = 10_000
RETRY_CAP_SECONDS = 10.0

log = get_logger(__name__)


class BroadcastNotifier(Notifier):
    """A `Notifier` whose notifications also reach the streams open on the other replicas."""

    def __init__(self, infra: InfraSettings) -> None:
        super().__init__()
        self._infra = infra
        self.topic = infra.topic(INBOX_NOTIFICATIONS)
        self.origin = uuid4().hex
        self._outgoing: asyncio.Queue[InboxNotification] = asyncio.Queue(OUTGOING_MAX)
        self._connected = asyncio.Event()
        self.dropped = 0

    def notify(self, owner: str, kind: str, data: dict[str, Any]) -> None:
        super().notify(owner, kind, data)
        if not self._connected.is_set() or self._outgoing.full():
            self.dropped += 1  # a hint only: never let notifications pile up while Kafka is away
            return
        try:
            item = InboxNotification(origin=self.origin, owner=owner, kind=kind, data=data)
        except ValidationError:
            self.dropped += 1  # off the contract: the other replicas would refuse it anyway
            log.warning("notification off its contract not shared", kind=kind)
            return
        self._outgoing.put_nowait(item)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def run(self) -> None:
        """Publish this replica's notifications and deliver the others', reconnecting as needed."""
        delay = 0.5
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Kafka away: notifications are hints, retry later
                log.warning("notification fan-out interrupted; retrying", error=repr(exc), retry_in=delay)
            self._connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_CAP_SECONDS)

    async def _session(self) -> None:
        await ensure_topics(self._infra, [self.topic], configs={"retention.ms": str(RETENTION_MS)})
        producer = AIOKafkaProducer(bootstrap_servers=self._infra.kafka_url, acks=1, linger_ms=5)
        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self._infra.kafka_url,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            fetch_max_wait_ms=self._infra.kafka_fetch_max_wait_ms,
        )
        await producer.start()
        try:
            await consumer.start()
            try:
                # Position at the end now, so what is published from here on is not missed.
                await consumer.seek_to_end()
                for partition in consumer.assignment():
                    await consumer.position(partition)
                self._connected.set()
                sender = asyncio.create_task(self._send(producer))
                try:
                    await self._receive(consumer)
                finally:
                    sender.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sender
            finally:
                await consumer.stop()
        finally:
            await producer.stop()

    async def _send(self, producer: AIOKafkaProducer) -> None:
        while True:
            item = await self._outgoing.get()
            value = item.model_dump_json(fallback=str).encode()
            await producer.send(self.topic, value, key=item.owner.encode())

    async def _receive(self, consumer: AIOKafkaConsumer) -> None:
        async for message in consumer:
            try:
                item = InboxNotification.model_validate_json(message.value or b"")
            except ValidationError:
                log.warning("malformed notification ignored", offset=message.offset)
                continue
            if item.origin == self.origin:
                continue  # already handed to this replica's streams
            Notifier.notify(self, item.owner, item.kind, item.data)
