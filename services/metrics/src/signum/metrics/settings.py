"""Settings of the metrics service (`SIGNUM_METRICS_*`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from signum.platform.calendar import CalendarSettings
from signum.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    """Metrics's settings."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_METRICS_", extra="ignore")

    service_name: str = "metrics"
    port: int = 8105
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    """Working days and time zone (`SIGNUM_CALENDAR_*`), the same routing counts deadlines on."""
