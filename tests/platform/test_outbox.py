"""The outbox against real Kafka and a real MongoDB-wire server: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from motor.motor_asyncio import AsyncIOMotorDatabase

from signum.contracts import Event
from signum.platform.kafka import publish_event
from signum.platform.metrics import ServiceMetrics
from signum.platform.mongo import build_mongo_client
from signum.platform.outbox import (
    OUTBOX,
    OUTBOX_SINCE,
    OutboxRelay,
    ensure_outbox_indexes,
    insert_with_events,
    new_document_with_events,
    update_with_events,
    with_events,
)
from signum.platform.settings import InfraSettings
from signum.testing.kafka import collect
from tests.platform.conftest import oficio_created

pytestmark = pytest.mark.stack


class Crash(Exception):
    """Stands for the process dying at that point."""


def _ids(records: list[Any]) -> list[str]:
    return [json.loads(r.value)["event_id"] for r in records]


async def test_events_wait_in_the_outbox_until_a_relay_publishes_them(
    infra: InfraSettings, db: AsyncIOMotorDatabase[Any], broker: KafkaBroker
) -> None:
    coll = db["aggregates"]
    event = oficio_created()
    topic = infra.topic(event.topic.value)
    await coll.insert_one(new_document_with_events({"_id": event.oficio_id, "state": "borrador"}, [event]))

    # The writer died before any relay ran: the event is in the document, not on the topic.
    assert await collect(infra.kafka_url, topic, until=lambda r: bool(r), within=2) == []

    relay = OutboxRelay([coll], lambda e: publish_event(broker, infra, e), ServiceMetrics("t1"))
    assert await relay.drain() == 1

    records = await collect(infra.kafka_url, topic, until=lambda r: bool(r), settle=1.0)
    assert _ids(records) == [str(event.event_id)]
    assert records[0].key == event.oficio_id.encode()
    doc = await coll.find_one({"_id": event.oficio_id})
    assert doc is not None
    assert doc["state"] == "borrador"
    assert doc[OUTBOX] == []
    assert OUTBOX_SINCE not in doc
    assert await relay.drain() == 0


async def test_a_change_and_its_events_are_one_update_and_keep_their_order(
    infra: InfraSettings, db: AsyncIOMotorDatabase[Any], broker: KafkaBroker
) -> None:
    coll = db["aggregates"]
    first = oficio_created()
    await coll.insert_one(new_document_with_events({"_id": first.oficio_id, "n": 0}, [first]))
    later = [oficio_created(first.oficio_id) for _ in range(3)]
    await coll.update_one({"_id": first.oficio_id}, with_events({"$inc": {"n": 1}}, later))

    relay = OutboxRelay([coll], lambda e: publish_event(broker, infra, e), ServiceMetrics("t2"))
    assert await relay.drain() == 4
    topic = infra.topic(first.topic.value)
    records = await collect(infra.kafka_url, topic, until=lambda r: len(r) >= 4, settle=0.5)
    assert _ids(records) == [str(e.event_id) for e in [first, *later]]
    assert len({r.partition for r in records}) == 1


async def test_relay_killed_between_publish_and_mark_publishes_again(
    infra: InfraSettings, db: AsyncIOMotorDatabase[Any], broker: KafkaBroker
) -> None:
    coll = db["aggregates"]
    event = oficio_created()
    await coll.insert_one(new_document_with_events({"_id": event.oficio_id}, [event]))

    async def publish_then_die(e: Event) -> None:
        await publish_event(broker, infra, e)
        raise Crash  # the broker has the event; the outbox does not know yet

    dying = OutboxRelay([coll], publish_then_die, ServiceMetrics("t3"), lease_seconds=0.2)
    with pytest.raises(Crash):
        await dying.drain()
    doc = await coll.find_one({"_id": event.oficio_id})
    assert doc is not None
    assert len(doc[OUTBOX]) == 1, "an event whose publication was not confirmed must stay pending"

    await asyncio.sleep(0.3)  # the dead relay's lease runs out
    survivor = OutboxRelay([coll], lambda e: publish_event(broker, infra, e), ServiceMetrics("t4"))
    assert await survivor.drain() == 1
    records = await collect(
        infra.kafka_url, infra.topic(event.topic.value), until=lambda r: len(r) >= 2, settle=0.5
    )
    # At least once: the same event twice on the topic; the consumer tests show it applied once.
    assert _ids(records) == [str(event.event_id)] * 2


async def test_a_leased_document_is_left_to_its_relay(
    infra: InfraSettings, db: AsyncIOMotorDatabase[Any], broker: KafkaBroker
) -> None:
    coll = db["aggregates"]
    event = oficio_created()
    await coll.insert_one(new_document_with_events({"_id": event.oficio_id}, [event]))
    blocked = asyncio.Event()
    release = asyncio.Event()

    async def slow_publish(e: Event) -> None:
        blocked.set()
        await release.wait()
        await publish_event(broker, infra, e)

    first = OutboxRelay([coll], slow_publish, ServiceMetrics("t5"))
    second = OutboxRelay([coll], lambda e: publish_event(broker, infra, e), ServiceMetrics("t6"))
    task = asyncio.create_task(first.drain())
    await blocked.wait()
    assert await second.drain() == 0
    release.set()
    assert await task == 1


async def test_an_event_added_while_the_relay_publishes_is_not_lost(
    infra: InfraSettings, db: AsyncIOMotorDatabase[Any], broker: KafkaBroker
) -> None:
    coll = db["aggregates"]
    first = oficio_created()
    others = [oficio_created() for _ in range(3)]  # documents cleared together in one update
    for event in [first, *others]:
        await coll.insert_one(new_document_with_events({"_id": event.oficio_id}, [event]))
    late = oficio_created(first.oficio_id)

    async def publish_and_write_meanwhile(e: Event) -> None:
        await publish_event(broker, infra, e)
        if e.event_id == first.event_id:
            await coll.update_one({"_id": first.oficio_id}, with_events({"$set": {"x": 1}}, [late]))

    relay = OutboxRelay([coll], publish_and_write_meanwhile, ServiceMetrics("t7"))
    assert await relay.drain() == 4
    doc = await coll.find_one({"_id": first.oficio_id})
    assert doc is not None
    assert [e["event_id"] for e in doc[OUTBOX]] == [str(late.event_id)]
    assert await relay.drain() == 1
    topic = infra.topic(first.topic.value)
    records = await collect(infra.kafka_url, topic, until=lambda r: len(r) >= 5, settle=0.5)
    assert sorted(_ids(records)) == sorted(str(e.event_id) for e in [first, *others, late])
    cleared = [d async for d in coll.find({"_id": {"$in": [e.oficio_id for e in others]}})]
    assert [d[OUTBOX] for d in cleared] == [[], [], []]
    assert all(OUTBOX_SINCE not in d for d in cleared)


async def test_saves_while_the_relay_clears_are_never_undone(
    infra: InfraSettings, db: AsyncIOMotorDatabase[Any], broker: KafkaBroker
) -> None:
    """The relay's clearing write and a writer's save of the same document, landing in any order,
    keep both: the save and the clearing."""
    coll = db["aggregates"]
    relay = OutboxRelay(
        [coll], lambda e: publish_event(broker, infra, e), ServiceMetrics("t8"), poll_seconds=0.01
    )
    relay.start()
    try:
        ids = []
        for n in range(40):
            event = oficio_created()
            await coll.insert_one(new_document_with_events({"_id": event.oficio_id, "v": 0}, [event]))
            relay.notify()
            await asyncio.sleep(0.002 * (n % 5))  # land the save at varying points of the relay's work
            await update_with_events(coll, {"_id": event.oficio_id}, {"$set": {"v": 1}}, [])
            ids.append(event.oficio_id)
        for _ in range(200):
            if await relay.pending() == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        await relay.stop()
    docs = {d["_id"]: d async for d in coll.find({"_id": {"$in": ids}})}
    assert [docs[i]["v"] for i in ids] == [1] * len(ids)
    assert all(docs[i][OUTBOX] == [] for i in ids)


async def test_a_write_with_events_wakes_its_relay_at_once(db: AsyncIOMotorDatabase[Any]) -> None:
    coll, elsewhere = db["aggregates"], db["other_aggregates"]
    published: list[Event] = []
    arrived = asyncio.Event()

    async def publish(event: Event) -> None:
        published.append(event)
        arrived.set()

    async def next_publication() -> None:
        await asyncio.wait_for(arrived.wait(), timeout=5)
        arrived.clear()

    # Polls every minute: only `announce` can make it publish within the test.
    relay = OutboxRelay([coll], publish, ServiceMetrics("t9"), poll_seconds=60)
    relay.start()
    await asyncio.sleep(0.5)  # its first, empty, round
    try:
        created = oficio_created()
        await insert_with_events(coll, {"_id": created.oficio_id, "state": "borrador"}, [created])
        await next_publication()

        updated = oficio_created()
        await update_with_events(coll, {"_id": created.oficio_id}, {"$set": {"state": "listo"}}, [updated])
        await next_publication()
        assert [e.event_id for e in published] == [created.event_id, updated.event_id]

        # A write to a collection it does not publish from leaves it asleep.
        other = oficio_created()
        await insert_with_events(elsewhere, {"_id": other.oficio_id}, [other])
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(arrived.wait(), timeout=1)
        assert len(published) == 2
    finally:
        await relay.stop()


@pytest.mark.timeout(180)
async def test_concurrent_writers_and_two_relays_lose_nothing_and_keep_each_documents_order(
    infra: InfraSettings, db: AsyncIOMotorDatabase[Any], broker: KafkaBroker
) -> None:
    """Two replicas' relays and eight writers (each with a client of its own, as separate processes
    would have) on the same few documents at once: every change is kept, every event reaches the
    topic, and each document's events arrive in the order they were written (a duplicate can only
    repeat an event already seen, which the idempotent consumer drops)."""
    writers, writes, documents = 8, 25, 4
    oficio_ids = [oficio_created().oficio_id for _ in range(documents)]
    clients = [build_mongo_client(infra) for _ in range(writers + 2)]
    colls = [client[db.name]["aggregates"] for client in clients]
    for oficio_id in oficio_ids:
        await colls[0].insert_one({"_id": oficio_id, "n": 0})

    published: list[str] = []

    async def publish(e: Event) -> None:
        await publish_event(broker, infra, e)
        published.append(str(e.event_id))

    relays = [
        OutboxRelay([colls[writers + i]], publish, ServiceMetrics(f"t1{i}"), poll_seconds=0.01, batch=3)
        for i in range(2)
    ]
    written: dict[str, list[str]] = {oficio_id: [] for oficio_id in oficio_ids}

    async def writer(w: int) -> None:
        for k in range(writes):
            oficio_id = oficio_ids[(w + k) % documents]
            event = oficio_created(oficio_id)
            written[oficio_id].append(str(event.event_id))
            change = {"$inc": {"n": 1}, "$push": {"applied": str(event.event_id)}}
            await update_with_events(colls[w], {"_id": oficio_id}, change, [event])

    for relay in relays:
        relay.start()
    try:
        await asyncio.gather(*(writer(w) for w in range(writers)))
        deadline = asyncio.get_running_loop().time() + 60
        while await relays[0].pending():
            assert asyncio.get_running_loop().time() < deadline, "events left in the outbox"
            await asyncio.sleep(0.05)  # polling the relays' progress, which has no event to wait on
    finally:
        for relay in relays:
            await relay.stop()
        for client in clients:
            client.close()

    docs = {d["_id"]: d async for d in db["aggregates"].find({"_id": {"$in": oficio_ids}})}
    assert sum(d["n"] for d in docs.values()) == writers * writes, "a writer's change was lost"
    assert all(d[OUTBOX] == [] and OUTBOX_SINCE not in d for d in docs.values())
    everything = {e for ids in written.values() for e in ids}
    assert set(published) == everything

    ours = set(oficio_ids)
    records = await collect(
        infra.kafka_url,
        infra.topic(oficio_created().topic.value),
        until=lambda r: everything <= {json.loads(x.value)["event_id"] for x in r},
        within=60,
    )
    arrived: dict[str, list[str]] = {oficio_id: [] for oficio_id in oficio_ids}
    for record in records:
        body = json.loads(record.value)
        if body["oficio_id"] in ours and body["event_id"] not in arrived[body["oficio_id"]]:
            arrived[body["oficio_id"]].append(body["event_id"])  # what a consumer applies: first copies
    for oficio_id in oficio_ids:
        # `applied` is the order the server applied the writes (each pushed its event id there in
        # the same update): a consumer must see the document's events in that order.
        assert arrived[oficio_id] == docs[oficio_id]["applied"]
        assert sorted(arrived[oficio_id]) == sorted(written[oficio_id])


async def test_events_written_in_a_transaction_are_published_only_if_it_commits(
    infra: InfraSettings, db: AsyncIOMotorDatabase[Any], broker: KafkaBroker
) -> None:
    coll, log = db["aggregates"], db["ledger"]
    await db.create_collection("ledger")  # a transaction cannot create a collection on every server
    kept, dropped = oficio_created(), oficio_created()
    for event, commit in ((kept, True), (dropped, False)):
        async with await db.client.start_session() as session, session.start_transaction():
            await insert_with_events(coll, {"_id": event.oficio_id}, [event], session=session)
            await log.insert_one({"_id": event.oficio_id, "asiento": 1}, session=session)
            if not commit:
                await session.abort_transaction()

    relay = OutboxRelay([coll], lambda e: publish_event(broker, infra, e), ServiceMetrics("t12"))
    assert await relay.drain() == 1
    assert await coll.find_one({"_id": dropped.oficio_id}) is None
    assert await log.find_one({"_id": kept.oficio_id}) is not None
    records = await collect(
        infra.kafka_url,
        infra.topic(kept.topic.value),
        until=lambda r: str(kept.event_id) in _ids(r),
        settle=0.5,
    )
    assert str(dropped.event_id) not in _ids(records)


async def test_the_relays_index_is_sparse_and_replaces_the_plain_one(db: AsyncIOMotorDatabase[Any]) -> None:
    """Only documents with pending events are in it; a collection indexed by an earlier version
    gets it too, and starting again changes nothing."""
    earlier, fresh = db["aggregates"], db["never_written"]
    await earlier.create_index([(OUTBOX_SINCE, 1)], name="outbox_since")
    for coll in (earlier, fresh, earlier):
        await ensure_outbox_indexes(coll)
    for coll in (earlier, fresh):
        on_since = [ix async for ix in coll.list_indexes() if dict(ix["key"]) == {OUTBOX_SINCE: 1}]
        assert [(ix["name"], ix.get("sparse")) for ix in on_since] == [("outbox_pending", True)]
