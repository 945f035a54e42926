"""The gateway's answers when things go wrong: a stable code and a Spanish message, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest

from signum.gateway.app import build
from signum.gateway.settings import Settings
from signum.platform.identity import Caller
from signum.testing.processes import free_port

CALLER = Caller(kind="official", id="1001", roles=frozenset({"funcionario"}), unidad_id="SIGA-DGTI")


class SignedIn:
    """Stands in for identity: every bearer token is the same official (the real one is in e2e)."""

    async def session_caller(self, token: str) -> tuple[Caller, SimpleNamespace]:
        return CALLER, SimpleNamespace(debe_cambiar=False)  # a session with its own password


@pytest.fixture
async def client(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for name in ("drafting", "routing", "signing", "storage", "metrics"):
        monkeypatch.setenv(f"SIGNUM_GATEWAY_{name.upper()}_URL", closed)
    app = build(Settings())
    app.state.identity = SignedIn()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"Authorization": "Bearer sesion-de-prueba"}
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway", headers=headers) as c:
        yield c


async def test_an_unreachable_service_is_a_503_in_spanish(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/oficios", json={"asunto": "Solicitud"})
    assert response.status_code == 503
    assert response.json() == {
        "code": "drafting_unavailable",
        "message": "El servicio de redacción no responde. Intente de nuevo en unos minutos.",
    }


async def test_invalid_body_is_a_422_naming_the_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/oficios", json={"asunto": "", "extra": True})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["message"] == "Los datos enviados no son válidos. Revise los campos indicados."
    assert {f["campo"] for f in body["details"]["campos"]} == {"asunto", "extra"}


async def test_a_body_that_cannot_be_read_is_a_422_not_a_400(client: httpx.AsyncClient) -> None:
    # Not UTF-8 (found by the API contract test: FastAPI answered an undocumented 400).
    response = await client.post(
        "/api/v1/auth/login", content=b"4\x1av\xff\xfeI", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "body_unreadable"
    assert response.json()["message"].startswith("No se pudo leer el cuerpo de la solicitud")


async def test_no_credentials_is_a_401_in_spanish(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/sesion", headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.json() == {"code": "login_required", "message": "Se requiere iniciar sesión."}


async def test_unknown_route_and_method_are_spanish(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nada")
    wrong_method = await client.delete("/api/v1/oficios")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert missing.json()["message"] == "No se encontró el recurso solicitado."
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "method_not_allowed")


async def test_readiness_reports_each_unreachable_service(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    for name in ("drafting", "routing", "signing", "storage", "metrics"):
        assert checks[name]["ok"] is False


async def test_responses_carry_the_correlation_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Correlation-ID": "abc-123"})
    assert response.status_code == 200
    assert response.headers["X-Correlation-ID"] == "abc-123"
