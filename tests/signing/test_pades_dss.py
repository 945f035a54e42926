"""EU DSS 6.3 (the reference PAdES validator, offline, the test root trusted) judges Signum's PDFs."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509

from signum.signing import credentials, errors, pades, verification
from signum.signing.credentials import Credential, TrustPolicy
from signum.signing.domain import PadesLevel
from signum.signing.pades import SignatureRequest, Timestamper
from signum.testing import dss
from tests.signing.documents import TWO_SIGNERS, oficio_pdf
from tests.signing.pki import SigningPki, _issue_fiel
from tests.signing.test_pades import _sign_like_a_browser


def _only(report: dss.Report) -> dss.SignatureVerdict:
    (signature,) = report.signatures
    return signature


async def test_a_credential_signature_is_total_passed_at_b_lt_for_dss(
    fiel: Credential, timestamper: Timestamper, trust: TrustPolicy, pki: SigningPki, tmp_path: Path
) -> None:
    signed = await pades.sign_pdf(
        oficio_pdf(fields=TWO_SIGNERS),
        fiel,
        SignatureRequest("firma-1"),
        timestamper=timestamper,
        long_term=trust,
    )

    signature = _only(dss.validate_pdf(signed, pki.roots_der, tmp_path))
    assert signature.indication == dss.PASSED, signature.explain()
    assert signature.level == "B-LT", signature.explain()
    assert signature.signed_by == "JUANA PEREZ GARZA"
    (timestamp,) = signature.timestamps
    assert timestamp.passed, signature.explain()
    assert timestamp.produced_by == "TSA de pruebas Signum"


async def test_a_browser_signature_is_total_passed_at_b_lt_for_dss(
    pki: SigningPki, trust: TrustPolicy, timestamper: Timestamper, tmp_path: Path
) -> None:
    check = await credentials.check_certificate(asn1_x509.Certificate.load(pki.fiel.cer), trust)
    prepared = pades.prepare_signature(
        oficio_pdf(fields=TWO_SIGNERS), check.path.leaf, SignatureRequest("firma-1"), chain=check.chain
    )
    signature_value = _sign_like_a_browser(prepared.digest, pki.fiel.key_pem_unencrypted, tmp_path)
    signed = await pades.complete_signature(
        prepared, signature_value, timestamper=timestamper, long_term=trust, check=check
    )

    signature = _only(dss.validate_pdf(signed, pki.roots_der, tmp_path / "dss"))
    assert (signature.indication, signature.level) == (dss.PASSED, "B-LT"), signature.explain()


async def test_dss_fails_a_changed_byte_and_an_untrusted_root(
    fiel: Credential, timestamper: Timestamper, trust: TrustPolicy, pki: SigningPki, tmp_path: Path
) -> None:
    signed = await pades.sign_pdf(
        oficio_pdf(fields=TWO_SIGNERS),
        fiel,
        SignatureRequest("firma-1"),
        timestamper=timestamper,
        long_term=trust,
    )
    tampered = bytearray(signed)
    body = signed.index(b"Por medio del presente")
    tampered[body + 3] ^= 0x01

    changed = _only(dss.validate_pdf(bytes(tampered), pki.roots_der, tmp_path / "changed"))
    assert (changed.indication, changed.subindication) == ("TOTAL_FAILED", "HASH_FAILURE"), changed.explain()
    stranger = pki.rogue_root.cer
    untrusted = _only(dss.validate_pdf(signed, [stranger], tmp_path / "untrusted"))
    assert (untrusted.indication, untrusted.subindication) == (
        "INDETERMINATE",
        "NO_CERTIFICATE_CHAIN_FOUND",
    ), untrusted.explain()


async def test_signum_says_b_lt_only_when_dss_does(
    fiel: Credential,
    timestamper: Timestamper,
    trust: TrustPolicy,
    offline_trust: TrustPolicy,
    pki: SigningPki,
    tmp_path: Path,
) -> None:
    b_t = await pades.sign_pdf(
        oficio_pdf(fields=TWO_SIGNERS), fiel, SignatureRequest("firma-1"), timestamper=timestamper
    )
    assert fiel.check is not None
    # The signer's revocation data without the timestamp's: DSS cannot extend the TSA's chain.
    signer_only = await pades.add_validation_data(b_t, fiel.check, trust)
    token = _token(b_t)
    both = await pades.add_validation_data(b_t, fiel.check, trust, timestamp_token=token)

    for number, pdf in enumerate([b_t, signer_only, both]):
        theirs = _only(dss.validate_pdf(pdf, pki.roots_der, tmp_path / str(number)))
        (ours,) = (await verification.verify_pdf(pdf, offline_trust)).signatures
        assert ours.pades_level.value == theirs.level, (number, ours.pades_level, theirs.explain())
    assert ours.pades_level is PadesLevel.B_LT
    assert theirs.indication == dss.PASSED, theirs.explain()


def _token(pdf: bytes) -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader

    (sig,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    for attr in sig.signer_info["unsigned_attrs"]:
        if attr["type"].native == "signature_time_stamp_token":
            return bytes(attr["values"][0].dump())
    raise AssertionError("no timestamp token")


async def test_a_certificate_naming_no_responder_reaches_b_lt_through_the_configured_ocsp(
    pki: SigningPki, timestamper: Timestamper, offline_trust: TrustPolicy, tmp_path: Path
) -> None:
    """SAT's e.firmas name no OCSP responder nor CRL: `SIGNUM_SIGNING_OCSP_URL` is asked instead."""
    now = datetime.now(UTC).replace(microsecond=0)
    issued = {
        rfc: _issue_fiel(pki.ca, now, name, rfc, f"{rfc}HNLXXX01", number)  # no AIA, no CRL point
        for name, rfc, number in [
            ("LUIS SIN OCSP GARZA", "SIGL800101AA1", "30001000000700000001"),
            ("ANA REVOCADA SIN OCSP", "RESA800101AA2", "30001000000700000002"),
        ]
    }
    for person in issued.values():
        pki.extra_certs[person.cert.serial_number] = person.cert  # SAT's responder knows its certificates
    pki.revoked_serials.add(issued["RESA800101AA2"].cert.serial_number)
    configured = TrustPolicy.from_bytes(pki.roots_der, pki.intermediates_der, ocsp_url=pki.ocsp_url)
    unconfigured = TrustPolicy.from_bytes(pki.roots_der, pki.intermediates_der)
    luis = issued["SIGL800101AA1"]

    pdfs = {}
    for name, trust in (("configured", configured), ("unconfigured", unconfigured)):
        credential = await credentials.load_credential(luis.cer, luis.key_file, luis.password, trust=trust)
        with credential:
            pdfs[name] = await pades.sign_pdf(
                oficio_pdf(fields=TWO_SIGNERS),
                credential,
                SignatureRequest("firma-1"),
                timestamper=timestamper,
                long_term=trust,
            )
    ana = issued["RESA800101AA2"]
    with pytest.raises(errors.RevokedError):
        await credentials.load_credential(ana.cer, ana.key_file, ana.password, trust=configured)

    expected = {"configured": (dss.PASSED, "B-LT"), "unconfigured": ("INDETERMINATE", "B-T")}
    for name, pdf in pdfs.items():
        theirs = _only(dss.validate_pdf(pdf, pki.roots_der, tmp_path / name))
        assert (theirs.indication, theirs.level) == expected[name], (name, theirs.explain())
        (ours,) = (await verification.verify_pdf(pdf, offline_trust)).signatures
        assert ours.verdict is not None
        assert (ours.verdict.indication.value, ours.pades_level.value) == expected[name], name
