"""The archive renewal job: keeps every stored signed document provable after its timestamps age.

Every `SIGNUM_SIGNING_LTA_INTERVAL_SECONDS` the job looks at the stored signed documents (each
signed oficio's current PDF, each sealed acuse) and gives a document timestamp (PAdES B-LTA,
`archive.py`) to:
- those that have none yet (`sin_sello_de_archivo`): a B-LT PDF becomes B-LTA at the job's first pass;
- those whose last timestamp's TSA certificate expires, or whose algorithms weaken (EU DSS's dates,
  `domain.algorithm_weakens`), within `SIGNUM_SIGNING_LTA_HORIZON_DAYS`
  (`certificado_por_vencer`, `algoritmo_por_debilitarse`).
The renewed PDF is stored as a new object in the WORM documents bucket (the old one stays, under
retention), becomes the document's current one and emits `document.renewed`, in one update; its
hash is noted on the document before it is stored, so a pass that dies between storing and recording
is finished at the next pass with that same PDF, never with a second object in the bucket. A
renewal that would not reach past the last timestamp's end (the TSA still signs with the same
certificate or algorithms) is not stored: it is reported as `sin_extension` and looked at again after
`SIGNUM_SIGNING_LTA_RETRY_SECONDS`, as a failure is. What the job did goes, per pass, into
`renovaciones_archivo` for `REPORT_DAYS` (`GET /internal/archivo/renovaciones`) and the log.

Documents are leased one at a time, so replicas may run the job at once; a pass over a document that
is not due changes nothing but the note of when it becomes due: running the job twice is running it
once.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from signum.contracts.drafting import StoredObject
from signum.contracts.signing import DocumentRenewed, DocumentRenewedPayload
from signum.platform.errors import NotFoundError, SignumError
from signum.platform.identity import Caller
from signum.platform.logging import get_logger
from signum.platform.policy import Action, authorize
from signum.platform.storage_client import KEY_PREFIX
from signum.signing.acuses import ACUSE_PREFIX
from signum.signing.documents import SignedDocuments
from signum.signing.domain import RenewalItem, RenewalRun, TimestampProtection
from signum.signing.engine import SigningEngine
from signum.signing.repository import ArchiveKind, SigningRepository

log = get_logger(__name__)

SYSTEM = Caller(kind="system", id="signing")
REPORT_DAYS = 90  # how long each pass's report is kept
KINDS: tuple[ArchiveKind, ...] = ("oficio", "acuse")


def _archivo(protection: TimestampProtection, sha256: str, retry_at: datetime) -> dict[str, Any]:
    """The job's note on a document: how long its last timestamp protects it, when to look again."""
    return {
        "sha256": sha256,
        "sellado": protection.archived,
        "sellos_de_archivo": protection.timestamps,
        "protegido_hasta": protection.until,
        "limite": protection.limit,
        "tsa": protection.tsa,
        "algoritmo": protection.algorithm,
        "reintentar_en": retry_at,
    }


class ArchiveRenewal:
    """One pass of the job at a time per process (`run`); any number of processes."""

    def __init__(
        self,
        engine: SigningEngine,
        repository: SigningRepository,
        documents: SignedDocuments,
        *,
        horizon: timedelta,
        retry: timedelta,
        batch: int = 50,
        lease: timedelta = timedelta(minutes=10),
        notify: Any = None,
    ) -> None:
        self.engine = engine
        self.repository = repository
        self.documents = documents
        self.horizon = horizon
        self.retry = retry
        self.batch = batch
        self.lease = lease
        self._notify = notify

    async def run(self, now: datetime | None = None) -> RenewalRun:
        """Look at every document due and renew those that need it; keep and log the report."""
        now = now or datetime.now(UTC)
        run = RenewalRun(id=uuid4().hex, started_at=now, horizon_days=self.horizon.days)
        for kind in KINDS:
            for doc in await self.repository.due_for_archive(
                kind, now=now, ends_before=now + self.horizon, limit=self.batch
            ):
                item = await self._one(kind, doc, now)
                if item is not None:
                    run.items.append(item)
        run.finished_at = datetime.now(UTC)
        await self.repository.save_renewal_run(run_document(run))
        if run.items:
            log.info(
                "archive renewal",
                run=run.id,
                renewed=run.count("renovado"),
                not_due=run.count("fuera_de_horizonte"),
                not_extended=run.count("sin_extension"),
                failed=run.count("fallido"),
            )
        for item in run.items:
            if item.outcome in ("fallido", "sin_extension"):
                log.warning(
                    "archive renewal not done",
                    document=item.document_id,
                    outcome=item.outcome,
                    code=item.code,
                    reason=item.message,
                )
        return run

    async def run_now(self, caller: Caller) -> RenewalRun:
        """An operator's pass, outside the schedule."""
        authorize(caller, Action.PLATAFORMA_ESTADO)
        return await self.run()

    async def reports(self, caller: Caller, limit: int = 10) -> list[dict[str, Any]]:
        """The latest passes, newest first."""
        authorize(caller, Action.PLATAFORMA_ESTADO)
        return await self.repository.renewal_runs_recent(limit)

    async def _one(self, kind: ArchiveKind, doc: dict[str, Any], now: datetime) -> RenewalItem | None:
        field = "documento_actual" if kind == "oficio" else "documento"
        current = doc[field]
        document_id = doc["_id"] if kind == "oficio" else ACUSE_PREFIX + doc["_id"]
        oficio_id = doc["_id"] if kind == "oficio" else doc["oficio_id"]
        taken = await self.repository.lease_for_archive(
            kind, doc["_id"], current["sha256"], now=now, until=now + self.lease
        )
        if taken is None:
            return None  # another replica's job has it
        item = RenewalItem(document_id, kind, "fallido", previous_sha256=current["sha256"])
        try:
            pdf = await self.documents.read(current)
            before = await self.engine.protection(pdf)
            reason = before.due(now, self.horizon)
            if reason is None:
                await self.repository.note_archive(kind, doc["_id"], _archivo(before, current["sha256"], now))
                return RenewalItem(
                    document_id,
                    kind,
                    "fuera_de_horizonte",
                    protected_until=before.until,
                    previous_sha256=current["sha256"],
                )
            item = RenewalItem(document_id, kind, "fallido", reason=reason, previous_sha256=current["sha256"])
            renewed = await self._left_half_done(taken.get("archivo_en_curso"), current, pdf)
            if renewed is None:
                renewed = await self.engine.archive(pdf)
            after = await self.engine.protection(renewed)
            if not after.extends(before):
                await self.repository.note_archive(
                    kind, doc["_id"], _archivo(before, current["sha256"], now + self.retry)
                )
                return RenewalItem(
                    document_id,
                    kind,
                    "sin_extension",
                    reason=reason,
                    protected_until=before.until,
                    previous_sha256=current["sha256"],
                    code="tsa_not_newer",
                    message=(
                        "La autoridad de sellado de tiempo firma con un certificado o algoritmos que no "
                        "duran más que el último sello del documento; renueve el certificado de la TSA."
                    ),
                )
            await self.repository.note_renewal_in_progress(
                kind,
                doc["_id"],
                previous_sha256=current["sha256"],
                sha256=hashlib.sha256(renewed).hexdigest(),
            )
            correlation_id = uuid4().hex
            stored = await self.documents.store(oficio_id, renewed, correlation_id)
            sealed_at = datetime.now(UTC)
            event = DocumentRenewed(
                oficio_id=oficio_id,
                correlation_id=correlation_id,
                actor=SYSTEM.actor,
                payload=DocumentRenewedPayload(
                    documento_id=document_id,
                    tipo=kind,
                    motivo=reason,
                    documento_anterior=StoredObject(**{k: current[k] for k in StoredObject.model_fields}),
                    documento=stored,
                    sellos_de_archivo=after.timestamps,
                    sellado_en=sealed_at,
                    protegido_hasta=after.until,
                ),
            )
            recorded = await self.repository.record_renewal(
                kind,
                doc["_id"],
                previous_sha256=current["sha256"],
                documento=stored.model_dump(),
                archivo=_archivo(after, stored.sha256, now),
                renovacion={
                    "motivo": reason,
                    "anterior": current,
                    "documento": stored.model_dump(),
                    "sellado_en": sealed_at,
                    "protegido_hasta": after.until,
                },
                events=[event],
            )
            if not recorded:
                return RenewalItem(
                    document_id,
                    kind,
                    "fallido",
                    reason=reason,
                    previous_sha256=current["sha256"],
                    code="document_changed",
                    message=(
                        "El documento cambió mientras se renovaba su sello; "
                        "se revisará en la siguiente pasada."
                    ),
                )
            self._wake()
            return RenewalItem(
                document_id,
                kind,
                "renovado",
                reason=reason,
                protected_until=after.until,
                previous_sha256=current["sha256"],
                sha256=stored.sha256,
            )
        except SignumError as exc:
            return await self._failed(kind, doc["_id"], item, exc.code, exc.message, now)
        except Exception as exc:
            log.exception("archive renewal failed", document=document_id)
            message = f"Error inesperado al renovar el sello: {type(exc).__name__}."
            return await self._failed(kind, doc["_id"], item, "renewal_error", message, now)

    async def _left_half_done(
        self, note: dict[str, Any] | None, current: dict[str, Any], pdf: bytes
    ) -> bytes | None:
        """The renewed PDF of a pass that died after storing it and before recording it, if that is
        what happened: it is finished with the same PDF (storing it again is a no-op, the bucket's
        keys are content addresses) rather than a new timestamp and a second object."""
        if not note or note.get("anterior_sha256") != current["sha256"]:
            return None
        digest = str(note.get("sha256", ""))
        try:
            renewed = await self.documents.read({"clave": KEY_PREFIX + digest})
        except NotFoundError:
            return None  # it died before storing: timestamp anew
        if hashlib.sha256(renewed).hexdigest() != digest or not renewed.startswith(pdf):
            return None
        log.info("archive renewal finished from a stored PDF", sha256=digest)
        return renewed

    async def _failed(
        self, kind: ArchiveKind, key: str, item: RenewalItem, code: str, message: str, now: datetime
    ) -> RenewalItem:
        """Recorded, and looked at again after the retry delay."""
        failed = RenewalItem(
            item.document_id,
            item.kind,
            "fallido",
            reason=item.reason,
            previous_sha256=item.previous_sha256,
            code=code,
            message=message,
        )
        # Unknown protection: due again as soon as the retry delay has passed.
        unknown = TimestampProtection(archived=False, timestamps=0, until=now, limit=None)
        note = _archivo(unknown, item.previous_sha256 or "", now + self.retry) | {"error": code}
        try:
            await self.repository.note_archive(kind, key, note)
        except Exception:
            log.exception("archive renewal: failure not noted", document=item.document_id)
        return failed

    def _wake(self) -> None:
        if self._notify is not None:
            self._notify()


def run_document(run: RenewalRun) -> dict[str, Any]:
    """A pass as `renovaciones_archivo` keeps it (and the operator's endpoint answers it)."""
    return {
        "_id": run.id,
        "inicio": run.started_at,
        "fin": run.finished_at,
        "expira": run.started_at + timedelta(days=REPORT_DAYS),
        "horizonte_dias": run.horizon_days,
        "renovados": run.count("renovado"),
        "fuera_de_horizonte": run.count("fuera_de_horizonte"),
        "sin_extension": run.count("sin_extension"),
        "fallidos": run.count("fallido"),
        "documentos": [
            {
                "documento_id": i.document_id,
                "tipo": i.kind,
                "resultado": i.outcome,
                "motivo": i.reason,
                "protegido_hasta": i.protected_until,
                "sha256_anterior": i.previous_sha256,
                "sha256": i.sha256,
                "codigo": i.code,
                "mensaje": i.message,
            }
            for i in run.items
        ],
    }


__all__ = ["ArchiveRenewal", "run_document"]
