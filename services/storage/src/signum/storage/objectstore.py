"""The only module of storage that talks to S3 (plain S3 API through the synchronous `minio`
client; every call runs in a thread)."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from minio import Minio
from minio.commonconfig import COMPLIANCE, ENABLED
from minio.error import S3Error
from minio.retention import Retention
from minio.versioningconfig import VersioningConfig

from signum.platform.http import content_disposition
from signum.platform.settings import InfraSettings

# Logical bucket -> (object lock, versioning). Object lock can only be enabled at creation and
# implies versioning.
BUCKETS = {
    "documents": (True, True),
    "drafts": (False, True),
    "attachments": (False, True),
    "audit": (True, True),
}
HEAD_PREFIX = "cadena/"


def bucket_name(infra: InfraSettings, logical: str) -> str:
    return f"{infra.s3_bucket_prefix}{logical}"


class ObjectStore:
    """Signum's buckets on one S3 endpoint."""

    def __init__(
        self, client: Minio, infra: InfraSettings, *, part_size: int, presigner: Minio | None = None
    ) -> None:
        self.client = client
        self.infra = infra
        self.part_size = part_size
        self._presigner = presigner or client

    def bucket(self, logical: str) -> str:
        return bucket_name(self.infra, logical)

    async def ensure_buckets(self) -> None:
        """Create Signum's buckets if missing (object lock where records must be immutable)."""

        def _create() -> None:
            for logical, (locked, versioned) in BUCKETS.items():
                name = self.bucket(logical)
                if not self.client.bucket_exists(name):
                    self.client.make_bucket(name, object_lock=locked)
                if versioned and not locked:
                    self.client.set_bucket_versioning(name, VersioningConfig(ENABLED))

        await asyncio.to_thread(_create)

    async def put_file(
        self,
        logical: str,
        key: str,
        path: Path,
        size: int,
        media_type: str,
        *,
        retain_until: datetime | None,
        metadata: dict[str, str],
    ) -> str | None:
        """Upload a spooled file part by part; returns the S3 version id."""

        def _put() -> str | None:
            retention = Retention(COMPLIANCE, retain_until) if retain_until is not None else None
            with path.open("rb") as data:
                result = self.client.put_object(
                    self.bucket(logical),
                    key,
                    data,
                    size,
                    content_type=media_type,
                    metadata=metadata,  # type: ignore[arg-type]
                    part_size=self.part_size,
                    num_parallel_uploads=1,  # one part in memory at a time
                    retention=retention,
                )
            return result.version_id

        return await asyncio.to_thread(_put)

    async def stat(self, logical: str, key: str) -> Any | None:
        """The current version's metadata, or None if there is no such object."""

        def _stat() -> Any | None:
            try:
                return self.client.stat_object(self.bucket(logical), key)
            except S3Error as exc:
                if exc.code in {"NoSuchKey", "NoSuchVersion", "NoSuchObject"}:
                    return None
                raise

        return await asyncio.to_thread(_stat)

    async def open(self, logical: str, key: str, version_id: str | None = None) -> Any:
        """An open HTTP response of the object's bytes (read it in a thread; close and release it)."""
        return await asyncio.to_thread(
            self.client.get_object, self.bucket(logical), key, version_id=version_id
        )

    async def remove(self, logical: str, key: str, version_id: str | None = None) -> None:
        await asyncio.to_thread(self.client.remove_object, self.bucket(logical), key, version_id)

    def presigned_get(self, logical: str, key: str, seconds: int, *, filename: str | None = None) -> str:
        headers: dict[str, Any] | None = None
        if filename:
            headers = {"response-content-disposition": content_disposition(filename)}
        return self._presigner.presigned_get_object(
            self.bucket(logical), key, expires=timedelta(seconds=seconds), response_headers=headers
        )

    def presigned_put(self, logical: str, key: str, seconds: int) -> str:
        return self._presigner.presigned_put_object(
            self.bucket(logical), key, expires=timedelta(seconds=seconds)
        )

    # --- audit heads ---------------------------------------------------------------------------

    async def seal_head(self, seq: int, head_hash: str, at: datetime, retain_until: datetime) -> str:
        """Write the chain head as an immutable object (COMPLIANCE retention)."""
        key = f"{HEAD_PREFIX}{seq:012d}.json"
        body = json.dumps({"seq": seq, "hash": head_hash, "sellado": at.isoformat()}).encode()

        def _put() -> None:
            self.client.put_object(
                self.bucket("audit"),
                key,
                io.BytesIO(body),
                len(body),
                content_type="application/json",
                retention=Retention(COMPLIANCE, retain_until),
            )

        await asyncio.to_thread(_put)
        return key

    async def latest_head(self) -> dict[str, Any] | None:
        """The sealed head with the highest seq, read from S3 (not from our database)."""

        def _latest() -> dict[str, Any] | None:
            keys = [o.object_name for o in self.client.list_objects(self.bucket("audit"), prefix=HEAD_PREFIX)]
            if not keys:
                return None
            response = self.client.get_object(self.bucket("audit"), max(k for k in keys if k))
            try:
                return dict(json.loads(response.read()))
            finally:
                response.close()
                response.release_conn()

        return await asyncio.to_thread(_latest)
