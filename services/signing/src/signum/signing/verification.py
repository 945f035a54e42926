"""Verify the signatures of a PDF: integrity, signer, times, certificate status, PAdES level, changes.

pyHanko does the cryptography and the difference analysis between revisions; this module turns its
findings into what the public verification page and `signumctl verify` show, in Spanish.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from datetime import datetime
from typing import Any

from asn1crypto import core, crl, ocsp
from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits
from pyhanko.pdf_utils.misc import PdfDecodeLimitError, PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades import cades_asn1  # noqa: F401 - registers signer-attributes-v2 with asn1crypto
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import DocumentSecurityStore, EmbeddedPdfSignature
from pyhanko.sign.validation.errors import NoDSSFoundError, SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.path import ValidationPath

from signum.platform.dates import long_datetime
from signum.signing import errors, sat
from signum.signing.credentials import TrustPolicy
from signum.signing.domain import (
    CERTIFICATE_STATUS_TEXT,
    CertificateInfo,
    CertificateStatus,
    PadesLevel,
    SignatureReport,
    VerificationReport,
    dss_verdict,
)

logger = logging.getLogger(__name__)

_OID_TITLE = "2.5.4.12"
_ON_BEHALF = re.compile(r"(?i)\bpor ausencia de (.+)$")
_EXPIRED = {
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    AdESIndeterminate.NOT_YET_VALID,
    AdESFailure.NOT_YET_VALID,
}
_REVOKED = {AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}
_UNTRUSTED = {
    AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND,
    AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE,
    AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE,
}


MiB = 1024 * 1024
# PDFs anyone can send (public verification, a PDF to sign): what pyHanko may inflate from them, per
# stream (object streams also by ratio, 100 to 1 past 4 MiB, pyHanko's default) and per document.
# pyHanko's own budget, 100 times the file, would let a 30 MB PDF inflate 3 GB.
UNTRUSTED_PDF_LIMITS = DecodeLimits(
    per_stream=StreamDecodeLimits(max_output_size=64 * MiB),
    document_budget=DocumentDecodeBudget(base_allowance=128 * MiB, max_ratio=2),
)


def _read(pdf: bytes) -> PdfFileReader:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False, decode_limits=UNTRUSTED_PDF_LIMITS)
        signatures = reader.embedded_signatures
    except PdfDecodeLimitError:
        raise errors.PdfLimitsError() from None
    except (PdfError, ValueError, IndexError, KeyError, TypeError) as exc:
        raise errors.PdfInvalidError() from exc
    if not signatures:
        raise errors.PdfUnsignedError()
    return reader


class _Dss:
    """The document's DSS (B-LT validation data), if any."""

    def __init__(self, reader: PdfFileReader) -> None:
        self.certs: list[Any] = []
        self.ocsps: list[ocsp.OCSPResponse] = []
        self.crls: list[crl.CertificateList] = []
        try:
            dss = DocumentSecurityStore.read_dss(reader)
        except NoDSSFoundError:
            return
        except (PdfError, ValueError, KeyError, TypeError):
            logger.warning("unreadable DSS ignored")
            return
        context = dss.as_validation_context({"trust_roots": []})
        self.certs = list(dss.load_certs())
        self.ocsps = list(context.ocsps)
        self.crls = list(context.crls)

    def ocsps_for(self, *certs: Any) -> list[ocsp.OCSPResponse]:
        """The OCSP responses about `certs` (the validator rejects a set where none matches)."""
        serials = {cert.serial_number for cert in certs}
        return [r for r in self.ocsps if _ocsp_serials(r) & serials]

    def covers(self, cert: Any) -> bool:
        """Revocation data about `cert` is in the DSS."""
        return bool(self.ocsps_for(cert)) or any(c.issuer == cert.issuer for c in self.crls)


def _ocsp_serials(response: ocsp.OCSPResponse) -> set[int]:
    try:
        basic = response["response_bytes"]["response"].parsed
        return {
            single["cert_id"]["serial_number"].native for single in basic["tbs_response_data"]["responses"]
        }
    except (ValueError, KeyError, TypeError):
        return set()


def _timestamp_certs(sig: EmbeddedPdfSignature) -> list[Any]:
    """The certificates carried by the signature's timestamp token (the TSA's and its chain)."""
    for attr in sig.signer_info["unsigned_attrs"] or ():
        if attr["type"].native != "signature_time_stamp_token":
            continue
        certificates = attr["values"][0]["content"]["certificates"]
        return [c.chosen for c in certificates or () if c.name == "certificate"]
    return []


def _context(
    trust: TrustPolicy, dss: _Dss, certs: list[Any], *, moment: datetime | None, fetch: bool
) -> ValidationContext:
    """A context to validate `certs[0]` (the signer's or the TSA's; `certs` what travels with it)."""
    fetching = fetch and moment is None
    return ValidationContext(
        trust_roots=list(trust.roots),
        other_certs=[*trust.intermediates, *dss.certs, *certs[1:]],
        ocsps=[*trust.ocsps, *dss.ocsps_for(*certs)],
        crls=[*trust.crls, *dss.crls],
        allow_fetching=fetching,
        moment=moment,
        revocation_mode="soft-fail",
    )


async def _validate(
    sig: EmbeddedPdfSignature,
    trust: TrustPolicy,
    dss: _Dss,
    *,
    moment: datetime | None,
    fetch: bool,
    skip_diff: bool,
) -> PdfSignatureStatus:
    # The signer and the TSA each get their own OCSP responses: pyHanko refuses a certificate
    # offered responses about others of the same CA and none about itself.
    context = _context(trust, dss, [sig.signer_cert], moment=moment, fetch=fetch)
    ts_context = _context(trust, dss, _timestamp_certs(sig) or [sig.signer_cert], moment=moment, fetch=fetch)
    try:
        return await async_validate_pdf_signature(sig, context, ts_context, skip_diff=skip_diff)
    finally:
        await context.aclose()  # type: ignore[no-untyped-call]
        await ts_context.aclose()  # type: ignore[no-untyped-call]


def _certificate_status(status: PdfSignatureStatus) -> CertificateStatus:
    if status.revoked:
        return CertificateStatus.REVOKED
    if status.trusted:
        return CertificateStatus.VALID
    indication = status.trust_problem_indic
    if indication in _REVOKED:
        return CertificateStatus.REVOKED
    if indication in _EXPIRED:
        return CertificateStatus.EXPIRED
    if indication in _UNTRUSTED:
        return CertificateStatus.UNTRUSTED
    return CertificateStatus.UNKNOWN


def _claimed_title(sig: EmbeddedPdfSignature) -> str | None:
    for attr in sig.signer_info["signed_attrs"]:
        if attr["type"].native != "signer_attributes_v2":
            continue
        claimed = attr["values"][0]["claimed_attributes"]
        for item in claimed or ():
            if item["type"].dotted == _OID_TITLE and len(item["values"]):
                return str(core.UTF8String.load(item["values"][0].dump()).native)
    return None


def _on_behalf_of(sig: EmbeddedPdfSignature) -> str | None:
    reason = sig.sig_object.get("/Reason")
    match = _ON_BEHALF.search(str(reason)) if reason is not None else None
    return match.group(1).strip() if match else None


def _covered(dss: _Dss, path: ValidationPath | None) -> bool:
    """The DSS holds revocation data for every certificate of `path` below its trust root."""
    return path is not None and all(dss.covers(cert) for cert in path.iter_certs(include_root=False))


def _level(
    sig: EmbeddedPdfSignature, reader: PdfFileReader, dss: _Dss, status: PdfSignatureStatus
) -> PadesLevel:
    """The PAdES baseline level as EU DSS grants it: B-LT only when the DSS holds revocation data for
    every certificate below a trust root, in the signer's path and in the timestamp's."""
    ts = status.timestamp_validity
    if ts is None:
        return PadesLevel.B_B
    if not (_covered(dss, status.validation_path) and _covered(dss, ts.validation_path)):
        return PadesLevel.B_T
    later_doc_ts = any(
        ts.signed_revision > sig.signed_revision for ts in reader.embedded_timestamp_signatures
    )
    return PadesLevel.B_LTA if later_doc_ts else PadesLevel.B_LT


def _changes(status: PdfSignatureStatus) -> tuple[bool, str]:
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return False, "La firma cubre el documento completo: no hubo cambios después de firmar."
    if status.coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return True, "La firma no cubre el documento de forma continua: pudo haber sido alterado."
    level = status.modification_level
    if level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
        return False, "Después de esta firma solo se agregaron datos de validación; el contenido no cambió."
    if level == ModificationLevel.FORM_FILLING:
        return False, "Después de esta firma solo se agregaron otras firmas; el contenido no cambió."
    if level == ModificationLevel.ANNOTATIONS:
        return True, "Después de esta firma se agregaron anotaciones al documento."
    return True, "El documento fue modificado después de esta firma."


def _summary(report_fields: dict[str, Any], info: CertificateInfo | None) -> str:
    who = f"{info.name} (RFC {info.rfc})" if info else "firmante desconocido"
    if not report_fields["intact"] or not report_fields["signature_valid"]:
        return (
            f"Firma NO válida de {who}: el documento fue alterado después de firmarse o la firma está dañada."
        )
    if report_fields["modified_after"]:
        changes: str = report_fields["changes_after"]
        return f"Firma de {who} íntegra, pero {changes[0].lower()}{changes[1:]}"
    status: CertificateStatus = report_fields["certificate_status"]
    if status is not CertificateStatus.VALID:
        return f"Firma de {who} íntegra, pero: {CERTIFICATE_STATUS_TEXT[status].lower()}."
    when = report_fields["timestamp_time"] or report_fields["signing_time"]
    moment = f", el {long_datetime(when)}" if when else ""
    sealed = " con sello de tiempo" if report_fields["timestamp_time"] else ""
    return f"Firma válida de {who}{moment}{sealed}."


def _broken(sig: EmbeddedPdfSignature, exc: Exception) -> SignatureReport:
    logger.info("signature %s could not be validated: %r", sig.field_name, exc)
    return SignatureReport(
        field_name=str(sig.field_name),
        intact=False,
        signature_valid=False,
        signer_name=None,
        rfc=None,
        curp=None,
        title=None,
        on_behalf_of=None,
        certificate_number=None,
        certificate_status=CertificateStatus.UNKNOWN,
        signing_time=None,
        timestamp_time=None,
        pades_level=PadesLevel.B_B,
        covers_whole_document=False,
        modified_after=True,
        changes_after="No se pudo analizar el documento.",
        summary="Firma NO válida: el documento está dañado o fue alterado después de firmarse.",
        verdict=dss_verdict(
            intact=False,
            signature_valid=False,
            certificate_status=CertificateStatus.UNKNOWN,
            revocation_embedded=False,
        ),
    )


async def _report(
    sig: EmbeddedPdfSignature, reader: PdfFileReader, dss: _Dss, trust: TrustPolicy, fetch: bool
) -> SignatureReport:
    status = await _validate(sig, trust, dss, moment=None, fetch=fetch, skip_diff=False)
    ts = status.timestamp_validity
    timestamp_time = ts.timestamp if ts is not None and ts.intact and ts.valid and ts.trusted else None
    cert_status = _certificate_status(status)
    if cert_status is CertificateStatus.EXPIRED and timestamp_time is not None:
        # A trusted timestamp proves the signature existed while the certificate was valid.
        at_signing = await _validate(sig, trust, dss, moment=timestamp_time, fetch=False, skip_diff=True)
        cert_status = _certificate_status(at_signing)
    try:
        info: CertificateInfo | None = sat.certificate_info(status.signing_cert)
    except (ValueError, KeyError, TypeError):
        info = None
    modified_after, changes_after = _changes(status)
    fields: dict[str, Any] = {
        "intact": bool(status.intact),
        "signature_valid": bool(status.valid),
        "certificate_status": cert_status,
        "timestamp_time": timestamp_time,
        "signing_time": status.signer_reported_dt,
        "modified_after": modified_after,
        "changes_after": changes_after,
    }
    return SignatureReport(
        field_name=str(sig.field_name),
        signer_name=info.name if info else None,
        rfc=(info.rfc or None) if info else None,
        curp=info.curp if info else None,
        title=_claimed_title(sig),
        on_behalf_of=_on_behalf_of(sig),
        certificate_number=info.certificate_number if info else None,
        pades_level=_level(sig, reader, dss, status),
        covers_whole_document=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        summary=_summary(fields, info),
        verdict=dss_verdict(
            intact=fields["intact"],
            signature_valid=fields["signature_valid"],
            certificate_status=cert_status,
            revocation_embedded=_covered(dss, status.validation_path),
        ),
        **fields,
    )


async def verify_pdf(pdf: bytes, trust: TrustPolicy, *, fetch_revocation: bool = False) -> VerificationReport:
    """Verify every signature of `pdf` against the trust roots of `trust`.

    Revocation is checked with the data embedded in the PDF (B-LT) and, if `fetch_revocation`, by
    asking the responders now. Raises `pdf_invalid` for a file that is not a PDF and `pdf_unsigned`
    for one without signatures.
    """
    reader = _read(pdf)
    dss = _Dss(reader)
    reports = []
    for sig in reader.embedded_regular_signatures:
        try:
            reports.append(await _report(sig, reader, dss, trust, fetch_revocation))
        except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
            reports.append(_broken(sig, exc))
    if not reports:
        raise errors.PdfUnsignedError()
    valid = all(r.valid for r in reports)
    count = len(reports)
    noun = "firma" if count == 1 else "firmas"
    if valid:
        summary = (
            f"El documento tiene {count} {noun} {'válida' if count == 1 else 'válidas'} "
            "y no fue modificado después de firmarse."
        )
    else:
        bad = sum(1 for r in reports if not r.valid)
        verb = "es válida" if bad == 1 else "son válidas"
        summary = f"ATENCIÓN: {bad} de {count} {noun} no {verb}. Revise el detalle."
    return VerificationReport(
        sha256=hashlib.sha256(pdf).hexdigest(), signatures=reports, valid=valid, summary=summary
    )
