"""EU DSS 6.3 passes at B-LT what the running stack produces: an oficio signed with a credential,
one signed in the browser's way, oficios signed in a batch (one unlock of the e.firma), and a sealed
acuse de recibo (PKCS#11 seal, development seal CA).

DSS runs offline, trusting only the stack's roots (the test PKI's and the seal CA's): every
revocation value it needs, for the signer's chain and the timestamp's, must be inside the PDF."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from signum.platform.http import CALLER_HEADER, INTERNAL_TOKEN_HEADER
from signum.platform.identity import Caller
from signum.platform.settings import DEV_INTERNAL_TOKEN
from signum.signing.demo import DEMO_PASSWORD, ROOT_FILE, DemoSigner, write_demo_credentials
from signum.testing import dss
from signum.testing.processes import ServiceProcess
from tests.signing.documents import TWO_SIGNERS, oficio_pdf
from tests.signing.pki import SigningPki
from tests.signing.test_pades import _sign_like_a_browser

pytestmark = pytest.mark.stack

SIGNER = Caller(kind="official", id="1001", nombre="Juana Pérez Garza")
SYSTEM = json.dumps({"kind": "system", "id": "routing"})
DEMO_SIGNER = DemoSigner(
    "juana.perez@monterrey.gob.mx", "Juana Pérez Garza", "PEGJ800101AB1", "PEGJ800101MNLRRN09"
)


def _headers(caller: str) -> dict[str, str]:
    return {INTERNAL_TOKEN_HEADER: DEV_INTERNAL_TOKEN, CALLER_HEADER: caller}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def _credential_path(http: httpx.AsyncClient, pki: SigningPki, headers: dict[str, str]) -> bytes:
    response = await http.post(
        "/internal/firmas/credencial",
        json={
            "cer": _b64(pki.fiel.cer),
            "key": _b64(pki.fiel.key_file),
            "password": pki.fiel.password,
            "pdf": _b64(oficio_pdf(fields=TWO_SIGNERS)),
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return base64.b64decode(response.json()["pdf"])


async def _batch_path(http: httpx.AsyncClient, pki: SigningPki, headers: dict[str, str]) -> list[bytes]:
    response = await http.post(
        "/internal/firmas/lote",
        json={
            "cer": _b64(pki.fiel.cer),
            "key": _b64(pki.fiel.key_file),
            "password": pki.fiel.password,
            "pdfs": [_b64(oficio_pdf(folio=f"SIGA/DGTI/{n:04d}/2026", fields=TWO_SIGNERS)) for n in (7, 8)],
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["firmadas"] == 2
    return [base64.b64decode(pdf) for pdf in response.json()["pdfs"]]


async def _browser_path(
    http: httpx.AsyncClient, pki: SigningPki, headers: dict[str, str], tmp_path: Path
) -> bytes:
    prepared = await http.post(
        "/internal/firmas/preparacion",
        json={"cer": _b64(pki.fiel.cer), "pdf": _b64(oficio_pdf(fields=TWO_SIGNERS)), "campo": "firma-1"},
        headers=headers,
    )
    assert prepared.status_code == 200, prepared.text
    body = prepared.json()
    signature = _sign_like_a_browser(base64.b64decode(body["digest"]), pki.fiel.key_pem_unencrypted, tmp_path)
    completed = await http.post(
        f"/internal/firmas/{body['id']}/completar", json={"firma": _b64(signature)}, headers=headers
    )
    assert completed.status_code == 200, completed.text
    return base64.b64decode(completed.json()["pdf"])


async def _sealed_acuse(http: httpx.AsyncClient, storage: ServiceProcess) -> bytes:
    body: dict[str, Any] = {
        "oficio_id": f"of-{uuid.uuid4().hex[:12]}",
        "entrega_id": f"ent-{uuid.uuid4().hex[:12]}",
        "folio": "SIGA/DGTI/0124/2026",
        "asunto": "Solicitud de información presupuestal",
        "recibido_por": {"funcionario_id": "2001", "nombre": "María Núñez Garza", "cargo": "Directora"},
        "unidad": {
            "unidad_id": "U-EGR",
            "nombre": "Dirección de Egresos",
            "dependencia": "Tesorería Municipal",
        },
        "recibido_en": "2026-11-23T15:04:05-06:00",
    }
    created = await http.post("/internal/acuses", json=body, headers=_headers(SYSTEM))
    assert created.status_code == 201, created.text
    async with httpx.AsyncClient(base_url=storage.url, timeout=30) as objects:
        stored = await objects.get(f"/internal/objetos/{created.json()['clave']}", headers=_headers(SYSTEM))
        assert stored.status_code == 200, stored.text
        return stored.content


@pytest.fixture
def signing_and_storage(
    stack_env: dict[str, str], signing_env: dict[str, str], tmp_path: Path
) -> Iterator[dict[str, ServiceProcess]]:
    """Signing as the stack runs it (test PKI, its TSA, development seals in a folder of this test,
    not the session platform's) and the storage it keeps documents in, as real processes."""
    storage = ServiceProcess("storage", stack_env, tmp_path / "logs")
    signing = ServiceProcess("signing", stack_env | signing_env, tmp_path / "logs")
    signing.env |= {
        "SIGNUM_SIGNING_STORAGE_URL": storage.url,
        "SIGNUM_SIGNING_LOCAL_SEAL_DIR": str(tmp_path / "seal"),
        "SIGNUM_SIGNING_LOCAL_TSA_DIR": str(tmp_path / "tsa"),
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


async def test_dss_passes_the_stacks_signatures_and_seals_at_b_lt(
    signing_and_storage: dict[str, ServiceProcess], pki: SigningPki, tmp_path: Path
) -> None:
    platform = signing_and_storage
    headers = _headers(json.dumps(SIGNER.model_dump(mode="json"), ensure_ascii=True))
    async with httpx.AsyncClient(base_url=platform["signing"].url, timeout=60) as http:
        pdfs = {
            "credencial": await _credential_path(http, pki, headers),
            "navegador": await _browser_path(http, pki, headers, tmp_path),
            **{f"lote-{n}": pdf for n, pdf in enumerate(await _batch_path(http, pki, headers), 1)},
            "acuse": await _sealed_acuse(http, platform["storage"]),
        }
        ours = {
            name: (await http.post("/internal/verificacion", content=pdf, headers=headers)).json()
            for name, pdf in pdfs.items()
        }
    files = []
    for name, pdf in pdfs.items():
        files.append(tmp_path / f"{name}.pdf")
        files[-1].write_bytes(pdf)
    root = tmp_path / "raiz-pruebas.der"
    root.write_bytes(pki.roots_der[0])
    seal_ca = tmp_path / "seal" / "ca.pem"

    reports = dss.validate(files, [root, seal_ca])

    for name, path in zip(pdfs, files, strict=True):
        (signature,) = reports[path].signatures
        assert (signature.indication, signature.level) == (dss.PASSED, "B-LT"), (name, signature.explain())
        assert all(ts.passed for ts in signature.timestamps), (name, signature.explain())
        firma = ours[name]["firmas"][0]
        assert (firma["indicacion"], firma["nivel_pades"]) == ("TOTAL_PASSED", "B-LT"), (name, firma)


async def test_dss_passes_a_demo_efirma_timestamped_by_the_local_tsa_at_b_lt(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    """What `signumctl up` runs: the demo e.firma CA and the local TSA, both published by signing."""
    signing = ServiceProcess("signing", stack_env, tmp_path / "logs")
    demo_dir = tmp_path / "firma-demo"
    (made,) = write_demo_credentials(demo_dir, [DEMO_SIGNER], signing.url)
    signing.env |= {
        "SIGNUM_SIGNING_TRUST_ROOTS": json.dumps([str(demo_dir / ROOT_FILE)]),
        "SIGNUM_SIGNING_DEMO_CA_DIR": str(demo_dir),
        "SIGNUM_SIGNING_LOCAL_TSA_DIR": str(tmp_path / "tsa"),
        "SIGNUM_SIGNING_LOCAL_SEAL_DIR": str(tmp_path / "seal"),
    }
    signing.start()
    try:
        signing.wait_healthy("/readyz?scope=local", timeout=120)
        async with httpx.AsyncClient(base_url=signing.url, timeout=60) as http:
            response = await http.post(
                "/internal/firmas/credencial",
                json={
                    "cer": _b64((made.folder / "certificado.cer").read_bytes()),
                    "key": _b64((made.folder / "llave.key").read_bytes()),
                    "password": DEMO_PASSWORD,
                    "pdf": _b64(oficio_pdf(fields=TWO_SIGNERS)),
                },
                headers=_headers(json.dumps(SIGNER.model_dump(mode="json"), ensure_ascii=True)),
            )
            assert response.status_code == 200, response.text
            signed = base64.b64decode(response.json()["pdf"])
            ours = (
                await http.post("/internal/verificacion", content=signed, headers=_headers(SYSTEM))
            ).json()
    finally:
        signing.stop()

    (signature,) = dss.validate_pdf(
        signed,
        [(demo_dir / ROOT_FILE).read_bytes(), (tmp_path / "tsa" / "root.pem").read_bytes()],
        tmp_path / "dss",
    ).signatures
    assert (signature.indication, signature.level) == (dss.PASSED, "B-LT"), signature.explain()
    (timestamp,) = signature.timestamps
    assert timestamp.produced_by == "TSA de desarrollo Signum", signature.explain()
    assert (ours["firmas"][0]["indicacion"], ours["firmas"][0]["nivel_pades"]) == ("TOTAL_PASSED", "B-LT"), (
        ours
    )
