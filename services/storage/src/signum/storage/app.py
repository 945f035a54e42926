"""Composition root of the storage service."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from signum.platform.http import InternalClient, internal_token_guard
from signum.platform.readers import OficioReaders
from signum.platform.s3 import build_s3_client
from signum.platform.service import ServiceRuntime, create_app, serve
from signum.platform.uploads import BodyRule, Limit
from signum.platform.workers import Workers
from signum.storage import api
from signum.storage.archives import ArchiveLimits
from signum.storage.domain import Catalogue
from signum.storage.events import EVENTS
from signum.storage.handlers import handlers
from signum.storage.objectstore import ObjectStore
from signum.storage.repository import AuditRepository, ObjectRepository, OficioRepository
from signum.storage.service import AuditService, StorageService
from signum.storage.settings import Settings


@dataclass
class Components:
    """What the app, the CLI and the tests share."""

    runtime: ServiceRuntime
    store: ObjectStore
    service: StorageService
    audit: AuditService


def components(settings: Settings) -> Components:
    runtime = ServiceRuntime(settings, uses_s3=True)
    assert runtime.s3 is not None
    presigner = None
    if settings.public_s3_url:
        presigner = build_s3_client(settings.infra.model_copy(update={"s3_url": settings.public_s3_url}))
    store = ObjectStore(runtime.s3, settings.infra, part_size=settings.part_size_bytes, presigner=presigner)
    objects = ObjectRepository(runtime.db)
    oficios = OficioRepository(runtime.db)
    audit_repo = AuditRepository(runtime.db)
    catalogue = Catalogue.load(settings.catalogue_path)
    relay = runtime.outbox(objects.collection)
    routing = InternalClient("routing", settings.routing_url, settings.infra.internal_token, timeout=5)
    drafting = InternalClient("drafting", settings.drafting_url, settings.infra.internal_token, timeout=5)
    service = StorageService(
        store,
        objects,
        oficios,
        catalogue,
        max_bytes=settings.max_upload_bytes,
        spool_dir=settings.spool_dir,
        presign_seconds=settings.presign_seconds,
        notify=relay.notify,
        readers=OficioReaders(runtime.db, routing),
        workers=Workers("inspect", threads=settings.inspect_threads, queue=settings.inspect_queue),
        archive_limits=ArchiveLimits(
            max_uncompressed_bytes=settings.archive_max_uncompressed_bytes,
            max_ratio=settings.archive_max_ratio,
            max_members=settings.archive_max_members,
        ),
        drafting=drafting,
    )
    audit = AuditService(audit_repo, store, oficios, head_retention_days=settings.audit_head_retention_days)
    return Components(runtime=runtime, store=store, service=service, audit=audit)


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    parts = components(settings)
    runtime = parts.runtime
    runtime.on_startup(parts.store.ensure_buckets)
    runtime.on_startup(parts.service.objects.ensure_indexes)
    runtime.on_startup(parts.audit.repo.ensure_indexes)
    by_type, default = handlers(parts.service, parts.audit)
    runtime.consume(EVENTS.topics, EVENTS.handlers(by_type, default))
    window = settings.retention_window_days

    async def warn_expiring() -> None:
        await parts.service.warn_expiring(window)

    async def seal_head() -> None:
        await parts.audit.seal()

    runtime.every(settings.retention_check_seconds, warn_expiring)
    runtime.every(settings.audit_head_seconds, seal_head)
    guard = internal_token_guard(settings.infra.internal_token)
    return create_app(
        runtime,
        title="Signum — almacenamiento",
        routers=[api.router(parts.service, parts.audit, guard)],
        # The upload itself is also counted and spooled to disk by the service (same limit).
        body_rules=[
            BodyRule(
                "POST",
                "/internal/objetos",
                Limit(
                    settings.max_upload_bytes,
                    "file_too_large",
                    "El archivo excede el tamaño máximo permitido de {maximo}.",
                ),
            )
        ],
    )


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
