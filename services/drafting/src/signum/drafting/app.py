"""Composition root of the drafting service."""

from __future__ import annotations

from fastapi import FastAPI

from signum.drafting import api, lifecycle
from signum.drafting.events import EVENTS
from signum.drafting.recipients import DirectoryResolver
from signum.drafting.rendering import Renderer
from signum.drafting.repository import FolioCounters, OficioRepository, TemplateRepository
from signum.drafting.service import DraftingService, TemplateService
from signum.drafting.settings import Settings
from signum.drafting.storage import DRAFTING, DraftingStorage
from signum.platform.directory import DirectoryReadModel
from signum.platform.http import InternalClient, internal_token_guard
from signum.platform.readers import OficioReaders
from signum.platform.service import ServiceRuntime, create_app, serve
from signum.platform.storage_client import StorageClient
from signum.platform.uploads import BodyRule, Limit


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, uses_s3=False)
    repository = OficioRepository(runtime.db)
    template_repository = TemplateRepository(runtime.db)
    directory = DirectoryReadModel(runtime.db)
    renderer = Renderer()
    templates = TemplateService(
        template_repository, renderer, municipality=settings.municipality, state=settings.state
    )
    folios = FolioCounters(runtime.db)
    runtime.on_startup(repository.ensure_indexes)
    runtime.on_startup(template_repository.ensure_indexes)
    runtime.on_startup(folios.ensure_indexes)
    # Documents stored before this design (wrapped inner arrays, a document per folio), once.
    runtime.on_startup(repository.migrate)
    runtime.on_startup(folios.migrate)
    runtime.on_startup(templates.seed_default)
    runtime.on_startup(directory.ensure_indexes)
    # The oficio's state after drafting: signed (signing's event), sent (routing's); and who reads it
    # besides its participants (routing's deliveries).
    follow = lifecycle.handlers(lifecycle.Lifecycle(repository))
    routing = InternalClient("routing", settings.routing_url, settings.infra.internal_token, timeout=5)
    readers = OficioReaders(runtime.db, routing)
    runtime.consume(EVENTS.topics, EVENTS.handlers(directory.handlers() | follow | readers.handlers()))

    async def prefix_of(unidad_id: str) -> str:
        # The unit's folio prefix from the directory; the unit id until the directory has it.
        unidad = await directory.unidad(unidad_id)
        return unidad.prefijo_folio if unidad is not None else unidad_id

    relay = runtime.outbox(repository.collection) if settings.outbox_relay_enabled else None
    storage = StorageClient(settings.storage_url, settings.infra.internal_token, caller=DRAFTING, timeout=60)
    service = DraftingService(
        repository,
        relay,
        templates=templates,
        folios=folios,
        renderer=renderer,
        store=DraftingStorage(storage),
        prefix_of=prefix_of,
        recipients=DirectoryResolver(directory),
        folio_format=settings.folio_format,
        timezone=settings.timezone,
        lease_seconds=settings.finalize_lease_seconds,
        readers=readers,
        public_url=settings.public_url,
        metrics=runtime.metrics,
    )
    guard = internal_token_guard(settings.infra.internal_token)
    template = Limit(settings.max_template_bytes)
    return create_app(
        runtime,
        title="Signum — redacción",
        routers=[api.router(service, templates, guard)],
        body_rules=[
            BodyRule("POST", "/internal/plantillas", template),
            BodyRule("PUT", "/internal/plantillas/{plantilla_id}", template),
        ],
    )


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
