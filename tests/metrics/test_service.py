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
from tests.metrics.support import MTY
from tests.metrics.test_domain import CAL, scripted, state
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
