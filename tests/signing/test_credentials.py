"""SAT e.firma loading: what it shows, and every reason it is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization

from signum.signing import credentials, errors, sat
from signum.signing.credentials import TrustPolicy
from signum.signing.domain import CertificateKind
from tests.signing.conftest import SatFiles
from tests.signing.pki import PkiServer, SigningPki


def _subject_shape(cer: bytes) -> list[tuple[str, int]]:
    cert = asn1_x509.Certificate.load(cer)
    return [(a.oid, a.tag) for a in sat.name_attributes(cert["tbs_certificate"]["subject"].dump())]


def test_the_sat_fiel_shows_rfc_curp_and_certificate_number(sat_fiel: SatFiles) -> None:
    info = credentials.parse_certificate(sat_fiel.cer)

    assert info.rfc == "AAA010101AAA"
    assert info.curp == "HEGT761003MDFRNN09"
    assert info.representative_rfc == "HEGT7610034S2"
    assert info.name == "ACCEM SERVICIOS EMPRESARIALES SC"
    assert info.certificate_number == "30001000000300023685"
    assert info.kind is CertificateKind.FIEL
    assert info.not_after == datetime(2021, 5, 15, 23, 29, 17, tzinfo=UTC)
    assert info.issuer == "A.C. 2 de pruebas(4096)"


def test_asn1crypto_reads_sats_printable_unique_identifier(sat_fiel: SatFiles) -> None:
    # Without signum.signing.sat, asn1crypto (and so pyHanko) raises on this subject.
    subject = asn1_x509.Certificate.load(sat_fiel.cer).subject.human_friendly

    assert "AAA010101AAA / HEGT7610034S2" in subject


async def test_the_sat_fiel_unlocks_but_is_refused_as_expired(sat_fiel: SatFiles, trust: TrustPolicy) -> None:
    unlocked = credentials.unlock(sat_fiel.cer, sat_fiel.key, sat_fiel.password)
    assert unlocked.info.rfc == "AAA010101AAA"
    unlocked.close()

    with pytest.raises(errors.ExpiredError) as refused:
        await credentials.load_credential(sat_fiel.cer, sat_fiel.key, sat_fiel.password, trust=trust)

    assert refused.value.code == "credential_expired"
    assert refused.value.status_code == 422
    assert "venció el 15 de mayo de 2021" in refused.value.message
    assert refused.value.details["rfc"] == "AAA010101AAA"
    assert refused.value.details["curp"] == "HEGT761003MDFRNN09"


async def test_the_sat_csd_is_refused_as_not_a_fiel(sat_csd: SatFiles, trust: TrustPolicy) -> None:
    assert credentials.parse_certificate(sat_csd.cer).kind is CertificateKind.CSD

    with pytest.raises(errors.NotFielError) as refused:
        await credentials.load_credential(sat_csd.cer, sat_csd.key, sat_csd.password, trust=trust)

    assert refused.value.code == "credential_not_fiel"
    assert "Certificado de Sello Digital" in refused.value.message


@pytest.mark.parametrize("password", ["12345678A", "", "contraseña"])
async def test_a_wrong_password_has_its_own_message(
    sat_fiel: SatFiles, trust: TrustPolicy, password: str
) -> None:
    with pytest.raises(errors.WrongPasswordError) as refused:
        await credentials.load_credential(sat_fiel.cer, sat_fiel.key, password, trust=trust)

    assert refused.value.code == "credential_wrong_password"
    assert refused.value.message.startswith("La contraseña de la clave privada es incorrecta")
    assert refused.value.message not in {errors.KeyMismatchError.message, errors.KeyUnreadableError.message}


def test_a_key_of_another_certificate_is_refused(sat_fiel: SatFiles, sat_csd: SatFiles) -> None:
    with pytest.raises(errors.KeyMismatchError) as refused:
        credentials.unlock(sat_fiel.cer, sat_csd.key, sat_csd.password)

    assert refused.value.code == "credential_key_mismatch"


def test_files_that_are_not_a_certificate_or_a_key_are_refused(sat_fiel: SatFiles) -> None:
    with pytest.raises(errors.CertificateUnreadableError):
        credentials.unlock(b"no soy un certificado", sat_fiel.key, sat_fiel.password)
    with pytest.raises(errors.KeyUnreadableError) as refused:
        credentials.unlock(sat_fiel.cer, sat_fiel.cer, sat_fiel.password)
    assert refused.value.code == "credential_key_invalid"


def test_test_pki_subjects_copy_sats_encoding(pki: SigningPki, sat_fiel: SatFiles, sat_csd: SatFiles) -> None:
    assert _subject_shape(pki.fiel.cer) == _subject_shape(sat_fiel.cer)
    assert _subject_shape(pki.csd.cer) == _subject_shape(sat_csd.cer)
    assert credentials.parse_certificate(pki.fiel.cer).kind is CertificateKind.FIEL
    assert credentials.parse_certificate(pki.csd.cer).kind is CertificateKind.CSD


async def test_a_valid_fiel_loads_after_an_ocsp_check(
    pki: SigningPki, pki_server: PkiServer, trust: TrustPolicy
) -> None:
    before = pki_server.requests.count("POST /ocsp")

    credential = await credentials.load_credential(
        pki.fiel.cer, pki.fiel.key_file, pki.fiel.password, trust=trust
    )

    assert credential.info.rfc == "PEGJ800101AB1"
    assert credential.info.curp == "PEGJ800101MNLRRN09"
    assert credential.info.certificate_number == "30001000000500000001"
    assert credential.check is not None
    assert credential.check.revocation_checked
    assert [
        c.subject == asn1_x509.Certificate.load(pki.intermediates_der[0]).subject for c in credential.chain
    ] == [True]
    assert pki_server.requests.count("POST /ocsp") > before
    credential.close()
    with pytest.raises(errors.SigningFailedError):
        credential.sign(b"datos")


@pytest.mark.parametrize(
    ("who", "error", "code"),
    [
        ("expired", errors.ExpiredError, "credential_expired"),
        ("revoked", errors.RevokedError, "credential_revoked"),
        ("csd", errors.NotFielError, "credential_not_fiel"),
        ("untrusted", errors.UntrustedIssuerError, "credential_untrusted_issuer"),
    ],
)
async def test_certificates_that_cannot_sign_are_refused(
    pki: SigningPki, trust: TrustPolicy, who: str, error: type[errors.SignumError], code: str
) -> None:
    issued = getattr(pki, who)

    with pytest.raises(error) as refused:
        await credentials.load_credential(issued.cer, issued.key_file, issued.password, trust=trust)

    assert refused.value.code == code
    assert refused.value.status_code == 422
    assert refused.value.message


async def test_revocation_is_also_found_in_the_crl(pki: SigningPki) -> None:
    # A policy given the CRL only, no fetching: the revoked serial is in it.
    from asn1crypto import crl

    offline = TrustPolicy.from_bytes(
        pki.roots_der,
        pki.intermediates_der,
        fetch_revocation=False,
        require_revocation=True,
        crls=(crl.CertificateList.load(pki.crl(pki.ca)), crl.CertificateList.load(pki.crl(pki.root))),
    )

    with pytest.raises(errors.RevokedError):
        await credentials.load_credential(
            pki.revoked.cer, pki.revoked.key_file, pki.revoked.password, trust=offline
        )
    good = await credentials.load_credential(
        pki.fiel.cer, pki.fiel.key_file, pki.fiel.password, trust=offline
    )
    assert good.check is not None
    assert good.check.crls
    good.close()


async def test_a_not_yet_valid_moment_is_refused(pki: SigningPki) -> None:
    offline = TrustPolicy.from_bytes(pki.roots_der, pki.intermediates_der, fetch_revocation=False)
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)

    with pytest.raises(errors.NotYetValidError) as refused:
        await credentials.load_credential(
            pki.fiel.cer, pki.fiel.key_file, pki.fiel.password, trust=offline, now=long_ago
        )

    assert refused.value.code == "credential_not_yet_valid"


def test_the_private_key_of_a_credential_is_not_serialisable(pki: SigningPki) -> None:
    credential = credentials.unlock(pki.fiel.cer, pki.fiel.key_file, pki.fiel.password)
    pem = pki.fiel.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    assert pem.decode() not in repr(credential)
    assert "_key" not in repr(credential)
    credential.close()
