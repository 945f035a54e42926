"""Events of the storage service (topic `signum.storage`, keyed by the owner oficio)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from signum.contracts.envelope import Event, EventModel
from signum.contracts.topics import Topic

Bucket = Literal["documents", "drafts", "attachments"]


class ObjectStoredPayload(EventModel):
    """An object as storage recorded it."""

    clave: str = Field(
        min_length=71, max_length=71, description="Content address, `sha256/<64 hex>`; same bytes, same key."
    )
    sha256: str = Field(min_length=64, max_length=64, description="SHA-256 of the bytes, lower-case hex.")
    tamano: int = Field(ge=1, description="Size in bytes.")
    bucket: Bucket = Field(description="documents (signed, immutable), drafts or attachments.")
    media_type: str = Field(min_length=1, max_length=200, description="Type detected from the content.")
    serie: str = Field(min_length=1, max_length=64, description="Archival series that set the retention.")
    retencion_hasta: AwareDatetime = Field(description="Until when the object must be kept (UTC).")
    nombre: str | None = Field(default=None, max_length=300, description="File name given by the uploader.")


class ObjectStored(Event):
    """An object was stored (or an identical one was attached to another oficio).

    Produced by storage after the bytes are in S3 and their metadata in MongoDB. Consumed by storage
    (audit log) and metrics.
    """

    topic: ClassVar[Topic] = Topic.STORAGE

    type: Literal["object.stored"] = "object.stored"
    version: Literal[1] = 1
    producer: str = "storage"
    payload: ObjectStoredPayload


class RetentionExpiringPayload(EventModel):
    """An object whose retention period ends soon."""

    clave: str = Field(min_length=71, max_length=71)
    bucket: Bucket
    serie: str = Field(min_length=1, max_length=64)
    retencion_hasta: AwareDatetime
    dias_restantes: int = Field(description="Whole days left when the event was emitted.")


class RetentionExpiring(Event):
    """An object entered the retention-expiry window (emitted once per object).

    Produced by storage's periodic retention job. Consumed by storage (audit log) and metrics. The
    archive office acts on it (transfer to the historical archive or disposal, per the catalogue).
    """

    topic: ClassVar[Topic] = Topic.STORAGE

    type: Literal["object.retention_expiring"] = "object.retention_expiring"
    version: Literal[1] = 1
    producer: str = "storage"
    payload: RetentionExpiringPayload


STORAGE_EVENTS: tuple[type[Event], ...] = (ObjectStored, RetentionExpiring)

__all__ = [
    "STORAGE_EVENTS",
    "ObjectStored",
    "ObjectStoredPayload",
    "RetentionExpiring",
    "RetentionExpiringPayload",
]
