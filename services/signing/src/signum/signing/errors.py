"""Errors of the signing engine: stable English codes, Spanish messages a person can act on."""

from __future__ import annotations

from typing import Any

from signum.platform.errors import SignumError
from signum.platform.uploads import Limit


class CredentialError(SignumError):
    """The e.firma (certificate, key or password) cannot be used to sign."""

    code = "credential_invalid"
    status_code = 422
    message = "La e.firma no se puede usar para firmar."


class CertificateUnreadableError(CredentialError):
    code = "credential_certificate_invalid"
    message = "El archivo .cer no es un certificado válido. Use el certificado de su e.firma (archivo .cer)."


class KeyUnreadableError(CredentialError):
    code = "credential_key_invalid"
    message = (
        "El archivo .key no es una clave privada de e.firma válida. "
        "Use el archivo .key que le entregó el SAT."
    )


class WrongPasswordError(CredentialError):
    code = "credential_wrong_password"
    message = (
        "La contraseña de la clave privada es incorrecta. Escriba la contraseña que definió al tramitar "
        "su e.firma (distingue mayúsculas y minúsculas)."
    )


class KeyMismatchError(CredentialError):
    code = "credential_key_mismatch"
    message = (
        "La clave privada (.key) no corresponde al certificado (.cer). Verifique que ambos archivos sean "
        "de la misma e.firma."
    )


class NotSignerError(CredentialError):
    """The e.firma is valid but belongs to someone else than the official whose signature this is."""

    code = "credential_not_signer"
    message = "La e.firma no es de la persona que debe firmar. Use su propia e.firma."


class SignerUnknownError(SignumError):
    code = "signer_unknown"
    status_code = 503
    retryable = True
    message = (
        "Signum todavía no tiene el RFC de quien debe firmar en su directorio. "
        "Intente de nuevo en unos minutos."
    )


class NotFielError(CredentialError):
    code = "credential_not_fiel"
    message = (
        "El certificado es un Certificado de Sello Digital (CSD), que solo sirve para facturar. "
        "Para firmar oficios use su e.firma (FIEL)."
    )


class ExpiredError(CredentialError):
    code = "credential_expired"
    message = "El certificado de la e.firma está vencido. Renueve su e.firma ante el SAT para poder firmar."


class NotYetValidError(CredentialError):
    code = "credential_not_yet_valid"
    message = (
        "El certificado de la e.firma todavía no es válido. Intente de nuevo a partir de su fecha de inicio."
    )


class RevokedError(CredentialError):
    code = "credential_revoked"
    message = (
        "El certificado de la e.firma fue revocado y ya no puede usarse para firmar. "
        "Tramite una nueva e.firma ante el SAT."
    )


class UntrustedIssuerError(CredentialError):
    code = "credential_untrusted_issuer"
    message = (
        "El certificado no fue emitido por una autoridad certificadora reconocida por Signum. "
        "Use la e.firma emitida por el SAT."
    )


class RevocationUnavailableError(SignumError):
    code = "revocation_unavailable"
    status_code = 503
    retryable = True
    message = "No se pudo consultar si el certificado está revocado. Intente de nuevo en unos minutos."


class TimestampUnavailableError(SignumError):
    code = "timestamp_unavailable"
    status_code = 503
    retryable = True
    message = "No se pudo obtener el sello de tiempo para la firma. Intente de nuevo en unos minutos."


class ArchiveTimestampError(SignumError):
    code = "archive_timestamp_failed"
    status_code = 502
    retryable = True
    message = "No se pudo agregar el sello de tiempo de archivo al documento."


class SealUnavailableError(SignumError):
    code = "seal_unavailable"
    status_code = 503
    retryable = True
    message = "El sello institucional no está disponible en este momento. Intente de nuevo en unos minutos."


class PdfInvalidError(SignumError):
    code = "pdf_invalid"
    status_code = 422
    message = "El archivo no es un PDF válido o está dañado."


class PdfLimitsError(SignumError):
    code = "pdf_limits_exceeded"
    status_code = 422
    message = (
        "El PDF contiene datos comprimidos que crecen de forma anómala al leerlo; no se puede verificar."
    )


class PdfUnsignedError(SignumError):
    code = "pdf_unsigned"
    status_code = 422
    message = "El PDF no contiene firmas electrónicas."


class SignatureFieldError(SignumError):
    code = "signature_field_invalid"
    status_code = 422
    message = "El PDF no tiene un espacio libre para esta firma."


class SignatureValueError(SignumError):
    code = "signature_invalid"
    status_code = 422
    message = "La firma enviada no corresponde al documento o al certificado. Vuelva a firmar el documento."


class SigningFailedError(SignumError):
    code = "signing_failed"
    status_code = 500
    message = "No se pudo firmar el documento. Intente de nuevo; si el problema persiste, avise a soporte."


def with_details(error: SignumError, **details: Any) -> SignumError:
    """Attach details (never secrets) to an error before raising it."""
    error.details.update(details)
    return error


def pdf_limit(max_bytes: int) -> Limit:
    """A PDF past `max_bytes` (to sign or verify): 413 `pdf_too_large`."""
    return Limit(max_bytes, "pdf_too_large", "El PDF excede el máximo de {maximo}.")
