"""The real test stack: provisioned (from the cache after the first run), started, used, and
Kafka stopped and brought back on the same data."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from minio import Minio
from pymongo import MongoClient

from signum.localstack import (
    PROFILES,
    Endpoints,
    ensure_stack,
    stack_status,
    start_server,
    stop_server,
    stop_stack,
)
from signum.localstack.health import kafka_ready, port_open
from signum.localstack.mongo import mongod_on_path

# The first run builds FerretDB and MinIO: minutes, more than the suite's default timeout.
pytestmark = [pytest.mark.stack, pytest.mark.timeout(1800)]

PROFILE = PROFILES["test"]


@pytest.fixture(scope="module")
def endpoints() -> Iterator[Endpoints]:
    """The test profile's stack; stopped again at the end if this module started it."""
    was_running = any(s.state == "running" for s in stack_status(PROFILE))
    yield ensure_stack(PROFILE)
    if not was_running:
        stop_stack(PROFILE)


def _states() -> dict[str, tuple[str, int | None, bool | None]]:
    return {s.name: (s.state, s.pid, s.healthy) for s in stack_status(PROFILE)}


async def _produce(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


async def _first_message(bootstrap: str, topic: str) -> bytes | None:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=15_000, max_records=1)
        return next((record.value for records in batches.values() for record in records), None)
    finally:
        await consumer.stop()


async def test_every_server_is_up_and_does_its_job(endpoints: Endpoints) -> None:
    run = uuid.uuid4().hex[:8]
    states = _states()
    for name in ("kafka", "mongo", "s3"):
        state, pid, healthy = states[name]
        assert healthy is True, name
        assert state == "external" or (state == "running" and pid), name

    topic = f"localstack-{run}"
    await _produce(endpoints.kafka_url, topic, b"hola")
    assert await _first_message(endpoints.kafka_url, topic) == b"hola"

    mongo: MongoClient[dict[str, object]] = MongoClient(endpoints.mongo_url)
    try:
        db = mongo[f"localstack_{run}"]
        db.oficios.insert_one({"_id": 1, "asunto": "Prueba"})
        assert db.oficios.find_one({"_id": 1}) == {"_id": 1, "asunto": "Prueba"}
        mongo.drop_database(db.name)
    finally:
        mongo.close()

    host = endpoints.s3_url.removeprefix("http://")
    s3 = Minio(host, endpoints.s3_access_key, endpoints.s3_secret_key, secure=False)
    bucket = f"localstack-{run}"
    s3.make_bucket(bucket)
    s3.put_object(bucket, "oficio.pdf", io.BytesIO(b"%PDF-1.7"), length=8)
    assert s3.get_object(bucket, "oficio.pdf").read() == b"%PDF-1.7"
    s3.remove_object(bucket, "oficio.pdf")
    s3.remove_bucket(bucket)


def test_lookups_by_id_use_the_id_index(endpoints: Endpoints) -> None:
    """FerretDB is built with PATCHES: a filter with `_id` searches the index instead of scanning."""
    if mongod_on_path() is not None or _states()["mongo"][0] == "external":
        pytest.skip("the stack's MongoDB is not the FerretDB this repository builds")
    mongo: MongoClient[dict[str, object]] = MongoClient(endpoints.mongo_url)
    try:
        db = mongo[f"localstack_{uuid.uuid4().hex[:8]}"]
        db.oficios.insert_many([{"_id": f"o{i}", "estado": "enviado"} for i in range(50)])
        by_id = (
            {"_id": "o7"},
            {"_id": "o7", "_applied": {"$ne": "evento"}},
            {"_id": {"$in": ["o7", "o9", "o70"]}, "estado": "enviado"},
        )
        for condition in by_id:
            plan = db.command("explain", {"find": "oficios", "filter": condition})["queryPlanner"]["Plan"]
            assert any("USING INDEX" in step and "__id_" in step for step in plan), (condition, plan)
        for condition in ({"estado": "enviado"}, {"_id": {"$in": ["o7", 7]}}):  # nothing to narrow by
            plan = db.command("explain", {"find": "oficios", "filter": condition})["queryPlanner"]["Plan"]
            assert any("SCAN" in step for step in plan), (condition, plan)
        found_ids = {d["_id"] for d in db.oficios.find({"_id": {"$in": ["o7", "o9", "o70"]}})}
        assert found_ids == {"o7", "o9"}
        assert {d["_id"] for d in db.oficios.find({"_id": {"$in": ["o7", 7]}})} == {"o7"}
        found = db.oficios.update_one({"_id": "o7", "_applied": {"$ne": "e1"}}, {"$push": {"_applied": "e1"}})
        assert found.modified_count == 1
        again = db.oficios.update_one({"_id": "o7", "_applied": {"$ne": "e1"}}, {"$push": {"_applied": "e1"}})
        assert again.modified_count == 0  # the rest of the filter still applies
        mongo.drop_database(db.name)
    finally:
        mongo.close()


def test_ensure_stack_again_starts_nothing_new(endpoints: Endpoints) -> None:
    before = _states()
    assert ensure_stack(PROFILE, progress=lambda _: None) == endpoints
    assert _states() == before


async def test_kafka_stops_and_comes_back_with_its_data(endpoints: Endpoints) -> None:
    if _states()["kafka"][0] == "external":
        pytest.skip("Kafka is SIGNUM_KAFKA_URL's server; this test stops the local one")
    topic = f"localstack-restart-{uuid.uuid4().hex[:8]}"
    await _produce(endpoints.kafka_url, topic, b"before the restart")
    others = {name: state for name, state in _states().items() if name != "kafka"}
    old_pid = _states()["kafka"][1]

    stop_server(PROFILE, "kafka")

    assert _states()["kafka"] == ("stopped", None, None)
    assert not port_open("127.0.0.1", PROFILE.kafka_port)
    assert not port_open("127.0.0.1", PROFILE.kafka_controller_port)
    assert not kafka_ready(endpoints.kafka_url)

    assert start_server(PROFILE, "kafka") == endpoints.kafka_url

    state, pid, healthy = _states()["kafka"]
    assert (state, healthy) == ("running", True)
    assert pid != old_pid
    assert kafka_ready(endpoints.kafka_url)
    assert await _first_message(endpoints.kafka_url, topic) == b"before the restart"
    assert {name: s for name, s in _states().items() if name != "kafka"} == others
