"""`signum.platform.storage_client` against a real storage process on the test stack: uploads from
bytes, a file and an iterator; streamed downloads; a large object that never sits in memory; the
metadata and presigned URL; failures as SignumErrors with Spanish messages."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from signum.platform.errors import NotFoundError, SignumError, UnavailableError
from signum.platform.identity import Caller
from signum.platform.settings import InfraSettings
from signum.platform.storage_client import CHUNK, ObjectTooLargeError, StorageClient, object_path
from signum.testing.processes import ServiceProcess, free_port

pytestmark = pytest.mark.stack

MIB = 1024 * 1024
LARGE = 96 * MIB
SYSTEM = Caller(kind="system", id="signing")
ANEXO = "Anexo del oficio SIGA/DGTI/0123/2026: relación de equipos entregados.\n".encode() * 200


@pytest.fixture
def storage_process(infra: InfraSettings, tmp_path: Path) -> Iterator[ServiceProcess]:
    env = {k: v for k, v in os.environ.items() if k.startswith("SIGNUM_")}
    # Nobody answers for routing or drafting: storage decides on its own read model.
    nobody = f"http://127.0.0.1:{free_port()}"
    env |= {
        "SIGNUM_STORAGE_SPOOL_DIR": str(tmp_path),
        "SIGNUM_STORAGE_ROUTING_URL": nobody,
        "SIGNUM_STORAGE_DRAFTING_URL": nobody,
    }
    proc = ServiceProcess("storage", env, tmp_path / "logs").start()
    try:
        proc.wait_healthy("/readyz", timeout=60)
        yield proc
    finally:
        proc.stop()


@pytest.fixture
async def storage(storage_process: ServiceProcess, infra: InfraSettings) -> AsyncIterator[StorageClient]:
    client = StorageClient(storage_process.url, infra.internal_token, caller=SYSTEM)
    yield client
    await client.aclose()
    # Free the shared stack's disk: attachments are not object-locked.
    from signum.platform.s3 import build_s3_client

    s3 = build_s3_client(infra)
    bucket = f"{infra.s3_bucket_prefix}attachments"
    if s3.bucket_exists(bucket):
        for obj in s3.list_objects(bucket, include_version=True, recursive=True):
            s3.remove_object(bucket, obj.object_name, obj.version_id)


async def test_bytes_a_file_and_chunks_are_stored_and_read_back(
    storage: StorageClient, tmp_path: Path
) -> None:
    digest = hashlib.sha256(ANEXO).hexdigest()
    from_bytes = await storage.upload(
        ANEXO, oficio_id="OF-CLIENTE", media_type="text/plain", nombre="anexo.txt"
    )
    assert from_bytes == {
        "clave": f"sha256/{digest}",
        "sha256": digest,
        "tamano": len(ANEXO),
        "bucket": "attachments",
        "media_type": "text/plain",
    }
    path = tmp_path / "anexo.txt"
    path.write_bytes(ANEXO)
    assert await storage.upload(path, oficio_id="OF-CLIENTE", media_type="text/plain") == from_bytes

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(ANEXO), 1000):
            yield ANEXO[start : start + 1000]

    assert await storage.upload(pieces(), oficio_id="OF-OTRO", media_type="text/plain") == from_bytes

    clave = from_bytes["clave"]
    async with storage.open(clave) as stream:
        assert (stream.sha256, stream.size) == (digest, len(ANEXO))
        assert stream.media_type.startswith("text/plain")
        received = [chunk async for chunk in stream.chunks()]
    assert b"".join(received) == ANEXO
    assert await storage.read(clave, max_bytes=len(ANEXO)) == ANEXO

    meta = await storage.metadata(clave)
    assert sorted(meta["oficios"]) == ["OF-CLIENTE", "OF-OTRO"]
    assert meta["subido_por"] == {"kind": "system", "id": "signing"}

    signed = await storage.download_url(clave, oficio_id="OF-CLIENTE")
    assert signed["clave"] == clave
    async with httpx.AsyncClient(timeout=30) as http:
        assert (await http.get(signed["url"])).content == ANEXO


async def test_a_large_object_streams_up_and_down_without_being_held(storage: StorageClient) -> None:
    block = b"0123456789abcdef" * (MIB // 16)
    sent = hashlib.sha256()
    produced = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal produced
        while produced < LARGE:
            piece = bytes(block)  # a fresh MiB each time: the whole upload is never in memory
            sent.update(piece)
            produced += len(piece)
            yield piece

    tracemalloc.start()
    try:
        stored = await storage.upload(body(), oficio_id="OF-GRANDE", media_type="text/plain")
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        received = hashlib.sha256()
        chunks = 0
        async with storage.open(stored["clave"]) as stream:
            assert stream.size == LARGE
            async for chunk in stream.chunks():
                assert len(chunk) <= CHUNK
                received.update(chunk)
                chunks += 1
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (stored["tamano"], stored["sha256"]) == (LARGE, sent.hexdigest())
    assert received.hexdigest() == sent.hexdigest()
    assert chunks >= LARGE // CHUNK
    # 96 MiB went through; this process held a few of its chunks at a time.
    assert upload_peak < 16 * MIB, f"upload peak {upload_peak / MIB:.1f} MiB"
    assert download_peak < 16 * MIB, f"download peak {download_peak / MIB:.1f} MiB"

    # Gathering it in memory is refused by its declared size, before its bytes are read.
    with pytest.raises(ObjectTooLargeError) as too_large:
        await storage.read(stored["clave"], max_bytes=LARGE - 1)
    assert (too_large.value.status_code, too_large.value.code) == (422, "object_too_large")
    assert "tamaño" in too_large.value.message


async def test_failures_are_signum_errors_in_spanish(
    storage: StorageClient, storage_process: ServiceProcess, infra: InfraSettings
) -> None:
    with pytest.raises(NotFoundError) as missing:
        await storage.read("sha256/" + "0" * 64, max_bytes=MIB)
    assert missing.value.status_code == 404

    with pytest.raises(SignumError) as refused_type:
        await storage.upload(b"MZ\x90\x00" * 64, oficio_id="OF-CLIENTE")
    assert (refused_type.value.status_code, refused_type.value.code) == (415, "file_type_not_allowed")

    # A person's upload is decided by storage on its model of the oficio: the callee's error
    # arrives as the same class, code and Spanish message.
    stranger = Caller(kind="official", id="9999", roles=frozenset({"funcionario"}), unidad_id="TES-DI")
    with pytest.raises(NotFoundError) as unknown:
        await storage.upload(ANEXO, oficio_id="OF-AJENO", media_type="text/plain", caller=stranger)
    assert (unknown.value.code, unknown.value.message) == (
        "oficio_not_found",
        "El oficio no existe o aún no está disponible.",
    )

    # What follows `sha256/` is one segment: a `?`, `/` or `..` in a key reaches no other route.
    assert object_path("sha256/../metadatos?x") == "/internal/objetos/sha256/..%2Fmetadatos%3Fx"
    with pytest.raises(SignumError) as odd:
        await storage.read("sha256/" + "0" * 64 + "?bucket=drafts", max_bytes=MIB)
    assert odd.value.status_code == 422

    down = StorageClient(f"http://127.0.0.1:{free_port()}", infra.internal_token, caller=SYSTEM)
    try:
        with pytest.raises(UnavailableError) as unreachable:
            await down.read("sha256/" + "0" * 64, max_bytes=MIB)
        assert unreachable.value.code == "storage_unavailable"
        assert unreachable.value.message.startswith("El servicio de archivo de documentos no responde")
        with pytest.raises(UnavailableError):
            await down.upload(ANEXO, oficio_id="OF-CLIENTE")
    finally:
        await down.aclose()
