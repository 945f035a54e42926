"""The storage service as a real process: a 200 MB upload with flat memory, the internal API's
answers, and events reaching the audit chain through Kafka."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from signum.platform.http import CALLER_HEADER, INTERNAL_TOKEN_HEADER
from signum.platform.settings import InfraSettings
from signum.testing.processes import ServiceProcess

pytestmark = pytest.mark.stack

MB = 1024 * 1024
BIG = 200 * MB
LINE = "Oficio SIGA/DGTI/0123/2026 — informe de actividades de la dirección, renglón de relleno.\n".encode()


def _headers(caller_id: str = "signing") -> dict[str, str]:
    token = InfraSettings().internal_token.get_secret_value()
    caller = {"kind": "system", "id": caller_id}
    return {INTERNAL_TOKEN_HEADER: token, CALLER_HEADER: json.dumps(caller)}


def _peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def _text_of(size: int) -> Iterator[bytes]:
    """`size` bytes of UTF-8 text, made on the fly (never held whole)."""
    block = LINE * (MB // len(LINE))
    sent = 0
    while sent < size:
        piece = block[: size - sent]
        sent += len(piece)
        yield piece


@pytest.fixture
def storage(infra: InfraSettings, tmp_path: Path) -> Iterator[ServiceProcess]:
    env = {k: v for k, v in os.environ.items() if k.startswith("SIGNUM_")}
    env |= {"SIGNUM_STORAGE_AUDIT_HEAD_SECONDS": "1", "SIGNUM_STORAGE_SPOOL_DIR": str(tmp_path)}
    proc = ServiceProcess("storage", env, tmp_path / "logs").start()
    try:
        proc.wait_healthy("/readyz", timeout=60)
        yield proc
    finally:
        proc.stop()


def test_a_200_mb_upload_streams_through_with_flat_memory(
    storage: ServiceProcess, infra: InfraSettings
) -> None:
    assert storage.proc is not None
    url = storage.url + "/internal/objetos"
    params = {"oficio_id": "OF-GRANDE", "bucket": "attachments", "media_type": "text/plain"}
    with httpx.Client(timeout=300) as http:
        warm = http.post(url, params=params, content=LINE * 10, headers=_headers())
        assert warm.status_code == 201, warm.text
        before = _peak_rss_kb(storage.proc.pid)
        digest = hashlib.sha256()

        def body() -> Iterator[bytes]:
            for piece in _text_of(BIG):
                digest.update(piece)
                yield piece

        started = time.monotonic()
        response = http.post(url, params=params, content=body(), headers=_headers())
        elapsed = time.monotonic() - started
        after = _peak_rss_kb(storage.proc.pid)
        assert response.status_code == 201, response.text
        stored = response.json()
        assert stored == {
            "clave": "sha256/" + digest.hexdigest(),
            "sha256": digest.hexdigest(),
            "tamano": BIG,
            "bucket": "attachments",
            "media_type": "text/plain",
        }
        growth_mb = (after - before) / 1024
        print(
            f"\n200 MB upload: {elapsed:.1f} s; "
            f"storage peak RSS {before / 1024:.0f} MB -> {after / 1024:.0f} MB"
        )
        assert growth_mb < 60, f"peak RSS grew by {growth_mb:.0f} MB for a 200 MB upload"
        # Reading it back streams too, and the hash is checked on the way.
        read = hashlib.sha256()
        with http.stream("GET", f"{storage.url}/internal/objetos/{stored['clave']}", headers=_headers()) as r:
            assert r.status_code == 200
            for chunk in r.iter_bytes():
                read.update(chunk)
        assert read.hexdigest() == digest.hexdigest()
        assert (_peak_rss_kb(storage.proc.pid) - before) / 1024 < 60
    # Free the test stack's disk: attachments are not object-locked.
    from signum.platform.s3 import build_s3_client

    client = build_s3_client(infra)
    bucket = f"{infra.s3_bucket_prefix}attachments"
    for obj in client.list_objects(bucket, include_version=True, recursive=True):
        client.remove_object(bucket, obj.object_name, obj.version_id)


def test_the_internal_api_and_the_audit_chain_through_kafka(storage: ServiceProcess) -> None:
    with httpx.Client(base_url=storage.url, timeout=30, headers=_headers()) as http:
        bad = http.post("/internal/objetos", params={"oficio_id": "OF-1"}, content=b"MZ\x90\x00" * 10)
        assert bad.status_code == 415
        assert bad.json()["code"] == "file_type_not_allowed"
        no_token = httpx.post(storage.url + "/internal/objetos", params={"oficio_id": "OF-1"}, content=b"x")
        assert no_token.status_code == 403
        stored = http.post(
            "/internal/objetos",
            params={"oficio_id": "OF-AUD", "bucket": "documents", "serie": "TMP"},
            content=b"%PDF-no-es-un-pdf",
        )
        assert stored.status_code == 422
        assert stored.json()["code"] == "pdf_malformed"
        stored = http.post("/internal/objetos", params={"oficio_id": "OF-AUD"}, content=b"anexo de prueba\n")
        assert stored.status_code == 201
        clave = stored.json()["clave"]
        meta = http.get(f"/internal/objetos/{clave}/metadatos").json()
        assert meta["oficios"] == ["OF-AUD"]
        assert meta["subido_por"] == {"kind": "system", "id": "signing"}
        assert http.post(f"/internal/objetos/{clave}/url").json()["url"].startswith("http")
        assert http.get("/internal/objetos/sha256/" + "0" * 64).status_code == 404
        # object.stored goes out through the outbox and Kafka, and comes back into the audit chain.
        deadline = time.monotonic() + 45
        eventos: list[dict[str, object]] = []
        while time.monotonic() < deadline and not eventos:
            eventos = http.get("/internal/oficios/OF-AUD/linea-de-tiempo").json()["eventos"]
            time.sleep(0.5)
        assert [e["tipo"] for e in eventos] == ["object.stored"]
        # The chain head gets sealed in the audit bucket, and the chain verifies.
        deadline = time.monotonic() + 10
        report: dict[str, object] = {}
        while time.monotonic() < deadline and not report.get("sello"):
            report = http.get("/internal/auditoria/verificacion").json()
            time.sleep(0.5)
        assert report["integra"] is True
        assert report["sello"] is not None
