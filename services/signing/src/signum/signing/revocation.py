"""OCSP from a configured responder, for certificates that name none (SAT's e.firmas).

SAT's e.firma certificates carry no OCSP address (AIA) nor CRL distribution point, so pyHanko finds
no revocation source for them and a signature could never reach B-LT. SAT runs an OCSP service for
e.firmas all the same: `SIGNUM_SIGNING_OCSP_URL` names it, and Signum asks it about such a
certificate, checks the answer (signed by the issuing CA or by a responder it delegated with
id-kp-OCSPSigning, about this very certificate, current) and embeds it in the DSS, where EU DSS
finds it. A certificate that names its own responder is asked there, by pyHanko, as before.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import aiohttp
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

logger = logging.getLogger(__name__)

CLOCK_SKEW = timedelta(minutes=5)


class OcspUnusable(Exception):
    """The responder did not answer, or its answer cannot be trusted for this certificate."""


def declares_ocsp(cert: asn1_x509.Certificate) -> bool:
    return bool(cert.ocsp_urls)


async def fetch(
    cert: asn1_x509.Certificate, issuer: asn1_x509.Certificate, url: str, *, seconds: float = 10.0
) -> tuple[asn1_ocsp.OCSPResponse, bool]:
    """The responder's checked answer about `cert` and whether it says revoked."""
    subject = x509.load_der_x509_certificate(cert.dump())
    authority = x509.load_der_x509_certificate(issuer.dump())
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(subject, authority, hashes.SHA1())  # noqa: S303 - what responders expect
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as http,
            http.post(url, data=request, headers={"Content-Type": "application/ocsp-request"}) as answer,
        ):
            body = await answer.read()
            if answer.status != 200:
                raise OcspUnusable(f"HTTP {answer.status}")
    except (TimeoutError, OSError, aiohttp.ClientError) as exc:
        raise OcspUnusable(repr(exc)) from exc
    revoked = check(body, subject, authority)
    return asn1_ocsp.OCSPResponse.load(body), revoked


def check(
    body: bytes, subject: x509.Certificate, issuer: x509.Certificate, now: datetime | None = None
) -> bool:
    """Raise `OcspUnusable` unless `body` is a current, properly signed answer about `subject`;
    answer whether it says revoked."""
    now = now or datetime.now(UTC)
    try:
        response = ocsp.load_der_ocsp_response(body)
    except ValueError as exc:
        raise OcspUnusable("not an OCSP response") from exc
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise OcspUnusable(f"status {response.response_status.name}")
    if response.serial_number != subject.serial_number:
        raise OcspUnusable("about another certificate")
    expected = ocsp.OCSPRequestBuilder().add_certificate(subject, issuer, response.hash_algorithm).build()
    if (response.issuer_name_hash, response.issuer_key_hash) != (
        expected.issuer_name_hash,
        expected.issuer_key_hash,
    ):
        raise OcspUnusable("about a certificate of another CA")
    if response.this_update_utc > now + CLOCK_SKEW or (
        response.next_update_utc is not None and response.next_update_utc < now - CLOCK_SKEW
    ):
        raise OcspUnusable("not current")
    _verify_signature(response, _responder(response, issuer))
    return response.certificate_status is ocsp.OCSPCertStatus.REVOKED


def _responder(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate:
    """The issuer itself, or a certificate it issued for signing OCSP answers."""
    candidates = [issuer, *response.certificates]
    for candidate in candidates:
        if response.responder_name is not None and candidate.subject != response.responder_name:
            continue
        if response.responder_key_hash is not None:
            key = candidate.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.PKCS1
            )
            digest = hashes.Hash(hashes.SHA1())  # noqa: S303 - the ResponderID's definition (RFC 6960)
            digest.update(key)
            if digest.finalize() != response.responder_key_hash:
                continue
        if candidate is issuer:
            return candidate
        try:
            usage = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            candidate.verify_directly_issued_by(issuer)
        except (x509.ExtensionNotFound, ValueError, TypeError, InvalidSignature):
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in usage:
            return candidate
    raise OcspUnusable("signed by neither the CA nor a responder it delegated")


def _verify_signature(response: ocsp.OCSPResponse, responder: x509.Certificate) -> None:
    public = responder.public_key()
    algorithm = response.signature_hash_algorithm
    if not isinstance(public, rsa.RSAPublicKey) or algorithm is None:
        raise OcspUnusable("unsupported signature")
    try:
        public.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm)
    except InvalidSignature as exc:
        raise OcspUnusable("bad signature") from exc
