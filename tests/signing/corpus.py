"""A corpus of signed PDFs, good and bad, on which Signum's verifier and EU DSS must agree.

Every case is a real PDF signed here with real keys: Signum's own PAdES code lays out and signs
(`pades.sign_pdf` with an unlocked key), timestamps come from an RFC 3161 authority at a chosen time,
and the validation data (certificates, CRLs signed by the CAs' keys) goes into a DSS revision as
Signum's B-LT does. The times are chosen so that each case says what its name says: the signer
revoked before or after the timestamp, a certificate expired or not yet valid when it was stamped.

A case carries what its verifier is configured with (trusted roots, configured intermediates) and
what DSS answers for each signature (indication, subindication, level), so the corpus cannot drift
into cases that say nothing. `tests/signing/test_dss_corpus.py` and `bench/verify.py` use it.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signum.signing import credentials, pades
from signum.signing.cms import CmsTemplate
from signum.signing.credentials import TrustPolicy
from signum.signing.domain import CertificateInfo
from signum.signing.pades import SignatureRequest, Timestamper
from signum.testing import dss
from signum.testing.pki import (
    PASSWORD,
    Issued,
    SigningPki,
    _issue,
    _issue_ca,
    _issue_fiel,
    ca_subject,
    fiel_subject,
    sat_serial,
)
from tests.signing.documents import TWO_SIGNERS, oficio_pdf

DER = serialization.Encoding.DER
# (indication, subindication, level) of one signature, as DSS's simple report gives them.
Expected = tuple[str, str | None, str | None]
PASSED_LT: Expected = ("TOTAL_PASSED", None, "B-LT")


@dataclass(frozen=True)
class Case:
    """One PDF, the verifier's configuration, and DSS's verdict on each of its signatures."""

    name: str
    pdf: bytes
    expected: tuple[Expected, ...]
    roots: tuple[bytes, ...]  # DER trust roots
    intermediates: tuple[bytes, ...] = ()  # DER, configured (SIGNUM_SIGNING_TRUST_INTERMEDIATES)

    def trust(self) -> TrustPolicy:
        """What Signum's verifier is configured with: nothing fetched, only this case's certificates."""
        return TrustPolicy.from_bytes(self.roots, self.intermediates, fetch_revocation=False)


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(DER))


def _der(issued: Issued) -> bytes:
    return issued.cert.public_bytes(DER)


class FixedTimestamper(Timestamper):
    """An RFC 3161 authority, asked in-process, that stamps the time it is told to."""

    def __init__(self, tsa: Issued, chain: Sequence[Issued], at: datetime) -> None:
        super().__init__("http://tsa.invalid/")
        store = SimpleCertificateStore()  # type: ignore[no-untyped-call]
        store.register_multiple([_asn1(c.cert) for c in chain])
        key = keys.PrivateKeyInfo.load(
            tsa.key.private_bytes(DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        self._stamper = DummyTimeStamper(_asn1(tsa.cert), key, certs_to_embed=store, fixed_dt=at)

    async def token(self, signature: bytes) -> bytes:
        token = await self._stamper.async_timestamp(hashlib.sha256(signature).digest(), "sha256")
        return bytes(token.dump())


@dataclass
class _Key:
    """An unlocked key whose certificate is not judged: signing with what a real signer might hold."""

    issued: Issued
    chain: Sequence[Issued] = ()
    corrupt: bool = False  # sign other bytes than the signed attributes: a signature that does not verify
    check: Any = None
    info: CertificateInfo = field(init=False)
    _credential: credentials.Credential = field(init=False)

    def __post_init__(self) -> None:
        self._credential = credentials.unlock(self.issued.cer, self.issued.key_file, self.issued.password)
        self.info = self._credential.info

    @property
    def template(self) -> CmsTemplate:
        return CmsTemplate(self._credential.certificate, [_asn1(c.cert) for c in self.chain])

    def sign(self, data: bytes) -> bytes:
        return self._credential.sign(data + b"!" if self.corrupt else data)


def crl(
    issuer: Issued, *, at: datetime, revoked: dict[int, datetime] | None = None
) -> asn1_crl.CertificateList:
    """`issuer`'s CRL issued at `at`, valid a week, listing `revoked` (serial -> revocation time)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(at)
        .next_update(at + timedelta(days=7))
        .add_extension(x509.CRLNumber(int(at.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    )
    for serial, when in sorted((revoked or {}).items()):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return asn1_crl.CertificateList.load(builder.sign(issuer.key, hashes.SHA256()).public_bytes(DER))


def with_dss(pdf: bytes, certs: Sequence[Issued], crls: Sequence[asn1_crl.CertificateList]) -> bytes:
    """`pdf` with a DSS revision carrying `certs` and `crls` (what B-LT adds)."""
    output = io.BytesIO(pdf)
    DocumentSecurityStore.add_dss(
        output,
        None,
        certs=[_asn1(c.cert) for c in certs],
        crls=list(crls),
        force_write=True,
        strict=False,
    )
    return output.getvalue()


def change_content(pdf: bytes, text: str = "Monto autorizado: $9,999,999.00") -> bytes:
    """`pdf` with an incremental update that replaces the first page's text (what a forger does)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    stream = f"BT /F2 14 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=stream))
    writer.update_container(page)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


@dataclass
class CorpusPki:
    """The test PKI's CAs and TSA, and the certificates only the corpus needs."""

    pki: SigningPki
    now: datetime
    hidden_ca: Issued  # an intermediate the PDFs never carry (as SAT's, to be configured)
    rogue_tsa: Issued
    people: dict[str, Issued]

    @classmethod
    def generate(cls, pki: SigningPki) -> CorpusPki:
        now = datetime.now(UTC).replace(microsecond=0)
        base = pki.base_url
        hidden_ca = _issue_ca(
            ca_subject("AC intermedia de pruebas Signum"), pki.root, now, path_length=0,
            crl_url=f"{base}/crl/root.crl",
        )  # fmt: skip
        rogue_tsa = _issue(
            pki.rogue_root,
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TSA no reconocida")]),
            now,
            serial=sat_serial("30001000000900000001"),
            key_usage=("digital_signature", "content_commitment"),
            eku=[ExtendedKeyUsageOID.TIME_STAMPING],
            eku_critical=True,
        )
        urls = {"crl_url": f"{base}/crl/ac.crl"}
        people = {
            "revoked": _issue_fiel(pki.ca, now, "RAUL REVOCADO ANTES", "RERA800101AA1", "RERA800101HNLVVL01",
                                   "30001000000900000002", **urls),
            "revoked_later": _issue_fiel(pki.ca, now, "LAURA REVOCADA DESPUES", "REDL800101AA2",
                                         "REDL800101MNLVSR02", "30001000000900000003", **urls),
            "expired": _issue_fiel(pki.ca, now, "ELENA VENCIDA ANTES", "VEAE800101AA3", "VEAE800101MNLNNL03",
                                   "30001000000900000004", not_before=now - timedelta(days=4 * 365),
                                   not_after=now - timedelta(days=1), **urls),
            "not_yet": _issue_fiel(pki.ca, now, "NOE TODAVIA NO", "TONN800101AA4", "TONN800101HNLDXX04",
                                   "30001000000900000005", not_before=now + timedelta(days=1), **urls),
            "hidden": _issue_fiel(hidden_ca, now, "SARA CADENA OCULTA", "COSA800101AA5", "COSA800101MNLDCR05",
                                  "30001000000900000007", crl_url=f"{base}/crl/hidden.crl"),
            "no_signing": _issue(
                pki.ca,
                fiel_subject(
                    "CIFRADO SIN FIRMA", "CISF800101AA6", "CISF800101HNLFRR06", "cisf@pruebas.signum.mx"
                ),
                now,
                serial=sat_serial("30001000000900000006"),
                key_usage=("key_encipherment", "data_encipherment"),
                eku=[ExtendedKeyUsageOID.EMAIL_PROTECTION],
                **urls,
            ),
        }  # fmt: skip
        return cls(pki=pki, now=now, hidden_ca=hidden_ca, rogue_tsa=rogue_tsa, people=people)

    def timestamper(self, at: datetime, *, rogue: bool = False) -> FixedTimestamper:
        if rogue:
            return FixedTimestamper(self.rogue_tsa, [self.pki.rogue_root], at)
        return FixedTimestamper(self.pki.tsa, [self.pki.ca, self.pki.root], at)


def _password(issued: Issued) -> Issued:
    assert issued.password == PASSWORD
    return issued


async def build(pki: SigningPki) -> list[Case]:
    """The corpus (19 cases). Takes a few seconds: a handful of RSA keys and signatures."""
    c = CorpusPki.generate(pki)
    now, root, ca, people = c.now, pki.root, pki.ca, c.people
    roots = (_der(root),)
    doc = oficio_pdf(fields=TWO_SIGNERS)
    first, second = SignatureRequest("firma-1"), SignatureRequest("firma-2")
    stamped = now - timedelta(minutes=10)
    fresh = now - timedelta(minutes=5)

    def good_crls(*, at: datetime = fresh, revoked: dict[int, datetime] | None = None) -> list[Any]:
        return [crl(ca, at=at, revoked=revoked), crl(root, at=at)]

    async def sign(
        pdf: bytes,
        key: _Key,
        request: SignatureRequest = first,
        *,
        at: datetime | None = stamped,
        rogue_tsa: bool = False,
    ) -> bytes:
        timestamper = c.timestamper(at, rogue=rogue_tsa) if at is not None else None
        return await pades.sign_pdf(pdf, key, request, timestamper=timestamper, now=at or now)

    def key(who: Issued, *chain: Issued, corrupt: bool = False) -> _Key:
        return _Key(_password(who), chain or (ca,), corrupt=corrupt)

    juana, mario = key(pki.fiel), key(pki.fiel_second)
    b_lt = with_dss(await sign(doc, juana), [ca], good_crls())
    changed = bytearray(b_lt)
    changed[b_lt.index(b"Por medio del presente") + 3] ^= 0x01

    revoked, revoked_later = people["revoked"], people["revoked_later"]
    revoked_at = now - timedelta(hours=3)
    hidden_crl = crl(c.hidden_ca, at=fresh)
    # The hidden CA's certificate is nowhere in the PDF: the CMS carries only the signer's.
    hidden = with_dss(await sign(doc, _Key(people["hidden"], ())), [], [hidden_crl, *good_crls()])
    changed_after = change_content(b_lt)

    cases = [
        Case("B-LT válida", b_lt, (PASSED_LT,), roots),
        Case(
            "B-T sin datos de revocación",
            await sign(doc, juana),
            (("INDETERMINATE", "CERTIFICATE_CHAIN_GENERAL_FAILURE", "B-T"),),
            roots,
        ),
        Case(
            "B-B sin sello de tiempo",
            with_dss(await sign(doc, juana, at=None), [ca], good_crls()),
            (("TOTAL_PASSED", None, "B-B"),),
            roots,
        ),
        Case("un byte cambiado", bytes(changed), (("TOTAL_FAILED", "HASH_FAILURE", "B-LT"),), roots),
        Case(
            "firmante de una raíz no reconocida",
            await sign(doc, _Key(pki.untrusted, ())),
            (("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND", "B-T"),),
            roots,
        ),
        Case(
            "raíz de confianza equivocada",
            b_lt,
            (("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND", "B-LT"),),
            (_der(pki.rogue_root),),
        ),
        Case(
            "firmante revocado antes del sello de tiempo",
            with_dss(
                await sign(doc, key(revoked), at=now - timedelta(hours=1)),
                [ca],
                good_crls(at=now - timedelta(minutes=30), revoked={revoked.cert.serial_number: revoked_at}),
            ),
            (("INDETERMINATE", "REVOKED_NO_POE", "B-LT"),),
            roots,
        ),
        Case(
            "sello de tiempo anterior a la revocación",
            with_dss(
                await sign(doc, key(revoked_later), at=now - timedelta(hours=6)),
                [ca],
                good_crls(
                    at=now - timedelta(hours=1), revoked={revoked_later.cert.serial_number: revoked_at}
                ),
            ),
            (PASSED_LT,),
            roots,
        ),
        Case(
            "certificado vencido al firmar, revocación posterior al vencimiento",
            with_dss(await sign(doc, key(people["expired"])), [ca], good_crls()),
            (("INDETERMINATE", "CERTIFICATE_CHAIN_GENERAL_FAILURE", "B-LT"),),
            roots,
        ),
        Case(
            "certificado vencido al firmar, revocación de cuando era vigente",
            with_dss(
                await sign(doc, key(people["expired"])),
                [ca],
                [crl(ca, at=now - timedelta(days=1, hours=1)), crl(root, at=fresh)],
            ),
            (("INDETERMINATE", "OUT_OF_BOUNDS_NOT_REVOKED", "B-LT"),),
            roots,
        ),
        Case(
            "certificado aún no vigente",
            with_dss(await sign(doc, key(people["not_yet"])), [ca], good_crls()),
            (("INDETERMINATE", "CERTIFICATE_CHAIN_GENERAL_FAILURE", "B-LT"),),
            roots,
        ),
        Case(
            "certificado sin uso de firma",
            with_dss(await sign(doc, key(people["no_signing"])), [ca], good_crls()),
            (PASSED_LT,),
            roots,
        ),
        Case(
            "falta el certificado intermedio",
            hidden,
            (("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND", "B-T"),),
            roots,
        ),
        Case("intermedio configurado", hidden, (PASSED_LT,), roots, (_der(c.hidden_ca),)),
        Case(
            "sello de tiempo de una TSA no reconocida",
            with_dss(await sign(doc, juana, rogue_tsa=True), [ca], good_crls()),
            (("TOTAL_PASSED", None, "B-T"),),
            roots,
        ),
        Case("contenido modificado después de firmar", changed_after, (PASSED_LT,), roots),
        Case(
            "firma agregada después de un cambio",
            # Revocation data issued after the first signer's: the DSS dictionary is written again
            # after the second signature, which EU DSS needs to grant it B-LT (see the next case).
            with_dss(
                await sign(changed_after, mario, second), [ca], good_crls(at=fresh + timedelta(minutes=1))
            ),
            (PASSED_LT, PASSED_LT),
            roots,
        ),
        Case(
            "segunda firma sin DSS posterior",
            await sign(b_lt, mario, second),
            (PASSED_LT, ("TOTAL_PASSED", None, "B-T")),
            roots,
        ),
        Case(
            "dos firmas, la segunda dañada",
            with_dss(await sign(b_lt, key(pki.fiel_second, corrupt=True), second), [ca], good_crls()),
            (PASSED_LT, ("TOTAL_FAILED", "SIG_CRYPTO_FAILURE", "B-T")),
            roots,
        ),
    ]
    return cases


def dss_jobs(cases: Sequence[Case], folder: Path) -> list[dss.Job]:
    """Each case's PDF and certificates in files, as DssReport takes them."""
    jobs = []
    for number, case in enumerate(cases):
        here = folder / f"caso-{number:02d}"
        here.mkdir(parents=True)
        (here / "documento.pdf").write_bytes(case.pdf)
        files = {"raiz": case.roots, "intermedio": case.intermediates}
        written: dict[str, list[Path]] = {"raiz": [], "intermedio": []}
        for kind, certs in files.items():
            for index, der in enumerate(certs):
                path = here / f"{kind}-{index}.der"
                path.write_bytes(der)
                written[kind].append(path)
        jobs.append(dss.Job(here / "documento.pdf", written["raiz"], written["intermedio"]))
    return jobs
