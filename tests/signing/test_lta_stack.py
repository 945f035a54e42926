"""The archive renewal job in the running services: an oficio finalized on Kafka, signed through
signing's API with the test PKI's e.firma (B-LT), then, with no one asking, given a document
timestamp by the periodic job: a new object in storage's WORM bucket (the old one stays), the
oficio's current document, `document.renewed` on Kafka, a report for operators; EU DSS passes it at
B-LTA and so does Signum's verification. Later passes leave it alone."""

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
    procs = {"storage": storage, "signing": signing}
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
            # Until signing has consumed the finalized oficio and the official's RFC.
            if response.status_code == 404 or response.json().get("code") == "signer_unknown":
                return None
            assert response.status_code == 200, response.text
            return dict(response.json())

        signed = await eventually(sign, within=60)
        assert (signed["completo"], signed["nivel"]) == (True, "B-LT")

        records = await collect(
            kafka,
            f"{namespace}.{Topic.SIGNING.value}",
            until=lambda rs: any(json.loads(r.value)["type"] == "document.renewed" for r in rs),
            within=90,
        )
        renewals = [json.loads(r.value) for r in records if json.loads(r.value)["type"] == "document.renewed"]
        (renewed,) = renewals
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

        # The operator's report names the renewal; an official may not read it.
        async def reports() -> list[dict[str, Any]]:
            answer = await http.get("/internal/archivo/renovaciones?limite=100", headers=_headers(SYSTEM))
            assert answer.status_code == 200, answer.text
            return list(answer.json()["pasadas"])

        passes = await reports()
        done = [d for p in passes for d in p["documentos"] if d["resultado"] == "renovado"]
        assert [(d["documento_id"], d["motivo"], d["sha256"]) for d in done] == [
            (oficio_id, "sin_sello_de_archivo", payload["documento"]["sha256"])
        ]
        forbidden = await http.get("/internal/archivo/renovaciones", headers=_headers(SIGNER))
        assert forbidden.status_code == 403

        # Later passes leave it alone: outside the horizon, nothing is read or stored again.
        seen = len(passes)
        later = await eventually(lambda: _more_passes(reports, seen + 3), within=60)
        assert all(p["documentos"] == [] for p in later[: len(later) - seen])
        again = (await http.get(f"/internal/verificacion/{oficio_id}", headers=_headers(SYSTEM))).json()
        assert again["documento"]["sha256"] == payload["documento"]["sha256"]

    records = await collect(kafka, f"{namespace}.{Topic.SIGNING.value}", until=lambda rs: False, within=3)
    assert [json.loads(r.value)["type"] for r in records].count("document.renewed") == 1

    # Both versions are in storage's WORM bucket; DSS passes the renewed one at B-LTA.
    renewed_pdf = await objects.read(payload["documento"]["clave"], max_bytes=30 * 1024 * 1024)
    previous_pdf = await objects.read(payload["documento_anterior"]["clave"], max_bytes=30 * 1024 * 1024)
    assert renewed_pdf.startswith(previous_pdf)
    (signature,) = dss.validate_pdf(renewed_pdf, pki.roots_der, tmp_path / "dss").signatures
    assert (signature.indication, signature.level) == (dss.PASSED, "B-LTA"), signature.explain()
    assert all(ts.passed for ts in signature.timestamps), signature.explain()


async def _more_passes(reports: Any, count: int) -> list[dict[str, Any]] | None:
    passes = await reports()
    return passes if len(passes) >= count else None


def _token() -> Any:
    from pydantic import SecretStr

    return SecretStr(DEV_INTERNAL_TOKEN)
