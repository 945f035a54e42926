from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from signum.drafting.rendering import Renderer
from signum.drafting.repository import FolioCounters, OficioRepository, TemplateRepository
from signum.drafting.service import DraftingService, TemplateService
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings
from tests.drafting.support import MemoryStore


@pytest.fixture(scope="session")
def shared_renderer() -> Renderer:
    return Renderer()


@pytest.fixture
async def db(infra: InfraSettings) -> AsyncIterator[Any]:
    client = build_mongo_client(infra)
    database = client[infra.database_name("drafting")]
    yield database
    await client.drop_database(database.name)
    client.close()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def templates(db: Any, shared_renderer: Renderer) -> TemplateService:
    repo = TemplateRepository(db)
    await repo.ensure_indexes()
    service = TemplateService(repo, shared_renderer, municipality="Monterrey", state="Nuevo León")
    await service.seed_default()
    return service


@pytest.fixture
async def drafting(db: Any, templates: TemplateService, shared_renderer: Renderer, store: MemoryStore) -> Any:
    repo = OficioRepository(db)
    await repo.ensure_indexes()

    async def prefix_of(unidad_id: str) -> str:
        return f"SIGA/{unidad_id}"

    folios = FolioCounters(db)
    await folios.ensure_indexes()
    return DraftingService(
        repo,
        None,
        templates=templates,
        folios=folios,
        renderer=shared_renderer,
        store=store,
        prefix_of=prefix_of,
        public_url="https://signum.monterrey.gob.mx",
    )
