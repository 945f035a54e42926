"""A batch of signed oficios survives a SIGKILL of routing and a restart of Kafka in the middle:
every recipient gets exactly one delivery, one inbox entry and one `delivery.created`."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from signum.contracts import Actor
from signum.contracts.directory import FuncionarioPayload, PuestoPayload, UnidadPayload
from signum.contracts.drafting import OficioFinalized, OficioFinalizedPayload, SignerSlot, StoredObject
from signum.contracts.envelope import uuid7
from signum.contracts.signing import OficioSigned, OficioSignedPayload, SignerCertificate
from signum.platform.directory import DirectoryReadModel
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings
from signum.routing.domain import office_mailbox
from signum.routing.repository import INBOX
from signum.testing.kafka import collect, eventually
from signum.testing.processes import ServiceProcess

pytestmark = pytest.mark.stack

BATCH = 60
OWNERS = ("PB-1", "TA-1", office_mailbox("UA"))


async def _seed(directory: DirectoryReadModel) -> None:
    await directory.upsert(
        "directory.unidad.upserted",
        UnidadPayload(id="UA", revision=1, dependencia_id="D", nombre="Unidad A", prefijo_folio="A"),
    )
    for pid, holder, titular in (("P-TA", "TA-1", True), ("P-PB", "PB-1", False)):
        await directory.upsert(
            "directory.puesto.upserted",
            PuestoPayload(
                id=pid, revision=1, unidad_id="UA", titulo=pid, es_titular=titular, funcionario_id=holder
            ),
        )
        await directory.upsert(
            "directory.funcionario.upserted",
            FuncionarioPayload(
                id=holder,
                revision=1,
                nombre=holder,
                correo=f"{holder}@x.mx",
                rfc="XAXX010101000",
                curp="XAXX010101HNLXXX01",
            ),
        )


def _events(oficio_id: str) -> tuple[OficioFinalized, OficioSigned]:
    doc = StoredObject(bucket="documents", clave=f"k/{oficio_id}", sha256="1" * 64, tamano=1)
    folio = f"S/{oficio_id[-8:]}/2026"
    common: dict[str, Any] = {
        "oficio_id": oficio_id,
        "correlation_id": oficio_id,
        "actor": Actor(kind="official", id="S-1"),
    }
    finalized = OficioFinalized(
        **common,
        payload=OficioFinalizedPayload(
            folio=folio,
            consecutivo=1,
            anio=2026,
            unidad_id="US",
            kind="oficio",
            asunto="Lote de prueba",
            plantilla_id="p",
            plantilla_version=1,
            version=1,
            documento=doc,
            paginas=1,
            firmantes=[SignerSlot(orden=1, funcionario_id="S-1", nombre="Firmante", campo="f1", pagina=1)],
            destinatarios=["PB-1", "UA"],  # a person, and a whole office (its titular + its oficialía)
        ),
    )
    signed = OficioSigned(
        **common,
        payload=OficioSignedPayload(
            folio=folio,
            documento=doc,
            firmantes=[SignerCertificate(nombre="F", rfc="XAXX010101000", numero_certificado="1")],
            firmado_en=datetime.now(UTC),
        ),
    )
    return finalized, signed


async def test_a_batch_survives_routing_and_kafka_restarts_with_one_delivery_each(
    stack: Any, stack_env: dict[str, str], log_dir: Path
) -> None:
    from signum.localstack import PROFILES, start_server, stop_server
    from signum.testing.restarts import why_server_cannot_restart

    profile = PROFILES["test"]
    if reason := why_server_cannot_restart("kafka"):
        pytest.skip(reason)
    ns = f"rr{uuid.uuid4().hex[:8]}"
    env = stack_env | {"SIGNUM_KAFKA_NAMESPACE": f"{ns}.", "SIGNUM_MONGO_DB_PREFIX": f"{ns}_"}
    infra = InfraSettings(
        kafka_url=env["SIGNUM_KAFKA_URL"],
        mongo_url=env["SIGNUM_MONGO_URL"],
        kafka_namespace=f"{ns}.",
        mongo_db_prefix=f"{ns}_",
    )
    client = build_mongo_client(infra)
    db: Any = client[infra.database_name("routing")]
    await _seed(DirectoryReadModel(db))
    drafting = ServiceProcess("drafting", env, log_dir / ns).start()
    routing_env = env | {"SIGNUM_ROUTING_DRAFTING_URL": drafting.url}
    routing = ServiceProcess("routing", routing_env, log_dir / ns).start()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_url, acks="all", enable_idempotence=True)
    ids = [str(uuid7()) for _ in range(BATCH)]
    try:
        await asyncio.to_thread(drafting.wait_healthy, "/readyz", 60)
        await asyncio.to_thread(routing.wait_healthy, "/readyz", 60)
        await producer.start()
        pairs = [_events(i) for i in ids]
        for finalized, _ in pairs:
            await producer.send_and_wait(
                infra.topic("signum.drafting"), finalized.to_wire(), key=finalized.key
            )

        async def all_finalized() -> bool:
            return bool(await db["oficios"].count_documents({"status": "listo_para_firma"}) == BATCH)

        await eventually(all_finalized, within=90, interval=0.5)

        async def dispatched() -> int:
            return int(await db["oficios"].count_documents({"despachado": True}))

        for _, signed in pairs:
            await producer.send_and_wait(infra.topic("signum.signing"), signed.to_wire(), key=signed.key)

        # SIGKILL routing in the middle of the batch.
        await eventually(lambda: _at_least(dispatched, 3), within=60, interval=0.05)
        routing.kill()
        at_kill = await dispatched()
        assert at_kill < BATCH, "the batch finished before the kill; make it larger"
        routing = ServiceProcess("routing", routing_env, log_dir / ns, port=routing.port).start()
        await asyncio.to_thread(routing.wait_healthy, "/healthz", 60)

        # Then restart Kafka while routing works through the rest (and its outbox waits to publish).
        await eventually(lambda: _at_least(dispatched, at_kill + 1), within=90, interval=0.05)
        stop_server(profile, "kafka")
        await asyncio.sleep(3)
        start_server(profile, "kafka")
        await asyncio.to_thread(routing.wait_healthy, "/readyz", 120)

        await eventually(lambda: _at_least(dispatched, BATCH), within=180, interval=1.0)

        async def outbox_empty() -> bool:
            return bool(await db["oficios"].count_documents({"_outbox_since": {"$exists": True}}) == 0)

        await eventually(outbox_empty, within=120, interval=1.0)

        # One delivery per recipient in each oficio's document...
        async for doc in db["oficios"].find({}):
            owners = sorted(
                d["funcionario_id"] or office_mailbox(d["unidad_id"]) for d in doc["entregas"].values()
            )
            assert owners == sorted(OWNERS), (doc["_id"], owners)
        # ...one inbox entry per delivery...
        for owner in OWNERS:

            async def projected(owner: str = owner) -> bool:
                return bool(await db[INBOX].count_documents({"dueno": owner}) == BATCH)

            await eventually(projected, within=60, interval=1.0)
            entries = [d async for d in db[INBOX].find({"dueno": owner})]
            assert sorted(e["oficio_id"] for e in entries) == sorted(ids)
        # ...and one delivery.created per delivery on the topic (a redelivery repeats the same event).
        records = await collect(
            infra.kafka_url,
            infra.topic("signum.routing"),
            until=lambda rs: len({_entrega(r) for r in rs if _entrega(r)}) >= 3 * BATCH,
            within=60,
            settle=2.0,
        )
        event_ids: dict[str, set[str]] = defaultdict(set)
        for record in records:
            entrega = _entrega(record)
            if entrega:
                event_ids[entrega].add(_event_id(record))
        assert len(event_ids) == 3 * BATCH
        assert all(len(v) == 1 for v in event_ids.values())
    finally:
        await producer.stop()
        routing.stop()
        drafting.stop()
        await client.drop_database(db.name)
        client.close()


async def _at_least(count: Any, n: int) -> bool:
    return bool(await count() >= n)


def _entrega(record: Any) -> str | None:
    import json

    body = json.loads(record.value)
    return body["payload"]["entrega_id"] if body.get("type") == "delivery.created" else None


def _event_id(record: Any) -> str:
    import json

    return str(json.loads(record.value)["event_id"])
