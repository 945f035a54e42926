"""S3 client factory. Plain S3 API only, so any S3 store (MinIO, SeaweedFS, Ceph RGW, a cloud)
serves production (DESIGN.md §5)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from minio import Minio

from signum.platform.settings import InfraSettings


def build_s3_client(infra: InfraSettings) -> Minio:
    """A client for the configured S3 endpoint (`http://host:port` or `https://host`)."""
    url = urlsplit(infra.s3_url)
    if url.scheme not in {"http", "https"} or not url.netloc:
        raise ValueError(f"SIGNUM_S3_URL must be http(s)://host[:port], got {infra.s3_url!r}")
    return Minio(
        url.netloc,
        access_key=infra.s3_access_key,
        secret_key=infra.s3_secret_key.get_secret_value(),
        secure=url.scheme == "https",
        region=infra.s3_region,
    )


async def ping(client: Minio) -> None:
    """Raise if the S3 endpoint does not answer an authenticated request."""
    await asyncio.to_thread(client.list_buckets)
