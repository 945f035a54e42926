"""Signing end to end through the gateway on the real platform: an oficio drafted and finalized with
two signers in order; signing learns of it over Kafka; the first signer signs in the browser path
(the digest signed outside the server with a key it never saw), the second with a multipart
credential; the events reach Kafka, the signed PDF is in storage's documents bucket and verifies
through the public API, the QR page and poppler's pdfsig with the test CA trusted. Refusals
(out of order, not a signer, wrong password, expired certificate) are 4xx in Spanish."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import httpx
import pytest

from signum.gateway.directory.demo import curp_for, rfc_for
from signum.platform.http import CALLER_HEADER, INTERNAL_TOKEN_HEADER
from signum.platform.settings import DEV_INTERNAL_TOKEN
from signum.platform.verification_code import short_code
from signum.signing.credentials import parse_certificate
from signum.testing.kafka import collect, eventually
from signum.testing.pki import Issued, PkiServer, SigningPki
from signum.testing.processes import ServiceProcess
from tests.e2e.conftest import World

pytestmark = pytest.mark.stack

SIGNER_1, SIGNER_2 = "funcionario@A", "titular@A"


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _name(world: World, key: str) -> str:
    p = world.people[key]
    return f"{p.nombre} {p.paterno} {p.materno}"


def content_with_two_signers(world: World, cuerpo: str) -> dict[str, Any]:
    """An oficio of unit A to unit B's titular, signed first by SIGNER_1, then by SIGNER_2."""
    titular_b = world.people["titular@B"]
    return {
        "remitente": {
            "nombre": _name(world, SIGNER_2),
            "cargo": "Director de Pruebas A",
            "dependencia": "Secretaría de Pruebas",
            "unidad": "Dirección de Pruebas A",
        },
        "destinatarios": [
            {
                "tipo": "funcionario",
                "id": titular_b.numero_empleado,
                "nombre": f"{titular_b.nombre} {titular_b.paterno}",
                "cargo": "Director de Pruebas B",
                "organizacion": "Secretaría de Pruebas",
            }
        ],
        "cuerpo": {"blocks": [{"type": "paragraph", "children": [{"type": "text", "text": cuerpo}]}]},
        "firmantes": [
            {
                "funcionario_id": world.people[SIGNER_1].numero_empleado,
                "nombre": _name(world, SIGNER_1),
                "cargo": "Analista de Pruebas",
            },
            {
                "funcionario_id": world.people[SIGNER_2].numero_empleado,
                "nombre": _name(world, SIGNER_2),
                "cargo": "Director de Pruebas A",
            },
        ],
        "iniciales": "BSL/pru",
    }


async def finalized_oficio(world: World, asunto: str) -> dict[str, Any]:
    """Draft, save and finalize an oficio through the gateway; wait until signing has it."""
    autor = await world.as_("autor@A")
    draft = _ok(await autor.post("/api/v1/oficios", json={"asunto": asunto}), 201)
    oficio = f"/api/v1/oficios/{draft['id']}"
    body = {"version": 1, "contenido": content_with_two_signers(world, f"{asunto}: solicito.")}

    async def save() -> Any:
        # Drafting learns the directory from Kafka events: right after seeding it may not know
        # the recipient yet (recipient_not_in_directory); a person would try again.
        response = await autor.patch(oficio, json=body)
        if response.status_code == 422 and response.json()["code"] == "recipient_not_in_directory":
            return None
        return _ok(response)

    saved = await eventually(save, within=30, interval=0.5)
    assert saved["version"] == 2

    async def fresh() -> bool:
        # FerretDB may answer a read from an older snapshot (see test_drafting_flow.py).
        return bool(_ok(await autor.get(oficio))["version"] == 2)

    await eventually(fresh, within=5)
    final = _ok(await autor.post(f"{oficio}/finalizacion"))
    assert final["status"] == "listo_para_firma", final
    first = await world.as_(SIGNER_1)

    async def awaiting() -> bool:
        listed = _ok(await first.get("/api/v1/firmas/pendientes"))["oficios"]
        return any(o["oficio_id"] == draft["id"] for o in listed)

    await eventually(awaiting, within=30)  # signing consumed oficio.finalized from Kafka
    return final | {"id": draft["id"]}


def efirma(world: World, pki: SigningPki, key: str) -> Issued:
    """The person's own e.firma from the test PKI: the RFC and CURP the test directory has for them."""
    p = world.people[key]
    rfc = rfc_for(p.nombre, p.paterno, p.materno, p.born, "A1")
    curp = curp_for(p.nombre, p.paterno, p.materno, p.born, "M", "NL")
    return pki.fiel_for(sat_name(_name(world, key)), rfc, curp)


def rfc_of(issued: Issued) -> str:
    return parse_certificate(issued.cer).rfc


def sat_name(name: str) -> str:
    """`Ana Laura Garza Treviño` -> `ANA LAURA GARZA TREVINO`, as SAT writes names."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").upper()


def sign_outside(digest: bytes, issued: Issued, tmp_path: Path) -> bytes:
    """What the browser does, in another process that alone reads the key: RSA PKCS#1 v1.5 over
    the SHA-256 digest the server gave."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to sign outside the server"
    key, data = tmp_path / "llave.pem", tmp_path / "digest.bin"
    key.write_bytes(issued.key_pem_unencrypted)
    data.write_bytes(digest)
    try:
        command = [
            openssl,
            "pkeyutl",
            "-sign",
            "-inkey",
            str(key),
            "-pkeyopt",
            "digest:sha256",
            "-in",
            str(data),
        ]
        return subprocess.run(command, capture_output=True, check=True).stdout
    finally:
        key.unlink()


def credential_files(issued: Issued, password: str | None = None) -> dict[str, Any]:
    return {
        "files": {
            "cer": ("firma.cer", issued.cer, "application/pkix-cert"),
            "key": ("firma.key", issued.key_file, "application/octet-stream"),
        },
        "data": {"password": issued.password if password is None else password},
    }


def pdftotext(pdf: bytes) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext (poppler-utils) is needed"
    return subprocess.run([tool, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def pdfsig(pki: SigningPki, pdf: bytes, tmp_path: Path) -> str:
    """poppler's verdict with an NSS database that trusts the test root for document signing."""
    certutil, tool = shutil.which("certutil"), shutil.which("pdfsig")
    assert certutil, "certutil (libnss3-tools) is needed"
    assert tool, "pdfsig (poppler-utils) is needed"
    nss = tmp_path / "nss"
    nss.mkdir()
    (nss / "root.der").write_bytes(pki.roots_der[0])
    subprocess.run([certutil, "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        [certutil, "-A", "-d", f"sql:{nss}", "-n", "raiz", "-t", "C,C,C", "-i", str(nss / "root.der")],
        check=True,
        capture_output=True,
    )
    (tmp_path / "firmado.pdf").write_bytes(pdf)
    result = subprocess.run(
        [tool, "-nssdir", f"sql:{nss}", str(tmp_path / "firmado.pdf")],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout + result.stderr


async def test_two_signers_in_order_through_the_gateway(
    world: World,
    platform: dict[str, ServiceProcess],
    signing_pki: tuple[SigningPki, PkiServer],
    stack_env: dict[str, str],
    tmp_path: Path,
) -> None:
    pki = signing_pki[0]
    oficio = await finalized_oficio(world, "Solicitud de firma en orden")
    oficio_id = oficio["id"]
    base = f"/api/v1/oficios/{oficio_id}/firmas"
    first, second = await world.as_(SIGNER_1), await world.as_(SIGNER_2)
    outsider = await world.as_("funcionario@B")
    mine_1, mine_2 = efirma(world, pki, SIGNER_1), efirma(world, pki, SIGNER_2)

    listed = _ok(await first.get("/api/v1/firmas/pendientes"))["oficios"]
    mine = next(o for o in listed if o["oficio_id"] == oficio_id)
    assert (mine["orden"], mine["folio"], mine["firmas_requeridas"]) == (1, oficio["folio"], 2)
    assert oficio_id not in {
        o["oficio_id"] for o in _ok(await second.get("/api/v1/firmas/pendientes"))["oficios"]
    }

    # The signers read the exact PDF they will sign; others may not.
    to_read = await first.get(f"{base}/documento")
    assert to_read.status_code == 200, to_read.text
    assert to_read.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(to_read.content).hexdigest() == mine["sha256"]
    assert (await outsider.get(f"{base}/documento")).status_code == 403

    # Refusals, each with its status, code and Spanish message.
    early = await second.post(f"{base}/credencial", **credential_files(mine_2))
    assert (early.status_code, early.json()["code"]) == (409, "signature_out_of_order")
    assert "Todavía no es su turno" in early.json()["message"]
    stranger = await outsider.post(f"{base}/credencial", **credential_files(mine_1))
    assert (stranger.status_code, stranger.json()["code"]) == (403, "forbidden")
    stranger_prepare = await outsider.post(
        f"{base}/preparacion", json={"cer": base64.b64encode(mine_1.cer).decode()}
    )
    assert stranger_prepare.status_code == 403
    wrong = await first.post(f"{base}/credencial", **credential_files(mine_1, password="no-es-la-contrasena"))
    assert (wrong.status_code, wrong.json()["code"]) == (422, "credential_wrong_password")
    assert "contraseña" in wrong.json()["message"]
    expired = await first.post(f"{base}/credencial", **credential_files(pki.expired))
    assert (expired.status_code, expired.json()["code"]) == (422, "credential_expired")
    assert "venció" in expired.json()["message"]
    # A valid e.firma, but not the signer's own (someone else's RFC), by either path.
    not_mine = await first.post(f"{base}/credencial", **credential_files(pki.fiel))
    assert (not_mine.status_code, not_mine.json()["code"]) == (422, "credential_not_signer")
    assert "JUANA PEREZ GARZA" in not_mine.json()["message"]
    assert "Use su propia e.firma" in not_mine.json()["message"]
    not_mine_prepare = await first.post(
        f"{base}/preparacion", json={"cer": base64.b64encode(pki.fiel.cer).decode()}
    )
    assert (not_mine_prepare.status_code, not_mine_prepare.json()["code"]) == (422, "credential_not_signer")

    # Signer 1, browser path: the server gives the digest; the key signs it elsewhere.
    prepared = _ok(
        await first.post(f"{base}/preparacion", json={"cer": base64.b64encode(mine_1.cer).decode()})
    )
    digest = base64.b64decode(prepared["digest"])
    assert digest == hashlib.sha256(base64.b64decode(prepared["to_be_signed"])).digest()
    signature = sign_outside(digest, mine_1, tmp_path)
    done_1 = _ok(
        await first.post(
            f"{base}/{prepared['id']}/completar", json={"firma": base64.b64encode(signature).decode()}
        )
    )
    assert (done_1["orden"], done_1["pendientes"], done_1["completo"]) == (1, 1, False)
    assert done_1["firmante"]["rfc"] == rfc_of(mine_1)

    # Signer 2, one multipart call with the credential (kept in memory for that call only).
    assert oficio_id in {
        o["oficio_id"] for o in _ok(await second.get("/api/v1/firmas/pendientes"))["oficios"]
    }
    done_2 = _ok(await second.post(f"{base}/credencial", **credential_files(mine_2)))
    assert (done_2["orden"], done_2["completo"]) == (2, True)
    again = await first.post(f"{base}/credencial", **credential_files(mine_1))
    assert (again.status_code, again.json()["code"]) == (409, "oficio_already_signed")

    topic = stack_env["SIGNUM_KAFKA_NAMESPACE"] + "signum.signing"

    def mine_events(records: list[Any]) -> list[dict[str, Any]]:
        return [e for e in (json.loads(r.value) for r in records) if e.get("oficio_id") == oficio_id]

    records = await collect(
        stack_env["SIGNUM_KAFKA_URL"],
        topic,
        until=lambda rs: any(e["type"] == "oficio.signed" for e in mine_events(rs)),
        within=30,
        settle=1.0,
    )
    events = mine_events(records)
    types = [e["type"] for e in events]
    assert types.count("signature.added") == 2, types
    assert types.count("oficio.signed") == 1, types
    assert sorted(e["payload"]["codigo"] for e in events if e["type"] == "signature.refused") == [
        "credential_expired",
        "credential_not_signer",
        "credential_not_signer",
        "credential_wrong_password",
    ]
    added = [e["payload"] for e in events if e["type"] == "signature.added"]
    assert [(a["orden"], a["metodo"]) for a in added] == [(1, "navegador"), (2, "credencial")]
    signed = next(e["payload"] for e in events if e["type"] == "oficio.signed")
    assert signed["documento"]["bucket"] == "documents"
    assert [f["rfc"] for f in signed["firmantes"]] == [rfc_of(mine_1), rfc_of(mine_2)]

    async with httpx.AsyncClient(base_url=platform["storage"].url, timeout=30) as storage:
        stored = await storage.get(
            f"/internal/objetos/{signed['documento']['clave']}",
            headers={
                INTERNAL_TOKEN_HEADER: DEV_INTERNAL_TOKEN,
                CALLER_HEADER: json.dumps({"kind": "system", "id": "tests"}),
            },
        )
    assert stored.status_code == 200, stored.text
    pdf = stored.content
    assert hashlib.sha256(pdf).hexdigest() == signed["documento"]["sha256"]

    async with httpx.AsyncClient(base_url=world.gateway, timeout=60) as public:
        report = _ok(
            await public.post("/api/v1/verificar", files={"archivo": ("oficio.pdf", pdf, "application/pdf")})
        )
        assert report["valida"] is True, report
        assert [f["nombre"] for f in report["firmas"]] == [
            sat_name(_name(world, SIGNER_1)),
            sat_name(_name(world, SIGNER_2)),
        ]
        assert {f["nivel_pades"] for f in report["firmas"]} <= {"B-T", "B-LT"}
        assert not any(f["modificado_despues"] for f in report["firmas"])
        # After the last signature only B-LT validation data (a DSS update) may follow.

        page = await public.get(f"/verificar/{oficio_id}", headers={"Accept": "text/html"})
        assert page.status_code == 200, page.text
        assert "Documento válido" in page.text
        assert "2 de 2 requeridas" in page.text
        qr = _ok(await public.get(f"/api/v1/verificar/{oficio_id}"))
        assert (qr["estado"], qr["documento"]["sha256"]) == ("firmado", signed["documento"]["sha256"])

        # Someone holding the paper copy types the page and the short code printed on it.
        printed = " ".join(pdftotext(pdf).split())
        code = short_code(oficio_id)
        assert f"visite {world.gateway.removeprefix('https://')}/verificar" in printed
        assert f"código de verificación: {code}" in printed
        typed = _ok(await public.get(f"/api/v1/verificar/{code.lower().replace('-', ' ')}"))
        assert (typed["oficio_id"], typed["codigo"], typed["documento"]["sha256"]) == (
            oficio_id,
            code,
            signed["documento"]["sha256"],
        )
        assert qr["codigo"] == code
        unknown = await public.get("/api/v1/verificar/ZZZZZ-ZZZZZ")
        assert (unknown.status_code, unknown.json()["code"]) == (404, "document_not_found")
        assert "ZZZZZ-ZZZZZ" in unknown.json()["message"]

        tampered = bytearray(pdf)
        start = pdf.index(b"/Contents <") - 200  # a byte inside the first signed range
        tampered[start] = ord("0") if tampered[start] != ord("0") else ord("1")
        broken = _ok(await public.post("/api/v1/verificar", content=bytes(tampered)))
        assert broken["valida"] is False

    verdict = await asyncio.to_thread(pdfsig, pki, pdf, tmp_path)
    assert verdict.count("Signature Validation: Signature is Valid.") == 2, verdict
    assert "Certificate Validation: Certificate is Trusted." in verdict, verdict
