"""PDFs anyone may send to be verified or signed: what pyHanko inflates from them is bounded, and
verifying runs in a worker thread, never on the service's event loop."""

from __future__ import annotations

import io
import threading
import time

import pytest
from pyhanko.pdf_utils.misc import PdfDecodeLimitError
from pyhanko.pdf_utils.reader import PdfFileReader

from signum.signing import errors, pades, verification
from signum.signing.credentials import Credential, TrustPolicy
from signum.signing.engine import SigningEngine
from signum.signing.pades import SignatureRequest, Timestamper
from signum.testing.bombs import MiB, pdf_with_catalog_in_stream, pdf_with_object_streams
from tests.signing.documents import TWO_SIGNERS, oficio_pdf

QR_URL = "https://signum.example.gob.mx/verificar/abc"


async def test_a_pdf_whose_catalog_inflates_to_256_mib_is_refused(offline_trust: TrustPolicy) -> None:
    bomb = pdf_with_catalog_in_stream(256 * MiB)
    assert len(bomb) < MiB
    started = time.monotonic()
    with pytest.raises(errors.PdfLimitsError) as info:
        await verification.verify_pdf(bomb, offline_trust)
    assert (info.value.status_code, info.value.code) == (422, "pdf_limits_exceeded")
    assert "crecen de forma anómala" in info.value.message
    assert time.monotonic() - started < 5


async def test_a_bomb_sent_to_be_signed_is_refused(fiel: Credential, trust: TrustPolicy) -> None:
    bomb = pdf_with_catalog_in_stream(256 * MiB)
    with pytest.raises(errors.PdfLimitsError):
        await pades.sign_pdf(bomb, fiel, SignatureRequest("firma-1", title="Directora", qr_url=QR_URL))


def test_what_a_whole_pdf_inflates_is_bounded() -> None:
    # Object streams of 40 MiB expanding 7 to 1 (none suspicious alone) and 160 MiB in all: past
    # 128 MiB and twice the file (about 46 MB). pyHanko's default budget (100 times the file) took it.
    data = pdf_with_object_streams(4, pad=40 * MiB, noise=True)
    reader = PdfFileReader(io.BytesIO(data), strict=False, decode_limits=verification.UNTRUSTED_PDF_LIMITS)
    kids = reader.root["/Pages"]["/Kids"]  # what diff analysis reads: every page
    with pytest.raises(PdfDecodeLimitError):
        [kid.get_object() for kid in kids]


async def test_verifying_runs_off_the_event_loop(
    fiel: Credential,
    timestamper: Timestamper,
    trust: TrustPolicy,
    offline_trust: TrustPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request = SignatureRequest("firma-1", title="Directora de Innovación", qr_url=QR_URL)
    signed = await pades.sign_pdf(
        oficio_pdf(fields=TWO_SIGNERS), fiel, request, timestamper=timestamper, long_term=trust
    )
    threads: list[str] = []
    verify_pdf = verification.verify_pdf

    async def watched(pdf: bytes, trust: TrustPolicy) -> verification.VerificationReport:
        threads.append(threading.current_thread().name)
        return await verify_pdf(pdf, trust)

    monkeypatch.setattr(verification, "verify_pdf", watched)
    engine = SigningEngine(trust=offline_trust, timestamper=None, public_url="https://signum.example")
    try:
        report = await engine.verify(signed)
    finally:
        engine.workers.close()
    assert report.valid is True, report
    assert threads, "verify_pdf was not called"
    assert threads[0].startswith("verify"), threads
    assert threads[0] != threading.main_thread().name
