"""The directory's HTTP API with a stand-in for the authorization dependency (the lead's access
matrix test covers the real one); the service and the database are real."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from signum.gateway.directory.service import DirectoryService
from signum.gateway.routes.directory import router
from signum.platform.http import install_error_handlers, install_request_middleware
from signum.platform.identity import Caller
from signum.platform.metrics import ServiceMetrics
from signum.platform.policy import Action
from tests.directory.factories import base_rows, csv_bytes

pytestmark = pytest.mark.stack

CALLER = Caller(kind="official", id="10010", roles=frozenset({"administrador"}))


class FakeRequire:
    """Records which action each request asked for; lets everyone through."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, action: Action) -> Callable[[Request], Any]:
        async def dependency(request: Request) -> Caller:
            self.asked.append(str(action))
            return CALLER

        return dependency


@pytest.fixture
def require() -> FakeRequire:
    return FakeRequire()


@pytest.fixture
async def client(service: DirectoryService, require: FakeRequire) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_error_handlers(app)
    install_request_middleware(app, ServiceMetrics("gateway-test"))
    app.include_router(router(service, require))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
        yield c


def upload(data: bytes) -> dict[str, Any]:
    return {"files": {"archivo": ("directorio.csv", data, "text/csv")}}


async def test_multipart_import_is_applied_with_201(client: httpx.AsyncClient, require: FakeRequire) -> None:
    response = await client.post("/api/v1/directorio/importaciones", **upload(csv_bytes(base_rows())))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["simulacion"] is False
    assert body["resumen"]["funcionarios"] == {"creados": 5, "actualizados": 0, "sin_cambios": 0}
    assert body["eventos"] == 16
    assert require.asked == ["directorio.importar"]


async def test_dry_run_answers_200_and_writes_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/directorio/importaciones?simulacion=true", **upload(csv_bytes(base_rows(), bom=True))
    )
    assert response.status_code == 200
    assert response.json()["resumen"]["unidades"]["creados"] == 4
    assert (await client.get("/api/v1/directorio/dependencias")).json() == []


async def test_a_simulation_lists_each_entity_it_would_create_or_change(loaded: httpx.AsyncClient) -> None:
    rows = base_rows()
    moved = next(r for r in rows if r["numero_empleado"] == "E00003")
    moved["correo"] = "otro.correo@monterrey.gob.mx"
    moved["puesto_titulo"] = "Jefe de proyectos"
    response = await loaded.post(
        "/api/v1/directorio/importaciones?simulacion=true", **upload(csv_bytes(rows))
    )
    assert response.status_code == 200, response.text
    changes = {(c["tipo"], c["id"]): c for c in response.json()["cambios"]}
    assert set(changes) == {("puesto", moved["puesto_clave"]), ("funcionario", "E00003")}
    official = changes["funcionario", "E00003"]
    assert (official["accion"], official["campos"]) == ("actualizado", ["correo"])
    assert (
        official["nombre"]
        == (await loaded.get("/api/v1/directorio/funcionarios/E00003")).json()["nombre_completo"]
    )
    position = changes["puesto", moved["puesto_clave"]]
    assert (position["accion"], position["nombre"], position["campos"]) == (
        "actualizado",
        "Jefe de proyectos",
        ["titulo"],
    )
    fresh = (
        await loaded.post(
            "/api/v1/directorio/importaciones?simulacion=true", **upload(csv_bytes(base_rows()))
        )
    ).json()
    assert fresh["cambios"] == []


async def test_raw_csv_body_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/directorio/importaciones",
        content=csv_bytes(base_rows(), delimiter=";"),
        headers={"Content-Type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 201


async def test_a_refused_file_is_a_422_listing_every_error(client: httpx.AsyncClient) -> None:
    rows = base_rows()
    rows[0]["rfc"] = "MAL"
    rows[3]["unidad_padre"] = "NO-EXISTE"
    response = await client.post("/api/v1/directorio/importaciones", **upload(csv_bytes(rows)))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "directory_import_refused"
    assert [(e["fila"], e["columna"]) for e in body["details"]["errores"]] == [
        (2, "rfc"),
        (5, "unidad_padre"),
    ]
    assert (await client.get("/api/v1/directorio/unidades")).json() == []


async def test_an_unreadable_upload_is_a_spanish_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/directorio/importaciones", **upload(b"PK\x03\x04rest-of-a-zip"))
    assert response.status_code == 422
    assert response.json()["code"] == "directory_import_not_csv"


async def test_a_form_without_the_file_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/directorio/importaciones", data={"otro": "x"}, files={"x": ("", b"")}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "directory_import_missing_file"


async def test_an_oversized_upload_is_a_413(client: httpx.AsyncClient, service: DirectoryService) -> None:
    service.max_bytes = 2000
    response = await client.post("/api/v1/directorio/importaciones", **upload(b"x" * 200_000))
    assert response.status_code == 413
    assert response.json()["code"] == "directory_import_too_large"


@pytest.fixture
async def loaded(client: httpx.AsyncClient) -> httpx.AsyncClient:
    response = await client.post("/api/v1/directorio/importaciones", **upload(csv_bytes(base_rows())))
    assert response.status_code == 201
    return client


async def test_reading_the_directory(loaded: httpx.AsyncClient, require: FakeRequire) -> None:
    deps = (await loaded.get("/api/v1/directorio/dependencias")).json()
    assert deps == [{"id": "SIGA", "nombre": "Secretaría SIGA", "activa": True}]
    unidades = (await loaded.get("/api/v1/directorio/unidades", params={"dependencia": "SIGA"})).json()
    assert [u["id"] for u in unidades] == ["SIGA", "SIGA-DGTI", "SIGA-DGTI-DDS", "SIGA-DGTI-DIS"]
    dds = (await loaded.get("/api/v1/directorio/unidades/SIGA-DGTI-DDS")).json()
    assert [(p["id"], p["es_titular"], p["ocupante"] and p["ocupante"]["id"]) for p in dds["puestos"]] == [
        ("P-DDS", True, None), ("P-DDS-2", False, "E00005"),
    ]  # fmt: skip
    one = (await loaded.get("/api/v1/directorio/funcionarios/E00002")).json()
    assert (one["puesto"]["id"], one["unidad"]["prefijo_folio"]) == ("P-DGTI", "SIGA/DGTI")
    assert "rfc" not in one
    assert "curp" not in one
    assert set(require.asked[1:]) == {"directorio.leer"}
    missing = await loaded.get("/api/v1/directorio/funcionarios/E09999")
    assert (missing.status_code, missing.json()["code"]) == (404, "funcionario_not_found")


async def test_search_pages_through_everyone_once(loaded: httpx.AsyncClient) -> None:
    ids: list[str] = []
    params: dict[str, Any] = {"limite": 2}
    while True:
        page = (await loaded.get("/api/v1/directorio/funcionarios", params=params)).json()
        ids.extend(f["id"] for f in page["funcionarios"])
        if page["siguiente"] is None:
            break
        params["cursor"] = page["siguiente"]
    assert sorted(ids) == ["E00001", "E00002", "E00003", "E00004", "E00005"]
    assert len(ids) == 5
    in_dgti = await loaded.get(
        "/api/v1/directorio/funcionarios", params={"unidad": "SIGA-DGTI", "subunidades": True}
    )
    assert sorted(f["id"] for f in in_dgti.json()["funcionarios"]) == ["E00002", "E00003", "E00004", "E00005"]
    bad = await loaded.get("/api/v1/directorio/funcionarios", params={"cursor": "%%%"})
    assert (bad.status_code, bad.json()["code"]) == (422, "cursor_invalid")


async def test_suplencia_create_and_cancel(loaded: httpx.AsyncClient, require: FakeRequire) -> None:
    body = {"puesto_id": "P-DGTI", "suplente_id": "E00003", "desde": "2099-01-02", "hasta": "2099-01-10"}
    created = await loaded.post("/api/v1/directorio/suplencias", json=body | {"motivo": "Comisión"})
    assert created.status_code == 201, created.text
    suplencia = created.json()
    assert (suplencia["cancelada"], suplencia["motivo"]) == (False, "Comisión")
    assert require.asked[-1] == "directorio.administrar"
    listed = (await loaded.get("/api/v1/directorio/suplencias", params={"puesto": "P-DGTI"})).json()
    assert [s["id"] for s in listed] == [suplencia["id"]]
    cancelled = await loaded.delete(f"/api/v1/directorio/suplencias/{suplencia['id']}")
    assert (cancelled.status_code, cancelled.json()["cancelada"]) == (200, True)
    assert require.asked[-1] == "directorio.administrar"


async def test_suplencias_name_their_people_and_the_current_ones_leave_out_the_cancelled(
    loaded: httpx.AsyncClient,
) -> None:
    coming = {"puesto_id": "P-DGTI", "suplente_id": "E00003", "desde": "2099-01-02", "hasta": "2099-01-10"}
    created = (await loaded.post("/api/v1/directorio/suplencias", json=coming)).json()
    holder = (await loaded.get("/api/v1/directorio/funcionarios/E00002")).json()
    stand_in = (await loaded.get("/api/v1/directorio/funcionarios/E00003")).json()
    assert created["puesto_titulo"] == holder["puesto"]["titulo"]
    assert (created["unidad_id"], created["unidad_nombre"]) == ("SIGA-DGTI", holder["unidad"]["nombre"])
    assert (created["ausente_id"], created["ausente_nombre"]) == ("E00002", holder["nombre_completo"])
    assert created["suplente_nombre"] == stand_in["nombre_completo"]
    later = coming | {"desde": "2099-02-01", "hasta": "2099-02-10"}
    cancelled = (await loaded.post("/api/v1/directorio/suplencias", json=later)).json()
    await loaded.delete(f"/api/v1/directorio/suplencias/{cancelled['id']}")
    current = (await loaded.get("/api/v1/directorio/suplencias", params={"actuales": True})).json()
    assert [s["id"] for s in current] == [created["id"]]
    everything = (await loaded.get("/api/v1/directorio/suplencias")).json()
    assert sorted(s["id"] for s in everything) == sorted([created["id"], cancelled["id"]])


async def test_suplencia_with_unknown_fields_is_refused(loaded: httpx.AsyncClient) -> None:
    body = {"puesto_id": "P-DGTI", "suplente_id": "E00003", "desde": "2099-01-02", "hasta": "2099-01-10"}
    response = await loaded.post("/api/v1/directorio/suplencias", json=body | {"firma": "x"})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


async def test_deactivation(loaded: httpx.AsyncClient) -> None:
    response = await loaded.post("/api/v1/directorio/funcionarios/E00004/baja")
    assert response.status_code == 200
    assert (response.json()["activo"], response.json()["puesto"]) == (False, None)
