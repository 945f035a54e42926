"""Settings of the drafting service (`SIGNUM_DRAFTING_*`)."""

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from signum.drafting.domain import check_folio_format
from signum.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    """Drafting's settings."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_DRAFTING_", extra="ignore")

    service_name: str = "drafting"
    port: int = 8101
    outbox_relay_enabled: bool = True
    storage_url: str = "http://127.0.0.1:8104"
    routing_url: str = Field(
        default="http://127.0.0.1:8102", description="Routing: who received an oficio (its readers)."
    )
    folio_format: str = Field(
        default="{prefijo}/{consecutivo:04d}/{anio}",
        description="Formato del folio: {prefijo}, {consecutivo}, {anio}, {unidad}.",
    )
    timezone: str = Field(default="America/Monterrey", description="Fecha y año de los oficios.")
    finalize_lease_seconds: float = Field(default=300, gt=0)
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Dirección pública de Signum: el QR y la página de verificación que imprime el oficio.",
    )
    municipality: str = "Monterrey"
    # A template's JSON (up to 8 images of 1 MB, base64): past it, 413 while the body streams.
    max_template_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    state: str = "Nuevo León"

    @field_validator("folio_format")
    @classmethod
    def _folio_format(cls, value: str) -> str:
        return check_folio_format(value)
