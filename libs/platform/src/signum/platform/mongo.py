"""MongoDB client factory (motor). Only services' repository modules use the client directly."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase

from signum.platform.settings import InfraSettings


def build_mongo_client(infra: InfraSettings) -> AsyncIOMotorClient[Any]:
    """A client that fails fast when the server is down instead of hanging a request."""
    return AsyncIOMotorClient(
        infra.mongo_url,
        tz_aware=True,
        uuidRepresentation="standard",
        serverSelectionTimeoutMS=3_000,
        connectTimeoutMS=3_000,
        appname="signum",
    )


def service_database(
    client: AsyncIOMotorClient[Any], infra: InfraSettings, service: str
) -> AsyncIOMotorDatabase[Any]:
    """The database owned by `service`."""
    return client[infra.database_name(service)]


async def ping(db: AsyncIOMotorDatabase[Any]) -> None:
    """Raise if the database does not answer."""
    await db.command("ping")
