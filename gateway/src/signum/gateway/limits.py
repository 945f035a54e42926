"""The gateway's upload limits as `signum.platform.uploads.Limit`s (sizes from its settings)."""

from __future__ import annotations

from typing import Any

from signum.gateway.settings import Settings
from signum.platform.uploads import KIB, Limit, field_limit

PASSWORD_BYTES = 1 * KIB
OFICIO_ID_BYTES = 256


def settings_of(request: Any) -> Settings:
    """The gateway's settings, from the app serving `request`."""
    settings: Settings = request.app.state.settings
    return settings


def verify_limit(settings: Settings) -> Limit:
    """A PDF to verify (the file itself)."""
    return Limit(settings.max_verify_bytes, "pdf_too_large", "El PDF excede el máximo de {maximo}.")


def scan_limit(settings: Settings) -> Limit:
    """The oficialía's scanned PDF (the file itself)."""
    return Limit(
        settings.max_scan_bytes,
        "scan_too_large",
        "El PDF escaneado excede {maximo}; escanéelo a menor resolución.",
    )


def credential_caps(settings: Settings) -> dict[str, Limit]:
    """The fields of a form carrying an e.firma."""
    credential_file = field_limit(settings.max_credential_file_bytes)
    return {
        "cer": credential_file,
        "key": credential_file,
        "password": field_limit(PASSWORD_BYTES),
        "oficio_ids": field_limit(OFICIO_ID_BYTES),
    }
