"""Settings of the drafting service (`SIGNUM_DRAFTING_*`)."""

from pydantic_settings import SettingsConfigDict

from signum.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    """Drafting's settings."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_DRAFTING_", extra="ignore")

    service_name: str = "drafting"
    port: int = 8101
    outbox_relay_enabled: bool = True
