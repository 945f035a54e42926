"""Acuses de recibo on the real platform: rendered, sealed in SoftHSM with the receiving
dependencia's seal, timestamped, stored, idempotent per delivery, verifiable like any oficio."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import uuid
from typing import Any

import httpx
import pytest

from signum.platform.http import CALLER_HEADER, INTERNAL_TOKEN_HEADER
from signum.platform.settings import DEV_INTERNAL_TOKEN
from signum.testing.kafka import collect
from signum.testing.processes import ServiceProcess
from tests.signing.conftest import require_tool

pytestmark = pytest.mark.stack

INTERNAL = {
    INTERNAL_TOKEN_HEADER: DEV_INTERNAL_TOKEN,
    CALLER_HEADER: json.dumps({"kind": "system", "id": "routing"}),
}


def _acuse(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "oficio_id": f"of-{uuid.uuid4().hex[:12]}",
        "entrega_id": f"ent-{uuid.uuid4().hex[:12]}",
        "folio": "SIGA/DGTI/0123/2026",
        "asunto": "Solicitud de información presupuestal",
        "recibido_por": {
            "funcionario_id": "2001",
            "nombre": "María Núñez Garza",
            "cargo": "Directora de Egresos",
        },
        "unidad": {
            "unidad_id": "U-EGR",
            "nombre": "Dirección de Egresos",
            "dependencia": "Tesorería Municipal",
        },
        "recibido_en": "2026-11-23T15:04:05-06:00",
    }
    return body | changes


async def _fetch(storage: ServiceProcess, clave: str) -> bytes:
    async with httpx.AsyncClient(base_url=storage.url, timeout=30) as http:
        response = await http.get(f"/internal/objetos/{clave}", headers=INTERNAL)
        assert response.status_code == 200, response.text
        return response.content


async def test_an_acuse_is_sealed_stored_and_verifies_like_an_oficio(
    platform: dict[str, ServiceProcess], stack_env: dict[str, str], tmp_path: Any
) -> None:
    signing, gateway = platform["signing"], platform["gateway"]
    body = _acuse()
    async with httpx.AsyncClient(base_url=signing.url, timeout=60) as http:
        created = await http.post("/internal/acuses", json=body, headers=INTERNAL)
        assert created.status_code == 201, created.text
        acuse = created.json()
        assert set(acuse) == {"clave", "sha256", "url_verificacion"}
        assert acuse["url_verificacion"] == f"{gateway.url}/verificar/acuse-{body['entrega_id']}"

        # A retry of the same delivery answers the same acuse; nothing is sealed again.
        again = await http.post("/internal/acuses", json=body, headers=INTERNAL)
        assert (again.status_code, again.json()) == (201, acuse)

    pdf = await _fetch(platform["storage"], acuse["clave"])
    assert hashlib.sha256(pdf).hexdigest() == acuse["sha256"]
    path = tmp_path / "acuse.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(  # noqa: ASYNC221 - a short local tool run
        [require_tool("pdftotext"), str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "ACUSE DE RECIBO" in text
    for expected in (
        "SIGA/DGTI/0123/2026",
        "María Núñez Garza",
        "Dirección de Egresos",
        "23 de noviembre de 2026",
    ):
        assert expected in text, text
    assert "15:04:05" in text  # the time of receipt, in Monterrey

    async with httpx.AsyncClient(base_url=gateway.url, timeout=60) as public:
        report = (await public.post("/api/v1/verificar", content=pdf)).json()
        assert report["valida"] is True, report
        (seal,) = report["firmas"]
        assert seal["nombre"] == "SELLO INSTITUCIONAL TESORERÍA MUNICIPAL"
        assert seal["rfc"] == "MMO010101AB1"  # an institution's RFC: shown whole, even to visitors
        assert (seal["indicacion"], seal["nivel_pades"]) == ("TOTAL_PASSED", "B-LT"), seal
        assert seal["fecha_sello_tiempo"]
        assert not seal["modificado_despues"]

        page = await public.get(acuse["url_verificacion"], headers={"Accept": "text/html"})
        assert page.status_code == 200, page.text
        assert "Documento válido" in page.text
        assert "Acuse de recibo" in page.text
        api = acuse["url_verificacion"].replace("/verificar/", "/api/v1/verificar/")
        qr = (await public.get(api)).json()
        assert (qr["tipo"], qr["folio"], qr["reporte"]["valida"]) == ("acuse", body["folio"], True)

    topic = stack_env["SIGNUM_KAFKA_NAMESPACE"] + "signum.signing"

    def sealed(records: list[Any]) -> list[dict[str, Any]]:
        events = [json.loads(r.value) for r in records]
        return [e for e in events if e["type"] == "acuse.sealed" and e["oficio_id"] == body["oficio_id"]]

    records = await collect(stack_env["SIGNUM_KAFKA_URL"], topic, until=lambda r: bool(sealed(r)), settle=1.0)
    (event,) = sealed(records)  # once, though asked twice
    payload = event["payload"]
    assert (payload["entrega_id"], payload["documento"]["sha256"]) == (body["entrega_id"], acuse["sha256"])
    assert payload["recibido_por"]["funcionario_id"] == "2001"
    assert payload["sello"]["rfc"] == "MMO010101AB1"


async def test_each_dependencia_seals_with_its_own_certificate(platform: dict[str, ServiceProcess]) -> None:
    async with httpx.AsyncClient(base_url=platform["signing"].url, timeout=60) as http:
        other = _acuse(
            unidad={"unidad_id": "U-DIF", "nombre": "Dirección de Asistencia", "dependencia": "DIF Municipal"}
        )
        created = await http.post("/internal/acuses", json=other, headers=INTERNAL)
        assert created.status_code == 201, created.text
    pdf = await _fetch(platform["storage"], created.json()["clave"])
    async with httpx.AsyncClient(base_url=platform["gateway"].url, timeout=60) as public:
        report = (await public.post("/api/v1/verificar", content=pdf)).json()
    assert report["valida"] is True, report
    assert report["firmas"][0]["nombre"] == "SELLO INSTITUCIONAL DIF MUNICIPAL"


async def test_acuse_requests_are_validated_with_spanish_messages(
    platform: dict[str, ServiceProcess],
) -> None:
    async with httpx.AsyncClient(base_url=platform["signing"].url, timeout=60) as http:
        body = _acuse()
        missing = await http.post(
            "/internal/acuses", json={k: v for k, v in body.items() if k != "folio"}, headers=INTERNAL
        )
        assert missing.status_code == 422
        assert missing.json()["code"] == "validation_failed"
        assert "no son válidos" in missing.json()["message"]
        assert "folio" in {c["campo"] for c in missing.json()["details"]["campos"]}

        naive = await http.post(
            "/internal/acuses", json=body | {"recibido_en": "2026-11-23T15:04:05"}, headers=INTERNAL
        )
        assert (naive.status_code, naive.json()["code"]) == (422, "validation_failed")

        assert (await http.post("/internal/acuses", json=body, headers=INTERNAL)).status_code == 201
        other_person = body | {"recibido_por": body["recibido_por"] | {"funcionario_id": "9999"}}
        conflict = await http.post("/internal/acuses", json=other_person, headers=INTERNAL)
        assert (conflict.status_code, conflict.json()["code"]) == (409, "acuse_conflict")
        assert "ya tiene un acuse" in conflict.json()["message"]

        no_token = await http.post("/internal/acuses", json=_acuse())
        assert no_token.status_code in {401, 403}


async def test_concurrent_retries_of_one_delivery_get_one_acuse(
    platform: dict[str, ServiceProcess], stack_env: dict[str, str]
) -> None:
    body = _acuse()
    async with httpx.AsyncClient(base_url=platform["signing"].url, timeout=60) as http:
        answers = await asyncio.gather(
            *(http.post("/internal/acuses", json=body, headers=INTERNAL) for _ in range(3))
        )
    assert [a.status_code for a in answers] == [201, 201, 201], [a.text for a in answers]
    assert len({json.dumps(a.json(), sort_keys=True) for a in answers}) == 1

    topic = stack_env["SIGNUM_KAFKA_NAMESPACE"] + "signum.signing"

    def sealed(records: list[Any]) -> list[dict[str, Any]]:
        events = [json.loads(r.value) for r in records]
        return [e for e in events if e["type"] == "acuse.sealed" and e["oficio_id"] == body["oficio_id"]]

    records = await collect(stack_env["SIGNUM_KAFKA_URL"], topic, until=lambda r: bool(sealed(r)), settle=2.0)
    assert len(sealed(records)) == 1
