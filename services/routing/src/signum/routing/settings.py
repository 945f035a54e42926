"""Settings of the routing service (`SIGNUM_ROUTING_*`)."""

import datetime as dt

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from signum.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    """Routing's settings."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_ROUTING_", extra="ignore")

    service_name: str = "routing"
    port: int = 8102
    drafting_url: str = "http://127.0.0.1:8101"
    signing_url: str = "http://127.0.0.1:8103"
    storage_url: str = "http://127.0.0.1:8104"
    public_url: str = "http://127.0.0.1:8000"
    """The gateway's public address (verification links in emails)."""
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "Signum <no-responder@signum.local>"
    smtp_starttls: bool = False
    timezone: str = "America/Monterrey"
    holidays: list[dt.date] = Field(default_factory=list)
    """Non-working days besides weekends and the federal ones (e.g. local holidays, vacations)."""
    federal_holidays: bool = True
    # The largest scanned PDF the oficialía registers (base64 in the registro's JSON: a third more).
    max_scan_bytes: int = Field(default=30 * 1024 * 1024, ge=1024)
    reminder_working_days: int = 2
    deadline_job_seconds: float = 60.0
    acuse_retry_seconds: float = 10.0
