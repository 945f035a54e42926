"""Verify the signatures of a PDF: integrity, signer, times, certificate status, PAdES level, changes.

pyHanko does the cryptography and the difference analysis between revisions; this module turns its
findings into what the public verification page and `signumctl verify` show, in Spanish, and into
EU DSS's verdict (indication, subindication, level): the chain is built as DSS builds it (from every
certificate the PDF carries and the configured intermediates), revocation data counts when DSS
accepts it (issued within the certificate's validity), a trusted timestamp before a revocation or
an expiry proves the signature existed in time, and B-LT needs a DSS written after the signature.
tests/signing/test_dss_corpus.py holds it to DSS's answers.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from asn1crypto import core, crl, ocsp
from pyhanko.pdf_utils.decode_limits import (
    DecodeLimits,
    DecodePurpose,
    DocumentDecodeBudget,
    StreamDecodeLimits,
)
from pyhanko.pdf_utils.generic import IndirectObject
from pyhanko.pdf_utils.misc import PdfDecodeLimitError, PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades import cades_asn1  # noqa: F401 - registers signer-attributes-v2 with asn1crypto
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import DocumentSecurityStore, EmbeddedPdfSignature
from pyhanko.sign.validation.errors import NoDSSFoundError, SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.revinfo.archival import (
    process_legacy_crl_input,
    process_legacy_ocsp_input,
    sort_freshest_first,
)

from signum.platform.dates import long_datetime
from signum.signing import errors, sat, speedups
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
speedups.install()

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


# EU DSS's default policy only warns about a signer's key usage (BBB_XCV_ISCGKU): so does Signum.
_ANY_KEY_USAGE = KeyUsageConstraints(key_usage=set())
_SIGNING_KEY_USAGE = "non_repudiation"

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
    """The document's DSS (B-LT validation data), if any, and the last revision that wrote it."""

    def __init__(self, reader: PdfFileReader) -> None:
        self.certs: list[Any] = []
        self.ocsps: list[ocsp.OCSPResponse] = []
        self.crls: list[crl.CertificateList] = []
        # EU DSS grants a signature B-LT only if the DSS dictionary was written after it: the data
        # an earlier signer's DSS holds does not make a later signature B-LT by itself.
        self.revision = -1
        try:
            dss = DocumentSecurityStore.read_dss(reader)
        except NoDSSFoundError:
            return
        except (PdfError, ValueError, KeyError, TypeError):
            logger.warning("unreadable DSS ignored")
            return
        # Each value read once, in the order pyHanko's validation context keeps them (freshest first,
        # a multi-response OCSP once per response); building a context here only to read them back
        # parsed and registered every certificate a second time.
        self.certs = list(dss.load_certs())
        self.ocsps = [
            c.ocsp_response_data
            for c in sort_freshest_first(process_legacy_ocsp_input(_dss_values(dss.ocsps, _OCSP)))
        ]
        self.crls = [
            c.crl_data for c in sort_freshest_first(process_legacy_crl_input(_dss_values(dss.crls, _CRL)))
        ]
        self.revision = _last_change(reader)

    def ocsps_for(self, *certs: Any) -> list[ocsp.OCSPResponse]:
        """The OCSP responses about `certs` (the validator rejects a set where none matches)."""
        serials = {cert.serial_number for cert in certs}
        return [r for r in self.ocsps if _ocsp_serials(r) & serials]

    def covers(self, cert: Any) -> bool:
        """Revocation data about `cert` is in the DSS."""
        return bool(self.ocsps_for(cert)) or any(c.issuer == cert.issuer for c in self.crls)

    def revoked_at(self, cert: Any) -> datetime | None:
        """When the DSS's CRLs or OCSP responses say `cert` was revoked (None: not revoked)."""
        for value in self.crls:
            if value.issuer != cert.issuer:
                continue
            for entry in value["tbs_cert_list"]["revoked_certificates"] or ():
                if entry["user_certificate"].native == cert.serial_number:
                    return cast(datetime, entry["revocation_date"].native)
        for response in self.ocsps:
            for single in _ocsp_singles(response):
                status = single["cert_status"]
                if (
                    single["cert_id"]["serial_number"].native == cert.serial_number
                    and status.name == "revoked"
                ):
                    return cast(datetime, status.chosen["revocation_time"].native)
        return None

    def acceptable_for(self, cert: Any) -> str | None:
        """None when the DSS holds revocation data EU DSS accepts for `cert`; otherwise why not, in
        Spanish. DSS accepts data issued within the certificate's validity (a CRL issued after it
        expired says nothing of it, unless it declares it keeps expired certificates)."""
        issued: list[datetime] = [
            value["tbs_cert_list"]["this_update"].native
            for value in self.crls
            if value.issuer == cert.issuer and not _keeps_expired(value)
        ]
        kept = any(value.issuer == cert.issuer and _keeps_expired(value) for value in self.crls)
        issued += [
            single["this_update"].native
            for response in self.ocsps
            for single in _ocsp_singles(response)
            if single["cert_id"]["serial_number"].native == cert.serial_number
        ]
        if kept:
            return None
        validity = cert["tbs_certificate"]["validity"]
        not_before, not_after = validity["not_before"].native, validity["not_after"].native
        if any(not_before <= when <= not_after for when in issued):
            return None
        if any(when < not_before for when in issued):
            return "los datos de revocación incluidos son anteriores a la vigencia del certificado"
        if issued:
            return "los datos de revocación incluidos son posteriores al vencimiento del certificado"
        return "el documento no incluye los datos de revocación de la cadena del firmante"


_OCSP, _CRL = DecodePurpose.OCSP_RESPONSE, DecodePurpose.CRL


def _dss_values(refs: list[Any], purpose: DecodePurpose) -> list[bytes]:
    """The bytes of the DSS's OCSP responses or CRLs (its /OCSPs or /CRLs streams)."""
    return [ref.get_object().read_data(purpose) for ref in refs]


def _last_change(reader: PdfFileReader) -> int:
    """The last revision that wrote the DSS dictionary (the catalog's, if it is held there)."""
    ref = reader.root.raw_get("/DSS")
    if not isinstance(ref, IndirectObject):
        ref = reader.root_ref
    try:
        return int(reader.xrefs.get_last_change(ref.reference))
    except (AttributeError, KeyError):
        return -1


def _keeps_expired(value: crl.CertificateList) -> bool:
    """The CRL carries ExpiredCertsOnCRL (id-ce 2.5.29.60): it still lists expired certificates."""
    extensions = value["tbs_cert_list"]["crl_extensions"] or ()
    return any(ext["extn_id"].dotted == "2.5.29.60" for ext in extensions)


def _ocsp_singles(response: ocsp.OCSPResponse) -> list[Any]:
    try:
        return list(response["response_bytes"]["response"].parsed["tbs_response_data"]["responses"])
    except (ValueError, KeyError, TypeError):
        return []


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
    # A copy of a trust root that the PDF carries adds nothing, but pyHanko's registry keeps the
    # first certificate it is given of each issuer and serial: leaving the copies out lets it keep
    # the configured root (read once, with the configuration) rather than parse the PDF's copy.
    roots = {root.sha256 for root in trust.roots}
    return ValidationContext(
        trust_roots=list(trust.roots),
        other_certs=[c for c in (*trust.intermediates, *dss.certs, *certs[1:]) if c.sha256 not in roots],
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
        return await async_validate_pdf_signature(
            sig, context, ts_context, skip_diff=skip_diff, key_usage_settings=_ANY_KEY_USAGE
        )
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


@dataclass(frozen=True)
class _Chain:
    """A certificate's chain as EU DSS builds it: from every certificate the document carries and
    those configured (roots, intermediates), by issuer name and key identifier, trusted or not."""

    certs: tuple[Any, ...]  # the certificate first, then its issuers as far as they were found
    anchored: bool  # it reaches a trusted root
    missing: str | None  # the common name of the issuer nobody supplied, when it stops short

    @property
    def complete(self) -> bool:
        return self.missing is None

    def below_root(self) -> list[Any]:
        """The certificates that need revocation data: all but a trusted root or a self-signed one."""
        return [c for c in self.certs if c.self_signed == "no"]


def _chain(cert: Any, pool: list[Any], roots: tuple[Any, ...]) -> _Chain:
    certs = [cert]
    # by digest, which each certificate object keeps once computed (a trust root's, for good)
    root_digests = {r.sha256 for r in roots}
    while True:
        current = certs[-1]
        if current.sha256 in root_digests:
            return _Chain(tuple(certs), anchored=True, missing=None)
        if current.self_signed != "no":
            return _Chain(tuple(certs), anchored=False, missing=None)
        key_id = current.authority_key_identifier
        issuer = next(
            (
                c
                for c in (*roots, *pool)
                if c.subject == current.issuer and (key_id is None or c.key_identifier in (None, key_id))
            ),
            None,
        )
        if issuer is None:
            missing = current.issuer.native.get("common_name") or current.issuer.human_friendly
            return _Chain(tuple(certs), anchored=False, missing=str(missing))
        if any(issuer.sha256 == c.sha256 for c in certs):
            return _Chain(tuple(certs), anchored=False, missing=None)
        certs.append(issuer)


def _document_certs(reader: PdfFileReader, dss: _Dss) -> list[Any]:
    """Every certificate the PDF carries: its signatures', their timestamps' and the DSS's."""
    found = list(dss.certs)
    for sig in reader.embedded_signatures:
        found += [c.chosen for c in sig.signed_data["certificates"] or () if c.name == "certificate"]
        found += _timestamp_certs(sig)
    return found


def _covered(dss: _Dss, chain: _Chain) -> bool:
    """The DSS holds revocation data for every certificate of a complete `chain` that needs it
    (EU DSS cannot check data about a chain it cannot build)."""
    return chain.complete and all(dss.covers(cert) for cert in chain.below_root())


def _level(
    sig: EmbeddedPdfSignature, reader: PdfFileReader, dss: _Dss, signer: _Chain, tsa: _Chain | None
) -> PadesLevel:
    """The PAdES baseline level as EU DSS grants it: B-LT only when the DSS, written after the
    signature, holds revocation data for every certificate below the root, in the signer's chain and
    in the timestamp's (whether the roots are trusted or not: the level says what the PDF carries)."""
    if tsa is None:
        return PadesLevel.B_B
    after = sig.signed_revision
    if not (dss.revision > after and _covered(dss, signer) and _covered(dss, tsa)):
        return PadesLevel.B_T
    later_doc_ts = any(
        ts.signed_revision > sig.signed_revision for ts in reader.embedded_timestamp_signatures
    )
    return PadesLevel.B_LTA if later_doc_ts else PadesLevel.B_LT


def _timestamp_cert(sig: EmbeddedPdfSignature) -> Any | None:
    """The TSA's certificate of the signature's timestamp token, if it has one."""
    for attr in sig.signer_info["unsigned_attrs"] or ():
        if attr["type"].native != "signature_time_stamp_token":
            continue
        content = attr["values"][0]["content"]
        sid = content["signer_infos"][0]["sid"].chosen
        for cert in _timestamp_certs(sig):
            if cert.issuer == sid["issuer"] and cert.serial_number == sid["serial_number"].native:
                return cert
    return None


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


def _signer_status(
    status: PdfSignatureStatus, cert: Any, chain: _Chain, dss: _Dss, timestamp_time: datetime | None
) -> CertificateStatus:
    """The signer's certificate as EU DSS weighs it: a timestamp before its revocation or its
    expiry proves the signature existed while it was good (DSS's proof of existence)."""
    if not chain.anchored:
        return CertificateStatus.UNTRUSTED
    revoked_at = dss.revoked_at(cert)
    if revoked_at is not None:
        proven = timestamp_time is not None and timestamp_time < revoked_at
        return CertificateStatus.VALID if proven else CertificateStatus.REVOKED
    validity = cert["tbs_certificate"]["validity"]
    if datetime.now(UTC) > validity["not_after"].native:
        proven = timestamp_time is not None and timestamp_time <= validity["not_after"].native
        return CertificateStatus.VALID if proven else CertificateStatus.EXPIRED
    found = _certificate_status(status)
    # A chain was found: pyHanko refused it for another reason (a date, the CA's status).
    return CertificateStatus.UNKNOWN if found is CertificateStatus.UNTRUSTED else found


def _key_usage_note(cert: Any) -> str | None:
    usage = cert.key_usage_value
    if usage is not None and _SIGNING_KEY_USAGE in usage.native:
        return None
    return "Advertencia: el certificado del firmante no declara el uso de firma (no repudio)."


def _chain_problem(chain: _Chain) -> str:
    if chain.missing is not None:
        return (
            f"Falta el certificado de la autoridad «{chain.missing}» que emitió la cadena del firmante: "
            "el documento no lo incluye y no está configurado entre los intermedios reconocidos "
            "(SIGNUM_SIGNING_TRUST_INTERMEDIATES)."
        )
    return "El certificado del firmante no proviene de una autoridad de certificación reconocida."


async def _report(
    sig: EmbeddedPdfSignature, reader: PdfFileReader, dss: _Dss, trust: TrustPolicy, fetch: bool
) -> SignatureReport:
    status = await _validate(sig, trust, dss, moment=None, fetch=fetch, skip_diff=False)
    ts = status.timestamp_validity
    timestamp_time = ts.timestamp if ts is not None and ts.intact and ts.valid and ts.trusted else None
    pool = [*trust.intermediates, *_document_certs(reader, dss)]
    signer = _chain(sig.signer_cert, pool, trust.roots)
    tsa_cert = _timestamp_cert(sig)
    tsa = _chain(tsa_cert, pool, trust.roots) if tsa_cert is not None else None
    cert_status = _signer_status(status, sig.signer_cert, signer, dss, timestamp_time)
    revocation_problem = None
    for cert in signer.below_root() if signer.anchored else ():
        revocation_problem = dss.acceptable_for(cert)
        if revocation_problem is not None:
            break
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
    notes = [changes_after] if modified_after else []
    if (note := _key_usage_note(sig.signer_cert)) is not None:
        notes.append(note)
    return SignatureReport(
        field_name=str(sig.field_name),
        signer_name=info.name if info else None,
        rfc=(info.rfc or None) if info else None,
        curp=info.curp if info else None,
        title=_claimed_title(sig),
        on_behalf_of=_on_behalf_of(sig),
        certificate_number=info.certificate_number if info else None,
        pades_level=_level(sig, reader, dss, signer, tsa),
        covers_whole_document=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        summary=_summary(fields, info),
        verdict=dss_verdict(
            intact=fields["intact"],
            signature_valid=fields["signature_valid"],
            certificate_status=cert_status,
            revocation_embedded=revocation_problem is None,
            chain_problem=_chain_problem(signer),
            revocation_problem=revocation_problem,
            modified_after=modified_after,
            notes=notes,
        ),
        **fields,
    )


async def verify_pdf(pdf: bytes, trust: TrustPolicy, *, fetch_revocation: bool = False) -> VerificationReport:
    """Verify every signature of `pdf` against the trust roots of `trust`.

    Revocation is checked with the data embedded in the PDF (B-LT) and, if `fetch_revocation`, by
    asking the responders now. Raises `pdf_invalid` for a file that is not a PDF and `pdf_unsigned`
    for one without signatures.
    """
    configured = [cert.subject for cert in (*trust.roots, *trust.intermediates)]
    with speedups.names_prepared_once(configured):
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
