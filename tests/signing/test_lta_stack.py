"""The archive renewal job in the running services: an oficio finalized on Kafka, signed through
signing's API with the test PKI's e.firma (B-LT), and an acuse sealed (PKCS#11), then, with no one
asking, each given a document
timestamp by the periodic job: a new object in storage's WORM bucket (the old one stays), the
oficio's current document, `document.renewed` on Kafka, a report for operators; EU DSS passes it at
B-LTA (the oficio and the acuse) and so does Signum's verification (signing's API, the
gateway's public API and page). Later passes leave it alone."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from signum.contracts import Actor
from signum.contracts.directory import FuncionarioPayload, FuncionarioUpserted
from signum.contracts.drafting import OficioFinalized, OficioFinalizedPayload, SignerSlot, StoredObject
from signum.contracts.topics import Topic
from signum.platform.http import CALLER_HEADER, INTERNAL_TOKEN_HEADER
from signum.platform.identity import Caller
from signum.platform.settings import DEV_INTERNAL_TOKEN
from signum.platform.storage_client import StorageClient
from signum.signing.credentials import parse_certificate
from signum.testing import dss
from signum.testing.kafka import collect, eventually, produce
from signum.testing.processes import ServiceProcess
from tests.signing.documents import TWO_SIGNERS, oficio_pdf
from tests.signing.pki import SigningPki

pytestmark = pytest.mark.stack

SIGNER = Caller(kind="official", id="1001", nombre="Juana Pérez Garza")
SYSTEM = Caller(kind="system", id="pruebas")


def _headers(caller: Caller) -> dict[str, str]:
    return {
        INTERNAL_TOKEN_HEADER: DEV_INTERNAL_TOKEN,
        CALLER_HEADER: json.dumps(caller.model_dump(mode="json"), ensure_ascii=True),
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def namespace() -> str:
    """Topics, databases and buckets of this test alone (the job looks at every signed document)."""
    return f"lta{uuid.uuid4().hex[:10]}"


@pytest.fixture
def services(
    stack_env: dict[str, str], signing_env: dict[str, str], namespace: str, tmp_path: Path
) -> Iterator[dict[str, ServiceProcess]]:
    env = stack_env | {
        "SIGNUM_KAFKA_NAMESPACE": f"{namespace}.",
        "SIGNUM_MONGO_DB_PREFIX": f"{namespace}_",
        "SIGNUM_S3_BUCKET_PREFIX": f"{namespace}-",
    }
    storage = ServiceProcess("storage", env, tmp_path / "logs")
    signing = ServiceProcess("signing", env | signing_env, tmp_path / "logs")
    signing.env |= {
        "SIGNUM_SIGNING_STORAGE_URL": storage.url,
        "SIGNUM_SIGNING_LOCAL_SEAL_DIR": str(tmp_path / "seal"),
        "SIGNUM_SIGNING_LOCAL_TSA_DIR": str(tmp_path / "tsa"),
        # The job every second, with the default horizon (180 days).
        "SIGNUM_SIGNING_LTA_INTERVAL_SECONDS": "1",
    }
    # The public verification (API and page) goes through the gateway.
    gateway = ServiceProcess("gateway", env, tmp_path / "logs")
    gateway.env |= {"SIGNUM_GATEWAY_SIGNING_URL": signing.url, "SIGNUM_GATEWAY_STORAGE_URL": storage.url}
    procs = {"storage": storage, "signing": signing, "gateway": gateway}
    try:
        for proc in procs.values():
            proc.start()
        for proc in procs.values():
            proc.wait_healthy("/readyz?scope=local", timeout=120)
        yield procs
    finally:
        for proc in procs.values():
            proc.stop()


async def test_the_periodic_job_makes_a_signed_oficio_b_lta_in_the_running_services(
    services: dict[str, ServiceProcess], namespace: str, pki: SigningPki, tmp_path: Path
) -> None:
    kafka = services["signing"].env["SIGNUM_KAFKA_URL"]
    oficio_id = f"of-{uuid.uuid4().hex[:12]}"
    objects = StorageClient(services["storage"].url, _token(), caller=SYSTEM)
    original = await objects.upload(
        oficio_pdf(fields=TWO_SIGNERS), oficio_id=oficio_id, bucket="documents", media_type="application/pdf"
    )
    info = parse_certificate(pki.fiel.cer)
    official = FuncionarioUpserted(
        correlation_id="c-lta",
        actor=Actor(kind="system", id="pruebas"),
        payload=FuncionarioPayload(
            id=SIGNER.id,
            revision=1,
            nombre=info.name,
            correo="juana@pruebas.mx",
            rfc=info.rfc,
            curp=info.curp or "PEGJ800101MNLRRN09",
        ),
    )
    finalized = OficioFinalized(
        oficio_id=oficio_id,
        correlation_id="c-lta",
        actor=Actor(kind="official", id=SIGNER.id),
        payload=OficioFinalizedPayload(
            folio="SIGA/DGTI/0300/2026",
            consecutivo=300,
            anio=2026,
            unidad_id="U-DGTI",
            kind="oficio",
            asunto="Conservación a largo plazo",
            plantilla_id="oficio-general",
            plantilla_version=1,
            version=1,
            documento=StoredObject(**{k: original[k] for k in StoredObject.model_fields}),
            paginas=1,
            firmantes=[
                SignerSlot(
                    orden=1,
                    funcionario_id=SIGNER.id,
                    nombre="Juana",
                    cargo="Directora",
                    campo="firma-1",
                    pagina=1,
                )
            ],
        ),
    )
    await produce(kafka, f"{namespace}.{Topic.DIRECTORY.value}", official.to_wire(), key=official.key)
    await produce(kafka, f"{namespace}.{Topic.DRAFTING.value}", finalized.to_wire(), key=finalized.key)

    async with httpx.AsyncClient(base_url=services["signing"].url, timeout=60) as http:

        async def finalized_here() -> bool:
            answer = await http.get(f"/internal/firmas/{oficio_id}/documento", headers=_headers(SYSTEM))
            assert answer.status_code in (200, 404), answer.text
            return answer.status_code == 200

        await eventually(finalized_here, within=60)

        async def sign() -> dict[str, Any] | None:
            response = await http.post(
                "/internal/firmas/credencial",
                json={
                    "cer": _b64(pki.fiel.cer),
                    "key": _b64(pki.fiel.key_file),
                    "password": pki.fiel.password,
                    "oficio_id": oficio_id,
                },
                headers=_headers(SIGNER),
            )
            # Until signing has consumed the official's RFC too (another topic).
            if response.json().get("code") == "signer_unknown":
                return None
            assert response.status_code == 200, response.text
            return dict(response.json())

        signed = await eventually(sign, within=60)
        assert (signed["completo"], signed["nivel"]) == (True, "B-LT")
        entrega_id = f"ent-{uuid.uuid4().hex[:12]}"
        acuse = await http.post(
            "/internal/acuses", json=_acuse(oficio_id, entrega_id), headers=_headers(SYSTEM)
        )
        assert acuse.status_code == 201, acuse.text

        records = await collect(
            kafka,
            f"{namespace}.{Topic.SIGNING.value}",
            until=lambda rs: [json.loads(r.value)["type"] for r in rs].count("document.renewed") >= 2,
            within=120,
        )
        renewals = {
            event["payload"]["documento_id"]: event
            for event in map(json.loads, (r.value for r in records))
            if event["type"] == "document.renewed"
        }
        assert sorted(renewals) == sorted([oficio_id, f"acuse-{entrega_id}"])
        renewed = renewals[oficio_id]
        sealed = (
            await http.get(f"/internal/verificacion/acuse-{entrega_id}", headers=_headers(SYSTEM))
        ).json()
        assert (
            sealed["documento"]["sha256"] == renewals[f"acuse-{entrega_id}"]["payload"]["documento"]["sha256"]
        )
        (seal,) = sealed["reporte"]["firmas"]
        assert (seal["indicacion"], seal["nivel_pades"]) == ("TOTAL_PASSED", "B-LTA"), seal
        payload = renewed["payload"]
        assert (renewed["oficio_id"], payload["motivo"], payload["nivel"]) == (
            oficio_id,
            "sin_sello_de_archivo",
            "B-LTA",
        )
        assert payload["documento_anterior"]["sha256"] == signed["documento"]["sha256"]

        qr = (await http.get(f"/internal/verificacion/{oficio_id}", headers=_headers(SYSTEM))).json()
        assert qr["documento"]["sha256"] == payload["documento"]["sha256"]
        (firma,) = qr["reporte"]["firmas"]
        assert (firma["indicacion"], firma["nivel_pades"]) == ("TOTAL_PASSED", "B-LTA"), firma

        # The public verification, JSON and page, says so too.
        async with httpx.AsyncClient(base_url=services["gateway"].url, timeout=60) as public:
            answer = await public.get(f"/api/v1/verificar/{oficio_id}")
            assert answer.status_code == 200, answer.text
            (firma,) = answer.json()["reporte"]["firmas"]
            assert (firma["indicacion"], firma["nivel_pades"]) == ("TOTAL_PASSED", "B-LTA"), firma
            page = await public.get(f"/verificar/{oficio_id}")
            assert page.status_code == 200
            assert "Nivel técnico: PAdES B-LTA" in page.text
            assert "conservación a largo plazo" in page.text

        # The operator's report names the renewal; an official may not read it.
        async def reports() -> list[dict[str, Any]]:
            answer = await http.get("/internal/archivo/renovaciones?limite=100", headers=_headers(SYSTEM))
            assert answer.status_code == 200, answer.text
            return list(answer.json()["pasadas"])

        passes = await reports()
        done = [d for p in passes for d in p["documentos"] if d["resultado"] == "renovado"]
        assert sorted((d["documento_id"], d["motivo"], d["sha256"]) for d in done) == sorted(
            (key, "sin_sello_de_archivo", event["payload"]["documento"]["sha256"])
            for key, event in renewals.items()
        )
        forbidden = await http.get("/internal/archivo/renovaciones", headers=_headers(SIGNER))
        assert forbidden.status_code == 403

        # Later passes leave it alone: outside the horizon, nothing is read or stored again.
        seen = len(passes)
        later = await eventually(lambda: _more_passes(reports, seen + 3), within=60)
        assert all(p["documentos"] == [] for p in later[: len(later) - seen])
        again = (await http.get(f"/internal/verificacion/{oficio_id}", headers=_headers(SYSTEM))).json()
        assert again["documento"]["sha256"] == payload["documento"]["sha256"]

    records = await collect(kafka, f"{namespace}.{Topic.SIGNING.value}", until=lambda rs: False, within=3)
    assert [json.loads(r.value)["type"] for r in records].count("document.renewed") == 2

    # Both versions are in storage's WORM bucket; DSS passes the renewed one at B-LTA.
    renewed_pdf = await objects.read(payload["documento"]["clave"], max_bytes=30 * 1024 * 1024)
    previous_pdf = await objects.read(payload["documento_anterior"]["clave"], max_bytes=30 * 1024 * 1024)
    assert renewed_pdf.startswith(previous_pdf)
    acuse_pdf = await objects.read(
        renewals[f"acuse-{entrega_id}"]["payload"]["documento"]["clave"], max_bytes=30 * 1024 * 1024
    )
    files = [tmp_path / "oficio.pdf", tmp_path / "acuse.pdf"]
    files[0].write_bytes(renewed_pdf)
    files[1].write_bytes(acuse_pdf)
    root = tmp_path / "raiz-pruebas.der"
    root.write_bytes(pki.roots_der[0])
    reports = dss.validate(files, [root, tmp_path / "seal" / "ca.pem"])
    for path in files:
        (signature,) = reports[path].signatures
        assert (signature.indication, signature.level) == (dss.PASSED, "B-LTA"), (path, signature.explain())
        assert all(ts.passed for ts in signature.timestamps), (path, signature.explain())


def _acuse(oficio_id: str, entrega_id: str) -> dict[str, Any]:
    return {
        "oficio_id": oficio_id,
        "entrega_id": entrega_id,
        "folio": "SIGA/DGTI/0300/2026",
        "asunto": "Conservación a largo plazo",
        "recibido_por": {"funcionario_id": "2001", "nombre": "María Núñez Garza", "cargo": "Directora"},
        "unidad": {
            "unidad_id": "U-EGR",
            "nombre": "Dirección de Egresos",
            "dependencia": "Tesorería Municipal",
        },
        "recibido_en": "2026-11-23T15:04:05-06:00",
    }


async def _more_passes(reports: Any, count: int) -> list[dict[str, Any]] | None:
    passes = await reports()
    return passes if len(passes) >= count else None


def _token() -> Any:
    from pydantic import SecretStr

    return SecretStr(DEV_INTERNAL_TOKEN)
