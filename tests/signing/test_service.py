"""Signing's internal API: verification, credential refusals, the browser path, an oficio's signers
in order with their events, and the local TSA."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asn1crypto import tsp

from signum.contracts import Actor
from signum.contracts.directory import FuncionarioPayload
from signum.contracts.drafting import (
    OficioFinalized,
    OficioFinalizedPayload,
    SignerSlot,
    StoredObject,
)
from signum.platform.errors import NotFoundError
from signum.platform.http import CALLER_HEADER, INTERNAL_TOKEN_HEADER
from signum.platform.identity import Caller
from signum.platform.settings import DEV_INTERNAL_TOKEN, InfraSettings
from signum.signing import pades
from signum.signing.app import build, components
from signum.signing.credentials import Credential, parse_certificate
from signum.signing.pades import SignatureRequest
from signum.signing.settings import Settings
from signum.testing.processes import ServiceProcess
from tests.signing.conftest import SatFiles, require_tool
from tests.signing.documents import TWO_SIGNERS, oficio_pdf
from tests.signing.pki import SigningPki

SIGNER_1 = Caller(kind="official", id="1001", nombre="Juana Pérez Garza")
SIGNER_2 = Caller(kind="official", id="1002", nombre="Pedro Ruiz")


def _headers(caller: Caller = SIGNER_1) -> dict[str, str]:
    return {
        INTERNAL_TOKEN_HEADER: DEV_INTERNAL_TOKEN,
        CALLER_HEADER: json.dumps(caller.model_dump(mode="json"), ensure_ascii=True),
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _settings(pki: SigningPki, roots_file: Path, tmp: Path, **extra: Any) -> Settings:
    return Settings(
        trust_roots=[roots_file],
        trust_intermediates=[roots_file.parent / "intermediates.der"],
        tsa_url=pki.tsa_url,
        local_tsa_dir=tmp / "tsa",
        local_seal_dir=tmp / "seal",
        public_url="https://signum.example.mx",
        **extra,
    )


@pytest.fixture
async def client(pki: SigningPki, roots_file: Path, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = build(_settings(pki, roots_file, tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signing", timeout=60) as http:
        yield http


async def test_verification_reports_a_pdf_signed_by_the_test_pki(
    client: httpx.AsyncClient, fiel: Credential
) -> None:
    signed = pades.sign_pdf_sync(
        oficio_pdf(fields=TWO_SIGNERS), fiel, SignatureRequest("firma-1", title="Directora")
    )

    raw = await client.post(
        "/internal/verificacion", content=signed, headers=_headers() | {"Content-Type": "application/pdf"}
    )
    as_json = await client.post("/internal/verificacion", json={"pdf": _b64(signed)}, headers=_headers())

    assert raw.status_code == 200, raw.text
    assert raw.json() == as_json.json()
    report = raw.json()
    assert report["valida"] is True
    assert report["sha256"] == hashlib.sha256(signed).hexdigest()
    (firma,) = report["firmas"]
    assert (firma["nombre"], firma["rfc"], firma["curp"]) == (
        "JUANA PEREZ GARZA",
        "PEGJ800101AB1",
        "PEGJ800101MNLRRN09",
    )
    assert firma["cargo"] == "Directora"
    assert firma["estado_certificado"] == "valid"
    assert firma["resumen"].startswith("Firma válida de JUANA PEREZ GARZA")

    tampered = bytearray(signed)
    tampered[200] ^= 0x01
    broken = await client.post(
        "/internal/verificacion",
        content=bytes(tampered),
        headers=_headers() | {"Content-Type": "application/pdf"},
    )
    assert broken.status_code == 200
    assert broken.json()["valida"] is False


async def test_verification_refuses_garbage_and_unsigned_pdfs(client: httpx.AsyncClient) -> None:
    garbage = await client.post("/internal/verificacion", content=b"hola", headers=_headers())
    unsigned = await client.post("/internal/verificacion", content=oficio_pdf(), headers=_headers())
    assert (garbage.status_code, garbage.json()["code"]) == (422, "pdf_invalid")
    assert (unsigned.status_code, unsigned.json()["code"]) == (422, "pdf_unsigned")


async def test_internal_calls_need_the_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/internal/verificacion", content=b"x")
    assert (response.status_code, response.json()["code"]) == (403, "internal_token_invalid")


async def test_the_sat_fiel_is_refused_as_expired_through_the_api(
    client: httpx.AsyncClient, sat_fiel: SatFiles
) -> None:
    response = await client.post(
        "/internal/firmas/credencial",
        files={
            "cer": ("fiel.cer", sat_fiel.cer),
            "key": ("fiel.key", sat_fiel.key),
            "pdf": ("oficio.pdf", oficio_pdf(fields=TWO_SIGNERS)),
        },
        data={"password": sat_fiel.password},
        headers=_headers(),
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "credential_expired"
    assert body["message"].startswith("El certificado de la e.firma venció el ")
    assert body["details"]["rfc"] == "AAA010101AAA"
    assert sat_fiel.password not in response.text


async def test_a_wrong_password_and_a_csd_have_their_own_messages(
    client: httpx.AsyncClient, sat_fiel: SatFiles, sat_csd: SatFiles
) -> None:
    wrong = await client.post(
        "/internal/firmas/credencial",
        json={
            "cer": _b64(sat_fiel.cer),
            "key": _b64(sat_fiel.key),
            "password": "no-es-la-contraseña",
            "pdf": _b64(oficio_pdf()),
        },
        headers=_headers(),
    )
    csd = await client.post(
        "/internal/firmas/credencial",
        json={
            "cer": _b64(sat_csd.cer),
            "key": _b64(sat_csd.key),
            "password": sat_csd.password,
            "pdf": _b64(oficio_pdf()),
        },
        headers=_headers(),
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "credential_wrong_password")
    assert wrong.json()["message"].startswith("La contraseña de la clave privada es incorrecta")
    assert (csd.status_code, csd.json()["code"]) == (422, "credential_not_fiel")


async def test_signing_with_a_credential_gives_a_b_lt_pdf_that_verifies(
    client: httpx.AsyncClient, pki: SigningPki
) -> None:
    response = await client.post(
        "/internal/firmas/credencial",
        json={
            "cer": _b64(pki.fiel.cer),
            "key": _b64(pki.fiel.key_file),
            "password": pki.fiel.password,
            "pdf": _b64(oficio_pdf(fields=TWO_SIGNERS)),
            "cargo": "Directora de Innovación",
        },
        headers=_headers(),
    )
    assert response.status_code == 200, response.text
    signed = base64.b64decode(response.json()["pdf"])
    assert response.json()["firmante"]["rfc"] == "PEGJ800101AB1"

    report = (await client.post("/internal/verificacion", content=signed, headers=_headers())).json()
    assert report["valida"] is True, report
    assert report["firmas"][0]["nivel_pades"] == "B-LT"
    assert report["firmas"][0]["fecha_sello_tiempo"] is not None


async def test_a_batch_signs_many_pdfs_with_one_unlock(client: httpx.AsyncClient, pki: SigningPki) -> None:
    pdfs = [oficio_pdf(folio=f"SIGA/DGTI/{n:04d}/2026") for n in range(3)]
    response = await client.post(
        "/internal/firmas/lote",
        json={
            "cer": _b64(pki.fiel.cer),
            "key": _b64(pki.fiel.key_file),
            "password": pki.fiel.password,
            "pdfs": [_b64(p) for p in pdfs],
        },
        headers=_headers(),
    )
    assert response.status_code == 200, response.text
    assert response.json()["firmadas"] == 3
    for encoded in response.json()["pdfs"]:
        report = await client.post(
            "/internal/verificacion", content=base64.b64decode(encoded), headers=_headers()
        )
        assert report.json()["valida"] is True


async def test_the_local_tsa_answers_rfc_3161(pki: SigningPki, roots_file: Path, tmp_path: Path) -> None:
    settings = Settings(
        trust_roots=[roots_file], local_tsa_dir=tmp_path / "tsa", local_seal_dir=tmp_path / "seal"
    )
    parts = components(settings)
    assert parts.authority is not None
    assert parts.engine.timestamper is not None  # no TSA configured: the local one, in development
    # The configured root, the local TSA's root and the development seals' CA.
    assert len(parts.engine.trust.roots) == 3
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(b"oficio").digest(),
            },
            "cert_req": True,
        }
    )
    transport = httpx.ASGITransport(app=build(settings, parts))
    async with httpx.AsyncClient(transport=transport, base_url="http://signing") as http:
        reply = await http.post(
            "/tsa", content=request.dump(), headers={"Content-Type": "application/timestamp-query"}
        )
    parts.runtime.mongo.close()
    assert reply.headers["content-type"] == "application/timestamp-reply"
    assert tsp.TimeStampResp.load(reply.content)["status"]["status"].native == "granted"


# --- with the real stack: MongoDB keeps prepared signatures and the oficios' signing state --------


@pytest.fixture
def signing_process(
    stack_env: dict[str, str], pki: SigningPki, roots_file: Path, tmp_path: Path
) -> Iterator[ServiceProcess]:
    process = ServiceProcess("signing", stack_env, tmp_path / "logs")
    process.start(
        {
            "SIGNUM_SIGNING_TRUST_ROOTS": json.dumps([str(roots_file)]),
            "SIGNUM_SIGNING_TRUST_INTERMEDIATES": json.dumps([str(roots_file.parent / "intermediates.der")]),
            "SIGNUM_SIGNING_TSA_URL": pki.tsa_url,
            "SIGNUM_SIGNING_LOCAL_TSA_DIR": str(tmp_path / "tsa"),
        }
    )
    try:
        process.wait_healthy("/healthz", timeout=60)
        yield process
    finally:
        process.stop()


def _sign_outside(digest: bytes, key_pem: bytes, tmp_path: Path) -> bytes:
    """Another process, the only one that reads the key, signs the digest (what the browser does)."""
    openssl = require_tool("openssl")
    key_path, digest_path = tmp_path / "llave.pem", tmp_path / "digest.bin"
    key_path.write_bytes(key_pem)
    digest_path.write_bytes(digest)
    try:
        command = [openssl, "pkeyutl", "-sign", "-inkey", str(key_path), "-pkeyopt", "digest:sha256"]
        return subprocess.run([*command, "-in", str(digest_path)], capture_output=True, check=True).stdout
    finally:
        key_path.unlink()


@pytest.mark.stack
async def test_browser_path_prepare_sign_outside_complete_verifies(
    signing_process: ServiceProcess, pki: SigningPki, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=signing_process.url, timeout=60) as http:
        prepared = await http.post(
            "/internal/firmas/preparacion",
            json={"cer": _b64(pki.fiel.cer), "pdf": _b64(oficio_pdf(fields=TWO_SIGNERS)), "campo": "firma-1"},
            headers=_headers(),
        )
        assert prepared.status_code == 200, prepared.text
        body = prepared.json()
        assert body["algoritmo"] == "RSASSA-PKCS1-v1_5/SHA-256"
        to_be_signed = base64.b64decode(body["to_be_signed"])
        assert base64.b64decode(body["digest"]) == hashlib.sha256(to_be_signed).digest()

        signature = _sign_outside(base64.b64decode(body["digest"]), pki.fiel.key_pem_unencrypted, tmp_path)
        # Someone else cannot complete it, and a wrong signature is refused.
        other = await http.post(
            f"/internal/firmas/{body['id']}/completar",
            json={"firma": _b64(signature)},
            headers=_headers(SIGNER_2),
        )
        assert other.status_code == 404
        wrong = await http.post(
            f"/internal/firmas/{body['id']}/completar",
            json={"firma": _b64(bytes(len(signature)))},
            headers=_headers(),
        )
        assert (wrong.status_code, wrong.json()["code"]) == (422, "signature_invalid")

        completed = await http.post(
            f"/internal/firmas/{body['id']}/completar", json={"firma": _b64(signature)}, headers=_headers()
        )
        assert completed.status_code == 200, completed.text
        signed = base64.b64decode(completed.json()["pdf"])
        report = (await http.post("/internal/verificacion", content=signed, headers=_headers())).json()
        assert report["valida"] is True, report
        assert report["firmas"][0]["nivel_pades"] == "B-LT"

        again = await http.post(
            f"/internal/firmas/{body['id']}/completar", json={"firma": _b64(signature)}, headers=_headers()
        )
        assert again.status_code == 404  # used once


class MemoryStorage:
    """What signing uses of `signum.platform.storage_client.StorageClient`, in memory (the client
    has its own tests against a real storage process: tests/platform/test_storage_client.py)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, pdf: bytes) -> dict[str, Any]:
        digest = hashlib.sha256(pdf).hexdigest()
        self.objects[f"sha256/{digest}"] = pdf
        return {"clave": f"sha256/{digest}", "sha256": digest, "tamano": len(pdf), "bucket": "documents"}

    async def read(self, clave: str, *, max_bytes: int) -> bytes:
        if clave not in self.objects:
            raise NotFoundError("No se encontró el objeto.", code="object_not_found")
        assert len(self.objects[clave]) <= max_bytes
        return self.objects[clave]

    async def upload(
        self, content: bytes, *, oficio_id: str, bucket: str, media_type: str, correlation_id: str | None
    ) -> dict[str, Any]:
        assert (bucket, media_type) == ("documents", "application/pdf")
        return self.put(content)


@pytest.mark.stack
async def test_an_oficio_is_signed_in_order_with_its_events(
    infra: InfraSettings, pki: SigningPki, roots_file: Path, tmp_path: Path, sat_fiel: SatFiles
) -> None:
    settings = _settings(pki, roots_file, tmp_path, infra=infra)
    parts = components(settings)
    storage = MemoryStorage()
    parts.service.documents.storage = storage
    original = storage.put(oficio_pdf(fields=TWO_SIGNERS))
    finalized = OficioFinalized(
        oficio_id="oficio-firma-1",
        correlation_id="c-1",
        actor=Actor(kind="official", id="1001"),
        payload=OficioFinalizedPayload(
            folio="SIGA/DGTI/0123/2026",
            consecutivo=123,
            anio=2026,
            unidad_id="U-DGTI",
            kind="oficio",
            asunto="Digitalización",
            plantilla_id="oficio-general",
            plantilla_version=1,
            version=3,
            documento=StoredObject(**original),
            paginas=1,
            firmantes=[
                SignerSlot(
                    orden=1,
                    funcionario_id="1001",
                    nombre="Juana",
                    cargo="Directora",
                    campo="firma-1",
                    pagina=1,
                ),
                SignerSlot(
                    orden=2,
                    funcionario_id="1002",
                    nombre="Pedro",
                    cargo="Subdirector",
                    en_ausencia_de="Lic. Ana Gómez",
                    campo="firma-2",
                    pagina=1,
                ),
            ],
        ),
    )
    handler = parts.runtime.consumers[0]._handlers["oficio.finalized"]
    await handler(finalized)
    await handler(finalized)  # a redelivery changes nothing
    # Signing's read model of the directory: whose RFC each signer has.
    assert parts.directory is not None
    for funcionario_id, issued in (("1001", pki.fiel), ("1002", pki.fiel_second)):
        info = parse_certificate(issued.cer)
        await parts.directory.upsert(
            "directory.funcionario.upserted",
            FuncionarioPayload(
                id=funcionario_id,
                revision=1,
                nombre=info.name,
                correo=f"{funcionario_id}@pruebas.mx",
                rfc=info.rfc,
                curp=info.curp or "XEXX010101HNEXXXA4",
            ),
        )
    app = build(settings, parts)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://s", timeout=60
        ) as http:

            def credential(issued: Any, **extra: Any) -> dict[str, Any]:
                return {
                    "cer": _b64(issued.cer),
                    "key": _b64(issued.key_file),
                    "password": issued.password,
                    "oficio_id": "oficio-firma-1",
                } | extra

            stranger = await http.post(
                "/internal/firmas/credencial",
                json={"oficio_id": "oficio-firma-1"},
                headers=_headers(Caller(kind="official", id="9999")),
            )
            assert stranger.status_code == 403
            early = await http.post(
                "/internal/firmas/credencial", json=credential(pki.fiel), headers=_headers(SIGNER_2)
            )
            assert (early.status_code, early.json()["code"]) == (409, "signature_out_of_order")
            refused = await http.post(
                "/internal/firmas/credencial",
                json={
                    "cer": _b64(sat_fiel.cer),
                    "key": _b64(sat_fiel.key),
                    "password": sat_fiel.password,
                    "oficio_id": "oficio-firma-1",
                },
                headers=_headers(SIGNER_1),
            )
            assert refused.json()["code"] == "credential_expired"

            # A valid e.firma of someone else is refused: it must be the signer's own.
            other = await http.post(
                "/internal/firmas/credencial", json=credential(pki.fiel_second), headers=_headers(SIGNER_1)
            )
            assert (other.status_code, other.json()["code"]) == (422, "credential_not_signer")
            assert "MARIO LOPEZ TREVINO" in other.json()["message"]

            first = await http.post(
                "/internal/firmas/credencial", json=credential(pki.fiel), headers=_headers(SIGNER_1)
            )
            assert first.status_code == 200, first.text
            assert (first.json()["pendientes"], first.json()["completo"]) == (1, False)
            second = await http.post(
                "/internal/firmas/credencial", json=credential(pki.fiel_second), headers=_headers(SIGNER_2)
            )
            assert second.status_code == 200, second.text
            assert second.json()["completo"] is True

            doc = await parts.repository.pending.find_one({"_id": "oficio-firma-1"})
            assert doc is not None
            types = [e["type"] for e in doc["_outbox"]]
            assert types == [
                "signature.refused",
                "signature.refused",
                "signature.added",
                "signature.added",
                "oficio.signed",
            ]
            refusal = doc["_outbox"][0]["payload"]
            assert (refusal["codigo"], refusal["rfc"]) == ("credential_expired", "AAA010101AAA")
            assert doc["_outbox"][1]["payload"]["codigo"] == "credential_not_signer"
            added = doc["_outbox"][2]["payload"]
            assert (added["orden"], added["metodo"], added["nivel"], added["pendientes"]) == (
                1,
                "credencial",
                "B-LT",
                1,
            )
            assert added["certificado"]["rfc"] == "PEGJ800101AB1"
            signed_event = doc["_outbox"][4]["payload"]
            assert [f["rfc"] for f in signed_event["firmantes"]] == [
                "PEGJ800101AB1",
                pki_rfc(pki.fiel_second),
            ]
            final_pdf = storage.objects[signed_event["documento"]["clave"]]

            report = (await http.post("/internal/verificacion", content=final_pdf, headers=_headers())).json()
            assert report["valida"] is True, report
            assert [f["campo"] for f in report["firmas"]] == ["firma-1", "firma-2"]
            assert report["firmas"][1]["en_ausencia_de"] == "Lic. Ana Gómez"

            qr = (await http.get("/internal/verificacion/oficio-firma-1", headers=_headers())).json()
            assert (qr["folio"], qr["estado"], qr["firmas_realizadas"]) == (
                "SIGA/DGTI/0123/2026",
                "firmado",
                2,
            )
            assert qr["reporte"]["valida"] is True
            done = await http.post(
                "/internal/firmas/credencial", json=credential(pki.fiel), headers=_headers(SIGNER_1)
            )
            assert done.json()["code"] == "oficio_already_signed"
    finally:
        parts.runtime.mongo.close()


def pki_rfc(issued: Any) -> str:
    from signum.signing.credentials import parse_certificate

    return parse_certificate(issued.cer).rfc


def test_the_key_never_reaches_the_answer_or_the_prepared_document() -> None:
    # A PreparedSignature has no field for a key: what the browser path stores is public.
    assert set(pades.PreparedSignature.__dataclass_fields__) == {
        "pdf",
        "to_be_signed",
        "reserved_start",
        "reserved_end",
        "certificate",
        "chain",
    }
