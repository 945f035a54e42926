"""SAT e.firma credentials: read the .cer and .key, unlock with the password, refuse what cannot sign.

The private key lives only in a `Credential` object, in memory, for as long as the caller keeps it
(one API call, or one batch); `close()` drops it. It is never logged, serialised or written anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import crl, keys, ocsp, pem, x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.path import ValidationPath

from signum.signing import errors, revocation, sat
from signum.signing.cms import CmsTemplate
from signum.signing.domain import CertificateInfo

logger = logging.getLogger(__name__)


def read_certificate(data: bytes) -> x509.Certificate:
    """A certificate from DER (what SAT hands out) or PEM bytes."""
    try:
        if pem.detect(data):
            _type, _headers, data = pem.unarmor(data)
        cert = x509.Certificate.load(data)
        cert.native  # noqa: B018 - parse everything now, so a broken file fails here and not later
    except (ValueError, TypeError, OSError) as exc:
        raise errors.CertificateUnreadableError() from exc
    return cert


def read_certificates(blobs: Iterable[bytes]) -> tuple[x509.Certificate, ...]:
    """Several certificates (trust roots, intermediates): each blob DER, PEM or a PEM bundle."""
    certs: list[x509.Certificate] = []
    for blob in blobs:
        if pem.detect(blob):
            certs += [read_certificate(der) for _type, _headers, der in pem.unarmor(blob, multiple=True)]
        else:
            certs.append(read_certificate(blob))
    return tuple(certs)


def parse_certificate(cer: bytes) -> CertificateInfo:
    """What the .cer says (name, RFC, CURP, number, validity, FIEL or CSD), without judging it."""
    return sat.certificate_info(read_certificate(cer))


@dataclass(frozen=True)
class TrustPolicy:
    """Which certificates Signum accepts for signing, and how it checks revocation.

    `roots`: the CA certificates that issue e.firmas (SAT's, or the test PKI's). `intermediates`:
    CA certificates that may sit between a root and the signer. `fetch_revocation`: ask the
    certificate's OCSP responder / CRL distribution point over HTTP. `require_revocation`: refuse to
    sign when the revocation status cannot be obtained (otherwise sign, with a warning in the logs).
    """

    roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    fetch_revocation: bool = True
    require_revocation: bool = False
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()
    crls: tuple[crl.CertificateList, ...] = ()
    # Asked about a certificate that names no OCSP responder (SAT's e.firmas): signum.signing.revocation
    ocsp_url: str | None = None

    @classmethod
    def from_files(
        cls, roots: Iterable[Path], intermediates: Iterable[Path] = (), **kwargs: Any
    ) -> TrustPolicy:
        """From certificate files (DER, PEM or PEM bundles), e.g. the service settings' paths."""
        return cls.from_bytes(
            [p.read_bytes() for p in roots], [p.read_bytes() for p in intermediates], **kwargs
        )

    @classmethod
    def from_bytes(
        cls, roots: Iterable[bytes], intermediates: Iterable[bytes] = (), **kwargs: Any
    ) -> TrustPolicy:
        return cls(roots=read_certificates(roots), intermediates=read_certificates(intermediates), **kwargs)

    def validation_context(
        self, *, moment: datetime | None = None, fetch: bool | None = None
    ) -> ValidationContext:
        """A pyHanko validation context for this policy (the caller closes it with `aclose()`)."""
        fetching = self.fetch_revocation if fetch is None else fetch
        return ValidationContext(
            trust_roots=list(self.roots),
            other_certs=list(self.intermediates),
            allow_fetching=fetching,
            moment=None if fetching else moment,
            ocsps=list(self.ocsps),
            crls=list(self.crls),
            revocation_mode="hard-fail" if self.require_revocation else "soft-fail",
        )


@dataclass(frozen=True)
class CertificateCheck:
    """The outcome of checking a certificate: its path to a trusted root and the revocation data seen."""

    info: CertificateInfo
    path: ValidationPath
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()
    crls: tuple[crl.CertificateList, ...] = ()

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The issuing CA certificates, nearest first, without the trust root."""
        certs = list(self.path.iter_certs(include_root=False))
        return tuple(reversed(certs[:-1])) if certs else ()

    @property
    def revocation_checked(self) -> bool:
        return bool(self.ocsps or self.crls)


async def check_certificate(
    cert: x509.Certificate, trust: TrustPolicy, *, now: datetime | None = None
) -> CertificateCheck:
    """Refuse a certificate that cannot sign oficios: CSD, expired, not yet valid, untrusted, revoked."""
    now = now or datetime.now(UTC)
    info = sat.certificate_info(cert)
    info.check_kind()
    info.check_validity(now)
    context = trust.validation_context(moment=now)
    validator = CertificateValidator(cert, validation_context=context)
    try:
        path = await validator.async_validate_usage(set(sat.SIGNING_KEY_USAGE))  # type: ignore[no-untyped-call]
    except cv_errors.RevokedError as exc:
        raise errors.with_details(errors.RevokedError(), **info.summary()) from exc
    except cv_errors.InsufficientRevinfoError as exc:
        raise errors.RevocationUnavailableError() from exc
    except (cv_errors.ExpiredError, cv_errors.NotYetValidError) as exc:
        # The signer's own dates were checked above: this is a CA certificate of the chain.
        raise errors.with_details(
            errors.UntrustedIssuerError(
                "La cadena de certificación de la e.firma no está vigente. "
                "Use una e.firma emitida por el SAT."
            ),
            **info.summary(),
        ) from exc
    except (cv_errors.PathBuildingError, cv_errors.PathValidationError, cv_errors.ValidationError) as exc:
        raise errors.with_details(errors.UntrustedIssuerError(), **info.summary()) from exc
    finally:
        await context.aclose()  # type: ignore[no-untyped-call]
    ocsps = tuple(context.ocsps)
    if trust.ocsp_url and trust.fetch_revocation and not revocation.declares_ocsp(cert):
        ocsps += await _ask_configured_responder(cert, path, trust.ocsp_url, info)
    check = CertificateCheck(info=info, path=path, ocsps=ocsps, crls=tuple(context.crls))
    if not check.revocation_checked and trust.fetch_revocation:
        logger.warning("no revocation data for certificate %s", info.certificate_number)
    return check


async def _ask_configured_responder(
    cert: x509.Certificate, path: ValidationPath, url: str, info: CertificateInfo
) -> tuple[ocsp.OCSPResponse, ...]:
    """The configured responder's answer about `cert`, checked; refuses a revoked certificate."""
    try:
        issuer = path.find_issuing_authority(cert)
    except LookupError:
        return ()
    issuer_cert = getattr(issuer, "certificate", None)
    if issuer_cert is None:
        return ()
    try:
        response, revoked = await revocation.fetch(cert, issuer_cert, url)
    except revocation.OcspUnusable as exc:
        logger.warning("OCSP responder %s gave nothing usable for %s: %s", url, info.certificate_number, exc)
        return ()
    if revoked:
        raise errors.with_details(errors.RevokedError(), **info.summary())
    return (response,)


def _unlock_key(key: bytes, password: str) -> rsa.RSAPrivateKey:
    try:
        keys.EncryptedPrivateKeyInfo.load(key).native  # noqa: B018 - is it an encrypted PKCS#8 at all?
    except (ValueError, TypeError) as exc:
        raise errors.KeyUnreadableError() from exc
    if not password:
        raise errors.WrongPasswordError()
    try:
        private_key = serialization.load_der_private_key(key, password.encode("utf-8"))
    except ValueError as exc:
        if "password" in str(exc).lower() or "decrypt" in str(exc).lower():
            raise errors.WrongPasswordError() from exc
        raise errors.KeyUnreadableError() from exc
    except (TypeError, UnsupportedAlgorithm) as exc:
        raise errors.KeyUnreadableError() from exc
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise errors.KeyUnreadableError("La clave privada no es RSA; las e.firmas del SAT usan RSA.")
    return private_key


def _public_numbers(cert: x509.Certificate) -> tuple[int, int]:
    public = cert.public_key
    if public.algorithm != "rsa":
        raise errors.CertificateUnreadableError("El certificado no es RSA; las e.firmas del SAT usan RSA.")
    parsed = public["public_key"].parsed
    return parsed["modulus"].native, parsed["public_exponent"].native


@dataclass(eq=False)
class Credential:
    """An unlocked e.firma: the certificate, its chain, and the private key in memory only.

    Reuse one object for many signatures (a batch): the key is unlocked and checked once, the
    certificates are encoded once.
    """

    info: CertificateInfo
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    check: CertificateCheck | None
    _key: rsa.RSAPrivateKey | None = field(repr=False)
    _template: CmsTemplate | None = field(default=None, repr=False)

    @property
    def template(self) -> CmsTemplate:
        if self._template is None:
            self._template = CmsTemplate(self.certificate, self.chain)
        return self._template

    def sign(self, data: bytes) -> bytes:
        """RSA PKCS#1 v1.5 over SHA-256 of `data` (the DER signed attributes)."""
        if self._key is None:
            raise errors.SigningFailedError("La e.firma ya se cerró; vuelva a abrirla para firmar.")
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def close(self) -> None:
        """Drop the private key."""
        self._key = None

    def __enter__(self) -> Credential:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def unlock(cer: bytes, key: bytes, password: str) -> Credential:
    """Unlock the key and make sure it belongs to the certificate; no validity or trust checks."""
    cert = read_certificate(cer)
    info = sat.certificate_info(cert)
    private_key = _unlock_key(key, password)
    numbers = private_key.private_numbers().public_numbers
    if (numbers.n, numbers.e) != _public_numbers(cert):
        raise errors.with_details(errors.KeyMismatchError(), **info.summary())
    return Credential(info=info, certificate=cert, chain=(), check=None, _key=private_key)


async def load_credential(
    cer: bytes,
    key: bytes,
    password: str,
    *,
    trust: TrustPolicy,
    now: datetime | None = None,
) -> Credential:
    """An e.firma ready to sign, or the SignumError that says why it cannot sign."""
    credential = unlock(cer, key, password)
    try:
        check = await check_certificate(credential.certificate, trust, now=now)
    except BaseException:
        credential.close()
        raise
    credential.check = check
    credential.chain = check.chain
    return credential
