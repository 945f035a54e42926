"""Readiness scopes: `local` (what orchestrators route on) leaves Kafka out; `all` does not."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from signum.platform.service import ServiceRuntime, create_app
from signum.platform.settings import InfraSettings, ServiceSettings

pytestmark = pytest.mark.stack


async def test_without_kafka_a_started_process_is_locally_ready_but_not_wholly(infra: InfraSettings) -> None:
    unreachable = infra.model_copy(update={"kafka_url": "127.0.0.1:9"})  # nothing listens there
    runtime = ServiceRuntime(ServiceSettings(service_name="t9", infra=unreachable), uses_s3=False)
    app = create_app(runtime, title="prueba")
    async with app.router.lifespan_context(app):
        for _ in range(100):  # start-up hooks done; Kafka is retried in the background forever
            if runtime._started.is_set():
                break
            await asyncio.sleep(0.05)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            whole = await client.get("/readyz")
            local = await client.get("/readyz", params={"scope": "local"})
            wrong = await client.get("/readyz", params={"scope": "todo"})
    assert whole.status_code == 503
    assert whole.json()["checks"]["kafka"]["ok"] is False
    assert local.status_code == 200, local.text
    assert set(local.json()["checks"]) == {"mongo", "startup"}
    assert wrong.status_code == 422
    assert wrong.json()["message"] == "Los datos enviados no son válidos. Revise los campos indicados."
