"""Routing at scale: an inbox page among 1,000,000 deliveries in one collection, and the latency of a
delivery from `oficio.signed` to the recipient's server-sent event.

inbox_vs_raw_mongo
    SIGNUM_BENCH_DELIVERIES (default 1,000,000) inbox entries (deliveries, as routing projects them)
    for SIGNUM_BENCH_OWNERS officials (default 2,000) are bulk-loaded with insert_many into routing's
    ONE inbox collection (`bandeja`) and its indexes built (`Store.ensure_indexes`). value: p50 seconds
    of one filtered inbox page (folder, priority, state and a date range; 25 per page) through
    routing's own code (`inbox.Inbox.page` -> `InboxRepository.page`, what the API route calls).
    baseline: p50 of the same find/sort/limit with motor on the same collection, server and index.
    ratio = value / baseline (goal: <= 1.2); p95 of both is in the note.

delivery_p99_vs_raw_path
    oficio.signed events are produced at a sustained rate to a real routing process; value: p99
    seconds from the produce to the recipient's server-sent event (routing notifies after the
    transaction that writes the oficio's deliveries and inbox entries commits). baseline: p99 of the
    minimum the same path needs done by hand, in the same seconds (its messages interleaved with the
    oficio.signed events, so both see the same load of the machine), at the same rate on the same
    servers: an aiokafka produce -> consume hop (a consumer group, joined before the first message,
    fetching as routing's consumer does: `kafka_fetch_max_wait_ms`), then the writes routing makes
    before the recipient hears of it, with motor and no transaction (the oficio's update, one bulk
    write of its two inbox entries; routing's consumer writes no processed-event mark, its handlers
    apply each event once themselves). ratio = value / baseline (goal: <= 2).
    SIGNUM_BENCH_DELIVERY_SECONDS (default 60: 180 deliveries and 180 raw messages; with 60, a p99
    was the second slowest of all, one stall of the shared machine) sets how long events are produced.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import UpdateOne

from bench.harness import Result, machine
from signum.contracts import Actor
from signum.contracts.directory import FuncionarioPayload, PuestoPayload, UnidadPayload
from signum.contracts.drafting import (
    Addressee,
    OficioFinalized,
    OficioFinalizedPayload,
    SignerSlot,
    StoredObject,
)
from signum.contracts.envelope import uuid7
from signum.contracts.signing import OficioSigned, OficioSignedPayload, SignerCertificate
from signum.platform.directory import DirectoryReadModel
from signum.platform.http import CALLER_HEADER, INTERNAL_TOKEN_HEADER
from signum.platform.identity import Caller
from signum.platform.kafka import all_topics, ensure_topics
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings
from signum.routing import domain
from signum.routing.repository import INBOX, Store, inbox_key
from signum.routing.service import RoutingService
from signum.testing.processes import ServiceProcess

DELIVERIES = int(os.environ.get("SIGNUM_BENCH_DELIVERIES", "1000000"))
OWNERS = max(1, min(int(os.environ.get("SIGNUM_BENCH_OWNERS", "2000")), DELIVERIES // 50))
BATCH = 10_000
QUERIES = 60
RATE_PER_SECOND = 3
DURATION_SECONDS = int(os.environ.get("SIGNUM_BENCH_DELIVERY_SECONDS", "60"))


def _env(infra: InfraSettings, ns: str) -> dict[str, str]:
    return {
        "SIGNUM_KAFKA_URL": infra.kafka_url,
        "SIGNUM_MONGO_URL": infra.mongo_url,
        "SIGNUM_KAFKA_NAMESPACE": f"{ns}.",
        "SIGNUM_MONGO_DB_PREFIX": f"{ns}_",
        "SIGNUM_S3_BUCKET_PREFIX": f"{ns}-",
        "SIGNUM_ENVIRONMENT": "test",
        "SIGNUM_LOG_LEVEL": "WARNING",
    }


def _infra(base: InfraSettings, ns: str) -> InfraSettings:
    return base.model_copy(update={"kafka_namespace": f"{ns}.", "mongo_db_prefix": f"{ns}_"})


def _headers(caller: Caller, infra: InfraSettings) -> dict[str, str]:
    return {
        INTERNAL_TOKEN_HEADER: infra.internal_token.get_secret_value(),
        CALLER_HEADER: json.dumps(caller.model_dump(mode="json"), ensure_ascii=True),
    }


def _entry(owner_index: int, k: int, start: datetime) -> dict[str, Any]:
    """The k-th inbox entry of one official, as routing projects a delivery (`projection.delivery_entry`)."""
    n = k * OWNERS + owner_index
    oficio_id = f"bench-{n:08d}"
    entrega = domain.entrega_id(oficio_id, "destinatario", f"F{owner_index:05d}")
    entry_id = f"e:{entrega}"
    when = start + timedelta(hours=12 * k, minutes=owner_index % 600)
    folio = f"SIGA/U{n % 97:03d}/{n:06d}/2026"
    asunto = f"Solicitud {n} de información del programa {k % 53}"
    copia = k % 7 == 3
    owner = f"F{owner_index:05d}"
    return {
        "_id": inbox_key(owner, entry_id),
        "dueno": owner,
        "entrada": entry_id,
        "tipo": "entrega",
        "carpeta": "copias" if copia else "recibidos",
        "orden": domain.sort_key(when, entry_id),
        "fecha": when,
        "oficio_id": oficio_id,
        "entrega_id": entrega,
        "motivo": "copia" if copia else "destinatario",
        "folio": folio,
        "asunto": asunto,
        "estado": "enviado" if k % 2 == 0 else ("recibido", "turnado", "respondido")[k % 3],
        "prioridad": "urgente" if k % 5 == 0 else "ordinaria",
        "remitente": "Lic. Remitente de Pruebas",
        "remitente_unidad": f"U{k % 97:03d}",
        "remitente_unidad_nombre": f"Unidad {k % 97}",
        "leido": k % 3 == 0,
        "fecha_limite": None,
        "vencido": False,
        "instruccion": None,
        "en_lugar_de": None,
        "texto": domain.search_text(folio, asunto, "Lic. Remitente de Pruebas"),
    }


async def _load(db: Any) -> tuple[float, datetime]:
    """Bulk-load the inbox entries into the one inbox collection (insert_many, officials interleaved
    as deliveries arrive), then build routing's indexes."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    per_owner = DELIVERIES // OWNERS
    began = time.perf_counter()
    coll = db[INBOX]
    batch: list[dict[str, Any]] = []
    for k in range(per_owner):
        for owner in range(OWNERS):
            batch.append(_entry(owner, k, start))
            if len(batch) >= BATCH:
                await coll.insert_many(batch, ordered=False)
                batch = []
    if batch:
        await coll.insert_many(batch, ordered=False)
    await Store(db).ensure_indexes()
    return time.perf_counter() - began, start


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def inbox_vs_raw_mongo(base: InfraSettings) -> Result:
    ns = f"benchrt{uuid.uuid4().hex[:6]}"
    infra = _infra(base, ns)
    client = build_mongo_client(infra)
    db = client[infra.database_name("routing")]
    try:
        load_seconds, start = await _load(db)
        print(
            f"  loaded {DELIVERIES:,} deliveries for {OWNERS:,} officials in {load_seconds:.1f} s", flush=True
        )
        service = RoutingService(Store(db), DirectoryReadModel(db))
        owner = f"F{min(42, OWNERS - 1):05d}"
        # An owner's deliveries span half a day each: skip the oldest tenth, keep four fifths after it
        # (the newest are filtered out, so the page starts inside the index range, not at its end).
        per_owner = DELIVERIES // OWNERS
        desde = (start + timedelta(days=per_owner // 20)).date()
        hasta = desde + timedelta(days=per_owner * 2 // 5)
        caller = Caller(kind="official", id=owner, unidad_id="U000")
        mty = service.routing.tz  # routing's day boundaries
        raw_filter = {
            "dueno": owner,
            "carpeta": "recibidos",
            "estado": "enviado",
            "prioridad": "urgente",
            "fecha": {
                "$gte": datetime.combine(desde, datetime.min.time(), mty).astimezone(UTC),
                "$lt": datetime.combine(hasta + timedelta(days=1), datetime.min.time(), mty).astimezone(UTC),
            },
        }
        coll = db[INBOX]

        async def signum_page() -> list[Any]:
            page = await service.inbox_page(
                caller,
                "recibidos",
                prioridad="urgente",
                estado="enviado",
                desde=desde,
                hasta=hasta,
                limite=25,
            )
            return list(page["elementos"])

        async def raw_page() -> list[Any]:
            cursor = coll.find(raw_filter).sort("orden", -1).limit(26)
            return [d async for d in cursor]

        signum_items, raw_items = await signum_page(), await raw_page()
        assert [i["id"] for i in signum_items] == [d["entrada"] for d in raw_items[:25]], "different pages"
        assert signum_items, "an empty page measures nothing"
        signum_samples: list[float] = []
        raw_samples: list[float] = []
        for _ in range(QUERIES):  # alternate, so both see the same machine load
            t = time.perf_counter()
            await raw_page()
            raw_samples.append(time.perf_counter() - t)
            t = time.perf_counter()
            await signum_page()
            signum_samples.append(time.perf_counter() - t)
        value, baseline = statistics.median(signum_samples), statistics.median(raw_samples)
        p95, raw_p95 = _p(signum_samples, 0.95), _p(raw_samples, 0.95)
        print(
            f"  page p50 {value * 1000:.2f} ms (raw {baseline * 1000:.2f} ms), "
            f"p95 {p95 * 1000:.2f} ms (raw {raw_p95 * 1000:.2f} ms, ratio {p95 / raw_p95:.2f})"
        )
        return Result(
            name="inbox_vs_raw_mongo",
            value=value,
            unit="s/page (p50)",
            baseline=baseline,
            ratio=value / baseline,
            machine=machine(),
            note=(
                f"p95 {p95 * 1000:.2f} ms vs raw {raw_p95 * 1000:.2f} ms (ratio {p95 / raw_p95:.2f}). "
                f"{DELIVERIES:,} deliveries in ONE inbox collection ({OWNERS:,} officials, loaded in "
                f"{load_seconds:.0f} s with insert_many); page of {len(signum_items)} with folder, priority, "
                "state and date-range filters through routing's Inbox.page and repository vs the same "
                f"find/sort/limit with motor, same server and index ({QUERIES} each, alternating)"
            ),
        )
    finally:
        await client.drop_database(db.name)
        client.close()


_LOG_DIRS: list[Path] = []


def _log_dir(prefix: str) -> Path:
    """A folder for the services' logs, removed once every benchmark here succeeded."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    _LOG_DIRS.append(path)
    return path


def _raw_writes(db: Any, oficio_id: str, owners: list[str]) -> list[Any]:
    """The writes routing makes for one signed oficio before its recipients hear of it, as plain motor
    calls (no transaction): the oficio's update and one bulk write of its inbox entries."""
    now = datetime.now(UTC)
    return [
        db["oficios"].update_one(
            {"_id": oficio_id},
            {
                "$set": {"status": "enviado", "despachado": True, "enviado_en": now},
                "$push": {"timeline": {"type": "oficio.signed", "at": now}},
            },
            upsert=True,
        ),
        db[INBOX].bulk_write(
            [
                UpdateOne(
                    {"_id": inbox_key(owner, f"e:{oficio_id}")},
                    {
                        "$set": {
                            "dueno": owner,
                            "carpeta": "recibidos",
                            "orden": now.isoformat(),
                            "leido": False,
                        }
                    },
                    upsert=True,
                )
                for owner in owners
            ],
            ordered=False,
        ),
    ]


class _RawPath:
    """The minimum by hand: produce -> consume on the same broker (a consumer group, as routing's,
    fetching as routing's does), then the same writes, one message after another."""

    def __init__(self, infra: InfraSettings, db: Any, count: int) -> None:
        self.topic = infra.topic("signum.bench-raw-path")
        self.db = db
        self.count = count
        self.producer = AIOKafkaProducer(
            bootstrap_servers=infra.kafka_url, acks="all", enable_idempotence=True
        )
        self.consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=infra.kafka_url,
            group_id=f"raw-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="earliest",  # a topic of this run only: nothing is missed, nothing old read
            fetch_max_wait_ms=infra.kafka_fetch_max_wait_ms,
        )
        self.sent: dict[bytes, float] = {}
        self.latencies: list[float] = []
        self._receiver: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.producer.start()
        await self.consumer.start()
        self._receiver = asyncio.create_task(self._receive())
        # Joined and assigned before the first message: its latency is the hop, not the group's join.
        deadline = time.monotonic() + 60
        while not self.consumer.assignment():
            if time.monotonic() > deadline:
                raise TimeoutError("the raw path's consumer got no partitions")
            await asyncio.sleep(0.05)

    async def _receive(self) -> None:
        async for msg in self.consumer:
            if msg.value not in self.sent:
                continue
            for write in _raw_writes(self.db, msg.value.decode(), ["R1", "S1"]):
                await write
            self.latencies.append(time.perf_counter() - self.sent.pop(msg.value))
            if len(self.latencies) >= self.count:
                return

    async def send(self, n: int) -> None:
        value = f"raw-{n}".encode()
        self.sent[value] = time.perf_counter()
        await self.producer.send_and_wait(self.topic, value, key=value)

    async def finish(self) -> list[float]:
        assert self._receiver is not None
        await asyncio.wait_for(self._receiver, timeout=120)
        return self.latencies

    async def stop(self) -> None:
        if self._receiver is not None:
            self._receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._receiver
        await self.consumer.stop()
        await self.producer.stop()


async def delivery_p99_vs_raw_path(base: InfraSettings) -> Result:
    ns = f"benchdl{uuid.uuid4().hex[:6]}"
    infra = _infra(base, ns)
    await ensure_topics(infra, [*all_topics(infra), infra.topic("signum.bench-raw-path")])
    client = build_mongo_client(infra)
    db = client[infra.database_name("routing")]
    log_dir = _log_dir("bench-delivery-")
    env = _env(base, ns)
    routing = ServiceProcess("routing", env, log_dir)
    count = RATE_PER_SECOND * DURATION_SECONDS
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_url, acks="all", enable_idempotence=True)
    raw = _RawPath(infra, db, count)
    try:
        directory = DirectoryReadModel(db)
        await directory.upsert(
            "directory.unidad.upserted",
            UnidadPayload(id="UB", revision=1, dependencia_id="D", nombre="Unidad B", prefijo_folio="B"),
        )
        await directory.upsert(
            "directory.puesto.upserted",
            PuestoPayload(
                id="PB", revision=1, unidad_id="UB", titulo="Titular B", es_titular=True, funcionario_id="R1"
            ),
        )
        await directory.upsert(
            "directory.funcionario.upserted",
            FuncionarioPayload(
                id="R1",
                revision=1,
                nombre="Receptor",
                correo="r@x.mx",
                rfc="XAXX010101000",
                curp="XAXX010101HNLXXX01",
            ),
        )
        routing.start()
        await asyncio.to_thread(routing.wait_healthy, "/readyz", 90)
        await producer.start()
        ids = [str(uuid7()) for _ in range(count)]
        doc = StoredObject(bucket="documents", clave="k", sha256="0" * 64, tamano=1)
        for oficio_id in ids:  # finalized long before signed, as in life
            event = OficioFinalized(
                oficio_id=oficio_id,
                correlation_id=oficio_id,
                actor=Actor(kind="official", id="S1"),
                payload=OficioFinalizedPayload(
                    folio=f"B/{oficio_id[-6:]}/2026",
                    consecutivo=1,
                    anio=2026,
                    unidad_id="UA",
                    kind="oficio",
                    asunto="Bench",
                    plantilla_id="p",
                    plantilla_version=1,
                    version=1,
                    documento=doc,
                    paginas=1,
                    firmantes=[
                        SignerSlot(orden=1, funcionario_id="S1", nombre="Firmante", campo="f1", pagina=1)
                    ],
                    destinatarios=["R1"],
                    para=[Addressee(tipo="funcionario", id="R1")],
                ),
            )
            await producer.send_and_wait(infra.topic("signum.drafting"), event.to_wire(), key=event.key)

        async def finalized_applied() -> bool:
            return await db["oficios"].count_documents({}) >= count

        deadline = time.monotonic() + 180
        while not await finalized_applied():
            if time.monotonic() > deadline:
                raise TimeoutError("routing did not apply the oficio.finalized events")
            await asyncio.sleep(1)

        sent: dict[str, float] = {}
        latencies: list[float] = []
        caller = Caller(kind="official", id="R1", unidad_id="UB")
        async with httpx.AsyncClient(
            base_url=routing.url, headers=_headers(caller, infra), timeout=httpx.Timeout(10.0, read=None)
        ) as http:
            ready = asyncio.Event()

            async def watch() -> None:
                async with http.stream("GET", "/internal/notificaciones") as stream:
                    ready.set()
                    async for line in stream.aiter_lines():
                        if not line.startswith("data: "):
                            continue
                        oficio_id = json.loads(line[6:]).get("oficio_id")
                        if oficio_id in sent:
                            latencies.append(time.perf_counter() - sent.pop(oficio_id))
                            if len(latencies) >= count:
                                return

            watcher = asyncio.create_task(watch())
            await asyncio.wait_for(ready.wait(), timeout=30)
            await raw.start()
            await asyncio.sleep(0.5)
            for n, oficio_id in enumerate(ids):
                event = OficioSigned(
                    oficio_id=oficio_id,
                    correlation_id=oficio_id,
                    actor=Actor(kind="official", id="S1"),
                    payload=OficioSignedPayload(
                        folio=f"B/{oficio_id[-6:]}/2026",
                        documento=doc,
                        firmantes=[
                            SignerCertificate(nombre="F", rfc="XAXX010101000", numero_certificado="1")
                        ],
                        firmado_en=datetime.now(UTC),
                    ),
                )
                sent[oficio_id] = time.perf_counter()
                await producer.send_and_wait(infra.topic("signum.signing"), event.to_wire(), key=event.key)
                # The raw path's message half a period later: both paths run in the same seconds, under
                # the same load of the machine, without landing on each other.
                await asyncio.sleep(0.5 / RATE_PER_SECOND)
                await raw.send(n)
                await asyncio.sleep(0.5 / RATE_PER_SECOND)
            try:
                await asyncio.wait_for(watcher, timeout=120)
            except TimeoutError:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            rtt = await raw.finish()
        if len(latencies) < count:
            raise AssertionError(f"only {len(latencies)} of {count} deliveries became visible")
        value, baseline = _p(latencies, 0.99), _p(rtt, 0.99)
        print(
            f"  delivery median {statistics.median(latencies) * 1000:.1f} ms, p99 {value * 1000:.1f} ms; "
            f"raw path median {statistics.median(rtt) * 1000:.1f} ms, p99 {baseline * 1000:.1f} ms"
        )
        return Result(
            name="delivery_p99_vs_raw_path",
            value=value,
            unit="s (p99)",
            baseline=baseline,
            ratio=value / baseline,
            machine=machine(),
            note=(
                f"medians: delivery {statistics.median(latencies) * 1000:.1f} ms, raw path "
                f"{statistics.median(rtt) * 1000:.1f} ms. "
                f"{count} oficio.signed at {RATE_PER_SECOND}/s to the real routing process -> the "
                "recipient's server-sent event (after the transaction writing the oficio and its inbox "
                "entries); baseline in the same seconds, interleaved: aiokafka produce->consume (a group "
                "fetching as routing's), then the oficio update and one bulk write of two inbox entries "
                "with motor, at the same rate, same servers"
            ),
        )
    finally:
        await raw.stop()
        await producer.stop()
        routing.stop()
        await client.drop_database(db.name)
        client.close()


async def run(infra: InfraSettings) -> list[Result]:
    results = [await inbox_vs_raw_mongo(infra), await delivery_p99_vs_raw_path(infra)]
    for path in _LOG_DIRS:  # kept only when a benchmark failed, to read why
        shutil.rmtree(path, ignore_errors=True)
    _LOG_DIRS.clear()
    return results
