"""Routing at scale: an inbox page among 1,000,000 deliveries, and the latency of a delivery.

inbox_vs_raw_mongo
    1,000,000 inbox entries (deliveries, as routing projects them) for 2,000 officials are
    bulk-loaded into routing's database. value: median seconds of one filtered inbox page asked to
    the real routing process over HTTP (folder, priority, state and a date range; 25 per page).
    baseline: median seconds of the equivalent MongoDB query (same filter, sort and limit, same
    collection) from a plain motor client. ratio = value / baseline (goal: <= 1.5).

delivery_p99_vs_kafka_rtt
    oficio.signed events are produced at a sustained rate to a real routing process; value: p99
    seconds from the produce to the inbox item being visible (routing's notification, which it sends
    right after writing the inbox entry). baseline: p99 of a raw aiokafka produce -> consume round
    trip at the same rate on the same broker. ratio = value / baseline (goal: <= 3).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

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
from signum.routing.repository import inbox_collection_name
from signum.testing.processes import ServiceProcess

DELIVERIES = 1_000_000
OWNERS = 2_000
PARALLEL = 8
QUERIES = 40
RATE_PER_SECOND = 3
DURATION_SECONDS = 20


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
    """The k-th inbox entry of one official, as routing projects a delivery (`_delivery_entry`)."""
    n = k * OWNERS + owner_index
    oficio_id = f"bench-{n:08d}"
    entrega = domain.entrega_id(oficio_id, "destinatario", f"F{owner_index:05d}")
    entry_id = f"e:{entrega}"
    when = start + timedelta(hours=12 * k, minutes=owner_index % 600)
    folio = f"SIGA/U{n % 97:03d}/{n:06d}/2026"
    asunto = f"Solicitud {n} de información del programa {k % 53}"
    copia = k % 7 == 3
    return {
        "_id": entry_id,
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
    """Bulk-load the inbox entries, one insert_many per official, a few officials at a time."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    per_owner = DELIVERIES // OWNERS
    began = time.perf_counter()

    async def one(owner: int) -> None:
        coll = db[inbox_collection_name(f"F{owner:05d}")]
        await coll.insert_many([_entry(owner, k, start) for k in range(per_owner)], ordered=False)
        await coll.create_index([("carpeta", 1), ("orden", -1)], name="carpeta_orden")

    for first in range(0, OWNERS, PARALLEL):
        await asyncio.gather(*(one(o) for o in range(first, min(first + PARALLEL, OWNERS))))
    return time.perf_counter() - began, start


async def inbox_vs_raw_mongo(base: InfraSettings) -> Result:
    ns = f"benchrt{uuid.uuid4().hex[:6]}"
    infra = _infra(base, ns)
    client = build_mongo_client(infra)
    db = client[infra.database_name("routing")]
    log_dir = _log_dir("bench-routing-")
    routing = ServiceProcess("routing", _env(base, ns), log_dir)
    try:
        load_seconds, start = await _load(db)
        print(
            f"  loaded {DELIVERIES:,} deliveries for {OWNERS:,} officials in {load_seconds:.1f} s", flush=True
        )
        routing.start()
        await asyncio.to_thread(routing.wait_healthy, "/healthz", 60)
        owner = f"F{min(42, OWNERS - 1):05d}"
        desde = (start + timedelta(days=20)).date()
        hasta = (start + timedelta(days=220)).date()
        caller = Caller(kind="official", id=owner, unidad_id="U000")
        params = {
            "carpeta": "recibidos",
            "prioridad": "urgente",
            "estado": "enviado",
            "desde": desde.isoformat(),
            "hasta": hasta.isoformat(),
            "limite": "25",
        }
        mty = ZoneInfo("America/Monterrey")  # routing's day boundaries
        raw_filter = {
            "carpeta": "recibidos",
            "prioridad": "urgente",
            "estado": "enviado",
            "fecha": {
                "$gte": datetime.combine(desde, datetime.min.time(), mty).astimezone(UTC),
                "$lt": datetime.combine(hasta + timedelta(days=1), datetime.min.time(), mty).astimezone(UTC),
            },
        }
        coll = db[inbox_collection_name(owner)]
        async with httpx.AsyncClient(
            base_url=routing.url, headers=_headers(caller, infra), timeout=60
        ) as http:

            async def signum_page() -> list[Any]:
                response = await http.get("/internal/bandeja", params=params)
                response.raise_for_status()
                return list(response.json()["elementos"])

            async def raw_page() -> list[Any]:
                cursor = coll.find(raw_filter).sort("orden", -1).limit(26)
                return [d async for d in cursor]

            signum_items, raw_items = await signum_page(), await raw_page()
            assert [i["id"] for i in signum_items] == [d["_id"] for d in raw_items[:25]], "different pages"
            assert len(signum_items) == 25, len(signum_items)
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
        return Result(
            name="inbox_vs_raw_mongo",
            value=value,
            unit="s/page",
            baseline=baseline,
            ratio=value / baseline,
            machine=machine(),
            note=(
                f"{DELIVERIES:,} deliveries in routing's inbox collections ({OWNERS:,} officials, "
                f"loaded in {load_seconds:.0f} s with insert_many); page of 25 with folder, priority, "
                "state and date-range filters through routing's HTTP API vs the same find/sort/limit "
                f"with motor (median of {QUERIES}, alternating)"
            ),
        )
    finally:
        routing.stop()
        await client.drop_database(db.name)
        client.close()


_LOG_DIRS: list[Path] = []


def _log_dir(prefix: str) -> Path:
    """A folder for the services' logs, removed once every benchmark here succeeded."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    _LOG_DIRS.append(path)
    return path


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def _kafka_rtt(infra: InfraSettings, count: int) -> list[float]:
    topic = infra.topic("signum.bench-rtt")
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_url, acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.kafka_url,
        group_id=f"rtt-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="latest",
    )
    await producer.start()
    await consumer.start()
    sent: dict[bytes, float] = {}
    latencies: list[float] = []
    try:
        await producer.send_and_wait(topic, b"warm", key=b"warm")
        await asyncio.sleep(2)  # partitions assigned

        async def receive() -> None:
            async for msg in consumer:
                if msg.value in sent:
                    latencies.append(time.perf_counter() - sent.pop(msg.value))
                    if len(latencies) >= count:
                        return

        receiver = asyncio.create_task(receive())
        for n in range(count):
            value = f"m{n}".encode()
            sent[value] = time.perf_counter()
            await producer.send_and_wait(topic, value, key=value)
            await asyncio.sleep(1 / RATE_PER_SECOND)
        await asyncio.wait_for(receiver, timeout=60)
    finally:
        await consumer.stop()
        await producer.stop()
    return latencies


async def delivery_p99_vs_kafka_rtt(base: InfraSettings) -> Result:
    ns = f"benchdl{uuid.uuid4().hex[:6]}"
    infra = _infra(base, ns)
    await ensure_topics(infra, [*all_topics(infra), infra.topic("signum.bench-rtt")])
    client = build_mongo_client(infra)
    db = client[infra.database_name("routing")]
    log_dir = _log_dir("bench-delivery-")
    env = _env(base, ns)
    routing = ServiceProcess("routing", env, log_dir)
    count = RATE_PER_SECOND * DURATION_SECONDS
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_url, acks="all", enable_idempotence=True)
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
            await asyncio.sleep(0.5)
            for oficio_id in ids:
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
                await asyncio.sleep(1 / RATE_PER_SECOND)
            try:
                await asyncio.wait_for(watcher, timeout=120)
            except TimeoutError:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
        if len(latencies) < count:
            raise AssertionError(f"only {len(latencies)} of {count} deliveries became visible")
        rtt = await _kafka_rtt(infra, count)
        value, baseline = _p99(latencies), _p99(rtt)
        print(
            f"  delivery median {statistics.median(latencies) * 1000:.1f} ms, p99 {value * 1000:.1f} ms; "
            f"kafka rtt median {statistics.median(rtt) * 1000:.1f} ms, p99 {baseline * 1000:.1f} ms"
        )
        return Result(
            name="delivery_p99_vs_kafka_rtt",
            value=value,
            unit="s (p99)",
            baseline=baseline,
            ratio=value / baseline,
            machine=machine(),
            note=(
                f"medians: delivery {statistics.median(latencies) * 1000:.1f} ms, kafka rtt "
                f"{statistics.median(rtt) * 1000:.1f} ms. "
                f"{count} oficio.signed at {RATE_PER_SECOND}/s to the real routing process -> inbox entry "
                "written (routing's SSE notification); baseline: aiokafka produce->consume p99 at the same "
                "rate, same broker"
            ),
        )
    finally:
        await producer.stop()
        routing.stop()
        await client.drop_database(db.name)
        client.close()


async def run(infra: InfraSettings) -> list[Result]:
    results = [await inbox_vs_raw_mongo(infra), await delivery_p99_vs_kafka_rtt(infra)]
    for path in _LOG_DIRS:  # kept only when a benchmark failed, to read why
        shutil.rmtree(path, ignore_errors=True)
    _LOG_DIRS.clear()
    return results
