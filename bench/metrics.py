"""Metrics at a city's scale: a year of indicators for one dependencia, and rebuilding from the topics.

indicators_query
    The pre-aggregated documents (`indicadores`, with their per-oficio bookkeeping) of
    SIGNUM_BENCH_METRICS_OFICIOS oficios (default 500,000) over twelve months, among 20 dependencias
    of 10 units and 20 officials each, are computed with the service's own `domain.contributions` and
    bulk-loaded into metrics' database (streamed as BSON: as dicts they would not fit in memory).
    value: p95 seconds of `GET /internal/indicadores` for one dependencia over the 12 months, asked
    of the real metrics process as an auditor. baseline: p95 of a raw motor find of the same
    documents (every aggregate that answer reads, without the bookkeeping, as the service reads
    them, in the repository's `$in` chunks: one `$in` of all the ids is several times slower on
    SecantusDB and would flatter the ratio). ratio = value / baseline (goal: <= 1.5).

metrics_replay
    The events of SIGNUM_BENCH_METRICS_REPLAY_OFICIOS oficios (default 2,000; about 17 events
    each) are put on the topics. baseline: events per second of a raw aiokafka consumer reading and
    decoding them all from the beginning. value: events per second of a metrics process rebuilding
    from them into an empty database (from its readiness until its consumer group has committed
    every record). ratio = value / baseline (goal: >= 0.5).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import random
import statistics
import struct
import time
import uuid
from collections.abc import Iterator
from typing import Any

import bson
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from bson.raw_bson import RawBSONDocument
from pymongo.errors import BulkWriteError

from bench.harness import Result, machine
from bench.routing import _env, _headers, _infra, _log_dir
from signum.contracts import decode_event
from signum.contracts.directory import DependenciaPayload, FuncionarioPayload, PuestoPayload, UnidadPayload
from signum.metrics import domain
from signum.metrics.repository import FIND_CHUNK, share_field
from signum.platform.calendar import WorkCalendar
from signum.platform.directory import DirectoryReadModel
from signum.platform.identity import Caller
from signum.platform.kafka import all_topics, ensure_topics
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings
from signum.testing.processes import ServiceProcess
from tests.metrics.support import MTY, Life, at

OFICIOS = int(os.environ.get("SIGNUM_BENCH_METRICS_OFICIOS", "500000"))
REPLAY_OFICIOS = int(os.environ.get("SIGNUM_BENCH_METRICS_REPLAY_OFICIOS", "2000"))
DEPENDENCIAS, UNITS, PEOPLE = 20, 10, 20
QUERIES = 40
YEAR = 2025
CAL = WorkCalendar()
TOPICS = ("signum.drafting", "signum.signing", "signum.routing", "signum.storage", "signum.directory")


def _unit(d: int, u: int) -> str:
    return f"D{d:02d}-U{u:02d}"


def _person(d: int, u: int, p: int) -> str:
    return f"{d:02d}{u:02d}{p:02d}"


def _oficio(n: int, rng: random.Random) -> dict[str, Any]:
    """The metrics document of one oficio sent from one unit to another, as events leave it."""
    d, u = rng.randrange(DEPENDENCIAS), rng.randrange(UNITS)
    rd, ru = rng.randrange(DEPENDENCIAS), rng.randrange(UNITS)
    author, receiver = _person(d, u, rng.randrange(1, PEOPLE)), _person(rd, ru, 0)
    created = dt.datetime(YEAR, 1, 1, 15, tzinfo=dt.UTC) + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
    step = [created]
    for hours in (rng.uniform(1, 30), rng.uniform(1, 60), rng.uniform(0.5, 20), rng.uniform(0.1, 8)):
        step.append(step[-1] + dt.timedelta(hours=hours))
    sent = step[-1] + dt.timedelta(minutes=5)
    entrega: dict[str, Any] = {
        "entregado": sent,
        "motivo": "destinatario",
        "funcionario_id": receiver,
        "unidad_id": _unit(rd, ru),
        "fecha_limite": (sent + dt.timedelta(days=10)).date().isoformat() if n % 3 == 0 else None,
    }
    if n % 10:
        entrega["recibido"] = sent + dt.timedelta(hours=rng.uniform(0.1, 48))
        if n % 4:
            entrega["respondido"] = entrega["recibido"] + dt.timedelta(hours=rng.uniform(2, 400))
    return {
        "_id": f"of-{n:07d}",
        "autor_id": author,
        "unidad_id": _unit(d, u),
        "paginas": 1 + n % 4,
        "ejemplares": 1,
        "hitos": dict(
            zip(("creado", "revision_solicitada", "visto_bueno", "finalizado", "firmado"), step, strict=True),
            enviado=sent,
        ),
        "firmas": {"1": {"en": step[4], "funcionario_id": _person(d, u, 0)}},
        "entregas": {f"of-{n:07d}_a": entrega},
    }


def _aggregates() -> Iterator[RawBSONDocument]:
    """Every aggregate document the oficios make, with their bookkeeping, as the repository leaves it.

    The bookkeeping (one share per oficio and aggregate, millions of them) is kept as the BSON it is
    written as, appended to one buffer per aggregate: as Python dicts it would not fit in memory."""
    rng = random.Random(2026)
    sums: dict[str, dict[str, int]] = {}  # flat (dotted paths): nested dicts would take 3 times the memory
    shares: dict[str, bytearray] = {}
    paths: dict[str, str] = {}  # one string per path, not one per oficio
    for n in range(OFICIOS):
        oficio = _oficio(n, rng)
        key = share_field(oficio["_id"]).encode()
        for agg, fields in domain.contributions(oficio, CAL, MTY).items():
            flat = sums.get(agg)
            if flat is None:
                flat = sums[agg] = {}
                shares[agg] = bytearray()
            for path, amount in fields.items():
                path = paths.setdefault(path, path)
                flat[path] = flat.get(path, 0) + amount
            share = bson.encode({"rev": 12, "c": [f"{k}={v}" for k, v in sorted(fields.items())]})
            shares[agg] += b"\x03" + key + b"\x00" + share
    while sums:  # handed out one by one and forgotten: the BSON is as large as what it replaces
        agg, flat = sums.popitem()
        ambito, clave, periodo, inicio = domain.parse_aggregate_id(agg)
        doc: dict[str, Any] = {"_id": agg, "ambito": ambito, "clave": clave, "periodo": periodo}
        doc["inicio"] = inicio
        for path, amount in flat.items():
            *parents, leaf = path.split(".")
            node = doc
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = amount
        yield _with_shares(doc, shares.pop(agg))


def _with_shares(doc: dict[str, Any], shares: bytearray) -> RawBSONDocument:
    """`doc` with `aportes`, the embedded document whose elements are `shares` (BSON elements)."""
    aportes = struct.pack("<i", len(shares) + 5) + shares + b"\x00"
    body = bson.encode(doc)[4:-1] + b"\x03aportes\x00" + aportes
    return RawBSONDocument(struct.pack("<i", len(body) + 5) + body + b"\x00")


async def _directory(db: Any) -> None:
    directory = DirectoryReadModel(db)
    await directory.ensure_indexes()
    for d in range(DEPENDENCIAS):
        await directory.upsert(
            "directory.dependencia.upserted",
            DependenciaPayload(id=f"D{d:02d}", revision=1, nombre=f"Dep {d}"),
        )
        for u in range(UNITS):
            unit = _unit(d, u)
            await directory.upsert(
                "directory.unidad.upserted",
                UnidadPayload(
                    id=unit,
                    revision=1,
                    dependencia_id=f"D{d:02d}",
                    nombre=f"Unidad {unit}",
                    prefijo_folio=unit,
                ),
            )
            for p in range(PEOPLE):
                person = _person(d, u, p)
                await directory.upsert(
                    "directory.puesto.upserted",
                    PuestoPayload(
                        id=f"P{person}",
                        revision=1,
                        unidad_id=unit,
                        titulo="Titular" if p == 0 else f"Analista {p}",
                        es_titular=p == 0,
                        funcionario_id=person,
                    ),
                )
                await directory.upsert(
                    "directory.funcionario.upserted",
                    FuncionarioPayload(
                        id=person,
                        revision=1,
                        nombre=f"Persona {person}",
                        correo=f"p{person}@bench.mx",
                        rfc="GATA800101AB1",
                        curp="GATA800101MNLRRN09",
                    ),
                )


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


async def indicators_query(base: InfraSettings) -> Result:
    ns = f"benchmx{uuid.uuid4().hex[:6]}"
    infra = _infra(base, ns)
    client = build_mongo_client(infra)
    db = client[infra.database_name("metrics")]
    metrics = ServiceProcess("metrics", _env(base, ns), _log_dir("bench-metrics-"))
    try:
        began = time.perf_counter()
        docs = _aggregates()
        chunk = [next(docs)]  # the generator computes every aggregate before it hands out the first
        computed = time.perf_counter() - began
        count, size = 0, 0
        while chunk := chunk + list(itertools.islice(docs, 2000 - len(chunk))):
            count, size = count + len(chunk), size + sum(len(d.raw) for d in chunk)
            try:
                await db["indicadores"].insert_many(chunk, ordered=False)
            except BulkWriteError as exc:
                # A retried write whose first attempt had landed: those documents are there already.
                if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                    raise
            if count % 200_000 < len(chunk):
                print(f"  {count:,} aggregates inserted, {time.perf_counter() - began:.0f} s", flush=True)
            chunk = []
        await _directory(db)
        load_seconds = time.perf_counter() - began
        size /= 1e6
        print(
            f"  loaded {count:,} aggregates ({size:,.0f} MB) of {OFICIOS:,} oficios in {load_seconds:.1f} s "
            f"({computed:.1f} s computing them)",
            flush=True,
        )
        metrics.start()
        await asyncio.to_thread(metrics.wait_healthy, "/healthz", 120)
        units = [_unit(3, u) for u in range(UNITS)]
        people = [_person(3, u, p) for u in range(UNITS) for p in range(PEOPLE)]
        months = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
        ids = [domain.aggregate_id("unidad", u, "mes", m) for u in units for m in months]
        ids += [domain.aggregate_id("funcionario", p, "mes", m) for p in people for m in months]
        ids += [domain.aggregate_id("funcionario", p, domain.ACTUAL, domain.PENDIENTES) for p in people]
        auditor = Caller(kind="official", id="AUD", roles=frozenset({"funcionario", "auditor"}))
        params = {"dependencia_id": "D03", "periodo": "mes", "desde": months[0], "hasta": months[-1]}
        async with httpx.AsyncClient(
            base_url=metrics.url, headers=_headers(auditor, infra), timeout=120
        ) as http:

            async def signum_query() -> dict[str, Any]:
                response = await http.get("/internal/indicadores", params=params)
                response.raise_for_status()
                return dict(response.json())

            async def raw_find() -> list[dict[str, Any]]:
                # In the chunks the repository asks in (SecantusDB slows down on long `$in` lists):
                # the raw find at its best, not one the server handicaps.
                found = []
                for start in range(0, len(ids), FIND_CHUNK):
                    chunk = ids[start : start + FIND_CHUNK]
                    cursor = db["indicadores"].find({"_id": {"$in": chunk}}, {"aportes": 0})
                    found += [d async for d in cursor]
                return found

            answer = await signum_query()
            found = await raw_find()
            sent = sum(d["contadores"].get("enviados", 0) for d in found if d["_id"].startswith("unidad|"))
            assert answer["totales"]["contadores"]["enviados"] == sent > 0, "different figures"
            signum_samples: list[float] = []
            raw_samples: list[float] = []
            for _ in range(QUERIES):  # alternate, so both see the same machine load
                t = time.perf_counter()
                await raw_find()
                raw_samples.append(time.perf_counter() - t)
                t = time.perf_counter()
                await signum_query()
                signum_samples.append(time.perf_counter() - t)
        value, baseline = _p95(signum_samples), _p95(raw_samples)
        return Result(
            name="indicators_query",
            value=value,
            unit="s/query",
            baseline=baseline,
            ratio=value / baseline,
            machine=machine(),
            note=(
                f"{OFICIOS:,} oficios over 12 months ({count:,} aggregates with their bookkeeping, "
                f"{DEPENDENCIAS} dependencias x {UNITS} units x {PEOPLE} officials); one dependencia's year "
                f"through metrics' HTTP API vs a motor find of the {len(ids):,} documents it reads "
                f"(p95 of {QUERIES}, alternating)"
            ),
        )
    finally:
        metrics.stop()
        await client.drop_database(db.name)
        client.close()


def _life(n: int, rng: random.Random) -> list[Any]:
    """The events of one oficio, sent, acknowledged and (mostly) answered."""
    day = dt.date(YEAR, 1, 5) + dt.timedelta(days=rng.randrange(300))
    o = f"rp-{n:06d}"
    life = Life(o, unidad=_unit(n % 5, n % 3), autor=_person(n % 5, n % 3, 1))
    life.created(at(day.isoformat(), 9)).review(at(day.isoformat(), 10), at(day.isoformat(), 12))
    life.finalized(
        at(day.isoformat(), 13), [_person(n % 5, n % 3, 0)], fecha_limite=day + dt.timedelta(days=9)
    )
    later = (day + dt.timedelta(days=1)).isoformat()
    life.signature(at(later, 9), 1, _person(n % 5, n % 3, 0), pendientes=0)
    entrega = f"{o}_a"
    receiver = {"entrega_id": entrega, "motivo": "destinatario", "funcionario_id": "R1", "unidad_id": "UR"}
    life.dispatched(at(later, 9, 5), [receiver])
    life.acknowledged(at(later, 11), entrega, "R1")
    if n % 4:
        life.answered(at((day + dt.timedelta(days=3)).isoformat(), 16), entrega, "R1")
    return life.events


async def _committed(admin: AIOKafkaAdminClient, group: str, ends: dict[TopicPartition, int]) -> int:
    committed = await admin.list_consumer_group_offsets(group)
    return sum(min(committed[tp].offset, end) if tp in committed else 0 for tp, end in ends.items())


async def metrics_replay(base: InfraSettings) -> Result:
    ns = f"benchmr{uuid.uuid4().hex[:6]}"
    infra = _infra(base, ns)
    await ensure_topics(infra, all_topics(infra))
    rng = random.Random(7)
    events = [e for n in range(REPLAY_OFICIOS) for e in _life(n, rng)]
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_url, acks="all", linger_ms=20)
    await producer.start()
    try:
        for start in range(0, len(events), 1000):
            batch = [
                await producer.send(infra.topic(e.topic.value), e.to_wire(), key=e.key)
                for e in events[start : start + 1000]
            ]
            await asyncio.gather(*batch)
    finally:
        await producer.stop()

    names = {infra.topic(t) for t in TOPICS}
    consumer = AIOKafkaConsumer(
        *sorted(names),
        bootstrap_servers=infra.kafka_url,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        while {tp.topic for tp in consumer.assignment()} != names:  # noqa: ASYNC110 - Kafka's metadata
            await asyncio.sleep(0.1)
        ends = dict(await consumer.end_offsets(list(consumer.assignment())))
        total = sum(ends.values())
        assert total >= len(events), (total, len(events))
        read, began = 0, time.perf_counter()
        while read < total:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for records in batch.values():
                for record in records:
                    decode_event(record.value)
                    read += 1
        baseline = total / (time.perf_counter() - began)
    finally:
        await consumer.stop()

    client = build_mongo_client(infra)
    metrics = ServiceProcess("metrics", _env(base, ns), _log_dir("bench-replay-"))
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_url)
    await admin.start()
    try:
        metrics.start()
        await asyncio.to_thread(metrics.wait_healthy, "/healthz", 120)
        began = time.perf_counter()
        group = infra.group_id("metrics")
        while await _committed(admin, group, ends) < total:  # noqa: ASYNC110 - polling Kafka, not a task
            await asyncio.sleep(0.05)  # the window is a few seconds: 0.5 s steps would be 10% of it
        value = total / (time.perf_counter() - began)
    finally:
        await admin.close()
        metrics.stop()
        await client.drop_database(infra.database_name("metrics"))
        client.close()
    return Result(
        name="metrics_replay",
        value=value,
        unit="events/s",
        baseline=baseline,
        ratio=value / baseline,
        machine=machine(),
        note=(
            f"{total:,} events of {REPLAY_OFICIOS:,} oficios rebuilt by a metrics process into an empty "
            "database (readiness to every record committed) vs a raw aiokafka read and decode of the same "
            "topics (goal >= 0.5)"
        ),
    )


async def run(infra: InfraSettings) -> list[Result]:
    return [await indicators_query(infra), await metrics_replay(infra)]
