"""The real test stack: provisioned (from the cache after the first run), started, used, and
Kafka and MongoDB stopped and brought back on the same data."""

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
from signum.localstack.health import kafka_ready, mongo_ready, port_open
from signum.testing.restarts import why_server_cannot_restart

# The first run installs SecantusDB and builds MinIO: minutes, more than the suite's default timeout.
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


def test_mongo_is_a_replica_set_primary_with_transactions(endpoints: Endpoints) -> None:
    """Sessions and multi-document transactions need a replica set, as production runs."""
    mongo: MongoClient[dict[str, object]] = MongoClient(endpoints.mongo_url)
    try:
        hello = mongo.admin.command("hello")
        assert hello.get("setName"), hello
        assert hello.get("isWritablePrimary") is True, hello
        db = mongo[f"localstack_{uuid.uuid4().hex[:8]}"]
        db.create_collection("oficios")
        with mongo.start_session() as session, session.start_transaction():
            db.oficios.insert_one({"_id": 1}, session=session)
            assert db.oficios.find_one({"_id": 1}) is None  # not committed yet
        assert db.oficios.find_one({"_id": 1}) == {"_id": 1}
        mongo.drop_database(db.name)
    finally:
        mongo.close()


def test_ensure_stack_again_starts_nothing_new(endpoints: Endpoints) -> None:
    before = _states()
    assert ensure_stack(PROFILE, progress=lambda _: None) == endpoints
    assert _states() == before


async def test_kafka_stops_and_comes_back_with_its_data(endpoints: Endpoints) -> None:
    if reason := why_server_cannot_restart("kafka"):
        pytest.skip(reason)
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


def test_mongo_stops_and_comes_back_with_its_data(endpoints: Endpoints) -> None:
    if reason := why_server_cannot_restart("mongo"):
        pytest.skip(reason)
    name = f"localstack_restart_{uuid.uuid4().hex[:8]}"
    mongo: MongoClient[dict[str, object]] = MongoClient(endpoints.mongo_url)
    try:
        mongo[name].oficios.insert_one({"_id": "o1", "asunto": "antes de reiniciar"})
    finally:
        mongo.close()
    old_pid = _states()["mongo"][1]

    stop_server(PROFILE, "mongo")

    assert _states()["mongo"] == ("stopped", None, None)
    assert not port_open("127.0.0.1", PROFILE.mongo_port)

    assert start_server(PROFILE, "mongo") == endpoints.mongo_url

    state, pid, healthy = _states()["mongo"]
    assert (state, healthy) == ("running", True)
    assert pid != old_pid
    assert mongo_ready(endpoints.mongo_url)
    mongo = MongoClient(endpoints.mongo_url)
    try:
        assert mongo[name].oficios.find_one({"_id": "o1"}) == {"_id": "o1", "asunto": "antes de reiniciar"}
        mongo.drop_database(name)
    finally:
        mongo.close()
