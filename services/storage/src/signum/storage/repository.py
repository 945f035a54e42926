"""The only module of storage that talks to S3 buckets' configuration."""

from __future__ import annotations

import asyncio

from minio import Minio

from signum.platform.settings import InfraSettings

# Logical bucket -> whether it needs S3 object lock (it can only be enabled at creation).
BUCKETS = {"documents": True, "drafts": False, "attachments": False, "audit": True}


def bucket_name(infra: InfraSettings, logical: str) -> str:
    return f"{infra.s3_bucket_prefix}{logical}"


async def ensure_buckets(client: Minio, infra: InfraSettings) -> None:
    """Create Signum's buckets if missing (object lock where records must be immutable)."""

    def _create() -> None:
        for logical, locked in BUCKETS.items():
            name = bucket_name(infra, logical)
            if not client.bucket_exists(name):
                client.make_bucket(name, object_lock=locked)

    await asyncio.to_thread(_create)
