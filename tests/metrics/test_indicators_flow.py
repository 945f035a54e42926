"""The indicators of a scripted workload through the whole platform: the API's figures equal the
test's own computation from the events on Kafka; a titular of another dependencia sees none of
them; replaying the topics into an empty metrics database gives the same indicators.

Workload, in a dependencia of its own (IND: unit IND-E sends, IND-R attends), so its figures are
exactly what it did whatever else the session sends: four oficios from autor@E to titular@R, two
with a deadline ten days ahead and two with one a week ago (routing's deadline job marks them
overdue). titular@R acknowledges three; answers the first with a signed oficio; turns the second to
funcionario@R and concludes it; leaves the third and fourth open.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import statistics
import time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from signum.contracts import decode_event
from signum.metrics.domain import CONTADORES
from signum.platform.http import InternalClient
from signum.platform.identity import Caller
from signum.platform.settings import DEV_INTERNAL_TOKEN
from signum.testing.kafka import eventually
from signum.testing.people import World
from signum.testing.processes import ServiceProcess
from tests.metrics.helpers import Seat, seed_dependencia, seed_other_dependencia
from tests.routing.helpers import (
    content,
    efirma,
    new_draft,
    ok,
    review_finalize_sign,
    save_content,
    wait_item,
)

pytestmark = pytest.mark.stack

MTY = ZoneInfo("America/Monterrey")
ASUNTO = "Indicadores: solicitud de información {n}"
DEPENDENCIA = "IND"
SENDER, RECEIVER = "IND-E", "IND-R"
SEATS = [
    Seat("autor@E", "97001", SENDER, "autor", ("Adriana", "Fuentes", "Lara"), dt.date(1984, 3, 12)),
    Seat("titular@E", "97002", SENDER, "titular", ("Benito", "Cárdenas", "Ríos"), dt.date(1972, 6, 3)),
    Seat("titular@R", "97003", RECEIVER, "titular", ("Cecilia", "Duarte", "Moya"), dt.date(1975, 9, 21)),
    Seat(
        "funcionario@R", "97004", RECEIVER, "funcionario", ("Daniel", "Esquivel", "Paz"), dt.date(1988, 1, 5)
    ),
]


async def _send(world: World, pki: Any, n: int, limite: dt.date) -> str:
    oficio_id = await new_draft(world, "autor@E", ASUNTO.format(n=n))
    body = content(
        world,
        "autor@E",
        ["autor@E"],
        destinatarios=[{"tipo": "funcionario", "id": world.people["titular@R"].numero_empleado}],
    )
    await save_content(world, "autor@E", oficio_id, body)
    client = await world.as_("autor@E")
    version = ok(await client.get(f"/api/v1/oficios/{oficio_id}"))["version"]
    ok(
        await client.patch(
            f"/api/v1/oficios/{oficio_id}",
            json={"version": version, "fecha_limite_respuesta": limite.isoformat()},
        )
    )
    await review_finalize_sign(
        world, oficio_id, "autor@E", None, [("autor@E", efirma(world, pki, "autor@E"))]
    )
    return oficio_id


async def _answer(world: World, pki: Any, entrega_id: str) -> str:
    titular = await world.as_("titular@R")
    draft = ok(await titular.post(f"/api/v1/entregas/{entrega_id}/respuesta", json={}), 201)
    body = content(
        world,
        "titular@R",
        ["titular@R"],
        destinatarios=[{"tipo": "funcionario", "id": world.people["autor@E"].numero_empleado}],
        cuerpo="Se remite la información solicitada.",
    )
    await save_content(world, "titular@R", draft["id"], body)
    await review_finalize_sign(
        world, draft["id"], "titular@R", None, [("titular@R", efirma(world, pki, "titular@R"))]
    )
    return str(draft["id"])


@pytest.fixture(scope="module")
async def workload(world: World, signing_pki: Any, stack_env: dict[str, str]) -> dict[str, Any]:
    units = {SENDER: "Dirección de Envíos de Indicadores", RECEIVER: "Dirección de Atención de Indicadores"}
    await seed_dependencia(stack_env, world, DEPENDENCIA, "Secretaría de Indicadores de Prueba", units, SEATS)
    pki = signing_pki[0]
    today = dt.datetime.now(MTY).date()
    ahead, past = today + dt.timedelta(days=10), today - dt.timedelta(days=7)
    oficios = [await _send(world, pki, n, limite) for n, limite in enumerate([ahead, ahead, past, past], 1)]
    items = [await wait_item(world, "titular@R", o) for o in oficios]
    titular = await world.as_("titular@R")
    for item in items[:3]:
        ok(await titular.post(f"/api/v1/entregas/{item['entrega_id']}/acuse", json={"forma": "explicita"}))
    answer = await _answer(world, pki, items[0]["entrega_id"])
    funcionario_r = world.people["funcionario@R"].numero_empleado
    ok(
        await titular.post(
            f"/api/v1/entregas/{items[1]['entrega_id']}/turnos",
            json={"destinatarios": [funcionario_r], "instruccion": "para_su_atencion"},
        )
    )
    ok(
        await titular.post(
            f"/api/v1/entregas/{items[1]['entrega_id']}/conclusion", json={"motivo": "Atendido por teléfono."}
        )
    )

    async def settled() -> bool:
        first = ok(await titular.get(f"/api/v1/entregas/{items[0]['entrega_id']}"))
        late = [ok(await titular.get(f"/api/v1/entregas/{i['entrega_id']}")) for i in items[2:]]
        return first["estado"] == "respondido" and all(d.get("vencido") for d in late)

    await eventually(settled, within=90, interval=1.0)
    await wait_item(world, "autor@E", answer)
    return {"oficios": oficios, "answer": answer, "month": today.isoformat()[:7]}


TOPICS = ("signum.drafting", "signum.signing", "signum.routing", "signum.storage", "signum.directory")


async def _reader(stack_env: dict[str, str], topics: tuple[str, ...]) -> AIOKafkaConsumer:
    """A consumer of the run's `topics` from their beginning, every partition assigned (no group)."""
    ns = stack_env["SIGNUM_KAFKA_NAMESPACE"]
    names = {ns + t for t in topics}
    consumer = AIOKafkaConsumer(
        *sorted(names),
        bootstrap_servers=stack_env["SIGNUM_KAFKA_URL"],
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()

    async def assigned() -> bool:
        return {tp.topic for tp in consumer.assignment()} == names

    try:
        await eventually(assigned, within=30, interval=0.2)
    except BaseException:
        await consumer.stop()
        raise
    return consumer


async def _end_offsets(stack_env: dict[str, str], topics: tuple[str, ...]) -> dict[TopicPartition, int]:
    """Where each partition of the run's `topics` ends now."""
    consumer = await _reader(stack_env, topics)
    try:
        return dict(await consumer.end_offsets(list(consumer.assignment())))
    finally:
        await consumer.stop()


async def _events(stack_env: dict[str, str], oficio_ids: set[str]) -> list[Any]:
    """Every event of these oficios, read from the run's topics up to their end (the test's own source
    of truth; a whole session's topics take a while to read)."""
    consumer = await _reader(stack_env, TOPICS[:3])
    found = []
    try:
        ends = dict(await consumer.end_offsets(list(consumer.assignment())))
        pending = {tp for tp, end in ends.items() if end > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000, max_records=5000)
            for tp, records in batch.items():
                for record in records:
                    event = decode_event(record.value)
                    if event.oficio_id in oficio_ids:
                        found.append(event)
                if records and records[-1].offset + 1 >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()
    return found


async def _caught_up(stack_env: dict[str, str], group: str, ends: dict[TopicPartition, int]) -> None:
    """Wait until the consumer group has committed every partition up to `ends`, as long as it makes
    progress (a whole session's topics take a while to replay; a group that stops moving fails)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack_env["SIGNUM_KAFKA_URL"])
    await admin.start()
    try:
        target = sum(ends.values())
        done, last_progress, started = -1, time.monotonic(), time.monotonic()
        while True:
            committed = await admin.list_consumer_group_offsets(group)
            now = sum(min(committed[tp].offset, end) if tp in committed else 0 for tp, end in ends.items())
            assert target > 0, ends
            if now >= target:
                return
            if now > done:
                done, last_progress = now, time.monotonic()
            stalled = time.monotonic() - last_progress
            assert stalled < 60, f"{group} stopped at {done} of {target} records"
            assert time.monotonic() - started < 900, f"{group} at {done} of {target} after 15 min"
            await asyncio.sleep(1.0)
    finally:
        await admin.close()


def _seconds(start: dt.datetime, end: dt.datetime) -> int:
    return math.floor((end - start).total_seconds())


def _summary(values: list[int]) -> tuple[float, float]:
    """Median and p90 in hours, as the standard library computes them."""
    p90 = statistics.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]
    return statistics.median(values) / 3600, p90 / 3600


def _expected(events: list[Any], workload: dict[str, Any], world: World) -> dict[str, Any]:
    """The figures, computed straight from the events."""
    sent = workload["oficios"]
    created = {e.oficio_id: e.occurred_at for e in events if e.type == "oficio.created"}
    dispatched = {e.oficio_id: e.occurred_at for e in events if e.type == "oficio.dispatched"}
    to_b = {
        e.payload.entrega_id: (e.oficio_id, e.occurred_at)
        for e in events
        if e.type == "delivery.created" and e.oficio_id in sent and e.payload.motivo == "destinatario"
    }
    acks = {e.payload.entrega_id: e.payload.recibido_en for e in events if e.type == "delivery.acknowledged"}
    overdue = {e.payload.entrega_id for e in events if e.type == "deadline.overdue"}
    assert len(to_b) == 4
    return {
        "creacion_a_envio": _summary([_seconds(created[o], dispatched[o]) for o in sent]),
        "entrega_a_acuse": _summary([_seconds(at, acks[e]) for e, (_, at) in to_b.items() if e in acks]),
        "acuses": len([e for e in to_b if e in acks]),
        "vencidos": len(overdue & set(to_b)),
    }


async def _indicators(world: World, key: str, **params: str) -> httpx.Response:
    client = await world.as_(key)
    return await client.get("/api/v1/indicadores", params=params)


def _counters(**given: int) -> dict[str, int]:
    return {c: given.get(c, 0) for c in CONTADORES}


async def test_the_api_s_counters_medians_p90_and_overdue_equal_the_events(
    world: World, workload: dict[str, Any], stack_env: dict[str, str]
) -> None:
    month = workload["month"]

    def samples(body: dict[str, Any], etapa: str) -> int:
        return int((body["totales"]["etapas"].get(etapa) or {}).get("n", 0))

    async def caught_up() -> tuple[dict[str, Any], dict[str, Any]] | None:
        # Metrics consumes every partition at its own pace: wait until it has seen the whole workload.
        r = ok(await _indicators(world, "titular@R", unidad_id=RECEIVER, desde=month, hasta=month))
        e = ok(await _indicators(world, "titular@E", unidad_id=SENDER, desde=month, hasta=month))
        rc, ec = r["totales"]["contadores"], e["totales"]["contadores"]
        done = rc["vencidos"] >= 2 and rc["respondidos"] >= 1 and rc["concluidos"] >= 1
        done = done and ec["recibidos"] >= 1
        done = done and samples(r, "entrega_a_acuse") >= 3 and samples(e, "creacion_a_envio") >= 4
        return (e, r) if done else None

    e, r = await eventually(caught_up, within=90, interval=1.0)
    events = await _events(stack_env, {*workload["oficios"], workload["answer"]})
    want = _expected(events, workload, world)
    pages = {ev.oficio_id: ev.payload.paginas for ev in events if ev.type == "oficio.finalized"}
    sent = sum(pages[o] for o in workload["oficios"])  # one recipient each, no copies
    answer = pages[workload["answer"]]

    # Exactly what the workload did: nothing else the session sends touches these units.
    assert e["totales"]["contadores"] == _counters(
        enviados=4, recibidos=1, abiertos=1, paginas=sent, paginas_ejemplares=sent
    )
    assert r["totales"]["contadores"] == _counters(
        enviados=1,
        recibidos=4,
        turnados=1,
        respondidos=1,
        concluidos=1,
        abiertos=2,
        con_plazo=4,
        en_plazo=2,
        vencidos=2,
        vencidos_abiertos=2,
        paginas=answer,
        paginas_ejemplares=answer,
    )
    assert want["vencidos"] == 2
    assert r["totales"]["cumplimiento"] == 0.5
    acuse = r["totales"]["etapas"]["entrega_a_acuse"]
    assert acuse["n"] == want["acuses"] == 3
    assert (acuse["mediana_horas"], acuse["p90_horas"]) == pytest.approx(want["entrega_a_acuse"], abs=1e-6)
    sending = e["totales"]["etapas"]["creacion_a_envio"]
    assert sending["n"] == 4
    assert (sending["mediana_horas"], sending["p90_horas"]) == pytest.approx(
        want["creacion_a_envio"], abs=1e-6
    )
    answers = {p["funcionario_id"]: p["respondidos"] for p in r["por_funcionario"]}
    titular, funcionario = (world.people[k].numero_empleado for k in ("titular@R", "funcionario@R"))
    assert answers == {titular: 1, funcionario: 0}
    savings = {f["clave"]: f for f in e["ahorros"]}
    assert savings["traslados"]["valor"] == 4
    assert savings["traslados"]["supuestos"]["oficios_enviados"] == 4
    # The dependencia is the sum of its units.
    dependencia = ok(
        await _indicators(world, "auditor@A", dependencia_id=DEPENDENCIA, desde=month, hasta=month)
    )
    assert dependencia["alcance"]["unidades"] == [SENDER, RECEIVER]
    total = {c: e["totales"]["contadores"][c] + r["totales"]["contadores"][c] for c in CONTADORES}
    assert dependencia["totales"]["contadores"] == total


async def test_the_csv_export_has_a_row_per_month_and_the_total(
    world: World, workload: dict[str, Any]
) -> None:
    month = workload["month"]
    response = await _indicators(
        world, "auditor@A", unidad_id=RECEIVER, desde=month, hasta=month, formato="csv"
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    header, row, total = response.text.strip().split("\r\n")
    columns = header.split(",")
    assert columns[:3] == ["periodo", "enviados", "recibidos"]
    assert row.split(",")[0] == month
    assert total.split(",")[0] == "total"
    figures = dict(zip(columns, total.split(","), strict=True))
    assert (figures["recibidos"], figures["vencidos"], figures["respondidos"]) == ("4", "2", "1")


async def test_a_titular_of_another_dependencia_sees_none_of_it(
    world: World, workload: dict[str, Any], stack_env: dict[str, str]
) -> None:
    await seed_other_dependencia(stack_env, world)
    month = workload["month"]
    for params in (
        {"unidad_id": RECEIVER},
        {"dependencia_id": DEPENDENCIA},
        {"funcionario_id": world.people["titular@R"].numero_empleado},
    ):
        refused = await _indicators(world, "titular@X", desde=month, hasta=month, **params)
        assert refused.status_code == 403, refused.text
        assert refused.json()["message"] == "No tiene permiso para realizar esta acción."
    own = ok(await _indicators(world, "titular@X", desde=month, hasta=month))
    assert own["alcance"]["unidades"] == ["OTR-X"]
    assert own["totales"]["contadores"]["recibidos"] == 0
    # A titular of the same dependencia but another unit does not see IND-R either; an auditor does.
    assert (await _indicators(world, "titular@E", unidad_id=RECEIVER)).status_code == 403
    assert (await _indicators(world, "auditor@B", dependencia_id=DEPENDENCIA)).status_code == 200


async def test_replaying_the_topics_into_an_empty_database_gives_the_same_indicators(
    world: World,
    workload: dict[str, Any],
    stack_env: dict[str, str],
    log_dir: Any,
    platform: dict[str, ServiceProcess],
) -> None:
    month = workload["month"]
    # A second metrics process: its own consumer group (from the beginning) and database.
    replay = ServiceProcess("metrics", stack_env | {"SIGNUM_METRICS_SERVICE_NAME": "metrics-replay"}, log_dir)
    replay.start()
    token = SecretStr(stack_env.get("SIGNUM_INTERNAL_TOKEN", DEV_INTERNAL_TOKEN))
    live_client = InternalClient("metrics", platform["metrics"].url, token)
    replay_client = InternalClient("metrics", replay.url, token)
    auditor = Caller(
        kind="official",
        id=world.people["auditor@A"].numero_empleado,
        roles=frozenset({"funcionario", "auditor"}),
    )
    queries = [
        {"unidad_id": SENDER, "desde": month, "hasta": month},
        {"unidad_id": RECEIVER, "desde": month, "hasta": month},
        {
            "dependencia_id": DEPENDENCIA,
            "periodo": "dia",
            "desde": f"{month}-01",
            "hasta": dt.datetime.now(MTY).date().isoformat(),
        },
    ]
    try:
        replay.wait_healthy("/readyz", timeout=60)
        # Everything there is now (the workload is done): the replay has rebuilt from all of it once
        # its group has committed up to here.
        ends = await _end_offsets(stack_env, TOPICS)
        await _caught_up(stack_env, stack_env["SIGNUM_KAFKA_NAMESPACE"] + "signum.metrics-replay", ends)

        async def answers(client: InternalClient) -> list[Any]:
            return [
                await client.request("GET", "/internal/indicadores", caller=auditor, params=q)
                for q in queries
            ]

        live = await answers(live_client)
        assert live[1]["totales"]["contadores"]["vencidos"] == 2
        assert live[0]["totales"]["contadores"]["enviados"] == 4

        async def same() -> list[Any] | None:
            # Committed means handled; the page is read right after, so allow the last write a moment.
            rebuilt = await answers(replay_client)
            return rebuilt if rebuilt == live else None

        try:
            rebuilt = await eventually(same, within=15, interval=0.5)
        except AssertionError:
            rebuilt = await answers(replay_client)
        assert json.dumps(rebuilt, sort_keys=True) == json.dumps(live, sort_keys=True)
        assert rebuilt[1]["totales"]["etapas"]["entrega_a_acuse"]["n"] == 3
    finally:
        await live_client.aclose()
        await replay_client.aclose()
        replay.stop()


async def test_the_metrics_service_exposes_the_workload_s_business_gauges(
    workload: dict[str, Any], platform: dict[str, ServiceProcess]
) -> None:
    dep = f'dependencia="{DEPENDENCIA}"'
    wanted = {
        f'signum_metrics_oficios{{{dep},estado="enviado"}}': 5.0,  # the four and the answer
        f'signum_metrics_oficios{{{dep},estado="borrador"}}': 0.0,
        f"signum_metrics_overdue_deliveries{{{dep}}}": 2.0,  # the third and fourth, open
    }

    async def scraped() -> dict[str, float] | None:
        async with httpx.AsyncClient(timeout=10) as client:
            text = (await client.get(platform["metrics"].url + "/metrics")).text
        found = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                found[f"{s.name}{{{labels}}}"] = s.value
        return found if all(found.get(k) == v for k, v in wanted.items()) else None

    # The gauges are computed again every SIGNUM_METRICS_GAUGES_SECONDS (15 s).
    found = await eventually(scraped, within=90, interval=2.0)
    assert found[f"signum_metrics_response_p90_working_days{{{dep}}}"] >= 0
    assert found[f"signum_metrics_savings_sheets{{{dep}}}"] > 0
