"""The only module of signing that talks to MongoDB: the signing state of finalized oficios
(`firmas_pendientes`, whose documents carry the outbox) and browser-path prepared signatures
(`preparaciones`; they hold no secret, only the laid-out PDF and the bytes to sign), the sealed
acuses (`acuses`) and the archive renewal job's state on both (`archivo`) and its reports
(`renovaciones_archivo`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from motor.motor_asyncio import AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo.errors import DuplicateKeyError

from signum.contracts import Event
from signum.contracts.drafting import OficioCancelled, OficioFinalized
from signum.platform.consumer import apply_once
from signum.platform.outbox import insert_with_events, update_with_events
from signum.platform.verification_code import short_code
from signum.signing.domain import AcuseReceipt, Level
from signum.signing.pades import PreparedSignature


@dataclass(frozen=True)
class Preparation:
    """A browser-path signature laid out by step 1, waiting for step 2 (it holds no secret)."""

    id: str
    prepared: PreparedSignature
    oficio_id: str | None
    orden: int | None
    caller_id: str
    expires: datetime


def _pending_fields(event: OficioFinalized) -> dict[str, Any]:
    """The `firmas_pendientes` fields of a finalized oficio: its signers in order, none signed."""
    p = event.payload
    first = min(p.firmantes, key=lambda s: s.orden)
    return {
        "siguiente_funcionario_id": first.funcionario_id,
        "folio": p.folio,
        "asunto": p.asunto,
        "unidad_id": p.unidad_id,
        "confidencialidad": p.confidencialidad,
        "version": p.version,
        "documento_original": p.documento.model_dump(),
        "documento_actual": p.documento.model_dump(),
        "firmantes": [s.model_dump() for s in sorted(p.firmantes, key=lambda s: s.orden)],
        "firmas": [],
        "siguiente": first.orden,
        "estado": "pendiente",
        "finalizado_en": event.occurred_at,
    }


ArchiveKind = Literal["oficio", "acuse"]
# Where each kind of stored signed document keeps its current PDF, and which of them are final.
_ARCHIVED: dict[str, tuple[str, dict[str, Any]]] = {
    "oficio": ("documento_actual", {"estado": "firmado"}),
    "acuse": ("documento", {}),
}


class SigningRepository:
    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.pending: AsyncIOMotorCollection[Any] = db["firmas_pendientes"]
        self.prepared: AsyncIOMotorCollection[Any] = db["preparaciones"]
        self.acuses: AsyncIOMotorCollection[Any] = db["acuses"]
        # Short verification code -> the verification ids it names (one, unless two ids share it).
        self.codes: AsyncIOMotorCollection[Any] = db["codigos_verificacion"]
        self.renewal_runs: AsyncIOMotorCollection[Any] = db["renovaciones_archivo"]

    async def ensure_indexes(self) -> None:
        # Look-ups are by `_id`, except each official's "Por firmar" list.
        await self.pending.create_index([("siguiente_funcionario_id", 1)], name="por_firmar")
        # The renewal job's look-ups: documents whose last timestamp ends soonest.
        for collection in (self.pending, self.acuses):
            await collection.create_index([("archivo.protegido_hasta", 1)], name="archivo_vence")
        await self.renewal_runs.create_index([("inicio", -1)], name="recientes")
        # A pass's report is kept `renewal.REPORT_DAYS` (MongoDB drops it within a minute after).
        await self.renewal_runs.create_index([("expira", 1)], expireAfterSeconds=0, name="expira")

    async def awaiting(self, funcionario_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """The oficios whose next signature is `funcionario_id`'s, oldest finalized first."""
        cursor = self.pending.find(
            {"siguiente_funcionario_id": funcionario_id, "estado": "pendiente"},
            {"_applied": 0, "_outbox": 0},
        )
        docs: list[dict[str, Any]] = await cursor.to_list(length=limit)
        return sorted(docs, key=lambda d: (d.get("finalizado_en") is None, d.get("finalizado_en"), d["_id"]))

    async def on_finalized(self, event: OficioFinalized) -> bool:
        """Start (or restart, for a new finalized version) the oficio's signing state, once."""
        return await apply_once(self.pending, event.oficio_id, event, {"$set": _pending_fields(event)})

    async def on_cancelled(self, event: OficioCancelled) -> bool:
        return await apply_once(
            self.pending, event.oficio_id, event, {"$set": {"estado": "cancelado"}}, upsert=False
        )

    async def remember_code(self, document_id: str) -> None:
        """Let the short code printed on the document find it (idempotent)."""
        await self.codes.update_one(
            {"_id": short_code(document_id)}, {"$addToSet": {"documentos": document_id}}, upsert=True
        )

    async def resolve_code(self, code: str) -> list[str]:
        """The verification ids a short code names (empty if none)."""
        doc = await self.codes.find_one({"_id": code})
        return sorted(doc.get("documentos") or []) if doc else []

    async def get(self, oficio_id: str) -> dict[str, Any] | None:
        return await self.pending.find_one({"_id": oficio_id}, {"_applied": 0, "_outbox": 0})

    async def record_signature(
        self, oficio_id: str, orden: int, fields: dict[str, Any], firma: dict[str, Any], events: list[Event]
    ) -> bool:
        """The signature, the new state and their events in one update, only if still `orden`'s turn."""
        result = await update_with_events(
            self.pending,
            {"_id": oficio_id, "siguiente": orden, "estado": "pendiente"},
            {"$set": fields, "$push": {"firmas": firma}},
            events,
        )
        return bool(result.modified_count)

    async def record_refusal(self, oficio_id: str, events: list[Event]) -> None:
        await update_with_events(self.pending, {"_id": oficio_id}, {"$inc": {"rechazos": 1}}, events)

    async def save_prepared(self, preparation: Preparation) -> None:
        prepared = preparation.prepared
        await self.prepared.insert_one(
            {
                "_id": preparation.id,
                "pdf": prepared.pdf,
                "to_be_signed": prepared.to_be_signed,
                "reserved_start": prepared.reserved_start,
                "reserved_end": prepared.reserved_end,
                "certificate": prepared.certificate,
                "chain": list(prepared.chain),
                "oficio_id": preparation.oficio_id,
                "orden": preparation.orden,
                "caller_id": preparation.caller_id,
                "expira": preparation.expires,
            }
        )

    async def get_prepared(self, prepared_id: str) -> Preparation | None:
        doc = await self.prepared.find_one({"_id": prepared_id})
        if doc is None:
            return None
        expires = doc["expira"]
        return Preparation(
            id=doc["_id"],
            prepared=PreparedSignature(
                pdf=bytes(doc["pdf"]),
                to_be_signed=bytes(doc["to_be_signed"]),
                reserved_start=doc["reserved_start"],
                reserved_end=doc["reserved_end"],
                certificate=bytes(doc["certificate"]),
                chain=tuple(bytes(c) for c in doc.get("chain", [])),
            ),
            oficio_id=doc.get("oficio_id"),
            orden=doc.get("orden"),
            caller_id=doc.get("caller_id", ""),
            expires=expires if expires.tzinfo else expires.replace(tzinfo=UTC),
        )

    async def discard_prepared(self, prepared_id: str) -> None:
        """A prepared signature is used once (or dropped when it expired or went stale)."""
        await self.prepared.delete_one({"_id": prepared_id})

    async def get_acuse(self, entrega_id: str) -> dict[str, Any] | None:
        return await self.acuses.find_one({"_id": entrega_id}, {"_outbox": 0})

    async def insert_acuse(
        self,
        receipt: AcuseReceipt,
        *,
        document: dict[str, Any],
        url: str,
        level: Level,
        events: list[Event],
    ) -> bool:
        """Keep the acuse with its event; False when another call stored this delivery's acuse first."""
        acuse = {
            "_id": receipt.entrega_id,
            "oficio_id": receipt.oficio_id,
            "folio": receipt.folio,
            "funcionario_id": receipt.funcionario_id,
            "unidad_id": receipt.unidad_id,
            "dependencia": receipt.dependencia,
            "recibido_en": receipt.recibido_en,
            "documento": document,
            "url_verificacion": url,
            "nivel": level,
            "sellado_en": datetime.now(UTC),
        }
        try:
            await insert_with_events(self.acuses, acuse, events)
        except DuplicateKeyError:
            return False
        return True

    # --- the archive renewal job (signum.signing.renewal) ---------------------------------------

    def _archived(self, kind: ArchiveKind) -> tuple[AsyncIOMotorCollection[Any], str, dict[str, Any]]:
        field, final = _ARCHIVED[kind]
        return (self.pending if kind == "oficio" else self.acuses), field, final

    async def due_for_archive(
        self, kind: ArchiveKind, *, now: datetime, ends_before: datetime, limit: int
    ) -> list[dict[str, Any]]:
        """Stored signed documents the renewal job must look at: never looked at yet, or whose last
        timestamp ends before `ends_before` (and not waiting to be retried, nor leased)."""
        collection, field, final = self._archived(kind)
        query = {
            **final,
            field: {"$exists": True},
            "$and": [
                {"$or": [{"archivo": None}, {"archivo.protegido_hasta": {"$lte": ends_before}}]},
                {"$or": [{"archivo.reintentar_en": None}, {"archivo.reintentar_en": {"$lte": now}}]},
                {"$or": [{"archivo_renovando_hasta": None}, {"archivo_renovando_hasta": {"$lte": now}}]},
            ],
        }
        cursor = collection.find(query, {"_applied": 0, "_outbox": 0}).limit(limit)
        return list(await cursor.to_list(length=limit))

    async def lease_for_archive(
        self, kind: ArchiveKind, document_id: str, sha256: str, *, now: datetime, until: datetime
    ) -> dict[str, Any] | None:
        """Take the document for one renewal (so another replica's job leaves it), if its current
        PDF is still `sha256` and nobody holds it: the document's note of a renewal left half done
        (`archivo_en_curso`, or none), or None when not taken."""
        collection, field, _ = self._archived(kind)
        taken = await collection.find_one_and_update(
            {
                "_id": document_id,
                f"{field}.sha256": sha256,
                "$or": [{"archivo_renovando_hasta": None}, {"archivo_renovando_hasta": {"$lte": now}}],
            },
            {"$set": {"archivo_renovando_hasta": until}},
            projection={"_id": 0, "archivo_en_curso": 1},
        )
        return None if taken is None else dict(taken)

    async def note_renewal_in_progress(
        self, kind: ArchiveKind, document_id: str, *, previous_sha256: str, sha256: str
    ) -> None:
        """Before the renewed PDF is stored: which one it is, so that a job that dies between storing
        it and recording it is finished with that PDF, not with another one (the WORM bucket would
        keep both for their retention)."""
        collection, _, _ = self._archived(kind)
        await collection.update_one(
            {"_id": document_id},
            {"$set": {"archivo_en_curso": {"anterior_sha256": previous_sha256, "sha256": sha256}}},
        )

    async def note_archive(self, kind: ArchiveKind, document_id: str, archivo: dict[str, Any]) -> None:
        """What the job found (how long the last timestamp protects, when to look again); releases
        the lease."""
        collection, _, _ = self._archived(kind)
        await collection.update_one(
            {"_id": document_id},
            {"$set": {"archivo": archivo}, "$unset": {"archivo_renovando_hasta": ""}},
        )

    async def record_renewal(
        self,
        kind: ArchiveKind,
        document_id: str,
        *,
        previous_sha256: str,
        documento: dict[str, Any],
        archivo: dict[str, Any],
        renovacion: dict[str, Any],
        events: list[Event],
    ) -> bool:
        """The renewed PDF becomes the current one, with its event, only if the current one is still
        `previous_sha256`; the renewal is kept in the document's history (`renovaciones`)."""
        collection, field, _ = self._archived(kind)
        result = await update_with_events(
            collection,
            {"_id": document_id, f"{field}.sha256": previous_sha256},
            {
                "$set": {field: documento, "archivo": archivo},
                "$unset": {"archivo_renovando_hasta": "", "archivo_en_curso": ""},
                "$push": {"renovaciones": renovacion},
            },
            events,
        )
        return bool(result.modified_count)

    async def save_renewal_run(self, run: dict[str, Any]) -> None:
        await self.renewal_runs.replace_one({"_id": run["_id"]}, run, upsert=True)

    async def renewal_runs_recent(self, limit: int) -> list[dict[str, Any]]:
        cursor = self.renewal_runs.find({}).sort("inicio", -1).limit(limit)
        return list(await cursor.to_list(length=limit))
