"""The archive renewal job on signing's real MongoDB (the test stack's), with real crypto and the test
PKI's TSAs; storage is the in-memory stand-in of test_service (the stack test, test_lta_stack.py,
runs the job in the real processes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from signum.contracts import Actor
from signum.contracts.drafting import OficioFinalized, OficioFinalizedPayload, SignerSlot, StoredObject
from signum.platform.errors import ForbiddenError
from signum.platform.identity import Caller
from signum.platform.settings import InfraSettings
from signum.signing import archive
from signum.signing.app import Components, components
from signum.signing.renewal import ArchiveRenewal
from signum.testing import dss
from tests.signing.documents import TWO_SIGNERS, oficio_pdf
from tests.signing.pki import SigningPki
from tests.signing.test_lta import _short_lived_tsa
from tests.signing.test_service import MemoryStorage, _settings

pytestmark = pytest.mark.stack

SYSTEM = Caller(kind="system", id="pruebas")
OFICIO = "oficio-archivo-1"


async def _signed_oficio(pki: SigningPki, roots_file: Path, tmp: Path, infra: InfraSettings) -> Components:
    """Signing with the test PKI, its TSA and the stack's MongoDB, and one oficio signed (B-LT)."""
    parts = components(_settings(pki, roots_file, tmp, infra=infra))
    storage = MemoryStorage()
    parts.service.documents.storage = storage
    original = storage.put(oficio_pdf(fields=TWO_SIGNERS))
    finalized = OficioFinalized(
        oficio_id=OFICIO,
        correlation_id="c-archivo",
        actor=Actor(kind="official", id="1001"),
        payload=OficioFinalizedPayload(
            folio="SIGA/DGTI/0200/2026",
            consecutivo=200,
            anio=2026,
            unidad_id="U-DGTI",
            kind="oficio",
            asunto="Conservación a largo plazo",
            plantilla_id="oficio-general",
            plantilla_version=1,
            version=1,
            documento=StoredObject(**original),
            paginas=1,
            firmantes=[
                SignerSlot(
                    orden=1,
                    funcionario_id="1001",
                    nombre="Juana",
                    cargo="Directora",
                    campo="firma-1",
                    pagina=1,
                )
            ],
        ),
    )
    await parts.runtime.consumers[0]._handlers["oficio.finalized"](finalized)
    recorded = await parts.service.sign_oficio(
        SYSTEM, OFICIO, cer=pki.fiel.cer, key=pki.fiel.key_file, password=pki.fiel.password
    )
    assert (recorded.complete, recorded.level) == (True, "B-LT")
    return parts


def _job(parts: Components) -> ArchiveRenewal:
    assert parts.renewal is not None
    return parts.renewal


def _storage(parts: Components) -> MemoryStorage:
    storage = parts.service.documents.storage
    assert isinstance(storage, MemoryStorage)
    return storage


async def _oficio(parts: Components) -> dict[str, Any]:
    doc = await parts.repository.pending.find_one({"_id": OFICIO})
    assert doc is not None
    return doc


def _renewed_events(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["payload"] for e in doc.get("_outbox", []) if e["type"] == "document.renewed"]


def _items(run: Any) -> list[tuple[str, str, str | None]]:
    return [(i.document_id, i.outcome, i.reason) for i in run.items]


async def test_the_job_archives_a_signed_oficio_once_then_leaves_it_until_its_horizon(
    pki: SigningPki, roots_file: Path, tmp_path: Path, infra: InfraSettings
) -> None:
    parts = await _signed_oficio(pki, roots_file, tmp_path, infra)
    job = _job(parts)
    signed = (await _oficio(parts))["documento_actual"]

    first = await job.run()

    assert _items(first) == [(OFICIO, "renovado", "sin_sello_de_archivo")]
    doc = await _oficio(parts)
    current = doc["documento_actual"]
    assert current["sha256"] != signed["sha256"]
    pdfs = _storage(parts).objects
    assert pdfs[current["clave"]].startswith(pdfs[signed["clave"]])  # the old version is kept, extended
    (event,) = _renewed_events(doc)
    assert (event["documento_anterior"]["sha256"], event["documento"]["sha256"]) == (
        signed["sha256"],
        current["sha256"],
    )
    assert (event["documento_id"], event["tipo"], event["nivel"], event["sellos_de_archivo"]) == (
        OFICIO,
        "oficio",
        "B-LTA",
        1,
    )
    # The test TSA's RSA-2048 key: EU DSS's policy dates it to 2029-01-01, before its certificate ends.
    assert doc["archivo"]["protegido_hasta"].replace(tzinfo=UTC) == datetime(2029, 1, 1, tzinfo=UTC)
    assert doc["archivo"]["limite"] == "algoritmo"
    qr = await parts.service.verify_oficio(OFICIO)
    assert [s.pades_level.value for s in qr.report.signatures] == ["B-LTA"]

    # Idempotent: outside the horizon (180 days) the document is not even read again.
    second = await job.run()
    assert _items(second) == []
    doc = await _oficio(parts)
    assert doc["documento_actual"] == current
    assert len(_renewed_events(doc)) == 1

    # Within the horizon of the algorithms' end, but the TSA signs with the same key: a renewal would
    # not last longer, so nothing is stored and it is reported, then waits for the retry delay.
    late = datetime(2028, 9, 1, tzinfo=UTC)
    third = await job.run(now=late)
    (item,) = third.items
    assert (item.outcome, item.reason, item.code) == (
        "sin_extension",
        "algoritmo_por_debilitarse",
        "tsa_not_newer",
    )
    assert "certificado de la TSA" in (item.message or "")
    assert await job.run(now=late + timedelta(hours=1)) is not None
    doc = await _oficio(parts)
    assert doc["documento_actual"] == current
    assert len(_renewed_events(doc)) == 1
    assert doc["archivo"]["reintentar_en"].replace(tzinfo=UTC) == late + job.retry

    reports = await job.reports(SYSTEM, limit=10)
    assert [r["renovados"] for r in reports][-1] == 1
    assert reports[0]["documentos"] == []  # the pass an hour later: waiting for the retry delay
    with pytest.raises(ForbiddenError):
        await job.reports(Caller(kind="official", id="1001", nombre="Juana"))


async def test_the_job_renews_within_the_horizon_with_a_newer_tsa_and_dss_passes_it_at_b_lta(
    pki: SigningPki, roots_file: Path, tmp_path: Path, infra: InfraSettings
) -> None:
    parts = await _signed_oficio(pki, roots_file, tmp_path, infra)
    job = _job(parts)
    regular = parts.engine.timestamper
    # The first document timestamp from a TSA whose certificate ends in 60 days.
    parts.engine.timestamper = _short_lived_tsa(pki, days=60)
    assert _items(await job.run()) == [(OFICIO, "renovado", "sin_sello_de_archivo")]
    parts.engine.timestamper = regular

    job.horizon = timedelta(days=30)
    assert _items(await job.run()) == []  # 60 days left: outside a 30-day horizon
    job.horizon = timedelta(days=90)
    renewed = await job.run()

    assert _items(renewed) == [(OFICIO, "renovado", "certificado_por_vencer")]
    doc = await _oficio(parts)
    pdf = _storage(parts).objects[doc["documento_actual"]["clave"]]
    protection = archive.protection(pdf)
    assert (protection.timestamps, protection.until) == (2, datetime(2029, 1, 1, tzinfo=UTC))
    assert [e["motivo"] for e in _renewed_events(doc)] == ["sin_sello_de_archivo", "certificado_por_vencer"]
    assert len(doc["renovaciones"]) == 2
    (signature,) = dss.validate_pdf(pdf, pki.roots_der, tmp_path / "dss").signatures
    assert (signature.indication, signature.level) == (dss.PASSED, "B-LTA"), signature.explain()
    assert _items(await job.run()) == []  # done: the next pass has nothing to do


async def test_a_pass_that_died_after_storing_the_renewed_pdf_is_finished_with_that_pdf(
    pki: SigningPki, roots_file: Path, tmp_path: Path, infra: InfraSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The WORM bucket keeps what it is given for years: a job that stored a renewed PDF and died
    before recording it must not store a second one (with another timestamp) at its next pass."""
    parts = await _signed_oficio(pki, roots_file, tmp_path, infra)
    job = _job(parts)

    async def dies(*args: Any, **kwargs: Any) -> bool:
        raise ConnectionError("the process died before recording the renewal")

    monkeypatch.setattr(parts.repository, "record_renewal", dies)
    before = set(_storage(parts).objects)
    assert [i.outcome for i in (await job.run()).items] == ["fallido"]
    monkeypatch.undo()
    kept = dict(_storage(parts).objects)
    (renewed_key,) = kept.keys() - before

    later = datetime.now(UTC) + job.retry + timedelta(seconds=1)
    assert _items(await job.run(later)) == [(OFICIO, "renovado", "sin_sello_de_archivo")]

    assert _storage(parts).objects == kept  # no second object
    doc = await _oficio(parts)
    assert doc["documento_actual"]["clave"] == renewed_key
    assert "archivo_en_curso" not in doc
    (event,) = _renewed_events(doc)
    assert event["documento"]["clave"] == renewed_key
