"""The walking skeleton on the real stack: gateway -> drafting (Mongo, outbox) -> Kafka -> routing
-> read back through the gateway, as a logged-in official."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from signum.testing.kafka import eventually
from signum.testing.processes import ServiceProcess
from tests.e2e.conftest import World

pytestmark = pytest.mark.stack


async def test_gateway_and_every_service_are_ready(platform: dict[str, ServiceProcess]) -> None:
    async with httpx.AsyncClient(base_url=platform["gateway"].url) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    expected = {"kafka", "mongo", "startup", "drafting", "routing", "signing", "storage", "metrics"}
    assert set(checks) == expected
    assert all(c["ok"] for c in checks.values())


async def test_a_draft_created_through_the_gateway_reaches_routing(world: World) -> None:
    client = await world.as_("funcionario@A")
    created = await client.post(
        "/api/v1/oficios", json={"asunto": "  Solicitud de información\tde obra pública "}
    )
    assert created.status_code == 201, created.text
    oficio = created.json()
    assert oficio["status"] == "borrador"
    assert oficio["asunto"] == "Solicitud de información de obra pública"
    assert oficio["author_id"] == world.people["funcionario@A"].numero_empleado
    assert oficio["office_id"] == "PRU-A"

    async def tracked() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(f"/api/v1/oficios/{oficio['id']}")).json()
        return body if body["seguimiento"] else None

    seen = await eventually(tracked)
    assert seen["seguimiento"]["status"] == "borrador"
    assert [e["type"] for e in seen["seguimiento"]["timeline"]] == ["oficio.created"]
    assert seen["seguimiento"]["timeline"][0]["actor"]["id"] == oficio["author_id"]


async def test_bad_requests_get_a_spanish_error_with_a_stable_code(world: World) -> None:
    client = await world.as_("funcionario@A")
    empty = await client.post("/api/v1/oficios", json={"asunto": " \n\t "})
    wrong_type = await client.post("/api/v1/oficios", json={"asunto": 12, "kind": "carta"})
    not_json = await client.post(
        "/api/v1/oficios", content=b"\x00\xff", headers={"content-type": "application/json"}
    )
    unknown = await client.get("/api/v1/oficios/no-existe")
    assert empty.status_code == 422
    assert empty.json() == {"code": "asunto_empty", "message": "El asunto no puede estar vacío."}
    assert wrong_type.status_code == 422
    assert wrong_type.json()["code"] == "validation_failed"
    assert {f["campo"] for f in wrong_type.json()["details"]["campos"]} == {"asunto", "kind"}
    assert not_json.status_code == 422
    assert not_json.json()["code"] == "validation_failed"
    assert unknown.status_code == 404
    assert unknown.json() == {"code": "oficio_not_found", "message": "No existe el oficio solicitado."}


async def test_internal_apis_refuse_calls_without_the_token(platform: dict[str, ServiceProcess]) -> None:
    async with httpx.AsyncClient(base_url=platform["drafting"].url) as client:
        response = await client.post("/internal/oficios", json={"asunto": "x", "office_id": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "internal_token_invalid"


async def test_every_process_exposes_prometheus_metrics(platform: dict[str, ServiceProcess]) -> None:
    async with httpx.AsyncClient() as client:
        for name, proc in platform.items():
            text = (await client.get(proc.url + "/metrics")).text
            assert f"signum_{name}_http_requests_total" in text, name
            assert "process_resident_memory_bytes" in text, name
