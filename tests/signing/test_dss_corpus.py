"""Signum's verifier and EU DSS 6.3 agree on every signature of a corpus of good and bad PDFs
(tests/signing/corpus.py): indication, subindication and PAdES level, with the reason in Spanish."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import load_der_x509_certificate

from signum.signing import pades, verification
from signum.signing.app import build
from signum.signing.credentials import Credential, TrustPolicy
from signum.signing.pades import SignatureRequest, Timestamper
from signum.signing.settings import Settings
from signum.testing import dss
from tests.signing import corpus
from tests.signing.corpus import Case
from tests.signing.documents import TWO_SIGNERS, oficio_pdf
from tests.signing.pki import SigningPki
from tests.signing.test_service import _headers


@pytest.fixture(scope="module")
async def cases(pki: SigningPki) -> dict[str, Case]:
    return {case.name: case for case in await corpus.build(pki)}


async def test_signums_verdict_and_level_equal_dss_on_every_case_of_the_corpus(
    cases: dict[str, Case], tmp_path: Path
) -> None:
    assert len(cases) >= 12
    jobs = corpus.dss_jobs(list(cases.values()), tmp_path)

    reports = dss.validate_jobs(jobs)

    for case, job in zip(cases.values(), jobs, strict=True):
        theirs = reports[job.pdf].signatures
        dss_said = tuple((s.indication, s.subindication, s.level) for s in theirs)
        assert dss_said == case.expected, (case.name, [s.explain() for s in theirs])
        ours = (await verification.verify_pdf(case.pdf, case.trust())).signatures
        signum_said = tuple(
            (s.verdict.indication.value, s.verdict.subindication, s.pades_level.value)
            for s in ours
            if s.verdict is not None
        )
        assert signum_said == dss_said, case.name
        for signature in ours:
            assert signature.verdict is not None
            assert signature.verdict.reason.endswith("."), (case.name, signature.verdict.reason)


async def test_the_reasons_say_what_went_wrong_in_spanish(cases: dict[str, Case]) -> None:
    async def verdict(name: str, index: int = 0) -> str:
        case = cases[name]
        signature = (await verification.verify_pdf(case.pdf, case.trust())).signatures[index]
        assert signature.verdict is not None
        return signature.verdict.reason

    missing = await verdict("falta el certificado intermedio")
    assert "«AC intermedia de pruebas Signum»" in missing
    assert "SIGNUM_SIGNING_TRUST_INTERMEDIATES" in missing
    assert "no proviene de una autoridad" in await verdict("raíz de confianza equivocada")
    assert "revocado" in await verdict("firmante revocado antes del sello de tiempo")
    assert "posteriores al vencimiento" in await verdict(
        "certificado vencido al firmar, revocación posterior al vencimiento"
    )
    assert "anteriores a la vigencia" in await verdict("certificado aún no vigente")
    assert "no declara el uso de firma" in await verdict("certificado sin uso de firma")
    changed = await verdict("contenido modificado después de firmar")
    assert changed.startswith("La firma es válida para la versión del documento que se firmó.")
    assert "modificado" in changed
    assert await verdict("B-LT válida") == "La firma es válida y el documento no cambió."


@pytest.mark.parametrize("configured", [True, False])
async def test_an_intermediate_configured_in_the_settings_completes_a_sat_style_chain(
    configured: bool, cases: dict[str, Case], pki: SigningPki, tmp_path: Path
) -> None:
    """SAT's e.firmas travel without SAT's intermediate: the operator installs SAT's published
    intermediates (`SIGNUM_SIGNING_TRUST_INTERMEDIATES`, PEM bundles or DER files)."""
    case = cases["intermedio configurado"]
    roots = tmp_path / "raices.pem"
    roots.write_bytes(_pem(*case.roots))
    bundle = tmp_path / "intermedios-sat.pem"  # several certificates in one PEM file
    bundle.write_bytes(_pem(*pki.intermediates_der, *(case.intermediates if configured else ())))
    settings = Settings(
        trust_roots=[roots],
        trust_intermediates=[bundle],
        fetch_revocation=False,
        local_tsa_dir=tmp_path / "tsa",
        local_seal_dir=tmp_path / "seal",
    )
    transport = httpx.ASGITransport(app=build(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://signing", timeout=60) as http:
        response = await http.post("/internal/verificacion", content=case.pdf, headers=_headers())

    assert response.status_code == 200, response.text
    (firma,) = response.json()["firmas"]
    if configured:
        assert (firma["indicacion"], firma["nivel_pades"]) == ("TOTAL_PASSED", "B-LT"), firma
        assert response.json()["valida"] is True
    else:
        assert (firma["indicacion"], firma["subindicacion"]) == (
            "INDETERMINATE",
            "NO_CERTIFICATE_CHAIN_FOUND",
        )
        assert "Falta el certificado de la autoridad «AC intermedia de pruebas Signum»" in firma["motivo"]
        assert response.json()["valida"] is False


def _pem(*ders: bytes) -> bytes:
    return b"".join(load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM) for der in ders)


def test_corpus_pdfs_are_real_signed_pdfs(cases: dict[str, Case]) -> None:
    for case in cases.values():
        assert case.pdf.startswith(b"%PDF-"), case.name
        assert case.pdf.count(b"/ByteRange") == len(case.expected), case.name


async def test_both_signers_of_an_oficio_signed_by_signum_are_b_lt_for_dss_and_for_signum(
    fiel: Credential,
    fiel_second: Credential,
    timestamper: Timestamper,
    trust: TrustPolicy,
    offline_trust: TrustPolicy,
    pki: SigningPki,
    tmp_path: Path,
) -> None:
    """The second signer's B-LT needs a DSS written after the second signature, as EU DSS asks."""
    first = await pades.sign_pdf(
        oficio_pdf(fields=TWO_SIGNERS),
        fiel,
        SignatureRequest("firma-1"),
        timestamper=timestamper,
        long_term=trust,
    )
    both = await pades.sign_pdf(
        first, fiel_second, SignatureRequest("firma-2"), timestamper=timestamper, long_term=trust
    )

    theirs = dss.validate_pdf(both, pki.roots_der, tmp_path).signatures
    ours = (await verification.verify_pdf(both, offline_trust)).signatures

    assert [(s.indication, s.level) for s in theirs] == [(dss.PASSED, "B-LT")] * 2, [
        s.explain() for s in theirs
    ]
    assert [(s.verdict.indication.value if s.verdict else None, s.pades_level.value) for s in ours] == [
        ("TOTAL_PASSED", "B-LT")
    ] * 2
