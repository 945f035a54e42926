"""Settings of the signing service (`SIGNUM_SIGNING_*`)."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from signum.platform.settings import ServiceSettings


class Settings(ServiceSettings):
    """Signing's settings."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_SIGNING_", extra="ignore")

    service_name: str = "signing"
    port: int = 8103

    # Signing engine (see signum.signing.credentials.TrustPolicy, pades, pkcs11, tsa).
    trust_roots: list[Path] = Field(default_factory=list)  # CA certificates (PEM/DER) issuing e.firmas
    trust_intermediates: list[Path] = Field(default_factory=list)
    fetch_revocation: bool = True  # ask OCSP responders / CRL distribution points
    require_revocation: bool = False  # refuse to sign when the revocation status cannot be obtained
    # OCSP responder asked about certificates that name none: SAT's e.firmas carry no AIA, so
    # production sets SAT's OCSP service for e.firma here (signum.signing.revocation).
    ocsp_url: str | None = None
    tsa_url: str | None = None  # RFC 3161 TSA; None: signatures are B-B (no timestamp)
    tsa_timeout_seconds: float = 10.0
    # The local stack's own TSA (signum.signing.tsa): PEM files, created on first start if missing.
    local_tsa_dir: Path | None = None
    # Institutional seals, one per dependencia, in a PKCS#11 token (signum.signing.seals): the key
    # and its certificate are labelled `<seal_key_label>-<slug of the dependencia's name>`.
    seal_pkcs11_module: str = "/usr/lib/softhsm/libsofthsm2.so"
    seal_token_label: str | None = None  # development: "signum-sellos" in local_seal_dir
    seal_key_label: str = "sello"
    seal_pin: SecretStr | None = None
    seal_rfc: str = "MMO010101AB1"  # written in development seal certificates
    seal_organization: str = "Municipio de Monterrey"
    # Development: SoftHSM token and seal CA, created on first start (`.local/signing-seal`).
    local_seal_dir: Path | None = None
    # Development: the demo e.firma CA's folder (`signumctl up` writes it); signing publishes its
    # CRL and answers its OCSP (`/pki/demo/...`, signum.signing.pki).
    demo_ca_dir: Path | None = None
    # The archive renewal job (signum.signing.renewal): every `lta_interval_seconds` it gives a
    # document timestamp (B-LTA) to the stored signed documents that have none, and a new one to
    # those whose last timestamp's certificate expires or algorithms weaken within the horizon.
    lta_enabled: bool = True
    lta_horizon_days: int = Field(default=180, ge=1)
    lta_interval_seconds: float = Field(default=3600.0, gt=0)
    lta_retry_seconds: float = Field(default=86400.0, gt=0)  # after a failure or a TSA not newer
    lta_batch: int = Field(default=50, ge=1)  # documents of each kind per pass
    # Where the QR code of each signature points (the gateway's public verification page).
    public_url: str = "http://127.0.0.1:8000"
    # The storage service's internal API (fetch the oficio's PDF, store each signed revision).
    storage_url: str = "http://127.0.0.1:8104"
    # How long a browser-path prepared signature waits for the browser's RSA signature.
    prepared_ttl_seconds: int = Field(default=900, ge=30)
    max_pdf_bytes: int = Field(default=30 * 1024 * 1024, ge=1024)
    # A .cer or .key (a SAT e.firma's are about 2 KB): refused past it while the form streams.
    max_credential_file_bytes: int = Field(default=32 * 1024, ge=1024)

    @property
    def development(self) -> bool:
        return self.infra.environment != "production"

    def tsa_dir(self) -> Path | None:
        """The local TSA's files: configured, or `.local/signing-tsa` outside production."""
        if self.local_tsa_dir is not None:
            return self.local_tsa_dir
        return Path(".local") / "signing-tsa" if self.development else None

    def seal_dir(self) -> Path | None:
        """The development seals' token and CA: configured, or `.local/signing-seal` outside production."""
        if self.local_seal_dir is not None:
            return self.local_seal_dir
        return Path(".local") / "signing-seal" if self.development else None

    def own_url(self) -> str:
        """This process's address: the local TSA and the development CAs' CRLs and OCSP."""
        return f"http://{self.host}:{self.port}"

    def local_tsa_url(self) -> str:
        """The local TSA served by this process (`POST /tsa`)."""
        return f"{self.own_url()}/tsa"
