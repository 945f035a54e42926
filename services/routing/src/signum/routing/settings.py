"""Settings of the routing service (`SIGNUM_ROUTING_*`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from signum.platform.calendar import CalendarSettings
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
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    """Working days and time zone (`SIGNUM_CALENDAR_*`), shared with metrics."""
    # The largest scanned PDF the oficialía registers (streamed as a form field).
    max_scan_bytes: int = Field(default=30 * 1024 * 1024, ge=1024)
    reminder_working_days: int = 2
    deadline_job_seconds: float = 60.0
    acuse_retry_seconds: float = 10.0
