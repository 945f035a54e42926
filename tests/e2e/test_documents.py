"""Attachments through the gateway: streamed to storage, downloaded through a short-lived presigned
URL after an access check, and every step on the oficio's timeline (the audit chain)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from signum.testing.kafka import eventually
from signum.testing.people import World

pytestmark = pytest.mark.stack

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)


async def _oficio(client: httpx.AsyncClient) -> str:
    created = await client.post("/api/v1/oficios", json={"asunto": "Oficio con anexo"})
    assert created.status_code == 201, created.text
    oficio_id: str = created.json()["id"]

    async def known_to_storage() -> bool:
        # Storage learns of the oficio from oficio.created; until then it refuses attachments.
        probe = await client.get(f"/api/v1/oficios/{oficio_id}/linea-de-tiempo")
        return probe.status_code == 200 and bool(probe.json().get("eventos"))

    await eventually(known_to_storage, within=30)
    return oficio_id


async def test_an_attachment_goes_up_and_comes_back_only_to_those_who_may_read_it(world: World) -> None:
    author = await world.as_("funcionario@A")
    oficio_id = await _oficio(author)
    uploaded = await author.post(
        f"/api/v1/oficios/{oficio_id}/anexos",
        params={"nombre": "anexo.pdf"},
        content=PDF,
        headers={"content-type": "application/pdf"},
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    digest = hashlib.sha256(PDF).hexdigest()
    assert (body["sha256"], body["tamano"], body["media_type"]) == (digest, len(PDF), "application/pdf")

    download = f"/api/v1/oficios/{oficio_id}/documentos/sha256/{digest}/descarga"
    redirect = await author.get(download, follow_redirects=False)
    assert redirect.status_code == 302
    async with httpx.AsyncClient() as s3:
        fetched = await s3.get(redirect.headers["location"])
    assert fetched.status_code == 200
    assert fetched.content == PDF

    stranger = await world.as_("funcionario@B")
    refused = await stranger.get(download, follow_redirects=False)
    assert refused.status_code == 403
    assert refused.json()["message"] == "No tiene permiso para realizar esta acción."


async def test_what_is_not_an_allowed_file_is_refused_in_spanish(world: World) -> None:
    author = await world.as_("funcionario@A")
    oficio_id = await _oficio(author)
    url = f"/api/v1/oficios/{oficio_id}/anexos"
    empty = await author.post(url, content=b"", headers={"content-type": "application/pdf"})
    broken = await author.post(
        url, content=b"%PDF-1.7\nno es un pdf", headers={"content-type": "application/pdf"}
    )
    exe = await author.post(url, content=b"MZ\x90\x00" + b"\x00" * 64)
    assert (empty.status_code, empty.json()["code"]) == (422, "file_empty")
    assert (broken.status_code, broken.json()["code"]) == (422, "pdf_malformed")
    assert (exe.status_code, exe.json()["code"]) == (415, "file_type_not_allowed")
    for response in (empty, broken, exe):
        assert response.json()["message"][0].isupper()


async def test_the_timeline_comes_from_the_audit_chain(world: World) -> None:
    author = await world.as_("funcionario@A")
    oficio_id = await _oficio(author)
    await author.post(
        f"/api/v1/oficios/{oficio_id}/anexos", content=PDF, headers={"content-type": "application/pdf"}
    )

    async def with_attachment() -> list[dict[str, Any]] | None:
        events: list[dict[str, Any]] = (
            await author.get(f"/api/v1/oficios/{oficio_id}/linea-de-tiempo")
        ).json()["eventos"]
        return events if any(e["tipo"] == "object.stored" for e in events) else None

    events = await eventually(with_attachment, within=30)
    assert [e["tipo"] for e in events][:1] == ["oficio.created"]
    assert all(e["cuando"] and e["quien"] for e in events)
