"""PAdES B-LTA: a document timestamp over a signed PDF, and its renewal, as EU DSS 6.3 judges them
(offline, only the test PKI's root trusted) and as Signum's verifier reports them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from typer.testing import CliRunner

from signum.cli.signing import register
from signum.signing import archive, pades, verification
from signum.signing.credentials import Credential, TrustPolicy
from signum.signing.domain import TimestampProtection, algorithm_weakens
from signum.signing.engine import LocalTimestamper
from signum.signing.pades import SignatureRequest, Timestamper
from signum.signing.tsa import TimestampAuthority
from signum.testing import dss
from signum.testing.pki import _issue, sat_serial
from tests.signing.documents import TWO_SIGNERS, oficio_pdf
from tests.signing.pki import SigningPki


def _only(report: dss.Report) -> dss.SignatureVerdict:
    (signature,) = report.signatures
    return signature


async def _b_lt(fiel: Credential, timestamper: Timestamper, trust: TrustPolicy) -> bytes:
    return await pades.sign_pdf(
        oficio_pdf(fields=TWO_SIGNERS),
        fiel,
        SignatureRequest("firma-1"),
        timestamper=timestamper,
        long_term=trust,
    )


async def test_a_document_timestamp_makes_a_b_lt_signature_b_lta_for_dss_and_for_signum(
    fiel: Credential,
    timestamper: Timestamper,
    trust: TrustPolicy,
    offline_trust: TrustPolicy,
    pki: SigningPki,
    tmp_path: Path,
) -> None:
    signed = await _b_lt(fiel, timestamper, trust)
    assert not archive.protection(signed).archived

    archived = await archive.archive(signed, trust, timestamper)

    assert archived.startswith(signed)  # an incremental update: the signed revision is untouched
    signature = _only(dss.validate_pdf(archived, pki.roots_der, tmp_path))
    assert (signature.indication, signature.level) == (dss.PASSED, "B-LTA"), signature.explain()
    (ours,) = (await verification.verify_pdf(archived, offline_trust)).signatures
    assert ours.verdict is not None
    assert (ours.verdict.indication.value, ours.pades_level.value) == ("TOTAL_PASSED", "B-LTA")
    protection = archive.protection(archived)
    assert (protection.archived, protection.timestamps) == (True, 1)

    # `signumctl verify` says the same.
    cli = typer.Typer()
    register(cli)
    (tmp_path / "archivado.pdf").write_bytes(archived)
    (tmp_path / "raiz.der").write_bytes(pki.roots_der[0])
    args = ["verify", "--trust-root", str(tmp_path / "raiz.der"), str(tmp_path / "archivado.pdf")]
    printed = await asyncio.to_thread(CliRunner().invoke, cli, args)  # the CLI runs its own loop
    assert printed.exit_code == 0, printed.output
    assert "Nivel PAdES: B-LTA" in printed.output
    assert "Dictamen (ETSI EN 319 102-1): TOTAL_PASSED" in printed.output


def _short_lived_tsa(pki: SigningPki, days: int) -> LocalTimestamper:
    """A TSA of the test CA whose certificate ends in `days` (its OCSP responder knows it)."""
    now = datetime.now(UTC).replace(microsecond=0)
    issued = _issue(
        pki.ca,
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TSA de pruebas por vencer")]),
        now,
        serial=sat_serial("30001000000500000099"),
        key_usage=("digital_signature", "content_commitment"),
        eku=[ExtendedKeyUsageOID.TIME_STAMPING],
        eku_critical=True,
        not_after=now + timedelta(days=days),
        ocsp_url=pki.ocsp_url,
        crl_url=f"{pki.base_url}/crl/ac.crl",
    )
    pki.extra_certs[issued.cert.serial_number] = issued.cert
    authority = TimestampAuthority.from_cryptography(issued.cert, issued.key, [pki.ca.cert, pki.root.cert])
    return LocalTimestamper(authority, "http://127.0.0.1/tsa-por-vencer")


async def test_renewing_before_the_tsa_certificate_expires_adds_a_second_document_timestamp(
    fiel: Credential,
    timestamper: Timestamper,
    trust: TrustPolicy,
    offline_trust: TrustPolicy,
    pki: SigningPki,
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    expiring = _short_lived_tsa(pki, days=60)
    archived = await archive.archive(await _b_lt(fiel, timestamper, trust), trust, expiring)
    before = archive.protection(archived)
    assert before.limit == "certificado"
    assert before.until is not None
    assert now + timedelta(days=59) < before.until < now + timedelta(days=61)
    assert before.due(now, timedelta(days=30)) is None
    assert before.due(now, timedelta(days=90)) == "certificado_por_vencer"

    renewed = await archive.archive(archived, trust, timestamper)

    after = archive.protection(renewed)
    assert (after.archived, after.timestamps) == (True, 2)
    assert after.extends(before)
    # The test TSA's RSA 2048 key weakens before its certificate ends (DSS's policy: 2029-01-01).
    assert (after.limit, after.until) == ("algoritmo", datetime(2029, 1, 1, tzinfo=UTC))
    assert after.due(now, timedelta(days=90)) is None
    signature = _only(dss.validate_pdf(renewed, pki.roots_der, tmp_path))
    assert (signature.indication, signature.level) == (dss.PASSED, "B-LTA"), signature.explain()
    # The signature's own timestamp and both document timestamps, each valid.
    assert sorted(ts.produced_by or "" for ts in signature.timestamps) == [
        "TSA de pruebas Signum",
        "TSA de pruebas Signum",
        "TSA de pruebas por vencer",
    ], signature.explain()
    assert all(ts.passed for ts in signature.timestamps), signature.explain()
    (ours,) = (await verification.verify_pdf(renewed, offline_trust)).signatures
    assert ours.verdict is not None
    assert (ours.verdict.indication.value, ours.pades_level.value) == ("TOTAL_PASSED", "B-LTA")


async def test_a_document_timestamp_from_an_untrusted_tsa_is_judged_alike_by_dss_and_signum(
    fiel: Credential,
    timestamper: Timestamper,
    trust: TrustPolicy,
    offline_trust: TrustPolicy,
    pki: SigningPki,
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    stranger = _issue(
        pki.rogue_root,
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TSA no reconocida")]),
        now,
        serial=sat_serial("30001000000500000098"),
        key_usage=("digital_signature", "content_commitment"),
        eku=[ExtendedKeyUsageOID.TIME_STAMPING],
        eku_critical=True,
    )
    rogue = LocalTimestamper(
        TimestampAuthority.from_cryptography(stranger.cert, stranger.key, [pki.rogue_root.cert]),
        "http://127.0.0.1/tsa-no-reconocida",
    )
    # Whoever added it trusted that TSA; the verifiers trust only the test PKI's root.
    lenient = TrustPolicy.from_bytes([*pki.roots_der, pki.rogue_root.cer], pki.intermediates_der)
    stamped = await archive.archive(await _b_lt(fiel, timestamper, trust), lenient, rogue)

    theirs = _only(dss.validate_pdf(stamped, pki.roots_der, tmp_path))
    (ours,) = (await verification.verify_pdf(stamped, offline_trust)).signatures
    assert ours.verdict is not None
    assert (ours.verdict.indication.value, ours.pades_level.value) == (theirs.indication, theirs.level), (
        theirs.explain()
    )
    # DSS names the format (a document timestamp covers the signature) and judges that timestamp
    # apart: the signature still passes on its own timestamp and validation data.
    assert (ours.verdict.indication.value, ours.pades_level.value) == ("TOTAL_PASSED", "B-LTA")
    archive_stamp = next(ts for ts in theirs.timestamps if ts.produced_by == "TSA no reconocida")
    assert (archive_stamp.indication, archive_stamp.subindication) == (
        "INDETERMINATE",
        "NO_CERTIFICATE_CHAIN_FOUND",
    )


def test_algorithms_weaken_on_eu_dss_dates() -> None:
    day = lambda y, m, d: datetime(y, m, d, tzinfo=UTC)  # noqa: E731
    assert algorithm_weakens("sha256", "rsa", 2048) == day(2029, 1, 1)
    assert algorithm_weakens("sha256", "rsa", 4096) == day(2029, 1, 1)
    assert algorithm_weakens("sha1", "rsa", 4096) == day(2012, 8, 1)  # the digest ends first
    assert algorithm_weakens("sha256", "rsa", 1024) == day(2019, 10, 1)
    assert algorithm_weakens("sha256", "rsa", 512) == day(2010, 8, 1)  # below every size: the first
    assert algorithm_weakens("sha384", "ec", 384) is None
    assert algorithm_weakens("sha256", "rsassa_pss", 3072) is None


def test_a_renewal_is_due_without_an_archive_timestamp_or_within_the_horizon_and_must_last_longer() -> None:
    now = datetime(2026, 12, 4, tzinfo=UTC)
    horizon = timedelta(days=180)
    unarchived = TimestampProtection(
        archived=False, timestamps=0, until=now + timedelta(days=900), limit="certificado"
    )
    soon = TimestampProtection(
        archived=True, timestamps=1, until=now + timedelta(days=100), limit="certificado"
    )
    weak = TimestampProtection(
        archived=True, timestamps=1, until=now + timedelta(days=100), limit="algoritmo"
    )
    later = TimestampProtection(
        archived=True, timestamps=2, until=now + timedelta(days=900), limit="algoritmo"
    )
    assert unarchived.due(now, horizon) == "sin_sello_de_archivo"
    assert soon.due(now, horizon) == "certificado_por_vencer"
    assert weak.due(now, horizon) == "algoritmo_por_debilitarse"
    assert soon.due(now, timedelta(days=30)) is None
    assert later.due(now, horizon) is None
    assert later.extends(soon)
    assert not soon.extends(weak)  # the same end: nothing gained
    assert soon.extends(unarchived)  # the first archive timestamp always counts
