"""One health probe per kind of server; each answers within a few seconds and never raises."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
from pymongo import MongoClient
from pymongo.errors import PyMongoError
from pymongo.uri_parser import parse_uri

T = TypeVar("T")

PROBE_TIMEOUT = 3.0


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def kafka_ready(bootstrap: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """A metadata request through aiokafka answers and lists at least one broker."""
    first = bootstrap.split(",")[0].strip()
    host, _, port = first.rpartition(":")
    if not port.isdigit() or not port_open(host.strip("[]") or "127.0.0.1", int(port)):
        return False  # quick answer without aiokafka's connection error logs
    return _run(_kafka_brokers(bootstrap, timeout)) > 0


async def _kafka_brokers(bootstrap: str, limit: float) -> int:
    from aiokafka.client import AIOKafkaClient
    from aiokafka.errors import KafkaError

    client = AIOKafkaClient(
        bootstrap_servers=bootstrap, request_timeout_ms=int(limit * 1000), client_id="signum-probe"
    )
    with _quiet("aiokafka"):
        try:
            async with asyncio.timeout(limit):
                await client.bootstrap()
            return len(client.cluster.brokers())
        except (KafkaError, OSError, TimeoutError):
            return 0
        finally:
            await client.close()


def mongo_ready(url: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """The server answers a `ping` command (whatever its replica-set state)."""
    ms = int(timeout * 1000)
    client: MongoClient[dict[str, Any]] = MongoClient(
        url, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms, **_direct(url)
    )
    try:
        return bool(client.admin.command("ping").get("ok"))
    except PyMongoError:
        return False
    finally:
        client.close()


def _direct(url: str) -> dict[str, Any]:
    """`directConnection=True` for one host with no set named and no choice of its own: a replica-set
    member not initiated yet has no primary to select, and would never answer otherwise."""
    if not url.startswith("mongodb://"):  # mongodb+srv:// names its hosts in DNS: leave it as it is
        return {}
    try:
        parsed = parse_uri(url)
    except (PyMongoError, ValueError):
        return {}
    options = parsed["options"]
    if len(parsed["nodelist"]) != 1 or "replicaSet" in options or "directConnection" in options:
        return {}
    return {"directConnection": True}


def s3_ready(url: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """MinIO's readiness endpoint answers 200; an S3 that is not MinIO just has to answer."""
    base = url.rstrip("/")
    try:
        response = httpx.get(f"{base}/minio/health/ready", timeout=timeout)
        if response.status_code == 404:
            return httpx.get(base + "/", timeout=timeout).status_code < 500
        return response.status_code == 200
    except httpx.HTTPError:
        return False


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from sync code, even when the caller is inside an event loop."""
    with ThreadPoolExecutor(1, thread_name_prefix="signum-localstack-probe") as pool:
        return pool.submit(asyncio.run, coro).result()


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Mute a library's logs while probing a server that may not be up yet."""
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)
