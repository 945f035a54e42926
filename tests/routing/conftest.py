from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from signum.platform.directory import DirectoryReadModel
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings
from signum.routing.repository import Store
from signum.routing.service import RoutingService
from tests.routing.support import FakeSigning, seed_directory


@pytest.fixture
async def db(infra: InfraSettings) -> AsyncIterator[Any]:
    client = build_mongo_client(infra)
    database = client[infra.database_name("routing")]
    yield database
    await client.drop_database(database.name)
    client.close()


@pytest.fixture
def signing() -> FakeSigning:
    return FakeSigning()


@pytest.fixture
async def service(db: Any, signing: FakeSigning) -> RoutingService:
    directory = DirectoryReadModel(db)
    await directory.ensure_indexes()
    await seed_directory(directory)
    store = Store(db)
    await store.ensure_indexes()
    return RoutingService(store, directory, signing=signing)
