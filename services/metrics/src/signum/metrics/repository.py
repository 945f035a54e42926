"""The only module of metrics that talks to MongoDB."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase


class OficioTimesRepository:
    """When each kind of event first happened to each oficio: the raw material of every duration."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection = db["oficio_times"]

    async def record(self, oficio_id: str, event_type: str, at: datetime) -> None:
        # `$min` keeps the first time; applying the same event again changes nothing.
        key = event_type.replace(".", "_")
        await self.collection.update_one({"_id": oficio_id}, {"$min": {f"first.{key}": at}}, upsert=True)

    async def get(self, oficio_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": oficio_id})
