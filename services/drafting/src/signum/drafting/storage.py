"""Drafting's client of the storage service's internal API (objects are stored there, not here)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from signum.platform.http import InternalClient
from signum.platform.identity import Caller

DRAFTING = Caller(kind="system", id="drafting")


class ObjectStore(Protocol):
    async def put(self, *, bucket: str, oficio_id: str, media_type: str, data: bytes) -> dict[str, Any]:
        """Store `data`; returns `{clave, sha256, tamano, bucket}`."""
        ...


class StorageClient:
    """`POST /internal/objetos` of the storage service, as drafting itself (a system caller)."""

    def __init__(self, client: InternalClient) -> None:
        self._client = client

    async def put(self, *, bucket: str, oficio_id: str, media_type: str, data: bytes) -> dict[str, Any]:
        async def body() -> AsyncIterator[bytes]:
            yield data

        result = await self._client.stream_upload(
            "/internal/objetos",
            body(),
            caller=DRAFTING,
            params={"bucket": bucket, "oficio_id": oficio_id, "media_type": media_type},
            content_type=media_type,
        )
        return dict(result)
