"""Settings of the storage service (`SIGNUM_STORAGE_*`)."""

from pydantic_settings import SettingsConfigDict

from signum.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    """Storage's settings."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_STORAGE_", extra="ignore")

    service_name: str = "storage"
    port: int = 8104
