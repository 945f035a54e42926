"""The one client of the storage service's internal object API, for every service and the gateway.

Uploads stream from bytes, a file or an async iterator of chunks (`POST /internal/objetos`);
downloads stream (`GET /internal/objetos/sha256/{hex}`, storage checks the hash as it sends);
`read` gathers a download into memory only up to a given size. Paths are built with `segment`,
calls carry the internal token, a caller (the service itself unless one is given, e.g. the person
the gateway authenticated) and the correlation id; every failure is a SignumError with a Spanish
message (`InternalClient`'s: the callee's 4xx as is, an unreachable or failing storage a 503
`storage_unavailable`).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import httpx
from pydantic import SecretStr

from signum.platform.errors import SignumError
from signum.platform.http import InternalClient, segment
from signum.platform.identity import Caller

CHUNK = 64 * 1024
KEY_PREFIX = "sha256/"
UPLOAD_TIMEOUT_SECONDS = 600.0  # a whole upload; each read of a download has the client's timeout

Content = bytes | os.PathLike[str] | AsyncIterable[bytes]


def _digest_of(clave_or_sha256: str) -> str:
    return clave_or_sha256.removeprefix(KEY_PREFIX)


def object_path(clave: str) -> str:
    """`/internal/objetos/sha256/<hex>` for a key `sha256/<hex>` (or its hex): keys are content
    addresses, so what follows `sha256/` is one encoded segment (a `/`, `?` or `..` stays in it)."""
    return "/internal/objetos/sha256/" + segment(_digest_of(clave))


async def _byte_chunks(data: bytes) -> AsyncIterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(view), CHUNK):
        yield bytes(view[start : start + CHUNK])


async def _file_chunks(path: os.PathLike[str]) -> AsyncIterator[bytes]:
    # Opened and read off the event loop, one chunk at a time.
    file: BinaryIO = await asyncio.to_thread(Path(path).open, "rb")
    try:
        while chunk := await asyncio.to_thread(file.read, CHUNK):
            yield chunk
    finally:
        await asyncio.to_thread(file.close)


def chunks_of(content: Content) -> AsyncIterable[bytes]:
    """The content to upload as chunks: bytes sliced, a file read as it is sent, an iterator as is."""
    if isinstance(content, bytes):
        return _byte_chunks(content)
    if isinstance(content, os.PathLike):
        return _file_chunks(content)
    return content


@dataclass
class ObjectStream:
    """An object being downloaded: what storage says of it, and its bytes as they arrive."""

    clave: str
    sha256: str
    size: int | None
    media_type: str
    _response: httpx.Response
    _client: StorageClient

    async def chunks(self) -> AsyncIterator[bytes]:
        """The object's bytes, chunk by chunk; a download that breaks off (storage found the
        bytes altered, or the connection died) raises `storage_unavailable`."""
        try:
            async for chunk in self._response.aiter_bytes(CHUNK):
                yield chunk
        except httpx.HTTPError as exc:
            raise self._client.unreachable("download", self.clave, exc) from exc


class ObjectTooLargeError(SignumError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"El documento guardado pasa del tamaño que se puede procesar ({limit // (1024 * 1024)} MB).",
            code="object_too_large",
            status_code=422,
            details={"limite_bytes": limit},
        )


class StorageClient(InternalClient):
    """Storage's internal object API (and, as any `InternalClient`, its other routes)."""

    def __init__(
        self,
        base_url: str,
        token: SecretStr,
        *,
        caller: Caller | None = None,
        timeout: float = 30.0,
        upload_timeout: float = UPLOAD_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__("storage", base_url, token, timeout=timeout)
        self.caller = caller
        self.upload_timeout = upload_timeout

    async def upload(
        self,
        content: Content,
        *,
        oficio_id: str,
        bucket: str = "attachments",
        media_type: str | None = None,
        serie: str | None = None,
        nombre: str | None = None,
        caller: Caller | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """Store `content`, streamed; returns what storage recorded: `{clave, sha256, tamano,
        bucket, media_type}`. Storage checks the type and the size as the bytes arrive."""
        # The type travels as the body's Content-Type (storage reads it there; it also sniffs it).
        params = {"oficio_id": oficio_id, "bucket": bucket, "serie": serie, "nombre": nombre}
        stored = await self.stream_upload(
            "/internal/objetos",
            chunks_of(content),
            caller=caller or self.caller,
            correlation_id=correlation_id,
            params={k: v for k, v in params.items() if v is not None},
            content_type=media_type or "application/octet-stream",
            upload_timeout=self.upload_timeout,
        )
        return dict(stored)

    @asynccontextmanager
    async def open(
        self,
        clave: str,
        *,
        bucket: str | None = None,
        caller: Caller | None = None,
        correlation_id: str | None = None,
    ) -> AsyncIterator[ObjectStream]:
        """`async with storage.open(clave) as stream:` then `async for chunk in stream.chunks()`."""
        path = object_path(clave)
        request = self._client.build_request(
            "GET",
            path,
            params={"bucket": bucket} if bucket else None,
            headers=self._headers(caller or self.caller, correlation_id),
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self.unreachable("download", path, exc) from exc
        try:
            if response.status_code >= 400:
                await response.aread()
                self._check(response)
            length = response.headers.get("content-length")
            yield ObjectStream(
                clave=clave,
                sha256=response.headers.get("x-signum-sha256", _digest_of(clave)),
                size=int(length) if length and length.isdigit() else None,
                media_type=response.headers.get("content-type", "application/octet-stream"),
                _response=response,
                _client=self,
            )
        finally:
            await response.aclose()

    async def read(
        self,
        clave: str,
        *,
        max_bytes: int,
        bucket: str | None = None,
        caller: Caller | None = None,
        correlation_id: str | None = None,
    ) -> bytes:
        """The object's bytes in memory, for work that needs them whole (a PDF to sign), refused
        with 422 `object_too_large` past `max_bytes`; the SHA-256 of what arrived is checked."""
        async with self.open(clave, bucket=bucket, caller=caller, correlation_id=correlation_id) as stream:
            if stream.size is not None and stream.size > max_bytes:
                raise ObjectTooLargeError(max_bytes)
            data = bytearray()
            async for chunk in stream.chunks():
                data += chunk
                if len(data) > max_bytes:
                    raise ObjectTooLargeError(max_bytes)
        if hashlib.sha256(data).hexdigest() != stream.sha256:
            raise self.unreachable("download", clave, ValueError("SHA-256 mismatch"))
        return bytes(data)

    async def download_url(
        self,
        clave: str,
        *,
        oficio_id: str | None = None,
        bucket: str | None = None,
        caller: Caller | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """A short-lived presigned URL for the object (`{url, expira, clave, bucket, media_type}`);
        with `oficio_id`, storage decides on that oficio and checks the object belongs to it."""
        params = {"oficio_id": oficio_id, "bucket": bucket}
        signed = await self.request(
            "POST",
            object_path(clave) + "/url",
            caller=caller or self.caller,
            correlation_id=correlation_id,
            params={k: v for k, v in params.items() if v is not None},
        )
        return dict(signed)

    async def metadata(
        self,
        clave: str,
        *,
        bucket: str | None = None,
        caller: Caller | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """What storage recorded of the object (oficios, serie, retention, who uploaded it...)."""
        found = await self.request(
            "GET",
            object_path(clave) + "/metadatos",
            caller=caller or self.caller,
            correlation_id=correlation_id,
            params={"bucket": bucket} if bucket else None,
        )
        return dict(found)

    def unreachable(self, what: str, path: str, exc: Exception) -> SignumError:
        """The retryable 503 for a storage that did not answer or broke off."""
        return self._unreachable(what, path, exc)
