from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from signum.metrics.repository import MetricsRepository
from signum.metrics.service import MetricsService
from signum.platform.directory import DirectoryReadModel
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings
from tests.metrics.support import MTY
from tests.routing.support import seed_directory


@pytest.fixture
async def db(infra: InfraSettings) -> AsyncIterator[Any]:
    client = build_mongo_client(infra)
    database = client[infra.database_name("metrics")]
    yield database
    await client.drop_database(database.name)
    client.close()


@pytest.fixture
async def service(db: Any) -> MetricsService:
    directory = DirectoryReadModel(db)
    await directory.ensure_indexes()
    await seed_directory(directory)
    repository = MetricsRepository(db)
    await repository.ensure_indexes()
    return MetricsService(
        repository, directory, tz=MTY, clock=lambda: dt.datetime(2026, 12, 20, 12, tzinfo=dt.UTC)
    )
