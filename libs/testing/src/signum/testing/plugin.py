"""pytest plugin: the real local stack (started by the test setup), a namespace per test run,
settings pointing at both, and the services as real processes."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from signum.platform.settings import InfraSettings
from signum.testing.processes import SERVICES, ServiceProcess


@pytest.fixture(scope="session")
def stack() -> Iterator[Any]:
    """The test profile of the local stack: Kafka, SecantusDB and MinIO on loopback.

    Started here if it is not running (and stopped again at the end); reused if it is.
    """
    from signum.localstack import PROFILES, ensure_stack, stack_status, stop_stack

    profile = PROFILES["test"]
    was_running = {s.name for s in stack_status(profile) if s.state in {"running", "external"}}
    endpoints = ensure_stack(profile)
    yield endpoints
    if not was_running and os.environ.get("SIGNUM_KEEP_STACK") != "1":
        stop_stack(profile)


@pytest.fixture(scope="session")
def run_namespace() -> str:
    """Isolates this run's topics, consumer groups and databases from any other run."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def stack_env(stack: Any, run_namespace: str) -> dict[str, str]:
    """Environment that points a Signum process at the test stack and this run's namespace."""
    env: dict[str, str] = stack.env()
    return env | {
        "SIGNUM_ENVIRONMENT": "test",
        "SIGNUM_KAFKA_NAMESPACE": f"{run_namespace}.",
        "SIGNUM_MONGO_DB_PREFIX": f"{run_namespace}_",
        "SIGNUM_S3_BUCKET_PREFIX": f"{run_namespace}-",
        "SIGNUM_LOG_LEVEL": "INFO",
    }


@pytest.fixture
def infra(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> InfraSettings:
    """Infrastructure settings of the test stack, with a namespace of this test's own."""
    ns = f"u{uuid.uuid4().hex[:10]}"
    env = stack_env | {
        "SIGNUM_KAFKA_NAMESPACE": f"{ns}.",
        "SIGNUM_MONGO_DB_PREFIX": f"{ns}_",
        "SIGNUM_S3_BUCKET_PREFIX": f"{ns}-",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return InfraSettings()


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service-logs")


@pytest.fixture(scope="session")
def signing_pki() -> Iterator[Any]:
    """The generated test PKI (SAT-shaped e.firmas, OCSP, CRLs, TSA) served on loopback: (pki, server)."""
    from signum.testing.pki import running_pki

    yield from running_pki()


@pytest.fixture(scope="session")
def signing_env(signing_pki: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Signing trusts the test PKI, timestamps with its TSA, and keeps its development SoftHSM token
    (institutional seals, created on first start) and local TSA in a folder of this run."""
    import json

    pki = signing_pki[0]
    base = tmp_path_factory.mktemp("signing")
    roots, intermediates = base / "roots.der", base / "intermediates.der"
    roots.write_bytes(pki.roots_der[0])
    intermediates.write_bytes(pki.intermediates_der[0])
    return {
        "SIGNUM_SIGNING_TRUST_ROOTS": json.dumps([str(roots)]),
        "SIGNUM_SIGNING_TRUST_INTERMEDIATES": json.dumps([str(intermediates)]),
        "SIGNUM_SIGNING_TSA_URL": pki.tsa_url,
        "SIGNUM_SIGNING_LOCAL_TSA_DIR": str(base / "tsa"),
        "SIGNUM_SIGNING_LOCAL_SEAL_DIR": str(base / "seal"),
    }


@pytest.fixture(scope="session")
def smtp_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real SMTP server process that keeps every message it receives (routing's external mail)."""
    from signum.testing.smtp import running_sink

    yield from running_sink(tmp_path_factory.mktemp("smtp"))


@pytest.fixture(scope="session")
def platform(
    stack_env: dict[str, str], log_dir: Path, signing_env: dict[str, str], smtp_sink: Any
) -> Iterator[dict[str, ServiceProcess]]:
    """Every service and the gateway as real processes against the test stack."""
    procs = {name: ServiceProcess(name, stack_env, log_dir) for name in SERVICES}
    gateway = ServiceProcess("gateway", stack_env, log_dir)
    procs["drafting"].env = stack_env | {
        "SIGNUM_DRAFTING_STORAGE_URL": procs["storage"].url,
        "SIGNUM_DRAFTING_PUBLIC_URL": gateway.url,
        "SIGNUM_DRAFTING_ROUTING_URL": procs["routing"].url,
    }
    procs["storage"].env = stack_env | {
        "SIGNUM_STORAGE_ROUTING_URL": procs["routing"].url,
        "SIGNUM_STORAGE_DRAFTING_URL": procs["drafting"].url,
    }
    procs["signing"].env = (
        stack_env
        | signing_env
        | {
            "SIGNUM_SIGNING_STORAGE_URL": procs["storage"].url,
            "SIGNUM_SIGNING_PUBLIC_URL": gateway.url,
        }
    )
    procs["routing"].env = (
        stack_env
        | smtp_sink.env("routing")
        | {
            "SIGNUM_ROUTING_DRAFTING_URL": procs["drafting"].url,
            "SIGNUM_ROUTING_SIGNING_URL": procs["signing"].url,
            "SIGNUM_ROUTING_STORAGE_URL": procs["storage"].url,
            "SIGNUM_ROUTING_PUBLIC_URL": gateway.url,
            "SIGNUM_ROUTING_ACUSE_RETRY_SECONDS": "2",
            "SIGNUM_ROUTING_DEADLINE_JOB_SECONDS": "2",
        }
    )
    gateway.env = stack_env | {f"SIGNUM_GATEWAY_{n.upper()}_URL": p.url for n, p in procs.items()}
    # Every test logs in from 127.0.0.1, and the access matrix tries wrong logins by the dozen.
    gateway.env["SIGNUM_GATEWAY_LOGIN_ADDRESS_MAX_FAILURES"] = "100000"
    procs["gateway"] = gateway
    try:
        for proc in procs.values():
            proc.start()
        for proc in procs.values():
            proc.wait_healthy("/readyz", timeout=60)
        yield procs
    finally:
        for proc in procs.values():
            proc.stop()


@pytest.fixture(scope="session")
async def world(platform: dict[str, ServiceProcess], stack_env: dict[str, str]) -> AsyncIterator[Any]:
    """The platform with a seeded directory (every role in two units) and a login for everyone."""
    from signum.testing.people import World, people, seed

    everyone = people()
    await seed(stack_env, everyone)
    w = World(gateway=platform["gateway"].url, people=everyone)
    yield w
    for client in w.clients.values():
        await client.aclose()
