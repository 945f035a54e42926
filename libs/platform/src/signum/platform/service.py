"""The runtime every service process shares: one FastStream Kafka app and one FastAPI app.

A service's `app.py` builds its Settings, a `ServiceRuntime`, registers its consumers, outbox
collections and routes, and calls `create_app`. The process comes up even when Kafka, MongoDB or
S3 are down: /healthz answers, /readyz says what is missing, and the runtime keeps trying.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorCollection, AsyncIOMotorDatabase
from pydantic import BaseModel, Field

from signum.contracts import Event, Topic
from signum.platform import mongo, s3
from signum.platform.consumer import Batch, EventConsumer, Handler
from signum.platform.health import Check, CheckResult, run_checks
from signum.platform.http import install_error_handlers, install_request_middleware
from signum.platform.kafka import all_topics, build_broker, ensure_topics, publish_event
from signum.platform.logging import configure_logging, get_logger
from signum.platform.metrics import CONTENT_TYPE_LATEST, KafkaOffsets, ServiceMetrics
from signum.platform.openapi import (
    SecurityRule,
    StatusRule,
    SuccessRule,
    document_errors,
    internal_error_statuses,
)
from signum.platform.outbox import OutboxRelay, ensure_outbox_indexes
from signum.platform.settings import ServiceSettings
from signum.platform.uploads import BodyRule, ErrorRenderer, render_json

StartupHook = Callable[[], Awaitable[None]]
# What a process needs to serve requests itself (see `ServiceRuntime.readiness`).
LOCAL_CHECKS = frozenset({"mongo", "s3", "startup"})

RETRY_CAP_SECONDS = 10.0

log = get_logger(__name__)


class ServiceRuntime:
    """Clients, broker, outbox relay and consumers of one service process."""

    def __init__(self, settings: ServiceSettings, *, uses_s3: bool = True) -> None:
        self.settings = settings
        self.name = settings.service_name
        self.infra = settings.infra
        self.metrics = ServiceMetrics(self.name)
        self.broker: KafkaBroker = build_broker(self.infra, self.name, self.metrics)
        self.mongo: AsyncIOMotorClient[Any] = mongo.build_mongo_client(self.infra)
        self.db: AsyncIOMotorDatabase[Any] = mongo.service_database(self.mongo, self.infra, self.name)
        self.s3 = s3.build_s3_client(self.infra) if uses_s3 else None
        self.relay: OutboxRelay | None = None
        self.consumers: list[EventConsumer] = []
        self._startup_hooks: list[StartupHook] = []
        self._extra_checks: dict[str, Check] = {}
        self._periodic: list[tuple[float, StartupHook]] = []
        self._background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._outbox_collections: list[AsyncIOMotorCollection[Any]] = []
        self._kafka_connected = asyncio.Event()
        self._started = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # --- composition -------------------------------------------------------------------------

    def add_check(self, name: str, check: Check) -> None:
        """Add a readiness check (the gateway adds one per service)."""
        self._extra_checks[name] = check

    def every(self, seconds: float, job: StartupHook) -> None:
        """Run `job` every `seconds` once started (failures are logged and retried next time)."""
        self._periodic.append((seconds, job))

    def background(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run the long-lived `job` once Kafka is connected, until the process stops."""
        self._background.append(job)

    def on_startup(self, hook: StartupHook) -> None:
        """Run `hook` once at start (retried until it succeeds), e.g. to create indexes."""
        self._startup_hooks.append(hook)

    def outbox(self, *collections: AsyncIOMotorCollection[Any]) -> OutboxRelay:
        """Relay the pending events of these collections to Kafka."""
        self._outbox_collections.extend(collections)
        for coll in collections:
            self.on_startup(functools.partial(ensure_outbox_indexes, coll))
        self.relay = OutboxRelay(
            self._outbox_collections,
            self.publish,
            self.metrics,
            poll_seconds=self.settings.outbox_poll_seconds,
        )
        return self.relay

    def consume(
        self,
        topics: Iterable[Topic],
        handlers: dict[str, Handler],
        *,
        default: Handler | None = None,
        idempotent: bool = False,
        batch: Batch | None = None,
    ) -> EventConsumer:
        """Subscribe to `topics`, applying each event through its handler exactly once
        (`idempotent`: the handlers see to it themselves; see `EventConsumer`; with `batch`, the
        events of its types a fetch at a time: see `Batch`)."""
        consumer = EventConsumer(
            service=self.name,
            broker=self.broker,
            infra=self.infra,
            db=self.db,
            metrics=self.metrics,
            topics=topics,
            handlers=handlers,
            default=default,
            max_attempts=self.settings.consumer_max_attempts,
            idempotent=idempotent,
            batch=batch,
        )
        consumer.register()
        self.consumers.append(consumer)
        return consumer

    async def publish(self, event: Event) -> None:
        """Publish an event now (the outbox relay uses this; use the outbox for state changes)."""
        if not self._kafka_connected.is_set():
            raise ConnectionError("Kafka is not connected yet")
        await publish_event(self.broker, self.infra, event)

    # --- lifecycle ---------------------------------------------------------------------------

    async def _bootstrap(self) -> None:
        await self._retry("startup hooks", self._run_startup_hooks)
        self._started.set()
        if self.relay is not None:  # also while Kafka is down: that is when an outbox gets stuck
            sampler = self._sample_every("outbox", self._sample_outbox)
            self._tasks.append(asyncio.create_task(sampler, name="outbox-sampler"))
        for seconds, job in self._periodic:
            self._tasks.append(asyncio.create_task(self._repeat(seconds, job)))
        await self._retry("kafka", self._connect_kafka)
        self._kafka_connected.set()
        for job in self._background:
            self._tasks.append(asyncio.create_task(job(), name=getattr(job, "__name__", "background")))
        if self.consumers:
            self._tasks.append(asyncio.create_task(self._sample_offsets(), name="offsets-sampler"))
        log.info("service started", kafka=self.infra.kafka_url)
        if self.relay is not None:
            self.relay.start()
            self.relay.notify()

    async def _sample_every(self, what: str, sample: StartupHook) -> None:
        """Run `sample` every `metrics_sample_seconds`: the gauges only a query can tell."""
        seconds = self.settings.metrics_sample_seconds
        while True:
            try:
                await asyncio.wait_for(sample(), timeout=max(seconds, 10.0))
            except Exception as exc:  # noqa: BLE001 - a gauge left stale must not stop the sampling
                log.warning("metrics sample failed", sample=what, error=repr(exc))
            await asyncio.sleep(seconds)

    async def _sample_offsets(self) -> None:
        """Consumer lag and DLQ sizes, from Kafka's offsets (once the topics exist)."""
        topics = [t for c in self.consumers for t in c.topics]
        offsets = KafkaOffsets(self.metrics, self.infra.kafka_url, self.infra.group_id(self.name), topics)
        try:
            await self._sample_every("kafka offsets", offsets.sample)
        finally:
            await offsets.close()

    async def _sample_outbox(self) -> None:
        """The outbox's backlog and the age of its oldest waiting write, from MongoDB."""
        if self.relay is None:
            return
        self.metrics.outbox_pending.set(await self.relay.pending())
        oldest = await self.relay.oldest_pending()
        age = 0.0 if oldest is None else (datetime.now(UTC) - oldest).total_seconds()
        self.metrics.outbox_oldest_age.set(max(age, 0.0))

    async def _repeat(self, seconds: float, job: StartupHook) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception as exc:  # noqa: BLE001 - a periodic job must not die on one failure
                log.warning("periodic job failed", job=getattr(job, "__name__", repr(job)), error=repr(exc))

    async def _run_startup_hooks(self) -> None:
        for hook in self._startup_hooks:
            await hook()
        self._startup_hooks.clear()

    async def _connect_kafka(self) -> None:
        await ensure_topics(self.infra, all_topics(self.infra))
        await self.broker.start()

    async def _retry(self, what: str, step: Callable[[], Awaitable[None]]) -> None:
        delay = 0.5
        while True:
            try:
                await step()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - infrastructure not up yet: wait and retry
                log.warning("startup step failed; retrying", step=what, error=repr(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_CAP_SECONDS)

    @contextlib.asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        """Start in the background, serve, then stop everything in order."""
        configure_logging(self.name, self.infra.log_level)
        self._tasks.append(asyncio.create_task(self._bootstrap(), name=f"{self.name}-bootstrap"))
        try:
            yield
        finally:
            for task in self._tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if self.relay is not None:
                await self.relay.stop()
            with contextlib.suppress(Exception):
                await self.broker.stop()
            self.mongo.close()

    # --- health ------------------------------------------------------------------------------

    def readiness_checks(self) -> dict[str, Check]:
        """What /readyz checks: Kafka, MongoDB, S3 and that start-up finished."""

        async def kafka() -> bool:
            return self._kafka_connected.is_set() and await self.broker.ping(timeout=2.0)

        async def started() -> bool:
            return self._started.is_set()

        checks: dict[str, Check] = {
            "kafka": kafka,
            "mongo": lambda: mongo.ping(self.db),
            "startup": started,
        }
        if self.s3 is not None:
            client = self.s3
            checks["s3"] = lambda: s3.ping(client)
        return checks | self._extra_checks

    async def readiness(self, scope: Literal["all", "local"] = "all") -> tuple[bool, list[CheckResult]]:
        """Run the readiness checks: all of them, or only what this process needs to serve
        requests (`local`: its database, its object store, start-up finished). Without Kafka a
        process still serves (events wait in the outbox), and the gateway still serves what the
        services it can reach answer; so orchestrators route traffic on `local` and operators
        read `all`."""
        checks = self.readiness_checks()
        if scope == "local":
            checks = {name: check for name, check in checks.items() if name in LOCAL_CHECKS}
        results = await run_checks(checks)
        return all(r.ok for r in results), results


class Health(BaseModel):
    """El proceso está vivo."""

    status: str
    service: str


class CheckOut(BaseModel):
    """Una verificación: si pasa y, si no, por qué."""

    ok: bool
    detail: str | None = None


class Readiness(BaseModel):
    """Si el proceso alcanza lo que usa, verificación por verificación."""

    service: str
    ready: bool
    checks: dict[str, CheckOut] = Field(description="Cada verificación por nombre.")


def health_router(runtime: ServiceRuntime) -> APIRouter:
    """/healthz, /readyz and /metrics of a service."""
    router = APIRouter(tags=["operación"])

    @router.get("/healthz", response_model=Health, summary="El proceso está vivo")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.name}

    @router.get(
        "/readyz",
        response_model=None,
        responses={
            200: {"model": Readiness, "description": "Listo."},
            503: {"model": Readiness, "description": "Alguna verificación falla (`checks` dice cuál)."},
        },
        summary="El proceso alcanza Kafka, MongoDB y S3",
    )
    async def readyz(scope: Literal["all", "local"] = "all") -> JSONResponse:
        ready, results = await runtime.readiness(scope)
        body = {
            "service": runtime.name,
            "ready": ready,
            "checks": {r.name: r.as_dict() for r in results},
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Métricas de Prometheus", include_in_schema=False)
    async def metrics() -> Response:
        return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    description: str = "",
    docs_url: str | None = "/docs",
    redoc_url: str | None = "/redoc",
    body_rules: Sequence[BodyRule] = (),
    render_error: ErrorRenderer = render_json,
    error_statuses: StatusRule = internal_error_statuses,
    security: SecurityRule | None = None,
    security_schemes: Mapping[str, dict[str, Any]] | None = None,
    success: SuccessRule | None = None,
) -> FastAPI:
    """The FastAPI app of a service, with health, metrics, errors and its routers.

    `docs_url`/`redoc_url` None leaves out FastAPI's documentation pages (they load from a CDN);
    the gateway serves its own from vendored files. Request bodies are limited by `body_rules`
    (the upload routes), else `settings.max_body_bytes`; `render_error` renders the 413. Its OpenAPI
    document gives every operation the error statuses `error_statuses` derives (see
    `signum.platform.openapi.document_errors`)."""
    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=runtime.lifespan,
        docs_url=docs_url,
        redoc_url=redoc_url,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    install_request_middleware(
        app,
        runtime.metrics,
        max_body_bytes=runtime.settings.max_body_bytes,
        body_rules=body_rules,
        render_error=render_error,
    )
    app.include_router(health_router(runtime))
    for router in routers:
        app.include_router(router)
    document_errors(
        app, error_statuses, security=security, security_schemes=security_schemes, success=success
    )
    return app


def server_config(app: FastAPI, settings: ServiceSettings) -> uvicorn.Config:
    """The uvicorn configuration of a service: its address and how long idle connections live."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_keep_alive=settings.http_keep_alive_seconds,
    )


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the app with uvicorn on the configured address (one process)."""
    uvicorn.Server(server_config(app, settings)).run()
