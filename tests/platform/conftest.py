from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from motor.motor_asyncio import AsyncIOMotorDatabase

from signum.contracts import Actor
from signum.contracts.drafting import OficioCreated, OficioCreatedPayload
from signum.platform.kafka import all_topics, ensure_topics
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings


def oficio_created(oficio_id: str | None = None) -> OficioCreated:
    return OficioCreated(
        oficio_id=oficio_id or str(uuid.uuid4()),
        correlation_id=uuid.uuid4().hex,
        actor=Actor(kind="official", id="mgarza"),
        payload=OficioCreatedPayload(
            kind="oficio", asunto="Informe mensual", office_id="TES-DI", author_id="mgarza"
        ),
    )


@pytest.fixture
async def db(infra: InfraSettings) -> AsyncIterator[AsyncIOMotorDatabase[Any]]:
    client = build_mongo_client(infra)
    database = client[infra.database_name("platformtest")]
    yield database
    await client.drop_database(database.name)
    client.close()


@pytest.fixture
async def topics(infra: InfraSettings) -> None:
    await ensure_topics(infra, all_topics(infra))


@pytest.fixture
async def broker(infra: InfraSettings, topics: None) -> AsyncIterator[KafkaBroker]:
    """A started broker, for publishing only (consumers register on a broker of their own)."""
    b = KafkaBroker(infra.kafka_url)
    await b.start()
    yield b
    await b.stop()
