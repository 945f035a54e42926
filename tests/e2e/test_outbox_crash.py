"""Kill drafting between the write and the publish: the event still reaches routing, once."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest

from signum.platform.http import CALLER_HEADER, INTERNAL_TOKEN_HEADER
from signum.platform.identity import Caller
from signum.platform.settings import DEV_INTERNAL_TOKEN
from signum.testing.kafka import eventually
from signum.testing.processes import ServiceProcess

pytestmark = pytest.mark.stack


async def test_killed_drafting_publishes_its_pending_event_after_restart(
    stack_env: dict[str, str], log_dir: Path
) -> None:
    ns = f"k{uuid.uuid4().hex[:8]}"
    env = stack_env | {
        "SIGNUM_KAFKA_NAMESPACE": f"{ns}.",
        "SIGNUM_MONGO_DB_PREFIX": f"{ns}_",
    }
    routing = ServiceProcess("routing", env, log_dir / ns).start()
    # A drafting process whose relay never runs: the write happens, the publish does not.
    drafting = ServiceProcess("drafting", env, log_dir / ns).start(
        {"SIGNUM_DRAFTING_OUTBOX_RELAY_ENABLED": "false"}
    )
    try:
        routing.wait_healthy("/readyz")
        drafting.wait_healthy("/readyz")
        headers = {
            INTERNAL_TOKEN_HEADER: DEV_INTERNAL_TOKEN,
            CALLER_HEADER: Caller(
                kind="official", id="rtrevino", roles=frozenset({"funcionario"}), unidad_id="OP-DG"
            ).model_dump_json(),
        }
        async with httpx.AsyncClient(headers=headers, timeout=10) as client:
            created = await client.post(
                drafting.url + "/internal/oficios", json={"asunto": "Oficio de prueba", "office_id": "OP-DG"}
            )
            assert created.status_code == 201, created.text
            oficio_id = created.json()["id"]
            drafting.kill()

            tracking_url = f"{routing.url}/internal/oficios/{oficio_id}/tracking"
            await asyncio.sleep(1.5)
            assert (await client.get(tracking_url)).status_code == 404

            restarted = ServiceProcess("drafting", env, log_dir / ns, port=drafting.port).start()
            try:

                async def tracked() -> httpx.Response | None:
                    response = await client.get(tracking_url)
                    return response if response.status_code == 200 else None

                response = await eventually(tracked, within=60)
                await asyncio.sleep(2.0)  # a duplicate delivery would show up by now
                timeline = (await client.get(tracking_url)).json()["timeline"]
            finally:
                restarted.stop()
        assert response.json()["status"] == "borrador"
        assert [e["type"] for e in timeline] == ["oficio.created"]
    finally:
        drafting.stop()
        routing.stop()
