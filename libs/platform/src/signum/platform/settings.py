"""Settings bases. Each service builds its own `Settings` in `app.py`, never at import time."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# Defaults that only make sense on a developer's machine; production refuses to start with them.
DEV_INTERNAL_TOKEN = "signum-dev-internal-token"  # noqa: S105
DEV_S3_SECRET = "signum-dev-secret"  # noqa: S105


class InsecureSettingsError(RuntimeError):
    """A production process was configured with a development secret."""


class InfraSettings(BaseSettings):
    """Where the shared infrastructure is: `SIGNUM_KAFKA_URL`, `SIGNUM_MONGO_URL`, ..."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_", extra="ignore")

    environment: Environment = "development"
    log_level: str = "INFO"
    kafka_url: str = "127.0.0.1:9092"
    kafka_namespace: str = Field(
        default="",
        description="Prefix of every topic and consumer group; isolates test runs on one broker.",
    )
    kafka_partitions: int = Field(default=6, ge=1)
    kafka_fetch_max_wait_ms: int = Field(
        default=100,
        ge=1,
        le=500,
        description=(
            "How long a consumer's fetch waits on the broker for records. A partition just read is left "
            "out of the fetch sent meanwhile, so an event arriving on it waits for that fetch to end: "
            "this bounds how late it is seen (Kafka's 500 ms default made a delivery late by half a second)."
        ),
    )
    kafka_replication_factor: int = Field(default=1, ge=1)
    mongo_url: str = "mongodb://127.0.0.1:27017/"
    mongo_db_prefix: str = Field(default="signum_", description="Database name = prefix + service.")
    s3_url: str = "http://127.0.0.1:9000"
    s3_access_key: str = "signum"
    s3_secret_key: SecretStr = SecretStr(DEV_S3_SECRET)
    s3_region: str = "us-east-1"
    s3_bucket_prefix: str = "signum-"
    internal_token: SecretStr = SecretStr(DEV_INTERNAL_TOKEN)

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> InfraSettings:
        if self.environment != "production":
            return self
        defaults = {
            "SIGNUM_INTERNAL_TOKEN": self.internal_token.get_secret_value() == DEV_INTERNAL_TOKEN,
            "SIGNUM_S3_SECRET_KEY": self.s3_secret_key.get_secret_value() == DEV_S3_SECRET,
        }
        weak = [name for name, is_default in defaults.items() if is_default]
        if weak:
            raise InsecureSettingsError(
                f"refusing to start in production with development secrets: {', '.join(weak)}"
            )
        return self

    def database_name(self, service: str) -> str:
        """The MongoDB database owned by `service`."""
        return f"{self.mongo_db_prefix}{service}"

    def topic(self, name: str) -> str:
        """The physical topic name of a logical topic in this namespace."""
        return f"{self.kafka_namespace}{name}"

    def group_id(self, service: str) -> str:
        """The consumer group of `service` in this namespace."""
        return f"{self.kafka_namespace}signum.{service}"


class ServiceSettings(BaseSettings):
    """Base of each service's Settings: the HTTP bind address plus the shared infrastructure."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    infra: InfraSettings = Field(default_factory=InfraSettings)
    # Writes wake their relay at once (outbox.announce); the poll finds what another process left
    # (events of a process that died, expired leases, the directory CLI's imports).
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    consumer_max_attempts: int = Field(default=5, ge=1)
    # How often the gauges that cost a query (consumer lag, DLQ sizes, outbox backlog) are sampled.
    metrics_sample_seconds: float = Field(default=15.0, gt=0)
    # How long an idle HTTP connection stays open. It must outlast every client's own idle limit
    # (our internal clients: INTERNAL_KEEPALIVE_SECONDS; httpx: 5 s; an ingress: 60 s), or a client
    # reuses a connection in the instant the server closes it and the request fails unanswered.
    http_keep_alive_seconds: int = Field(default=75, ge=1)
    # The largest request body of a route without a limit of its own (JSON, small forms); upload
    # routes take theirs from their service's settings (signum.platform.uploads.BodyRule).
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
