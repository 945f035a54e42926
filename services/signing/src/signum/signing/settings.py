"""Settings of the signing service (`SIGNUM_SIGNING_*`)."""

from pydantic_settings import SettingsConfigDict

from signum.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    """Signing's settings."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_SIGNING_", extra="ignore")

    service_name: str = "signing"
    port: int = 8103
