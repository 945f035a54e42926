"""The only module of routing that talks to MongoDB."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase

from signum.contracts import Event
from signum.platform.consumer import apply_once


class TrackingRepository:
    """Routing's view of every oficio it knows: status and timeline, one document per oficio."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection = db["tracking"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("office_id", 1), ("status", 1)])

    async def record(self, event: Event, fields: dict[str, Any], timeline_entry: dict[str, Any]) -> bool:
        """Apply one event to the oficio's tracking document, once."""
        return await apply_once(
            self.collection,
            event.oficio_id,
            event,
            {"$set": fields, "$push": {"timeline": timeline_entry}},
        )

    async def get(self, oficio_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": oficio_id}, {"_applied": 0})
