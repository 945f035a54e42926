"""Settings of the metrics service (`SIGNUM_METRICS_*`)."""

from pydantic_settings import SettingsConfigDict

from signum.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    """Metrics's settings."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_METRICS_", extra="ignore")

    service_name: str = "metrics"
    port: int = 8105
