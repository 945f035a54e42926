"""Domain types and rules of signing: what a certificate says, what a signature shows, what each use
case answers. No I/O."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from signum.contracts.signing import SignerCertificate
from signum.platform.dates import CITY_TIME, long_datetime
from signum.platform.errors import SignumError
from signum.signing import errors


def fecha_corta(moment: datetime) -> str:
    """`23/11/2026 14:05:09 (UTC-06:00)`: what fits in a signature block."""
    local = moment.astimezone(CITY_TIME)
    offset = local.strftime("%z")
    return f"{local:%d/%m/%Y %H:%M:%S} (UTC{offset[:3]}:{offset[3:]})"


class CertificateKind(enum.StrEnum):
    """SAT issues two kinds of certificates on the same RFC; only the e.firma signs documents."""

    FIEL = "fiel"
    CSD = "csd"


@dataclass(frozen=True)
class CertificateInfo:
    """What a SAT certificate says about its holder, as a person reads it."""

    name: str
    rfc: str
    curp: str | None
    certificate_number: str
    serial_number: int
    issuer: str
    not_before: datetime
    not_after: datetime
    kind: CertificateKind
    representative_rfc: str | None = None
    representative_curp: str | None = None
    email: str | None = None
    organization_unit: str | None = None
    key_usage: frozenset[str] = field(default_factory=frozenset)

    def check_kind(self) -> None:
        """Refuse a CSD: it is for invoices only."""
        if self.kind is not CertificateKind.FIEL:
            raise errors.with_details(errors.NotFielError(), **self.summary())

    def check_validity(self, now: datetime) -> None:
        """Refuse a certificate outside its validity period at `now`."""
        if now < self.not_before:
            raise errors.with_details(
                errors.NotYetValidError(
                    "El certificado de la e.firma todavía no es válido: su vigencia empieza el "
                    f"{long_datetime(self.not_before)}."
                ),
                **self.summary(),
            )
        if now > self.not_after:
            raise errors.with_details(
                errors.ExpiredError(
                    f"El certificado de la e.firma venció el {long_datetime(self.not_after)}. "
                    "Renueve su e.firma ante el SAT para poder firmar."
                ),
                **self.summary(),
            )

    def signer_certificate(self) -> SignerCertificate:
        """The certificate as events carry it."""
        return SignerCertificate(
            nombre=self.name, rfc=self.rfc, curp=self.curp, numero_certificado=self.certificate_number
        )

    def summary(self) -> dict[str, str | None]:
        """Plain values to show or attach to an error (no secrets in a certificate)."""
        return {
            "nombre": self.name,
            "rfc": self.rfc,
            "curp": self.curp,
            "numero_certificado": self.certificate_number,
            "vigente_desde": self.not_before.astimezone(UTC).isoformat(),
            "vigente_hasta": self.not_after.astimezone(UTC).isoformat(),
            "emisor": self.issuer,
            "tipo": self.kind.value,
        }


@dataclass(frozen=True)
class SignerBlock:
    """The visible block of one signer on the oficio."""

    name: str
    rfc: str
    certificate_number: str
    title: str | None = None
    on_behalf_of: str | None = None  # suplencia: the absent official this signer signs for
    document_hash: str | None = None  # short fingerprint of the revision that was signed
    signed_at: datetime | None = None

    BOLD_LINES = frozenset({1})  # the signer's name

    def lines(self) -> list[str]:
        """The Spanish lines of the block, in reading order."""
        lines = ["Firmado electrónicamente por:", self.name]
        if self.title:
            lines.append(f"Cargo: {self.title}")
        if self.on_behalf_of:
            lines.append(f"Por ausencia de {self.on_behalf_of}")
        lines.append(f"RFC: {self.rfc}")
        if self.signed_at is not None:
            lines.append(f"Fecha: {fecha_corta(self.signed_at)}")
        lines.append(f"No. de certificado: {self.certificate_number}")
        if self.document_hash:
            lines.append(f"Huella SHA-256: {self.document_hash}")
        return lines


class PadesLevel(enum.StrEnum):
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNTRUSTED = "untrusted"
    UNKNOWN = "unknown"


CERTIFICATE_STATUS_TEXT = {
    CertificateStatus.VALID: "Certificado vigente y emitido por una autoridad reconocida",
    CertificateStatus.EXPIRED: "Certificado vencido al momento de la firma",
    CertificateStatus.REVOKED: "Certificado revocado",
    CertificateStatus.UNTRUSTED: "Certificado emitido por una autoridad no reconocida",
    CertificateStatus.UNKNOWN: "No se pudo determinar el estado del certificado",
}


class Indication(enum.StrEnum):
    """The main indication of ETSI EN 319 102-1, as EU DSS's simple report gives it."""

    TOTAL_PASSED = "TOTAL_PASSED"
    INDETERMINATE = "INDETERMINATE"
    TOTAL_FAILED = "TOTAL_FAILED"


@dataclass(frozen=True)
class Verdict:
    """A signature's verdict in EU DSS's terms: indication, subindication and the reason in Spanish."""

    indication: Indication
    subindication: str | None
    reason: str


def dss_verdict(
    *,
    intact: bool,
    signature_valid: bool,
    certificate_status: CertificateStatus,
    revocation_embedded: bool,
    chain_problem: str | None = None,
    revocation_problem: str | None = None,
    modified_after: bool = False,
    notes: Sequence[str] = (),
) -> Verdict:
    """What EU DSS (default policy, offline, the same roots trusted) answers for a signature Signum
    judged so. `revocation_embedded`: the PDF carries revocation data DSS accepts for every
    certificate of the signer's chain below its root (DSS asks for it even when the certificate
    names no responder; `revocation_problem` says why not, in Spanish). `chain_problem`: why no
    chain reaches a trusted root. `notes`: what a person must know about a signature DSS passes
    (changes after it, DSS's warnings), in Spanish."""
    if not intact:
        reason = "El documento cambió después de firmarse: su contenido no es el que se firmó."
        return Verdict(Indication.TOTAL_FAILED, "HASH_FAILURE", reason)
    if not signature_valid:
        reason = "La firma no corresponde al certificado del firmante."
        return Verdict(Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE", reason)
    if certificate_status is CertificateStatus.UNTRUSTED:
        reason = chain_problem or (
            "El certificado del firmante no proviene de una autoridad de certificación reconocida."
        )
        return Verdict(Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND", reason)
    if not revocation_embedded:
        # DSS judges the revocation data before the certificate's dates or status: without data it
        # accepts, it cannot tell whether the certificate was revoked.
        problem = (
            revocation_problem or "el documento no incluye los datos de revocación de la cadena del firmante"
        )
        reason = (
            f"{problem[0].upper()}{problem[1:]}: no se puede comprobar que el certificado no estaba "
            "revocado al firmar."
        )
        return Verdict(Indication.INDETERMINATE, "CERTIFICATE_CHAIN_GENERAL_FAILURE", reason)
    if certificate_status is CertificateStatus.REVOKED:
        reason = (
            "El certificado del firmante está revocado y no hay prueba de que firmó antes de la revocación."
        )
        return Verdict(Indication.INDETERMINATE, "REVOKED_NO_POE", reason)
    if certificate_status is CertificateStatus.EXPIRED:
        # Not revoked (checked above), but no timestamp proves it signed before it expired.
        reason = (
            "El certificado del firmante venció y no hay prueba de que firmó mientras estaba vigente "
            "(no estaba revocado)."
        )
        return Verdict(Indication.INDETERMINATE, "OUT_OF_BOUNDS_NOT_REVOKED", reason)
    if certificate_status is not CertificateStatus.VALID:
        reason = "No se pudo comprobar la vigencia del certificado del firmante."
        return Verdict(Indication.INDETERMINATE, "CERTIFICATE_CHAIN_GENERAL_FAILURE", reason)
    reason = (
        "La firma es válida para la versión del documento que se firmó."
        if modified_after
        else "La firma es válida y el documento no cambió."
    )
    return Verdict(Indication.TOTAL_PASSED, None, " ".join([reason, *notes]))


@dataclass(frozen=True)
class SignatureReport:
    """One signature of a PDF, as the verification page shows it."""

    field_name: str
    intact: bool  # the signed bytes are exactly the ones the signer signed
    signature_valid: bool  # the cryptographic signature verifies with the certificate
    signer_name: str | None
    rfc: str | None
    curp: str | None
    title: str | None
    on_behalf_of: str | None
    certificate_number: str | None
    certificate_status: CertificateStatus
    signing_time: datetime | None  # claimed by the signer (/M)
    timestamp_time: datetime | None  # attested by the TSA, when there is a valid timestamp
    pades_level: PadesLevel
    covers_whole_document: bool
    modified_after: bool  # something other than later signatures / validation data changed after it
    changes_after: str
    summary: str
    verdict: Verdict | None = None  # EU DSS's terms (`dss_verdict`)

    @property
    def valid(self) -> bool:
        return (
            self.intact
            and self.signature_valid
            and self.certificate_status is CertificateStatus.VALID
            and not self.modified_after
        )


@dataclass(frozen=True)
class VerificationReport:
    """Every signature of a PDF, in signing order, and the verdict a person reads first."""

    sha256: str
    signatures: list[SignatureReport]
    valid: bool
    summary: str


# --- what signing's use cases answer (api.py presents them as JSON) ---------------------------------

Level = Literal["B-B", "B-T", "B-LT", "B-LTA"]


@dataclass(frozen=True)
class SignedPdf:
    """A PDF the caller sent, signed (no oficio involved: nothing is stored or recorded)."""

    pdf: bytes
    signer: CertificateInfo
    level: Level


@dataclass(frozen=True)
class SignedPdfs:
    """Several PDFs the caller sent, signed with one unlock of the credential."""

    pdfs: list[bytes]
    signer: CertificateInfo


@dataclass(frozen=True)
class SignatureRecorded:
    """One signature of an oficio: the signed PDF stored, the signature and its events recorded."""

    oficio_id: str
    orden: int
    document: dict[str, Any]  # the stored object (bucket, clave, sha256, tamano)
    pending: int  # signatures still missing after this one
    signer: CertificateInfo
    level: Level

    @property
    def complete(self) -> bool:
        return self.pending == 0


@dataclass(frozen=True)
class BatchItem:
    """One oficio of a batch: its signature, or why it was not signed."""

    oficio_id: str
    recorded: SignatureRecorded | None = None
    error: SignumError | None = None


@dataclass(frozen=True)
class PreparedForBrowser:
    """The browser path's step 1: what the browser's key must sign, until when."""

    id: str
    to_be_signed: bytes
    digest: bytes
    expires: datetime
    signer: CertificateInfo


@dataclass(frozen=True)
class DocumentToSign:
    """The oficio's PDF as it is now (with the signatures so far)."""

    pdf: bytes
    sha256: str
    folio: str | None


@dataclass(frozen=True)
class AwaitingSignature:
    """An oficio of the caller's "Por firmar" list: the next signature is theirs."""

    oficio_id: str
    folio: str | None
    asunto: str | None
    unidad_id: str | None
    orden: int
    cargo: str
    on_behalf_of: str | None
    signatures_made: int
    signatures_required: int
    previous_signers: list[str]
    finalized_at: datetime | None
    sha256: str


@dataclass(frozen=True)
class VerifiedDocument:
    """A signed oficio's latest PDF (or a sealed acuse), verified now, for the verification page."""

    kind: Literal["oficio", "acuse"]
    oficio_id: str
    code: str
    folio: str | None
    state: str | None
    signatures_required: int
    signatures_made: int
    document: dict[str, Any]
    report: VerificationReport
    entrega_id: str | None = None


@dataclass(frozen=True)
class AcuseReceipt:
    """What routing knows about a delivery when its recipient receives it (the acuse's content)."""

    oficio_id: str
    entrega_id: str
    folio: str
    asunto: str
    funcionario_id: str
    nombre: str
    cargo: str
    unidad_id: str
    unidad: str
    dependencia: str
    recibido_en: datetime


@dataclass(frozen=True)
class SealedAcuse:
    """The acuse of one delivery: where its sealed PDF is kept and the page that verifies it."""

    clave: str
    sha256: str
    url: str


# --- long-term archive (PAdES B-LTA) and its renewal -------------------------------------------------

# When an algorithm stops protecting a signature, as EU DSS 6.3's default policy dates it
# (`AlgoExpirationDate`, after ETSI TS 119 312 v1.5.1): a timestamp made with it proves nothing after
# that day. Digests without a date are not expected to weaken.
DIGEST_WEAKENS: dict[str, date] = {
    "md5": date(2004, 8, 1),
    "sha1": date(2012, 8, 1),
    "sha224": date(2029, 1, 1),
    "ripemd160": date(2014, 8, 1),
    "whirlpool": date(2020, 12, 1),
}
# Key algorithm -> (smallest key size in bits, the day keys from that size weaken; None: not dated).
# A key takes the entry of the largest size not above its own; smaller than every entry: the first.
KEY_WEAKENS: dict[str, tuple[tuple[int, date | None], ...]] = {
    "rsa": (
        (786, date(2010, 8, 1)),
        (1024, date(2019, 10, 1)),
        (1536, date(2019, 10, 1)),
        (1900, date(2029, 1, 1)),
        (3000, date(2029, 1, 1)),
    ),
    "rsassa_pss": (
        (786, date(2010, 8, 1)),
        (1024, date(2019, 10, 1)),
        (1536, date(2019, 10, 1)),
        (1900, date(2029, 1, 1)),
        (3000, None),
    ),
    "ec": ((160, date(2012, 8, 1)), (163, date(2012, 8, 1)), (224, date(2021, 10, 1)), (256, None)),
    "dsa": ((1024, date(2015, 12, 1)), (1900, date(2029, 1, 1)), (3000, None)),
}


def _day(value: date) -> datetime:
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def algorithm_weakens(digest: str, key_algorithm: str, key_bits: int) -> datetime | None:
    """The first day a timestamp signed with these algorithms stops counting (None: not dated)."""
    days = [DIGEST_WEAKENS.get(digest.lower())]
    sizes = KEY_WEAKENS.get(key_algorithm.lower())
    if sizes is not None:
        fitting = [when for bits, when in sizes if bits <= key_bits] or [sizes[0][1]]
        days.append(fitting[-1])
    known = [_day(d) for d in days if d is not None]
    return min(known) if known else None


ProtectionLimit = Literal["certificado", "algoritmo"]
RenewalReason = Literal["sin_sello_de_archivo", "certificado_por_vencer", "algoritmo_por_debilitarse"]


@dataclass(frozen=True)
class TimestampProtection:
    """How long the last timestamp over a signed PDF keeps proving it: the document timestamp
    (B-LTA), or, before the first, the signatures' own timestamps (the one that ends first)."""

    archived: bool  # the PDF carries a document timestamp
    timestamps: int  # document timestamps in the PDF
    until: datetime | None  # None: no timestamp at all
    limit: ProtectionLimit | None  # what ends it: the TSA's certificate or its algorithms
    tsa: str | None = None  # the TSA certificate's subject, as people read it
    certificate_expires: datetime | None = None
    algorithm: str | None = None  # e.g. "sha256 con rsa de 2048 bits"

    def due(self, now: datetime, horizon: timedelta) -> RenewalReason | None:
        """Why the archive needs a new document timestamp now, or None while it does not."""
        if not self.archived:
            return "sin_sello_de_archivo"
        if self.until is not None and self.until <= now + horizon:
            return "algoritmo_por_debilitarse" if self.limit == "algoritmo" else "certificado_por_vencer"
        return None

    def extends(self, before: TimestampProtection) -> bool:
        """A renewal that does not reach past the last timestamp's end protects nothing more."""
        if not before.archived:
            return self.archived
        if before.until is None:
            return self.until is not None
        return self.until is None or self.until > before.until


RenewalOutcome = Literal["renovado", "fuera_de_horizonte", "sin_extension", "fallido"]


@dataclass(frozen=True)
class RenewalItem:
    """What the renewal job did with one stored signed document, and why."""

    document_id: str  # the verification id: the oficio's id or `acuse-<entrega_id>`
    kind: Literal["oficio", "acuse"]
    outcome: RenewalOutcome
    reason: RenewalReason | None = None
    protected_until: datetime | None = None  # after the job (the renewed PDF's, when renewed)
    previous_sha256: str | None = None
    sha256: str | None = None  # the renewed PDF's
    code: str | None = None  # a failure's stable code
    message: str | None = None  # a failure's Spanish message


@dataclass
class RenewalRun:
    """One pass of the renewal job: the report operators read (`GET /internal/archivo/renovaciones`)."""

    id: str
    started_at: datetime
    horizon_days: int
    finished_at: datetime | None = None
    items: list[RenewalItem] = field(default_factory=list)

    def count(self, outcome: RenewalOutcome) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)
