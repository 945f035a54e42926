"""Settings of the storage service (`SIGNUM_STORAGE_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from signum.platform.settings import ServiceSettings

DEFAULT_CATALOGUE = Path(__file__).parent / "catalogo_series.json"


class Settings(ServiceSettings):
    """Storage's settings."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_STORAGE_", extra="ignore")

    service_name: str = "storage"
    port: int = 8104
    routing_url: str = Field(
        default="http://127.0.0.1:8102", description="Routing: who received an oficio (its readers)."
    )
    drafting_url: str = Field(
        default="http://127.0.0.1:8101",
        description="Drafting: an oficio's participants now (asked before adding a document).",
    )
    max_upload_bytes: int = Field(default=250 * 1024 * 1024, ge=1, description="Largest object accepted.")
    part_size_bytes: int = Field(default=8 * 1024 * 1024, ge=5 * 1024 * 1024, description="S3 part size.")
    spool_dir: Path | None = Field(default=None, description="Where uploads are spooled (system temp).")
    catalogue_path: Path = Field(default=DEFAULT_CATALOGUE, description="Archival series catalogue (JSON).")
    presign_seconds: int = Field(default=300, ge=10, le=3600, description="Lifetime of presigned URLs.")
    public_s3_url: str | None = Field(
        default=None, description="S3 address browsers use, if not the internal one (presigned URLs)."
    )
    retention_window_days: int = Field(default=90, ge=1, description="Warn this long before retention ends.")
    retention_check_seconds: float = Field(default=3600.0, gt=0)
    audit_head_seconds: float = Field(default=60.0, gt=0, description="How often the chain head is sealed.")
    audit_head_retention_days: int = Field(default=3650, ge=1, description="Object lock of sealed heads.")
    inspect_threads: int = Field(
        default=1, ge=1, description="Threads that look into uploads (zip parts, PDF objects), off the loop."
    )
    inspect_queue: int = Field(
        default=16, ge=0, description="Uploads that may wait for those threads; past it, 503 server_busy."
    )
    archive_max_uncompressed_bytes: int = Field(
        default=256 * 1024 * 1024, ge=1, description="What a zip (DOCX, XLSX) may announce uncompressed."
    )
    archive_max_ratio: float = Field(
        default=200.0, gt=1, description="How much one part of a zip may expand (parts past 1 MiB)."
    )
    archive_max_members: int = Field(
        default=5_000, ge=1, description="Members a zip may hold, nested ones included."
    )
