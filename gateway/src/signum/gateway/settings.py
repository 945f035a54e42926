"""Settings of the gateway (`SIGNUM_GATEWAY_*`)."""

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from signum.platform.settings import InsecureSettingsError, ServiceSettings


class Settings(ServiceSettings):
    """The gateway's settings."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    # Where browsers fetch presigned downloads (the PDF viewer): allowed in the pages' CSP.
    # Empty: SIGNUM_S3_URL (set it like SIGNUM_STORAGE_PUBLIC_S3_URL when that one is set).
    public_s3_url: str = ""
    drafting_url: str = "http://127.0.0.1:8101"
    routing_url: str = "http://127.0.0.1:8102"
    signing_url: str = "http://127.0.0.1:8103"
    storage_url: str = "http://127.0.0.1:8104"
    metrics_url: str = "http://127.0.0.1:8105"
    session_ttl_hours: float = Field(default=10.0, gt=0)
    login_lock_after: int = Field(default=5, ge=1)
    login_lock_minutes: int = Field(default=15, ge=1)
    login_delay_base_seconds: float = Field(default=0.5, ge=0)
    login_delay_max_seconds: float = Field(default=8.0, ge=0)
    # Failed logins per client address in a sliding window (in memory, per replica); past it, 429.
    login_address_max_failures: int = Field(default=30, ge=1)
    login_address_window_seconds: float = Field(default=300.0, gt=0)
    # Password checks (argon2) run in this many threads; past `password_queue` waiting, 429.
    password_threads: int = Field(default=1, ge=1)
    password_queue: int = Field(default=64, ge=0)
    # Behind a proxy: the header it sets with the client's address (e.g. X-Forwarded-For); empty
    # means the socket's peer. Set it only when every request passes through that proxy.
    client_ip_header: str = ""
    # OpenID Connect with the city's identity provider; disabled while `oidc_issuer` is empty.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    oidc_claim: str = "email"
    oidc_maps_to: Literal["correo", "numero_empleado"] = "correo"
    oidc_scopes: str = "openid email profile"
    # Upload limits (bytes), enforced while the body streams (signum.platform.uploads): past one,
    # 413 with the route's code. Keep them in step with the services' own (SIGNUM_SIGNING_MAX_PDF_BYTES,
    # SIGNUM_STORAGE_MAX_UPLOAD_BYTES, SIGNUM_ROUTING_MAX_SCAN_BYTES, SIGNUM_DRAFTING_MAX_TEMPLATE_BYTES).
    max_verify_bytes: int = Field(default=30 * 1024 * 1024, ge=1024, description="PDF to verify.")
    max_attachment_bytes: int = Field(default=250 * 1024 * 1024, ge=1024, description="One anexo.")
    max_scan_bytes: int = Field(default=30 * 1024 * 1024, ge=1024, description="Oficialía's scanned PDF.")
    max_template_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, description="A template (images).")
    max_credential_bytes: int = Field(default=256 * 1024, ge=1024, description="A signing call's body.")
    max_credential_file_bytes: int = Field(default=32 * 1024, ge=1024, description="Its .cer or .key.")
    # Demo data (directory and demo logins) is loaded at start when set; never in production.
    demo_data: bool = False
    demo_password: SecretStr = SecretStr("Monterrey2026")

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> "Settings":
        if self.infra.environment != "production":
            return self
        if self.demo_data:
            raise InsecureSettingsError("refusing to load demo data (SIGNUM_GATEWAY_DEMO_DATA) in production")
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
