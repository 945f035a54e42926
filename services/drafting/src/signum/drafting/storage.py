"""Drafting's use of the storage service (objects are stored there, not here), through the shared
`signum.platform.storage_client.StorageClient`, as drafting itself (a system caller)."""

from __future__ import annotations

from typing import Any, Protocol

from signum.platform.identity import Caller
from signum.platform.storage_client import StorageClient

DRAFTING = Caller(kind="system", id="drafting")


class ObjectStore(Protocol):
    async def put(self, *, bucket: str, oficio_id: str, media_type: str, data: bytes) -> dict[str, Any]:
        """Store `data`; returns `{clave, sha256, tamano, bucket, media_type}`."""
        ...


class DraftingStorage:
    """Rendered PDFs go to storage (`POST /internal/objetos`, streamed) with the client's caller,
    `DRAFTING`."""

    def __init__(self, client: StorageClient) -> None:
        self._client = client

    async def put(self, *, bucket: str, oficio_id: str, media_type: str, data: bytes) -> dict[str, Any]:
        return await self._client.upload(data, oficio_id=oficio_id, bucket=bucket, media_type=media_type)
