"""PAdES B-LTA: a document timestamp over a signed PDF, and its renewal, as EU DSS 6.3 judges them
(offline, only the test PKI's root trusted) and as Signum's verifier reports them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signum.signing import archive, pades, verification
from signum.signing.credentials import Credential, TrustPolicy
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
        oficio_pdf(fields=TWO_SIGNERS), fiel, SignatureRequest("firma-1"), timestamper=timestamper, long_term=trust
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
