"""The signing engine: PAdES signatures with this deployment's trust roots, TSA and public URL.

It knows PDFs, keys and certificates, not oficios, callers or storage: one signature with an
unlocked credential, a batch with one unlock, the browser path's two steps (lay out the signature
and answer what the browser's key must sign; embed the signature it sent) and an acuse's seal.
Verification runs in worker threads, never on the service's event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import algos, tsp
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.timestamps import TimeStamper

from signum.platform.metrics import ServiceMetrics, timed
from signum.platform.workers import Workers
from signum.signing import archive, errors, pades, verification
from signum.signing.credentials import (
    Credential,
    TrustPolicy,
    check_certificate,
    load_credential,
    read_certificate,
)
from signum.signing.domain import CertificateInfo, Level, TimestampProtection, VerificationReport
from signum.signing.pades import PreparedSignature, SignatureRequest, SigningKey, Timestamper
from signum.signing.tsa import TimestampAuthority


class LocalTimestamper(Timestamper):
    """The development TSA of this process, asked in-process instead of over HTTP."""

    def __init__(self, authority: TimestampAuthority, url: str) -> None:
        super().__init__(url)
        self.authority = authority

    def client(self) -> TimeStamper:
        return self.authority.stamper

    async def token(self, signature: bytes) -> bytes:
        request = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                    "hashed_message": hashlib.sha256(signature).digest(),
                },
                "nonce": secrets.randbits(63),
                "cert_req": True,
            }
        )
        reply = tsp.TimeStampResp.load(self.authority.respond(request.dump()))
        if reply["status"]["status"].native != "granted":
            raise errors.TimestampUnavailableError()
        return bytes(reply["time_stamp_token"].dump())


def slot_request(slot: Mapping[str, Any]) -> SignatureRequest:
    """Where an oficio's signer signs: the field drafting reserved for their slot."""
    # No QR in each signer's block: the oficio already prints its verification box (QR code,
    # page and short code, drawn by drafting), so the block's text gets the whole width.
    return SignatureRequest(
        field_name=slot["campo"],
        title=slot.get("cargo") or None,
        on_behalf_of=slot.get("en_ausencia_de"),
        page=max(0, int(slot.get("pagina", 1)) - 1),
    )


def _verify_blocking(pdf: bytes, trust: TrustPolicy) -> VerificationReport:
    return asyncio.run(verification.verify_pdf(pdf, trust))


def _archive_blocking(pdf: bytes, trust: TrustPolicy, timestamper: Timestamper) -> bytes:
    return asyncio.run(archive.archive(pdf, trust, timestamper))


@dataclass
class SigningEngine:
    """The engine with this deployment's trust roots, TSA and public URL."""

    trust: TrustPolicy
    timestamper: Timestamper | None
    public_url: str
    max_pdf_bytes: int = 30 * 1024 * 1024
    # Verifying parses the PDF, inflates its streams and compares its revisions: CPU work that runs
    # in these threads (with an event loop of their own), never on the service's loop.
    workers: Workers = field(default_factory=lambda: Workers("verify"))
    metrics: ServiceMetrics | None = None  # signature and seal durations (`timed`)

    def level(self, revocation_checked: bool = False) -> Level:
        """The PAdES level a signature made now gets (B-LT needs the signer's revocation data)."""
        if self.timestamper is None:
            return "B-B"
        return "B-LT" if revocation_checked else "B-T"

    def level_of(self, key: SigningKey) -> Level:
        """The level of a signature made now with an unlocked credential or seal."""
        return self.level(key.check is not None and key.check.revocation_checked)

    def verification_url(self, document_id: str) -> str:
        """What a QR code on the document opens."""
        return pades.verification_url(self.public_url, document_id)

    def check_size(self, pdf: bytes) -> None:
        if not pdf:
            raise errors.PdfInvalidError("No se recibió ningún PDF.")
        if len(pdf) > self.max_pdf_bytes:
            raise errors.pdf_limit(self.max_pdf_bytes).error()

    async def verify(self, pdf: bytes) -> VerificationReport:
        self.check_size(pdf)
        return await self.workers.run(_verify_blocking, pdf, self.trust)

    async def protection(self, pdf: bytes) -> TimestampProtection:
        """How long the last timestamp over a signed PDF keeps proving it (`archive.protection`)."""
        self.check_size(pdf)
        return await self.workers.run(archive.protection, pdf)

    async def archive(self, pdf: bytes) -> bytes:
        """B-LTA: the last timestamp's validation data and a new document timestamp over `pdf`."""
        self.check_size(pdf)
        if self.timestamper is None:
            raise errors.TimestampUnavailableError(
                "Este despliegue no tiene autoridad de sellado de tiempo: no se puede sellar el archivo."
            )
        return await self.workers.run(_archive_blocking, pdf, self.trust, self.timestamper)

    async def unlock(self, cer: bytes, key: bytes, password: str) -> Credential:
        return await load_credential(cer, key, password, trust=self.trust)

    async def sign(
        self, pdf: bytes, key: SigningKey, request: SignatureRequest, *, seal: bool = False
    ) -> bytes:
        """A signature with an unlocked e.firma, or an acuse's seal (`seal=True`; timed apart)."""
        self.check_size(pdf)
        timer = timed(self.metrics, "seal") if seal else timed(self.metrics, "signature", method="credential")
        with timer:
            return await pades.sign_pdf(pdf, key, request, timestamper=self.timestamper, long_term=self.trust)

    async def sign_batch(self, pdfs: Sequence[bytes], credential: Credential) -> list[bytes]:
        """Many PDFs with one unlocked credential, each in its first free field."""
        for pdf in pdfs:
            self.check_size(pdf)
        return await pades.sign_batch(pdfs, credential, timestamper=self.timestamper, long_term=self.trust)

    async def prepare(
        self, pdf: bytes, cer: bytes, request: SignatureRequest
    ) -> tuple[PreparedSignature, CertificateInfo]:
        """The browser path, step 1: the signature laid out, and whose certificate it is."""
        self.check_size(pdf)
        check = await check_certificate(read_certificate(cer), self.trust)
        prepared = pades.prepare_signature(
            pdf,
            read_certificate(cer),
            request,
            chain=check.chain,
            timestamp=self.timestamper is not None,
        )
        return prepared, check.info

    async def complete(
        self, prepared: PreparedSignature, signature: bytes
    ) -> tuple[bytes, CertificateInfo, Level]:
        """The browser path, step 2: the browser's RSA signature checked and embedded."""
        certificate = asn1_x509.Certificate.load(prepared.certificate)
        check = await check_certificate(certificate, self.trust)  # revoked since it was prepared?
        with timed(self.metrics, "signature", method="browser"):
            signed = await pades.complete_signature(
                prepared, signature, timestamper=self.timestamper, long_term=self.trust, check=check
            )
        return signed, check.info, self.level(check.revocation_checked)
