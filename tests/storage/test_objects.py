"""Objects on the real S3 server: content addressing, immutability enforced by the server,
tamper detection on read, presigned URLs after the access check, retention."""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention

from signum.platform.errors import ForbiddenError, SignumError
from signum.platform.identity import Caller
from signum.platform.outbox import OUTBOX
from signum.storage.app import Components
from tests.storage.conftest import SYSTEM, chunks, official, pdf_bytes, stored_oficio

pytestmark = pytest.mark.stack


async def _store(
    parts: Components,
    data: bytes,
    *,
    bucket: str = "documents",
    oficio_id: str = "OF-1",
    caller: Caller = SYSTEM,
    serie: str | None = None,
) -> dict[str, Any]:
    return await parts.service.upload(
        caller,
        chunks(data),
        bucket=bucket,
        oficio_id=oficio_id,
        declared_type=None,
        serie=serie,
        nombre="oficio.pdf",
        correlation_id="t",
    )


async def _read_all(parts: Components, clave: str, bucket: str | None = None) -> bytes:
    _, body = await parts.service.open_verified(SYSTEM, clave, bucket)
    return b"".join([chunk async for chunk in body])


async def test_the_same_bytes_get_the_same_key_once(parts: Components) -> None:
    data = pdf_bytes()
    first = await _store(parts, data)
    second = await _store(parts, data)
    assert first == second
    assert first["clave"] == "sha256/" + hashlib.sha256(data).hexdigest()
    assert first["tamano"] == len(data)
    doc = await parts.service.objects.collection.find_one({"clave": first["clave"]})
    assert doc is not None
    assert len(doc[OUTBOX]) == 1
    assert doc[OUTBOX][0]["type"] == "object.stored"
    assert await _read_all(parts, first["clave"]) == data


async def test_the_server_refuses_to_delete_a_signed_document(parts: Components) -> None:
    stored = await _store(parts, pdf_bytes())
    meta = await parts.service.metadata(SYSTEM, stored["clave"], "documents")
    raw, bucket = parts.store.client, parts.store.bucket("documents")
    # Straight to S3, bypassing Signum's code: the server itself says no.
    with pytest.raises(S3Error) as info:
        await asyncio.to_thread(raw.remove_object, bucket, stored["clave"], meta["version_id"])
    print(f"\nS3 refused the delete: {info.value.code}: {info.value.message}")
    assert info.value.code in {"AccessDenied", "InvalidRequest"}, info.value
    assert "WORM" in str(info.value.message), info.value.message
    retention = await asyncio.to_thread(raw.get_object_retention, bucket, stored["clave"], meta["version_id"])
    assert retention is not None
    assert retention.mode == "COMPLIANCE"
    assert retention.retain_until_date > datetime.now(UTC) + timedelta(days=365 * 4)
    # Nor can the retention be shortened.
    with pytest.raises(S3Error):
        await asyncio.to_thread(
            raw.set_object_retention,
            bucket,
            stored["clave"],
            Retention(COMPLIANCE, datetime.now(UTC) + timedelta(days=1)),
            meta["version_id"],
        )


async def test_overwriting_a_signed_document_keeps_the_original_and_is_detected(parts: Components) -> None:
    data = pdf_bytes()
    stored = await _store(parts, data)
    meta = await parts.service.metadata(SYSTEM, stored["clave"], "documents")
    raw, bucket = parts.store.client, parts.store.bucket("documents")
    forged = data.replace(b"612", b"613")
    await asyncio.to_thread(raw.put_object, bucket, stored["clave"], io.BytesIO(forged), len(forged))
    # The locked original is still there, byte for byte.
    original = await asyncio.to_thread(raw.get_object, bucket, stored["clave"], version_id=meta["version_id"])
    assert original.read() == data
    # Our read refuses the forged current version.
    with pytest.raises(SignumError) as info:
        await _read_all(parts, stored["clave"])
    assert info.value.code == "object_tampered"
    assert "alterado" in info.value.message


async def test_a_changed_byte_in_a_draft_is_detected_on_read(parts: Components) -> None:
    data = b"Borrador del oficio SIGA/DGTI/0123/2026\n" * 100
    stored = await _store(parts, data, bucket="drafts")
    raw, bucket = parts.store.client, parts.store.bucket("drafts")
    changed = bytearray(data)
    changed[500] ^= 0x01
    await asyncio.to_thread(raw.put_object, bucket, stored["clave"], io.BytesIO(bytes(changed)), len(changed))
    with pytest.raises(SignumError) as info:
        await _read_all(parts, stored["clave"], "drafts")
    assert info.value.code == "object_tampered"


async def test_an_altered_recorded_hash_breaks_the_stream_before_the_last_chunk(parts: Components) -> None:
    data = b"x" * (1800 * 1024)  # two chunks of the read
    stored = await _store(parts, data, bucket="attachments")
    await parts.service.objects.collection.update_one(
        {"clave": stored["clave"]}, {"$set": {"sha256": "0" * 64}}
    )
    _, body = await parts.service.open_verified(SYSTEM, stored["clave"], "attachments")
    received: list[int] = []

    async def drain() -> None:
        async for chunk in body:
            received.append(len(chunk))

    with pytest.raises(SignumError) as info:
        await drain()
    assert info.value.code == "object_tampered"
    assert sum(received) < len(data)  # the client never got the whole (unverified) content
    doc = await parts.service.objects.collection.find_one({"clave": stored["clave"]})
    assert doc is not None
    assert "alteracion_detectada" in doc


async def test_a_presigned_url_only_after_the_access_check(parts: Components) -> None:
    oficio_id = await stored_oficio(parts, author="mgarza")
    data = pdf_bytes()
    stored = await _store(parts, data, bucket="attachments", oficio_id=oficio_id, caller=official("mgarza"))
    with pytest.raises(ForbiddenError):
        await _store(
            parts, b"otro anexo", bucket="attachments", oficio_id=oficio_id, caller=official("intruso")
        )
    signed = await parts.service.presigned_download(official("mgarza"), stored["clave"], None)
    async with httpx.AsyncClient() as http:
        response = await http.get(signed["url"])
    assert response.status_code == 200
    assert response.content == data
    with pytest.raises(ForbiddenError):
        await parts.service.presigned_download(official("otro"), stored["clave"], None)
    assert await parts.service.presigned_download(official("aud", "auditor"), stored["clave"], None)


async def test_direct_upload_through_a_presigned_put(parts: Components) -> None:
    data = b"fecha,folio\n2026-11-23,0123\n"
    started = await parts.service.start_direct_upload(
        SYSTEM,
        bucket="attachments",
        oficio_id="OF-1",
        media_type="text/csv",
        serie=None,
        nombre="folios.csv",
        tamano=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    async with httpx.AsyncClient() as http:
        put = await http.put(started["url"], content=data)
    assert put.status_code == 200
    stored = await parts.service.confirm_direct_upload(SYSTEM, started["id"], "t")
    assert stored["media_type"] == "text/csv"
    assert stored["clave"] == "sha256/" + hashlib.sha256(data).hexdigest()
    assert await _read_all(parts, stored["clave"], "attachments") == data
    assert await parts.service.confirm_direct_upload(SYSTEM, started["id"], "t") == stored


async def test_a_direct_upload_that_differs_from_what_was_announced_is_refused(parts: Components) -> None:
    started = await parts.service.start_direct_upload(
        SYSTEM, bucket="attachments", oficio_id="OF-1", media_type=None, serie=None, nombre=None,
        tamano=10, sha256=None,
    )  # fmt: skip
    async with httpx.AsyncClient() as http:
        await http.put(started["url"], content=b"texto mucho mas largo que diez")
    with pytest.raises(SignumError) as info:
        await parts.service.confirm_direct_upload(SYSTEM, started["id"], "t")
    assert info.value.code == "upload_mismatch"


async def test_retention_comes_from_the_series_and_expiry_is_announced_once(parts: Components) -> None:
    long_kept = await _store(parts, b"acta de cabildo", bucket="attachments", serie="9C.1")
    short = await _store(parts, b"apoyo informativo", bucket="attachments", serie="TMP")
    unknown = await _store(parts, b"serie desconocida", bucket="attachments", serie="NO-EXISTE")
    metas = {
        k: await parts.service.metadata(SYSTEM, s["clave"], "attachments")
        for k, s in {"long": long_kept, "short": short, "unknown": unknown}.items()
    }
    assert metas["long"]["retencion_hasta"].year == datetime.now(UTC).year + 100
    assert metas["short"]["serie"] == "TMP"
    assert metas["unknown"]["serie"] == "GEN"  # the catalogue's default
    report = await parts.service.expiring_report(400)
    assert [o["clave"] for o in report] == [short["clave"]]
    assert 364 <= report[0]["dias_restantes"] <= 366
    assert await parts.service.warn_expiring(400) == 1
    assert await parts.service.warn_expiring(400) == 0  # once per object
    doc = await parts.service.objects.collection.find_one({"clave": short["clave"]})
    assert doc is not None
    assert [e["type"] for e in doc[OUTBOX]] == ["object.stored", "object.retention_expiring"]


async def test_an_identical_rewrite_of_a_document_is_not_taken_for_tampering(parts: Components) -> None:
    data = pdf_bytes()
    stored = await _store(parts, data)
    raw, bucket = parts.store.client, parts.store.bucket("documents")
    await asyncio.to_thread(raw.put_object, bucket, stored["clave"], io.BytesIO(data), len(data))
    assert await _read_all(parts, stored["clave"]) == data
