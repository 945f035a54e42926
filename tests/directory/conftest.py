from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorDatabase

from signum.contracts import Actor
from signum.gateway.directory.repository import DirectoryRepository
from signum.gateway.directory.service import DirectoryService
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings

ADMIN = Actor(kind="official", id="10010")


@pytest.fixture
async def gateway_db(infra: InfraSettings) -> AsyncIterator[AsyncIOMotorDatabase[Any]]:
    """The gateway's database of this test (dropped afterwards)."""
    client = build_mongo_client(infra)
    db = client[infra.database_name("gateway")]
    yield db
    await client.drop_database(db.name)
    client.close()


@pytest.fixture
async def repo(gateway_db: AsyncIOMotorDatabase[Any]) -> DirectoryRepository:
    repository = DirectoryRepository(gateway_db)
    await repository.ensure_indexes()
    return repository


@pytest.fixture
def service(repo: DirectoryRepository) -> DirectoryService:
    return DirectoryService(repo)
