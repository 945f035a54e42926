"""Settings of the routing service (`SIGNUM_ROUTING_*`)."""

from pydantic_settings import SettingsConfigDict

from signum.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    """Routing's settings."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_ROUTING_", extra="ignore")

    service_name: str = "routing"
    port: int = 8102
