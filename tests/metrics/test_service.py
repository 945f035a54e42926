"""The metrics service against a real MongoDB-wire server: idempotent, order-tolerant aggregation
and the indicators each caller may see."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from signum.contracts import Event
from signum.metrics import domain
from signum.metrics.gauges import BusinessGauges
from signum.metrics.service import Consulta, MetricsService
from signum.platform.errors import ForbiddenError
from tests.metrics.support import MTY, Life, at
from tests.metrics.test_domain import CAL, LIMITE, scripted, state
from tests.routing.support import official

pytestmark = pytest.mark.stack


async def aggregates(service: MetricsService) -> dict[str, dict[str, int]]:
    """Every aggregate as flat `{field: n}` without bookkeeping or zeros (what queries add up)."""
    found: dict[str, dict[str, int]] = {}
    async for doc in service.repository.indicadores.find({}, {"aportes": 0}):
        flat: dict[str, int] = {}
        for group in set(doc) - {"_id", "ambito", "clave", "periodo", "inicio"}:
            value = doc[group]
            if isinstance(value, dict):
                _flatten(value, group, flat)
            else:
                flat[group] = int(value)
        found[doc["_id"]] = {k: v for k, v in flat.items() if v}
    return {k: v for k, v in found.items() if v}


def _flatten(node: dict[str, Any], prefix: str, out: dict[str, int]) -> None:
    for key, value in node.items():
        if isinstance(value, dict):
            _flatten(value, f"{prefix}.{key}", out)
        else:
            out[f"{prefix}.{key}"] = int(value)


def expected(events: list[Event]) -> dict[str, dict[str, int]]:
    return domain.contributions(state(events), CAL, MTY)


async def test_events_one_by_one_add_up_to_the_oficio_s_contribution(service: MetricsService) -> None:
    events = scripted().events
    for event in events:
        await service.apply(event)
    assert await aggregates(service) == expected(events)


async def test_redelivered_events_change_nothing(service: MetricsService) -> None:
    events = scripted().events
    for event in events:
        await service.apply(event)
    before = await aggregates(service)
    for event in reversed(events):
        await service.apply(event)
    assert await aggregates(service) == before == expected(events)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_any_order_gives_the_same_aggregates(service: MetricsService, seed: int) -> None:
    events = scripted().events
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    for event in shuffled:
        await service.apply(event)
    assert await aggregates(service) == expected(events)


async def test_a_crash_half_way_through_the_aggregates_is_repaired_by_the_redelivery(
    service: MetricsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = scripted().events

    # The event whose arrival changes the most aggregates, applied last.
    def changed(i: int) -> int:
        without = expected(events[:i] + events[i + 1 :])
        return sum(without.get(a) != v for a, v in expected(events).items())

    last = events[max(range(len(events)), key=changed)]
    assert changed(events.index(last)) >= 2
    for event in events:
        if event is not last:
            await service.apply(event)
    real = service.repository.contribute
    calls = 0

    async def dies_after_one(*args: Any) -> bool:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise ConnectionError("the process died here")
        return await real(*args)

    monkeypatch.setattr(service.repository, "contribute", dies_after_one)
    with pytest.raises(ConnectionError):
        await service.apply(last)
    monkeypatch.setattr(service.repository, "contribute", real)
    await service.apply(last)  # Kafka delivers it again: recorded already, shares completed
    assert await aggregates(service) == expected(events)


async def test_an_older_state_never_replaces_a_newer_share(service: MetricsService) -> None:
    events = scripted().events
    for event in events:
        await service.apply(event)
    agg = "unidad|ING|mes|2026-12"
    assert not await service.repository.contribute(agg, "of-1", 1, {"contadores.recibidos": 7})
    assert (await aggregates(service))[agg] == expected(events)[agg]


async def test_a_titular_sees_their_units_and_nobody_else_s(service: MetricsService) -> None:
    for event in scripted().events:
        await service.apply(event)
    titular_ing = official("80001", "ING", frozenset({"titular"})).model_copy(
        update={"ambito": frozenset({"ING"})}
    )
    mine = await service.indicadores(titular_ing, Consulta(desde="2026-12", hasta="2026-12"))
    assert mine["alcance"] == {"tipo": "ambito", "id": None, "unidades": ["ING"]}
    totals = mine["totales"]
    assert totals["contadores"]["recibidos"] == 1
    assert totals["contadores"]["vencidos"] == 1
    assert totals["cumplimiento"] == 0
    assert totals["etapas"]["acuse_a_respuesta"]["mediana_dias_habiles"] == 2
    assert totals["etapas"]["acuse_a_respuesta"]["p90_horas"] == 55
    assert {p["funcionario_id"]: p["respondidos"] for p in mine["por_funcionario"]} == {
        "80001": 1,
        "80002": 1,
    }
    with pytest.raises(ForbiddenError):
        await service.indicadores(titular_ing, Consulta(unidad_id="EGR"))
    with pytest.raises(ForbiddenError):
        await service.indicadores(titular_ing, Consulta(dependencia_id="TES"))
    with pytest.raises(ForbiddenError):
        await service.indicadores(official("80002", "ING"), Consulta(funcionario_id="80001"))


async def test_an_auditor_sees_a_dependencia_as_the_sum_of_its_units(service: MetricsService) -> None:
    for event in scripted().events:
        await service.apply(event)
    auditor = official("99999", "SEC", frozenset({"auditor"}))
    tes = await service.indicadores(auditor, Consulta(dependencia_id="TES", desde="2026-12", hasta="2026-12"))
    assert tes["alcance"]["unidades"] == ["EGR", "ING", "SEC"]
    counters = tes["totales"]["contadores"]
    assert (counters["enviados"], counters["recibidos"], counters["copias"]) == (1, 1, 1)
    assert tes["totales"]["etapas"]["firma"]["n"] == 2
    daily = await service.indicadores(
        auditor, Consulta(periodo="dia", desde="2026-12-07", hasta="2026-12-11")
    )
    assert next(s["periodo"] for s in daily["series"]) == "2026-12-07"
    sent = {s["periodo"]: s["contadores"]["enviados"] for s in daily["series"]}
    assert sent["2026-12-08"] == 1
    assert sum(sent.values()) == 1
    savings = {f["clave"]: f["valor"] for f in tes["ahorros"]}
    assert savings["hojas"] == (2 * 2 + 2 * 1) * 1.0  # two pages × (addressee + C.c.p.) + the file copy
    csv_text = await service.indicadores_csv(
        auditor, Consulta(dependencia_id="TES", desde="2026-12", hasta="2026-12")
    )
    header, month, total = csv_text.strip().split("\r\n")
    assert header.startswith("periodo,enviados,recibidos")
    assert month.startswith("2026-12,1,1,")
    assert total.startswith("total,1,1,")


async def test_an_official_sees_their_own_figures_by_default(service: MetricsService) -> None:
    for event in scripted().events:
        await service.apply(event)
    mine = await service.indicadores(official("80002", "ING"), Consulta(desde="2026-12", hasta="2026-12"))
    assert mine["alcance"]["tipo"] == "funcionario"
    assert mine["alcance"]["id"] == "80002"
    assert mine["totales"]["contadores"]["respondidos"] == 1
    assert "por_unidad" not in mine


async def test_positions_and_the_desks_where_oficios_wait(service: MetricsService) -> None:
    events = scripted().events
    answered = next(i for i, e in enumerate(events) if e.type == "oficio.answered")
    for event in events[:answered]:  # turned to 80002, not answered yet
        await service.apply(event)
    auditor = official("99999", "SEC", frozenset({"auditor"}))
    ing = await service.indicadores(auditor, Consulta(unidad_id="ING", desde="2026-12", hasta="2026-12"))
    positions = {p["puesto_id"]: p for p in ing["por_puesto"]}
    assert list(positions) == ["ING-TIT", "ING-ANA"]  # the titular first
    assert positions["ING-TIT"]["titulo"] == "Directora de Ingresos"
    assert (positions["ING-TIT"]["recibidos"], positions["ING-TIT"]["pendientes"]) == (1, 0)
    # Clock: Sunday 20 Dec; turned to 80002 on Wednesday 9 Dec.
    waited = service.calendar.working_days_between(dt.date(2026, 12, 9), dt.date(2026, 12, 20))
    assert positions["ING-ANA"]["pendientes"] == 1
    assert positions["ING-ANA"]["espera_max_dias_habiles"] == waited
    bottlenecks = ing["cuellos_de_botella"]
    assert [d["funcionario_id"] for d in bottlenecks["escritorios"]] == ["80002"]
    p90s = [e["p90_horas"] for e in bottlenecks["etapas"]]
    assert p90s == sorted(p90s, reverse=True)
    assert {e["etapa"] for e in bottlenecks["etapas"]} <= set(domain.ETAPAS)
    for event in events[answered:]:
        await service.apply(event)
    done = await service.indicadores(auditor, Consulta(unidad_id="ING", desde="2026-12", hasta="2026-12"))
    assert done["cuellos_de_botella"]["escritorios"] == []
    assert all(p["pendientes"] == 0 for p in done["por_puesto"])


async def test_the_business_gauges_per_dependencia(service: MetricsService) -> None:
    events = scripted().events
    answered = next(i for i, e in enumerate(events) if e.type == "oficio.answered")
    for event in events[:answered]:
        await service.apply(event)
    gauges = BusinessGauges()
    registry = CollectorRegistry()
    registry.register(gauges)
    gauges.update(await service.gauges())
    samples = _samples(registry)
    assert samples[("signum_metrics_oficios", (("dependencia", "TES"), ("estado", "enviado")))] == 1
    assert samples[("signum_metrics_oficios", (("dependencia", "TES"), ("estado", "borrador")))] == 0
    assert samples[("signum_metrics_overdue_deliveries", (("dependencia", "TES"),))] == 1  # of-1_a
    assert ("signum_metrics_response_p90_seconds", (("dependencia", "TES"),)) not in samples  # no answer yet

    for event in events[answered:]:
        await service.apply(event)
    gauges.update(await service.gauges())
    samples = _samples(registry)
    tes = (("dependencia", "TES"),)
    assert samples[("signum_metrics_overdue_deliveries", tes)] == 0
    # ING's first delivery (Tuesday 8 Dec 10:05) to its answer (Friday 11 Dec 16:00), the one answer.
    assert samples[("signum_metrics_response_p90_seconds", tes)] == 3 * 86400 + 5 * 3600 + 55 * 60
    assert samples[("signum_metrics_response_p90_working_days", tes)] == 3
    auditor = official("99999", "SEC", frozenset({"auditor"}))
    api = await service.indicadores(auditor, Consulta(dependencia_id="TES", desde="2026-12", hasta="2026-12"))
    savings = {f["clave"]: f["valor"] for f in api["ahorros"]}
    assert samples[("signum_metrics_savings_mxn", tes)] == savings["total_mxn"] > 0
    assert samples[("signum_metrics_savings_sheets", tes)] == savings["hojas"] == 6


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """What Prometheus would scrape: every sample by name and labels, parsed from the exposition."""
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def second() -> list[Event]:
    """Another oficio, of SEC to ING, answered in time."""
    life = Life("of-2", unidad="SEC", autor="90001")
    life.created(at("2026-12-01", 9)).finalized(at("2026-12-02", 9), ["90001"], fecha_limite=LIMITE)
    life.signature(at("2026-12-02", 12), 1, "90001", pendientes=0)
    entrega = {"entrega_id": "of-2_a", "motivo": "destinatario", "funcionario_id": "80001"}
    entrega["unidad_id"] = "ING"
    life.dispatched(at("2026-12-02", 13), [entrega])
    life.acknowledged(at("2026-12-03", 9), "of-2_a", "80001").answered(at("2026-12-04", 9), "of-2_a", "80001")
    return life.events


def expected_of(*oficios: list[Event]) -> dict[str, dict[str, int]]:
    total: dict[str, dict[str, int]] = {}
    for events in oficios:
        for agg, fields in expected(events).items():
            into = total.setdefault(agg, {})
            for k, v in fields.items():
                into[k] = into.get(k, 0) + v
    return {a: {k: v for k, v in f.items() if v} for a, f in total.items()}


async def apply_in_batches(service: MetricsService, events: list[Event], rng: random.Random) -> None:
    start = 0
    while start < len(events):
        size = rng.randrange(1, 8)
        await service.apply_batch(events[start : start + size])
        start += size


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_batches_in_any_order_give_what_one_event_at_a_time_gives(
    service: MetricsService, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [*scripted().events, *second()]
    rng = random.Random(seed)
    rng.shuffle(events)
    # Every batch goes the batch's way: nothing falls back to one event at a time.
    monkeypatch.setattr(service, "settle", _must_not_be_called)
    await apply_in_batches(service, events, rng)
    assert await aggregates(service) == expected_of(scripted().events, second())


async def test_a_whole_replay_in_one_batch_and_its_redelivery(service: MetricsService) -> None:
    events = [*scripted().events, *second()]
    await service.apply_batch(events)
    assert await aggregates(service) == expected_of(scripted().events, second())
    await service.apply_batch(list(reversed(events)))  # delivered again: recorded already
    assert await aggregates(service) == expected_of(scripted().events, second())


async def test_a_crash_between_recording_a_batch_and_its_aggregates_is_repaired(
    service: MetricsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [*scripted().events, *second()]
    await service.apply_batch(events[:5])
    real = service.repository.indicadores.bulk_write

    async def one_then_die(ops: list[Any], **kwargs: Any) -> Any:
        await real(ops[:1], **kwargs)  # the first aggregate's update lands, then the process dies
        raise ConnectionError("the process died here")

    monkeypatch.setattr(service.repository.indicadores, "bulk_write", one_then_die)
    with pytest.raises(ConnectionError):
        await service.apply_batch(events[5:12])
    monkeypatch.undo()
    # Kafka delivers a later batch first (another partition), then the one that failed again.
    await service.apply_batch(events[12:])
    await service.apply_batch(events[5:12])
    assert await aggregates(service) == expected_of(scripted().events, second())


async def test_another_process_recording_the_same_oficio_meanwhile_loses_nothing(
    service: MetricsService,
) -> None:
    events = scripted().events
    await service.apply_batch(events[:4])
    real = service.repository.oficios_by_id

    async def read_then_someone_writes(ids: Any) -> Any:
        found = await real(ids)
        await service.apply(events[4])  # another replica records an event of this oficio now
        return found

    service.repository.oficios_by_id = read_then_someone_writes  # type: ignore[method-assign]
    await service.apply_batch(events[5:9])
    service.repository.oficios_by_id = real  # type: ignore[method-assign]
    await service.apply_batch(events[9:])
    assert await aggregates(service) == expected(events)


async def _must_not_be_called(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("a batch fell back to one oficio at a time")
