from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest

from signum.contracts import Actor
from signum.contracts.drafting import OficioCreated, OficioCreatedPayload
from signum.platform.identity import Caller
from signum.platform.settings import InfraSettings
from signum.storage.app import Components, components
from signum.storage.settings import Settings

SYSTEM = Caller(kind="system", id="signing")


def official(id: str, *roles: str, unidad: str = "TES-DI") -> Caller:
    return Caller(kind="official", id=id, roles=frozenset({"funcionario", *roles}), unidad_id=unidad)


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def oficio_created(author: str = "mgarza", confidencialidad: str = "publica") -> OficioCreated:
    return OficioCreated(
        oficio_id=str(uuid.uuid4()),
        correlation_id=uuid.uuid4().hex,
        actor=Actor(kind="official", id=author),
        payload=OficioCreatedPayload(
            kind="oficio",
            asunto="Informe mensual",
            office_id="TES-DI",
            author_id=author,
            confidencialidad=confidencialidad,
        ),
    )


def pdf_bytes(*, password: str | None = None) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_bytes(files: Iterable[tuple[str, str]]) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files:
            archive.writestr(name, text)
    return out.getvalue()


@pytest.fixture
async def parts(infra: InfraSettings) -> AsyncIterator[Components]:
    """Storage's components against the real MinIO and MongoDB, in a namespace of the test's own."""
    settings = Settings(max_upload_bytes=2 * 1024 * 1024)
    built = components(settings)
    await built.store.ensure_buckets()
    await built.service.objects.ensure_indexes()
    await built.audit.repo.ensure_indexes()
    yield built
    await built.runtime.mongo.drop_database(built.runtime.db.name)
    built.runtime.mongo.close()


async def stored_oficio(parts: Components, author: str = "mgarza", **kw: Any) -> str:
    event = oficio_created(author, **kw)
    await parts.service.on_oficio_created(event)
    return event.oficio_id
