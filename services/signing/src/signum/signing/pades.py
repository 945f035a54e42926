"""PAdES signatures on oficios: pyHanko lays out the PDF, Signum assembles the CMS.

Three places for the key, one code path:
- in the browser: `prepare_signature` returns the bytes to sign, the page signs them with the key it
  unlocked locally, `complete_signature` embeds the result (the server never sees the key);
- in memory for one call or one batch: `sign_pdf` / `sign_batch` with a `Credential`;
- in a PKCS#11 token (institutional seals): `sign_pdf` with a `Pkcs11Key`.

Each signature is an incremental update (earlier signatures stay valid), baseline B-B, B-T with a
timestamper (RFC 3161), B-LT when the certificate's revocation data was obtained (DSS revision).

The hot path avoids what makes pyHanko's defaults slow: the key is unlocked once per credential, not
per call; the certificates are encoded once per signer (`CmsTemplate`); the space for the signature
is computed from their size instead of by signing a dummy first; no event loop is spun per call.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
from asn1crypto import algos, x509
from asn1crypto import cms as asn1_cms
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfDecodeLimitError, PdfError
from pyhanko.sign import fields
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.path import ValidationPath

from signum.signing import errors, sat
from signum.signing.appearance import SignatureBlockStyle
from signum.signing.cms import CmsTemplate, claimed_title_attribute, digest
from signum.signing.credentials import CertificateCheck, TrustPolicy
from signum.signing.domain import CertificateInfo, SignerBlock
from signum.signing.verification import UNTRUSTED_PDF_LIMITS

logger = logging.getLogger(__name__)

# pyHanko only needs a Signer to pick the digest and fill the signature dictionary; Signum signs.
_LAYOUT_SIGNER = Signer(signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}))
_TIMESTAMP_ALLOWANCE = 12_000  # bytes for a TSA token with its certificates
_SIGNED_ATTRS_ALLOWANCE = 2_048


def verification_url(public_url: str, document_id: str) -> str:
    """What the QR code opens: the public verification page of the document."""
    return f"{public_url.rstrip('/')}/verificar/{document_id}"


@dataclass(frozen=True)
class SignatureRequest:
    """Where a signature goes and what its visible block says.

    The drafting service reserves empty fields named `firma-1`, `firma-2`, ... in signing order; when
    the PDF has no field of that name, `box` (x1, y1, x2, y2 in points, on page `page`, 0-based)
    creates one. `box=None` and no field: an invisible signature.
    """

    field_name: str = "firma-1"
    title: str | None = None  # cargo of the signer, shown and signed as a claimed attribute
    on_behalf_of: str | None = None  # suplencia: "por ausencia de <this>"
    qr_url: str | None = None  # see `verification_url`
    box: tuple[int, int, int, int] | None = None
    page: int = 0
    reason: str | None = None
    location: str = "Monterrey, Nuevo León"


class SigningKey(Protocol):
    """A key Signum can sign with in-process: an unlocked e.firma or a PKCS#11 seal."""

    info: CertificateInfo
    check: CertificateCheck | None

    @property
    def template(self) -> CmsTemplate: ...

    def sign(self, data: bytes) -> bytes:
        """RSA PKCS#1 v1.5 with SHA-256 over `data`."""
        ...


class Timestamper:
    """RFC 3161 client for one TSA URL; remembers the TSA's validation data for B-LT."""

    def __init__(self, url: str, *, timeout: float = 10.0, validation_ttl: float = 3600.0) -> None:
        self.url = url
        self._client = HTTPTimeStamper(url, timeout=int(timeout))
        # TSA certificate (DER sha256) -> (when, its validation path and revocation data)
        self.validation_cache: dict[bytes, tuple[float, _ValidationData]] = {}
        self.validation_ttl = validation_ttl

    def client(self) -> TimeStamper:
        """pyHanko's client for this TSA (document timestamps: `signum.signing.archive`)."""
        return self._client

    async def token(self, signature: bytes) -> bytes:
        """A timestamp token (DER ContentInfo) over the signature value, as PAdES B-T wants."""
        try:
            token = await self._client.async_timestamp(hashlib.sha256(signature).digest(), "sha256")
        except (TimeoutError, OSError, aiohttp.ClientError, TimestampRequestError) as exc:
            logger.warning("timestamp request to %s failed: %r", self.url, exc)
            raise errors.TimestampUnavailableError() from exc
        return bytes(token.dump())


@dataclass(frozen=True)
class PreparedSignature:
    """A document with room for one signature, waiting for the signer's RSA signature.

    Holds no secret: it can be kept (e.g. in MongoDB) between `prepare_signature` and
    `complete_signature`. The signer signs `to_be_signed` with RSA PKCS#1 v1.5 and SHA-256 (WebCrypto's
    RSASSA-PKCS1-v1_5 over these bytes); an API that signs a ready digest gets `digest`.
    """

    pdf: bytes
    to_be_signed: bytes  # DER signed attributes
    reserved_start: int
    reserved_end: int
    certificate: bytes  # DER
    chain: tuple[bytes, ...] = ()

    @property
    def digest(self) -> bytes:
        return digest(self.to_be_signed)


@dataclass
class _Layout:
    output: io.BytesIO
    prepared: PreparedByteRangeDigest
    to_be_signed: bytes


def _short_hash(pdf: bytes) -> str:
    value = hashlib.sha256(pdf).hexdigest().upper()[:16]
    return f"{value[:8]} {value[8:]}"


def _lay_out(
    pdf: bytes,
    template: CmsTemplate,
    info: CertificateInfo,
    request: SignatureRequest,
    *,
    now: datetime,
    reserve: int,
) -> _Layout:
    """Add the signature field, dictionary, appearance and placeholder; digest the byte range."""
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False, decode_limits=UNTRUSTED_PDF_LIMITS)
    except PdfDecodeLimitError:
        raise errors.PdfLimitsError() from None
    except (PdfError, ValueError, IndexError, KeyError) as exc:
        raise errors.PdfInvalidError() from exc
    block = SignerBlock(
        name=info.name,
        rfc=info.rfc,
        certificate_number=info.certificate_number,
        title=request.title,
        on_behalf_of=request.on_behalf_of,
        document_hash=_short_hash(pdf),
        signed_at=now,
    )
    reason = request.reason
    if request.on_behalf_of:
        # verification reads the suplencia back from the end of /Reason
        suplencia = f"por ausencia de {request.on_behalf_of}"
        reason = f"{reason}; {suplencia}" if reason else "P" + suplencia[1:]
    meta = PdfSignatureMetadata(
        field_name=request.field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=info.name,
        reason=reason,
        location=request.location,
    )
    new_field = None
    if request.box is not None:
        new_field = fields.SigFieldSpec(request.field_name, on_page=request.page, box=request.box)
    signer = PdfSigner(meta, _LAYOUT_SIGNER, stamp_style=SignatureBlockStyle(), new_field_spec=new_field)
    try:
        session = signer.init_signing_session(writer, existing_fields_only=False)
        session.system_time = now
        tbs = session.prepare_tbs_document(
            validation_info=None,
            bytes_reserved=reserve,
            appearance_text_params={
                "lines": block.lines(),
                "bold": block.BOLD_LINES,
                "qr_url": request.qr_url,
            },
        )
        output = io.BytesIO()
        prepared, _ = tbs.digest_tbs_document(output=output)
    except SigningError as exc:
        raise errors.SignatureFieldError(
            f"El campo de firma «{request.field_name}» no está disponible: ya tiene una firma o no existe."
        ) from exc
    except (PdfError, ValueError, IndexError, KeyError) as exc:
        raise errors.PdfInvalidError() from exc
    extra = [claimed_title_attribute(request.title)] if request.title else []
    to_be_signed = template.signed_attributes(prepared.document_digest, extra)
    return _Layout(output=output, prepared=prepared, to_be_signed=to_be_signed)


def _reserve(template: CmsTemplate, *, timestamp: bool) -> int:
    # Hex digits in the PDF: twice the DER size, with room for the attributes and the token.
    size = template.size_estimate + _SIGNED_ATTRS_ALLOWANCE + (_TIMESTAMP_ALLOWANCE if timestamp else 0)
    return 2 * size


def _embed(output: io.BytesIO, prepared: PreparedByteRangeDigest, signed_data: bytes) -> bytes:
    try:
        prepared.fill_with_cms(output, signed_data)
    except (PdfError, ValueError) as exc:
        raise errors.SigningFailedError() from exc
    return output.getvalue()


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).replace(microsecond=0)


def sign_pdf_sync(
    pdf: bytes, key: SigningKey, request: SignatureRequest | None = None, *, now: datetime | None = None
) -> bytes:
    """PAdES B-B, all in-process and CPU only: the hot path (and what the benchmark measures)."""
    request = request or SignatureRequest()
    template = key.template
    layout = _lay_out(
        pdf, template, key.info, request, now=_now(now), reserve=_reserve(template, timestamp=False)
    )
    signature = key.sign(layout.to_be_signed)
    return _embed(layout.output, layout.prepared, template.signed_data(layout.to_be_signed, signature))


async def sign_pdf(
    pdf: bytes,
    key: SigningKey,
    request: SignatureRequest | None = None,
    *,
    timestamper: Timestamper | None = None,
    long_term: TrustPolicy | None = None,
    now: datetime | None = None,
) -> bytes:
    """Sign `pdf` with `key`: B-T with a timestamper, B-LT when `long_term` is given and revocation
    data for the certificate was obtained, B-B otherwise."""
    request = request or SignatureRequest()
    template = key.template
    reserve = _reserve(template, timestamp=timestamper is not None)
    layout = _lay_out(pdf, template, key.info, request, now=_now(now), reserve=reserve)
    signature = key.sign(layout.to_be_signed)
    token = await timestamper.token(signature) if timestamper else None
    signed = _embed(
        layout.output, layout.prepared, template.signed_data(layout.to_be_signed, signature, token)
    )
    if long_term is not None and key.check is not None:
        signed = await add_validation_data(
            signed, key.check, long_term, timestamp_token=token, timestamper=timestamper
        )
    return signed


async def sign_batch(
    pdfs: Sequence[bytes],
    key: SigningKey,
    requests: Sequence[SignatureRequest] | SignatureRequest | None = None,
    *,
    timestamper: Timestamper | None = None,
    long_term: TrustPolicy | None = None,
    now: datetime | None = None,
) -> list[bytes]:
    """Sign many PDFs with one unlocked key (a director's pending oficios), in order."""
    if requests is None or isinstance(requests, SignatureRequest):
        requests = [requests or SignatureRequest()] * len(pdfs)
    if len(requests) != len(pdfs):
        raise ValueError("one SignatureRequest per PDF")
    if timestamper is None and long_term is None:
        return [sign_pdf_sync(pdf, key, req, now=now) for pdf, req in zip(pdfs, requests, strict=True)]
    return [
        await sign_pdf(pdf, key, req, timestamper=timestamper, long_term=long_term, now=now)
        for pdf, req in zip(pdfs, requests, strict=True)
    ]


def prepare_signature(
    pdf: bytes,
    certificate: x509.Certificate,
    request: SignatureRequest | None = None,
    *,
    chain: Sequence[x509.Certificate] = (),
    timestamp: bool = True,
    now: datetime | None = None,
) -> PreparedSignature:
    """Browser path, step 1: lay out the signature and return what the signer's key must sign.

    Check the certificate first (`credentials.check_certificate`): this function does not judge it.
    """
    request = request or SignatureRequest()
    template = CmsTemplate(certificate, chain)
    info = sat.certificate_info(certificate)
    layout = _lay_out(
        pdf, template, info, request, now=_now(now), reserve=_reserve(template, timestamp=timestamp)
    )
    return PreparedSignature(
        pdf=layout.output.getvalue(),
        to_be_signed=layout.to_be_signed,
        reserved_start=layout.prepared.reserved_region_start,
        reserved_end=layout.prepared.reserved_region_end,
        certificate=certificate.dump(),
        chain=tuple(c.dump() for c in chain),
    )


def _verify_rsa(certificate: x509.Certificate, data: bytes, signature: bytes) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    public = serialization.load_der_public_key(certificate.public_key.dump())
    if not isinstance(public, rsa.RSAPublicKey):
        raise errors.SignatureValueError()
    try:
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise errors.SignatureValueError() from exc


async def complete_signature(
    prepared: PreparedSignature,
    signature: bytes,
    *,
    timestamper: Timestamper | None = None,
    long_term: TrustPolicy | None = None,
    check: CertificateCheck | None = None,
) -> bytes:
    """Browser path, step 2: check the signer's RSA signature and embed it (with a timestamp)."""
    certificate = x509.Certificate.load(prepared.certificate)
    _verify_rsa(certificate, prepared.to_be_signed, signature)
    template = CmsTemplate(certificate, [x509.Certificate.load(c) for c in prepared.chain])
    token = await timestamper.token(signature) if timestamper else None
    output = io.BytesIO(prepared.pdf)
    digest_placeholder = PreparedByteRangeDigest(b"", prepared.reserved_start, prepared.reserved_end)
    signed = _embed(output, digest_placeholder, template.signed_data(prepared.to_be_signed, signature, token))
    if long_term is not None and check is not None:
        signed = await add_validation_data(
            signed, check, long_term, timestamp_token=token, timestamper=timestamper
        )
    return signed


_ValidationData = tuple[list[ValidationPath], list[Any], list[Any]]


async def _timestamp_validation(
    token: bytes, trust: TrustPolicy, cache: dict[bytes, tuple[float, _ValidationData]], ttl: float
) -> _ValidationData:
    signed_data = asn1_cms.ContentInfo.load(token)["content"]
    certs = [c.chosen for c in signed_data["certificates"] if c.name == "certificate"]
    sid = signed_data["signer_infos"][0]["sid"].chosen
    tsa_cert = next(
        (c for c in certs if c.issuer == sid["issuer"] and c.serial_number == sid["serial_number"].native),
        None,
    )
    if tsa_cert is None:
        return [], [], []
    cached = cache.get(tsa_cert.sha256)
    if cached is not None and time.monotonic() - cached[0] < ttl:
        return cached[1]
    context = trust.validation_context()
    try:
        validator = CertificateValidator(tsa_cert, certs, validation_context=context)
        path = await validator.async_validate_usage(set(), {"time_stamping"})  # type: ignore[no-untyped-call]
    except (cv_errors.PathBuildingError, cv_errors.PathValidationError, cv_errors.ValidationError) as exc:
        logger.warning("TSA certificate not validated for the DSS: %r", exc)
        return [], [], []
    finally:
        await context.aclose()  # type: ignore[no-untyped-call]
    result = ([path], list(context.ocsps), list(context.crls))
    cache[tsa_cert.sha256] = (time.monotonic(), result)
    return result


async def add_validation_data(
    pdf: bytes,
    check: CertificateCheck,
    trust: TrustPolicy,
    *,
    timestamp_token: bytes | None = None,
    timestamper: Timestamper | None = None,
) -> bytes:
    """PAdES B-LT: a DSS revision with the certificates and OCSP/CRL data of the signer (and TSA).

    Without revocation data for the signer the document stays at B-T (logged)."""
    if not check.revocation_checked:
        logger.warning("no revocation data for %s: signature left without DSS", check.info.certificate_number)
        return pdf
    paths: list[ValidationPath] = [check.path]
    ocsps: list[Any] = list(check.ocsps)
    crls: list[Any] = list(check.crls)
    if timestamp_token is not None:
        cache = timestamper.validation_cache if timestamper is not None else {}
        ttl = timestamper.validation_ttl if timestamper is not None else 0.0
        tsa_paths, tsa_ocsps, tsa_crls = await _timestamp_validation(timestamp_token, trust, cache, ttl)
        paths += tsa_paths
        ocsps += tsa_ocsps
        crls += tsa_crls
    output = io.BytesIO(pdf)
    DocumentSecurityStore.add_dss(
        output, None, paths=paths, ocsps=ocsps, crls=crls, embed_roots=True, force_write=True, strict=False
    )
    return output.getvalue()
