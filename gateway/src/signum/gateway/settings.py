"""Settings of the gateway (`SIGNUM_GATEWAY_*`)."""

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from signum.platform.settings import InsecureSettingsError, ServiceSettings

DEV_SESSION_SECRET = "signum-dev-session-secret"  # noqa: S105


class Settings(ServiceSettings):
    """The gateway's settings."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    drafting_url: str = "http://127.0.0.1:8101"
    routing_url: str = "http://127.0.0.1:8102"
    signing_url: str = "http://127.0.0.1:8103"
    storage_url: str = "http://127.0.0.1:8104"
    metrics_url: str = "http://127.0.0.1:8105"
    session_secret: SecretStr = SecretStr(DEV_SESSION_SECRET)
    # Until identity lands, development and test runs act as this demo official.
    dev_official_id: str = "demo.funcionario"
    dev_office_id: str = "SIGA-DGTI"

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> "Settings":
        if self.infra.environment == "production" and (
            self.session_secret.get_secret_value() == DEV_SESSION_SECRET
        ):
            raise InsecureSettingsError(
                "refusing to start in production with a development SIGNUM_GATEWAY_SESSION_SECRET"
            )
        return self

    def service_urls(self) -> dict[str, str]:
        """Internal base URL of each service."""
        return {
            "drafting": self.drafting_url,
            "routing": self.routing_url,
            "signing": self.signing_url,
            "storage": self.storage_url,
            "metrics": self.metrics_url,
        }
