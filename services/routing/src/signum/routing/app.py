"""Composition root of the routing service."""

from __future__ import annotations

from dataclasses import replace

from fastapi import FastAPI

from signum.platform.directory import DirectoryReadModel
from signum.platform.http import InternalClient, internal_token_guard
from signum.platform.service import ServiceRuntime, create_app, serve
from signum.platform.storage_client import StorageClient
from signum.platform.uploads import MULTIPART_ENVELOPE, BodyRule, Limit
from signum.routing import api
from signum.routing.core import SYSTEM
from signum.routing.events import EVENTS
from signum.routing.fanout import BroadcastNotifier
from signum.routing.handlers import handlers
from signum.routing.mail import Mailer
from signum.routing.repository import Store
from signum.routing.service import RoutingService
from signum.routing.settings import Settings


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, uses_s3=False)
    store = Store(runtime.db)
    runtime.on_startup(store.ensure_indexes)
    # Local data of an older version kept one inbox collection per owner: moved once, at start.
    runtime.on_startup(store.migrate)
    runtime.outbox(store.oficios.collection)
    directory = DirectoryReadModel(runtime.db)
    runtime.on_startup(directory.ensure_indexes)
    token = settings.infra.internal_token
    # Streams may be open on any replica: notifications reach them all through Kafka (fanout.py).
    notifier = BroadcastNotifier(settings.infra)
    runtime.background(notifier.run)
    service = RoutingService(
        store,
        directory,
        drafting=InternalClient("drafting", settings.drafting_url, token),
        signing=InternalClient("signing", settings.signing_url, token, timeout=30.0),
        storage=StorageClient(settings.storage_url, token, caller=SYSTEM),
        mailer=Mailer(
            settings.smtp_host, settings.smtp_port, settings.smtp_from, starttls=settings.smtp_starttls
        ),
        notifier=notifier,
        calendar=settings.calendar.work_calendar(),
        public_url=settings.public_url,
        timezone=settings.calendar.timezone,
        reminder_days=settings.reminder_working_days,
    )
    # Every handler applies its event once by itself: an oficio's change holds the event's id
    # (`_applied`) in the same transaction, the directory keeps an entity's newest revision. So no
    # processed-events read and write around each event, on the path of every delivery.
    runtime.consume(
        EVENTS.topics, EVENTS.handlers({**handlers(service), **directory.handlers()}), idempotent=True
    )

    async def retry_acuses() -> None:
        await service.retry_acuses()

    async def check_deadlines() -> None:
        await service.check_deadlines()

    runtime.every(settings.acuse_retry_seconds, retry_acuses)
    runtime.every(settings.deadline_job_seconds, check_deadlines)
    guard = internal_token_guard(token)
    scan = Limit(
        settings.max_scan_bytes,
        "scan_too_large",
        "El PDF escaneado excede {maximo}; escanéelo a menor resolución.",
    )
    app = create_app(
        runtime,
        title="Signum — turnado",
        routers=[api.router(service, guard, scan)],
        # A registro is a form: the scan (capped on its own) and a few short fields.
        body_rules=[
            BodyRule(
                "POST",
                "/internal/registros",
                replace(scan, bytes=settings.max_scan_bytes + MULTIPART_ENVELOPE),
            )
        ],
    )
    app.state.service = service
    return app


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
