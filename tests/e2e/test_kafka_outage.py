"""Kafka stops: /readyz says so (no 500 anywhere), work goes on, and everything recovers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from signum.testing.kafka import eventually
from signum.testing.processes import ServiceProcess
from tests.e2e.conftest import World

pytestmark = pytest.mark.stack


async def test_readiness_follows_kafka_and_the_platform_recovers(
    platform: dict[str, ServiceProcess], stack: Any, world: World
) -> None:
    from signum.localstack import PROFILES, start_server, stop_server
    from signum.testing.restarts import why_server_cannot_restart

    profile = PROFILES["test"]
    if reason := why_server_cannot_restart("kafka"):
        pytest.skip(reason)

    client = await world.as_("funcionario@A")
    probe = httpx.AsyncClient(base_url=platform["gateway"].url, timeout=15)

    async def readiness() -> httpx.Response:
        return await probe.get("/readyz")

    before = await client.post("/api/v1/oficios", json={"asunto": "Antes de la caída"})
    assert before.status_code == 201
    stop_server(profile, "kafka")
    try:

        async def kafka_down() -> dict[str, Any] | None:
            response = await readiness()
            return response.json() if response.status_code == 503 else None

        body = await eventually(kafka_down, within=30)
        assert body["ready"] is False
        assert body["checks"]["kafka"]["ok"] is False
        assert body["checks"]["mongo"]["ok"] is True
        # What orchestrators route on: the gateway and every service can still serve.
        for name, proc in platform.items():
            local = await probe.get(proc.url + "/readyz", params={"scope": "local"})
            assert local.status_code == 200, (name, local.text)
            assert "kafka" not in local.json()["checks"]

        # Drafting keeps working: the event waits in the outbox.
        during = await client.post("/api/v1/oficios", json={"asunto": "Durante la caída"})
        assert during.status_code == 201, during.text
        read = await client.get(f"/api/v1/oficios/{before.json()['id']}")
        assert read.status_code == 200
    finally:
        start_server(profile, "kafka")

    async def ready() -> bool:
        return (await readiness()).status_code == 200

    await eventually(ready, within=90, interval=1.0)

    async def tracked() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(f"/api/v1/oficios/{during.json()['id']}")).json()
        return body if body["seguimiento"] else None

    seen = await eventually(tracked, within=90, interval=1.0)
    assert [e["type"] for e in seen["seguimiento"]["timeline"]] == ["oficio.created"]
    await probe.aclose()
