"""The only module of drafting that talks to MongoDB."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase

from signum.contracts import Event
from signum.drafting.domain import Draft
from signum.platform.outbox import new_document_with_events


class OficioRepository:
    """Drafts, one document per oficio, with their pending events (outbox) inside."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection = db["oficios"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("office_id", 1), ("created_at", -1)])
        await self.collection.create_index([("participantes", 1)])

    async def insert(self, draft: Draft, events: list[Event]) -> None:
        """Store a new draft and its events in one write."""
        await self.collection.insert_one(new_document_with_events(_to_document(draft), events))

    async def get(self, oficio_id: str) -> Draft | None:
        doc = await self.collection.find_one({"_id": oficio_id})
        return None if doc is None else _from_document(doc)


def _to_document(draft: Draft) -> dict[str, Any]:
    return {
        "_id": draft.id,
        "kind": draft.kind,
        "asunto": draft.asunto,
        "office_id": draft.office_id,
        "author_id": draft.author_id,
        "colaboradores": [{"funcionario_id": o, "rol": r} for o, r in draft.colaboradores],
        "participantes": sorted(draft.participantes),
        "confidencialidad": draft.confidencialidad,
        "status": draft.status,
        "created_at": draft.created_at,
        "version": draft.version,
    }


def _from_document(doc: dict[str, Any]) -> Draft:
    return Draft(
        id=doc["_id"],
        kind=doc["kind"],
        asunto=doc["asunto"],
        office_id=doc["office_id"],
        author_id=doc["author_id"],
        colaboradores=tuple((c["funcionario_id"], c["rol"]) for c in doc.get("colaboradores", [])),
        confidencialidad=doc.get("confidencialidad", "publica"),
        status=doc["status"],
        created_at=doc["created_at"],
        version=doc["version"],
    )
