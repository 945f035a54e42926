"""The only module of signing that talks to MongoDB: the signing state of finalized oficios
(`firmas_pendientes`, whose documents carry the outbox) and browser-path prepared signatures
(`preparaciones`; they hold no secret, only the laid-out PDF and the bytes to sign)."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo.errors import DuplicateKeyError

from signum.contracts import Event
from signum.contracts.drafting import OficioCancelled, OficioFinalized
from signum.platform.consumer import apply_once
from signum.platform.outbox import insert_with_events, update_with_events
from signum.platform.verification_code import short_code


class SigningRepository:
    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.pending: AsyncIOMotorCollection[Any] = db["firmas_pendientes"]
        self.prepared: AsyncIOMotorCollection[Any] = db["preparaciones"]
        self.acuses: AsyncIOMotorCollection[Any] = db["acuses"]
        # Short verification code -> the verification ids it names (one, unless two ids share it).
        self.codes: AsyncIOMotorCollection[Any] = db["codigos_verificacion"]

    async def ensure_indexes(self) -> None:
        # Look-ups are by `_id`, except each official's "Por firmar" list.
        await self.pending.create_index([("siguiente_funcionario_id", 1)], name="por_firmar")

    async def awaiting(self, funcionario_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """The oficios whose next signature is `funcionario_id`'s, oldest finalized first."""
        cursor = self.pending.find(
            {"siguiente_funcionario_id": funcionario_id, "estado": "pendiente"},
            {"_applied": 0, "_outbox": 0},
        )
        docs: list[dict[str, Any]] = await cursor.to_list(length=limit)
        return sorted(docs, key=lambda d: (d.get("finalizado_en") is None, d.get("finalizado_en"), d["_id"]))

    async def on_finalized(self, event: OficioFinalized, fields: dict[str, Any]) -> bool:
        """Start (or restart, for a new finalized version) the oficio's signing state, once."""
        return await apply_once(self.pending, event.oficio_id, event, {"$set": fields})

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

    async def save_prepared(self, document: dict[str, Any]) -> None:
        await self.prepared.insert_one(document)

    async def get_prepared(self, prepared_id: str) -> dict[str, Any] | None:
        return await self.prepared.find_one({"_id": prepared_id})

    async def take_prepared(self, prepared_id: str) -> dict[str, Any] | None:
        document: dict[str, Any] | None = await self.prepared.find_one_and_delete({"_id": prepared_id})
        return document

    async def get_acuse(self, entrega_id: str) -> dict[str, Any] | None:
        return await self.acuses.find_one({"_id": entrega_id}, {"_outbox": 0})

    async def insert_acuse(self, document: dict[str, Any], events: list[Event]) -> bool:
        """Keep the acuse with its event; False when another call stored this delivery's acuse first."""
        try:
            await insert_with_events(self.acuses, document, events)
        except DuplicateKeyError:
            return False
        return True
