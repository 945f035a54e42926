"""Signing's PDFs in the storage service: the oficio's current PDF read to sign or verify it, each
signed PDF (and sealed acuse) stored as a new immutable object. Signing keeps no bytes itself."""

from __future__ import annotations

from typing import Any, Protocol

from signum.contracts.drafting import StoredObject
from signum.platform.errors import UnavailableError


class ObjectStore(Protocol):
    """What signing uses of storage (`signum.platform.storage_client.StorageClient`)."""

    async def read(self, clave: str, *, max_bytes: int) -> bytes: ...

    async def upload(
        self, content: bytes, *, oficio_id: str, bucket: str, media_type: str, correlation_id: str | None
    ) -> dict[str, Any]: ...


class SignedDocuments:
    """The PDFs signing reads and writes, through storage's internal API, as the system."""

    def __init__(self, storage: ObjectStore | None, *, max_pdf_bytes: int) -> None:
        self.storage = storage
        self.max_pdf_bytes = max_pdf_bytes

    def ready(self) -> ObjectStore:
        """The store, or a 503 when this deployment has none configured."""
        if self.storage is None:
            raise UnavailableError(
                "El almacenamiento de documentos no está configurado.", code="storage_unavailable"
            )
        return self.storage

    async def read(self, document: dict[str, Any]) -> bytes:
        """The bytes of a stored document (`{clave, ...}`), refused past the PDF limit."""
        return await self.ready().read(document["clave"], max_bytes=self.max_pdf_bytes)

    async def store(self, oficio_id: str, pdf: bytes, correlation_id: str) -> StoredObject:
        """Keep a signed PDF among the oficio's documents."""
        stored = await self.ready().upload(
            pdf,
            oficio_id=oficio_id,
            bucket="documents",
            media_type="application/pdf",
            correlation_id=correlation_id,
        )
        return StoredObject(
            bucket=stored.get("bucket", "documents"),
            clave=stored["clave"],
            sha256=stored["sha256"],
            tamano=stored["tamano"],
        )
