"""PAdES signing: independent validation, tamper detection, the three key locations, several signers."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization

from signum.signing import credentials, errors, pades, tsa, verification
from signum.signing.credentials import Credential, TrustPolicy
from signum.signing.domain import CertificateStatus, PadesLevel
from signum.signing.pades import SignatureRequest, Timestamper
from tests.signing.conftest import pdfsig, require_tool
from tests.signing.documents import TWO_SIGNERS, oficio_pdf
from tests.signing.pki import SigningPki

QR_URL = pades.verification_url("https://signum.monterrey.gob.mx/", "0193a7c2-oficio")


def _byte_range(pdf: bytes) -> list[int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert match is not None
    return [int(g) for g in match.groups()]


def _text(pdf: bytes, tmp_path: Path) -> str:
    tool = require_tool("pdftotext")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=True).stdout


async def test_a_signed_oficio_is_valid_for_pdfsig_and_for_signum(
    fiel: Credential,
    timestamper: Timestamper,
    trust: TrustPolicy,
    offline_trust: TrustPolicy,
    nss_db: Path,
    tmp_path: Path,
) -> None:
    request = SignatureRequest("firma-1", title="Directora de Innovación", qr_url=QR_URL)

    signed = await pades.sign_pdf(
        oficio_pdf(fields=TWO_SIGNERS), fiel, request, timestamper=timestamper, long_term=trust
    )

    verdict = pdfsig(nss_db, signed, tmp_path)
    assert "Signature is Valid." in verdict, verdict
    assert "Certificate is Trusted." in verdict, verdict
    assert "ETSI.CAdES.detached" in verdict
    report = await verification.verify_pdf(signed, offline_trust)
    assert report.valid, report
    (signature,) = report.signatures
    assert signature.signer_name == "JUANA PEREZ GARZA"
    assert (signature.rfc, signature.curp) == ("PEGJ800101AB1", "PEGJ800101MNLRRN09")
    assert signature.title == "Directora de Innovación"
    assert signature.certificate_number == "30001000000500000001"
    assert signature.certificate_status is CertificateStatus.VALID
    assert signature.pades_level is PadesLevel.B_LT
    assert signature.timestamp_time is not None
    assert abs(signature.timestamp_time - datetime.now(UTC)) < timedelta(minutes=2)
    assert not signature.modified_after
    assert signature.summary.startswith("Firma válida de JUANA PEREZ GARZA")
    text = _text(signed, tmp_path)
    assert "Firmado electrónicamente por:\nJUANA PEREZ GARZA" in text
    assert "Cargo: Directora de Innovación" in text
    assert "No. de certificado: 30001000000500000001" in text
    assert "RFC: PEGJ800101AB1" in text


async def test_any_changed_byte_in_the_signed_range_fails_verification(
    fiel: Credential, offline_trust: TrustPolicy
) -> None:
    signed = pades.sign_pdf_sync(
        oficio_pdf(fields=TWO_SIGNERS), fiel, SignatureRequest("firma-1", qr_url=QR_URL)
    )
    start1, len1, start2, len2 = _byte_range(signed)
    assert start1 == 0
    assert start2 + len2 == len(signed)
    assert (await verification.verify_pdf(signed, offline_trust)).valid
    body = signed.index(b"Por medio del presente")
    signing_time = signed.index(b"/M (D", start2) + 9  # the claimed signing time, in the signature dictionary
    byte_range = signed.rindex(b"/ByteRange") + 16  # a digit of the byte range itself
    offsets = [9, body + 3, len1 // 2, signing_time, len1 - 5, start2 + 10, byte_range, len(signed) - 8]

    for offset in offsets:
        assert offset < len1 or offset >= start2
        tampered = bytearray(signed)
        tampered[offset] ^= 0x01
        try:
            report = await verification.verify_pdf(bytes(tampered), offline_trust)
        except (errors.PdfInvalidError, errors.PdfUnsignedError):
            continue
        assert not report.valid, f"byte {offset} changed and the document still verified"
        assert not report.signatures[0].valid


def _sign_like_a_browser(digest: bytes, key_pem: bytes, tmp_path: Path) -> bytes:
    """Another process, the only one that ever reads the key, signs the digest (PKCS#1 v1.5)."""
    openssl = require_tool("openssl")
    key_path = tmp_path / "llave.pem"
    key_path.write_bytes(key_pem)
    digest_path = tmp_path / "digest.bin"
    digest_path.write_bytes(digest)
    try:
        command = [openssl, "pkeyutl", "-sign", "-inkey", str(key_path), "-pkeyopt", "digest:sha256"]
        return subprocess.run([*command, "-in", str(digest_path)], capture_output=True, check=True).stdout
    finally:
        key_path.unlink()


async def test_browser_path_signs_the_digest_outside_the_server(
    pki: SigningPki,
    trust: TrustPolicy,
    offline_trust: TrustPolicy,
    timestamper: Timestamper,
    nss_db: Path,
    tmp_path: Path,
) -> None:
    # Server side knows the certificate only.
    check = await credentials.check_certificate(asn1_x509.Certificate.load(pki.fiel.cer), trust)
    prepared = pades.prepare_signature(
        oficio_pdf(fields=TWO_SIGNERS),
        check.path.leaf,
        SignatureRequest("firma-1", title="Directora", qr_url=QR_URL),
        chain=check.chain,
    )
    signature = _sign_like_a_browser(prepared.digest, pki.fiel.key_pem_unencrypted, tmp_path)

    with pytest.raises(errors.SignatureValueError):
        await pades.complete_signature(prepared, bytes(len(signature)))
    signed = await pades.complete_signature(
        prepared, signature, timestamper=timestamper, long_term=trust, check=check
    )

    report = await verification.verify_pdf(signed, offline_trust)
    assert report.valid, report
    assert report.signatures[0].rfc == "PEGJ800101AB1"
    assert report.signatures[0].pades_level is PadesLevel.B_LT
    assert "Signature is Valid." in pdfsig(nss_db, signed, tmp_path)


async def test_two_signers_in_order_and_a_suplencia(
    fiel: Credential,
    fiel_second: Credential,
    timestamper: Timestamper,
    trust: TrustPolicy,
    offline_trust: TrustPolicy,
    nss_db: Path,
    tmp_path: Path,
) -> None:
    first = await pades.sign_pdf(
        oficio_pdf(fields=TWO_SIGNERS),
        fiel,
        SignatureRequest("firma-1", title="Directora", qr_url=QR_URL),
        timestamper=timestamper,
    )
    both = await pades.sign_pdf(
        first,
        fiel_second,
        SignatureRequest(
            "firma-2", title="Secretario Técnico", on_behalf_of="Lic. Ana Ruiz Garza, Secretaria"
        ),
        timestamper=timestamper,
        long_term=trust,
    )

    assert both.startswith(first)  # incremental update: the first signer's bytes are untouched
    report = await verification.verify_pdf(both, offline_trust)
    assert report.valid, report
    one, two = report.signatures
    assert (one.field_name, two.field_name) == ("firma-1", "firma-2")
    assert one.pades_level is PadesLevel.B_T
    assert two.pades_level is PadesLevel.B_LT
    assert not one.covers_whole_document
    assert not one.modified_after
    assert (
        one.changes_after == "Después de esta firma solo se agregaron otras firmas; el contenido no cambió."
    )
    assert two.on_behalf_of == "Lic. Ana Ruiz Garza, Secretaria"
    assert two.title == "Secretario Técnico"
    text = _text(both, tmp_path)
    assert "Por ausencia de Lic. Ana Ruiz Garza, Secretaria" in text
    assert "MARIO LOPEZ TREVINO" in text
    assert pdfsig(nss_db, both, tmp_path).count("Signature is Valid.") == 2
    with pytest.raises(errors.SignatureFieldError):
        pades.sign_pdf_sync(both, fiel, SignatureRequest("firma-1"))


async def test_a_field_is_created_at_a_box_when_the_pdf_has_none(
    fiel: Credential, offline_trust: TrustPolicy, tmp_path: Path
) -> None:
    signed = pades.sign_pdf_sync(
        oficio_pdf(),
        fiel,
        SignatureRequest("firma-1", title="Directora", qr_url=QR_URL, box=(72, 60, 330, 150)),
    )

    report = await verification.verify_pdf(signed, offline_trust)
    assert report.valid
    assert report.signatures[0].field_name == "firma-1"
    assert report.signatures[0].pades_level is PadesLevel.B_B
    assert "RFC: PEGJ800101AB1" in _text(signed, tmp_path)


async def test_batch_signing_uses_one_unlock(
    pki: SigningPki, trust: TrustPolicy, offline_trust: TrustPolicy
) -> None:
    credential = await credentials.load_credential(
        pki.fiel.cer, pki.fiel.key_file, pki.fiel.password, trust=trust
    )
    documents = [oficio_pdf(folio=f"SIGA/DGTI/{n:04d}/2026", fields=TWO_SIGNERS) for n in range(5)]

    signed = await pades.sign_batch(documents, credential, SignatureRequest("firma-1", qr_url=QR_URL))
    credential.close()

    assert len(signed) == 5
    for document in signed:
        assert (await verification.verify_pdf(document, offline_trust)).valid


async def test_signatures_of_refused_certificates_are_reported_as_such(
    pki: SigningPki, offline_trust: TrustPolicy
) -> None:
    # Signed anyway (as an outside tool could), then verified with online revocation checks.
    revoked = credentials.unlock(pki.revoked.cer, pki.revoked.key_file, pki.revoked.password)
    untrusted = credentials.unlock(pki.untrusted.cer, pki.untrusted.key_file, pki.untrusted.password)
    online = TrustPolicy(
        roots=offline_trust.roots, intermediates=(asn1_x509.Certificate.load(pki.intermediates_der[0]),)
    )

    revoked_report = await verification.verify_pdf(
        pades.sign_pdf_sync(oficio_pdf(), revoked), online, fetch_revocation=True
    )
    untrusted_report = await verification.verify_pdf(
        pades.sign_pdf_sync(oficio_pdf(), untrusted), offline_trust
    )

    assert revoked_report.signatures[0].certificate_status is CertificateStatus.REVOKED
    assert not revoked_report.valid
    assert untrusted_report.signatures[0].certificate_status is CertificateStatus.UNTRUSTED
    assert untrusted_report.signatures[0].intact
    assert untrusted_report.summary.startswith("ATENCIÓN")


async def test_broken_and_unsigned_pdfs_are_refused(offline_trust: TrustPolicy) -> None:
    with pytest.raises(errors.PdfInvalidError) as broken:
        await verification.verify_pdf(b"%PDF-1.7 esto no es un PDF", offline_trust)
    assert broken.value.code == "pdf_invalid"
    with pytest.raises(errors.PdfUnsignedError) as unsigned:
        await verification.verify_pdf(oficio_pdf(), offline_trust)
    assert unsigned.value.code == "pdf_unsigned"


def test_the_tsa_rejects_a_malformed_request(pki: SigningPki) -> None:
    from asn1crypto import parser, tsp

    answer = pki.timestamp_authority().respond(b"basura")

    status = tsp.PKIStatusInfo.load(parser.parse(answer)[4])  # TimeStampResp without a token
    assert status["status"].native == "rejection"


def test_documenso_style_pkcs12_is_readable(pki: SigningPki) -> None:
    blob = pki.fiel.pkcs12_3des([pki.ca.cert], "secreto")
    _key, cert, _ = serialization.pkcs12.load_key_and_certificates(blob, b"secreto")
    assert cert is not None
    assert cert.serial_number == pki.fiel.cert.serial_number


def test_the_qr_code_opens_the_verification_page(fiel: Credential, tmp_path: Path) -> None:
    pdftoppm, zbarimg = require_tool("pdftoppm"), require_tool("zbarimg")
    signed = pades.sign_pdf_sync(
        oficio_pdf(fields=TWO_SIGNERS), fiel, SignatureRequest("firma-1", title="Directora", qr_url=QR_URL)
    )
    (tmp_path / "doc.pdf").write_bytes(signed)
    subprocess.run(
        [pdftoppm, "-r", "200", "-png", str(tmp_path / "doc.pdf"), str(tmp_path / "page")], check=True
    )

    decoded = subprocess.run(
        [zbarimg, "-q", "--raw", str(tmp_path / "page-1.png")], capture_output=True, text=True, check=False
    ).stdout.split()

    assert decoded == ["https://signum.monterrey.gob.mx/verificar/0193a7c2-oficio"]


async def test_the_development_tsa_stamps_signatures(fiel: Credential, tmp_path: Path) -> None:
    from asn1crypto import tsp
    from pyhanko.sign.timestamps import TimeStamper

    authority, root_pem = tsa.development_authority(tmp_path / "tsa")
    again, _ = tsa.development_authority(tmp_path / "tsa")  # reused, not regenerated
    assert again.certificate.dump() == authority.certificate.dump()
    assert oct((tmp_path / "tsa" / "tsa.key").stat().st_mode & 0o777) == "0o600"
    _nonce, request = TimeStamper().request_cms(b"\x01" * 32, "sha256")

    answer = tsp.TimeStampResp.load(authority.respond(request.dump()))

    assert answer["status"]["status"].native == "granted"
    token = answer["time_stamp_token"]["content"]
    assert (
        token["encap_content_info"]["content"].parsed["message_imprint"]["hashed_message"].native
        == b"\x01" * 32
    )
    trust = TrustPolicy.from_bytes([root_pem], fetch_revocation=False)
    assert trust.roots[0].subject.human_friendly.startswith("Common Name: TSA de desarrollo Signum")


async def test_an_unreachable_tsa_is_a_retryable_error(fiel: Credential) -> None:
    from signum.testing.processes import free_port

    unreachable = Timestamper(f"http://127.0.0.1:{free_port()}/tsa", timeout=2)

    with pytest.raises(errors.TimestampUnavailableError) as refused:
        await pades.sign_pdf(oficio_pdf(), fiel, timestamper=unreachable)

    assert refused.value.retryable
    assert refused.value.status_code == 503


async def test_a_timestamp_keeps_a_signature_valid_after_the_certificate_expires(
    pki: SigningPki, trust: TrustPolicy, offline_trust: TrustPolicy, timestamper: Timestamper
) -> None:
    import asyncio

    from tests.signing.pki import Issued, _issue_fiel

    now = datetime.now(UTC).replace(microsecond=0)
    expires = now + timedelta(seconds=3)
    short: Issued = _issue_fiel(
        pki.ca,
        now,
        "LUIS BREVE CANTU",
        "BECL800101KL6",
        "BECL800101HNLRNS07",
        "30001000000500000011",
        not_after=expires,
        ocsp_url=pki.ocsp_url,
        crl_url=f"{pki.base_url}/crl/ac.crl",
    )
    pki.extra_certs[short.cert.serial_number] = short.cert
    credential = await credentials.load_credential(short.cer, short.key_file, short.password, trust=trust)
    signed = await pades.sign_pdf(oficio_pdf(), credential, timestamper=timestamper, long_term=trust)
    unstamped = pades.sign_pdf_sync(oficio_pdf(), credential)
    credential.close()

    await asyncio.sleep(max((expires - datetime.now(UTC)).total_seconds() + 1.5, 0))

    stamped_report = await verification.verify_pdf(signed, offline_trust)
    assert stamped_report.signatures[0].certificate_status is CertificateStatus.VALID
    assert stamped_report.valid
    unstamped_report = await verification.verify_pdf(unstamped, offline_trust)
    assert unstamped_report.signatures[0].certificate_status is CertificateStatus.EXPIRED
    assert not unstamped_report.valid
