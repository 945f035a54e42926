"""Metrics' domain without I/O: milestones, durations on working days, contributions, quantiles."""

from __future__ import annotations

import datetime as dt
import random
import statistics
from typing import Any

import pytest

from signum.contracts import Event
from signum.contracts.routing import DeliveryCreated
from signum.metrics import domain
from signum.metrics.domain import Costos, Facts
from signum.platform.calendar import WorkCalendar
from tests.metrics.support import MTY, Life, at

CAL = WorkCalendar()
LIMITE = dt.date(2026, 12, 10)


def record(doc: dict[str, Any], facts: Facts) -> None:
    """What the repository's `$min`/`$max`/`$set` do to the oficio's document."""

    def put(path: str, value: Any, keep: Any) -> None:
        *parents, leaf = path.split(".")
        node = doc
        for part in parents:
            node = node.setdefault(part, {})
        old = node.get(leaf)
        node[leaf] = value if old is None or keep is None else keep(old, value)

    for path, value in facts.first.items():
        put(path, value, min)
    for path, value in facts.last.items():
        put(path, value, max)
    for path, value in facts.values.items():
        put(path, value, None)


def state(events: list[Event]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for event in events:
        record(doc, domain.facts(event))
    return doc


def scripted() -> Life:
    """EGR drafts, reviews and signs (two signers); ING receives, turns and answers late; SEC gets a copy."""
    life = Life("of-1", unidad="EGR", autor="70003")
    life.created(at("2026-12-03", 9))
    life.review(at("2026-12-03", 11), at("2026-12-04", 10), reviewer="70002")
    life.finalized(at("2026-12-07", 9), ["70002", "70001"], paginas=2, para=1, ccp=1, fecha_limite=LIMITE)
    life.signature(at("2026-12-07", 12), 1, "70002", pendientes=1)
    life.signature(at("2026-12-08", 10), 2, "70001", pendientes=0)
    life.dispatched(
        at("2026-12-08", 10, 5),
        [
            {
                "entrega_id": "of-1_a",
                "motivo": "destinatario",
                "funcionario_id": "80001",
                "unidad_id": "ING",
                "fecha_limite": LIMITE,
            },
            {"entrega_id": "of-1_b", "motivo": "oficialia", "unidad_id": "ING", "fecha_limite": LIMITE},
            {"entrega_id": "of-1_c", "motivo": "copia", "funcionario_id": "90001", "unidad_id": "SEC"},
        ],
    )
    life.acknowledged(at("2026-12-09", 9), "of-1_a", "80001")
    life.forwarded(at("2026-12-09", 10), "of-1_a", "80001", "80002", "of-1_d", "ING")
    life.acknowledged(at("2026-12-09", 11), "of-1_d", "80002")
    life.overdue(at("2026-12-11", 0, 1), "of-1_a", LIMITE)
    for entrega in ("of-1_d", "of-1_a", "of-1_b"):
        life.answered(at("2026-12-11", 16), entrega, "80002")
    return life


def stage(shares: domain.Contribution, agg: str, etapa: str) -> tuple[dict[int, int], dict[int, int]]:
    fields = shares.get(agg, {})
    prefix = f"etapas.{etapa}."
    dias = {int(k.split(".")[-1]): v for k, v in fields.items() if k.startswith(prefix + "dias.")}
    segundos = {int(k.split(".")[-1]): v for k, v in fields.items() if k.startswith(prefix + "segundos.")}
    return dias, segundos


def test_each_event_marks_its_milestone_and_nothing_else() -> None:
    life = scripted()
    kinds = {e.type: domain.facts(e) for e in life.events}
    assert set(kinds["oficio.created"].first) == {"hitos.creado"}
    assert set(kinds["oficio.reviewed"].last) == {"hitos.visto_bueno"}
    assert set(kinds["oficio.signed"].first) == {"hitos.firmado"}
    assert set(kinds["delivery.acknowledged"].first) == {"entregas.of-1_d.recibido"}
    assert set(kinds["deadline.overdue"].first) == {"entregas.of-1_a.vencido"}
    assert kinds["oficio.finalized"].values["ejemplares"] == 2  # one addressee and one C.c.p.


def test_the_sender_stages_count_working_days_and_seconds() -> None:
    shares = domain.contributions(state(scripted().events), CAL, MTY)
    egr = "unidad|EGR|mes|2026-12"
    # Thursday 3 Dec 09:00 -> Tuesday 8 Dec 10:05: Friday, Monday and Tuesday; 5 days 1 h 5 min.
    assert stage(shares, egr, "creacion_a_envio") == ({3: 1}, {435_900: 1})
    assert stage(shares, egr, "revision") == ({1: 1}, {82_800: 1})
    # Friday 10:00 -> Monday 09:00: the weekend does not count.
    assert stage(shares, egr, "visto_bueno_a_finalizacion") == ({1: 1}, {255_600: 1})
    assert stage(shares, egr, "firmado_a_envio") == ({0: 1}, {300: 1})
    # Each signature from the previous one (the first from the finalization), for its signer.
    assert stage(shares, "funcionario|70002|mes|2026-12", "firma") == ({0: 1}, {10_800: 1})
    assert stage(shares, "funcionario|70001|mes|2026-12", "firma") == ({1: 1}, {79_200: 1})
    assert stage(shares, egr, "firma") == ({0: 1, 1: 1}, {10_800: 1, 79_200: 1})
    counters = {k: v for k, v in shares[egr].items() if k.startswith("contadores.")}
    assert counters == {"contadores.enviados": 1, "contadores.paginas": 2, "contadores.paginas_ejemplares": 4}
    assert shares["unidad|EGR|dia|2026-12-08"]["contadores.enviados"] == 1


def test_an_oficio_is_sent_by_each_official_who_signed_it_not_by_its_author() -> None:
    """The remitentes of an oficio are its signers (here 70002, then 70001); its author (70003)
    drafted it: the drafting stages are the author's, the oficio sent and its pages the signers'."""
    shares = domain.contributions(state(scripted().events), CAL, MTY)
    for signer in ("70001", "70002"):
        for aggregate in (f"funcionario|{signer}|mes|2026-12", f"funcionario|{signer}|dia|2026-12-08"):
            assert shares[aggregate]["contadores.enviados"] == 1
            assert shares[aggregate]["contadores.paginas"] == 2
    author = shares["funcionario|70003|mes|2026-12"]
    assert not any(k.startswith("contadores.") for k in author)
    assert stage(shares, "funcionario|70003|mes|2026-12", "creacion_a_envio") == ({3: 1}, {435_900: 1})
    # Signatures not recorded yet (their topic lags behind routing's): the author stands in.
    unsigned = {k: v for k, v in state(scripted().events).items() if k != "firmas"}
    before_signatures = domain.contributions(unsigned, CAL, MTY)
    assert before_signatures["funcionario|70003|mes|2026-12"]["contadores.enviados"] == 1


def test_a_unit_receives_an_oficio_once_and_answers_it_late() -> None:
    shares = domain.contributions(state(scripted().events), CAL, MTY)
    ing = shares["unidad|ING|mes|2026-12"]
    counters = {k.removeprefix("contadores."): v for k, v in ing.items() if k.startswith("contadores.")}
    # Three deliveries reached ING (its titular, its mailbox, the turno): one oficio received.
    assert counters == {"recibidos": 1, "turnados": 1, "respondidos": 1, "con_plazo": 1, "vencidos": 1}
    # Tuesday 8 Dec 10:05 -> Wednesday 9 Dec 09:00 (the titular's acuse): 1 working day, 22 h 55 min.
    assert stage(shares, "unidad|ING|mes|2026-12", "entrega_a_acuse") == ({1: 1}, {82_500: 1})
    assert stage(shares, "unidad|ING|mes|2026-12", "acuse_a_respuesta") == ({2: 1}, {198_000: 1})
    assert stage(shares, "unidad|ING|mes|2026-12", "entrega_a_respuesta") == ({3: 1}, {280_500: 1})
    # Periods are those of the milestone: received on the 8th, answered on the 11th.
    assert shares["unidad|ING|dia|2026-12-08"]["contadores.recibidos"] == 1
    assert shares["unidad|ING|dia|2026-12-11"]["contadores.respondidos"] == 1
    titular = shares["funcionario|80001|mes|2026-12"]
    assert titular["contadores.recibidos"] == 1
    assert titular["contadores.vencidos"] == 1
    assert shares["funcionario|80002|mes|2026-12"]["contadores.respondidos"] == 1
    assert shares["funcionario|90001|mes|2026-12"] == {"contadores.copias": 1}
    assert shares["unidad|SEC|mes|2026-12"] == {"contadores.copias": 1}


def test_an_open_delivery_counts_as_open_and_then_as_answered_on_time() -> None:
    life = Life("of-2", unidad="EGR")
    life.created(at("2026-12-14", 9)).finalized(
        at("2026-12-14", 10), ["70001"], fecha_limite=dt.date(2026, 12, 16)
    )
    life.signature(at("2026-12-14", 11), 1, "70001", pendientes=0)
    life.dispatched(
        at("2026-12-14", 12),
        [
            {
                "entrega_id": "of-2_a",
                "motivo": "destinatario",
                "funcionario_id": "80001",
                "unidad_id": "ING",
                "fecha_limite": dt.date(2026, 12, 16),
            }
        ],
    )
    opened = domain.contributions(state(life.events), CAL, MTY)["unidad|ING|mes|2026-12"]
    assert opened["contadores.abiertos"] == 1
    assert "contadores.en_plazo" not in opened
    life.concluded(at("2026-12-16", 18), "of-2_a", "80001")  # the deadline's own day is on time
    closed = domain.contributions(state(life.events), CAL, MTY)["unidad|ING|mes|2026-12"]
    assert "contadores.abiertos" not in closed
    assert closed["contadores.en_plazo"] == closed["contadores.concluidos"] == 1
    assert domain.diff(opened, closed)["contadores.abiertos"] == -1


@pytest.mark.parametrize("seed", range(20))
def test_any_order_and_any_repetition_give_the_same_contributions(seed: int) -> None:
    events = scripted().events
    expected = domain.contributions(state(events), CAL, MTY)
    rng = random.Random(seed)
    shuffled = [*events, *rng.sample(events, k=len(events) // 2)]  # some delivered twice
    rng.shuffle(shuffled)
    assert domain.contributions(state(shuffled), CAL, MTY) == expected


def test_events_of_a_delivery_before_its_creation_wait_for_it() -> None:
    life = scripted()
    without_creation = [
        e for e in life.events if not (isinstance(e, DeliveryCreated) and e.payload.entrega_id == "of-1_d")
    ]
    shares = domain.contributions(state(without_creation), CAL, MTY)
    assert "funcionario|80002|mes|2026-12" not in shares


def test_holidays_of_the_shared_calendar_are_not_working_days() -> None:
    start, end = at("2026-12-24", 10), at("2026-12-28", 10)  # Thursday -> Monday, Friday 25 is Christmas
    assert domain.duracion(start, end, CAL, MTY).dias_habiles == 1
    local = WorkCalendar(frozenset({dt.date(2026, 12, 28)}))
    assert domain.duracion(start, end, local, MTY).dias_habiles == 0
    assert domain.duracion(end, start, CAL, MTY) == domain.Duracion(0, 0)  # clocks that disagree


def test_a_day_is_the_day_in_monterrey_not_in_utc() -> None:
    late = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)  # 21:00 of 30 November in Monterrey
    assert domain.periodos(late, MTY) == {"dia": "2026-11-30", "mes": "2026-11"}


@pytest.mark.parametrize("seed", range(30))
def test_quantiles_from_histograms_equal_the_standard_library(seed: int) -> None:
    rng = random.Random(seed)
    values = [
        rng.choice([0, 1, 1, 2, 3, 5, 8, 13, rng.randrange(400_000)]) for _ in range(rng.randrange(1, 60))
    ]
    histogram: dict[int, int] = {}
    for v in values:
        histogram[v] = histogram.get(v, 0) + 1
    assert domain.quantile(histogram, 0.5) == pytest.approx(statistics.median(values))
    if len(values) > 1:
        p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
        assert domain.quantile(histogram, 0.9) == pytest.approx(p90)
    else:
        assert domain.quantile(histogram, 0.9) == values[0]
    assert domain.quantile({}, 0.5) is None


def test_aggregates_of_several_units_and_months_merge_exactly() -> None:
    a = {"contadores": {"enviados": 2}, "etapas": {"firma": {"dias": {"1": 2}, "segundos": {"60": 2}}}}
    b = {
        "contadores": {"enviados": 1, "vencidos": 1},
        "etapas": {"firma": {"dias": {"3": 1}, "segundos": {"600": 1}}},
    }
    merged = domain.merge([a, b])
    assert merged["contadores"] == {"enviados": 3, "vencidos": 1}
    summary = domain.stage_summary(merged["etapas"]["firma"])
    assert summary["n"] == 3
    assert summary["mediana_dias_habiles"] == 1
    assert summary["p90_dias_habiles"] == pytest.approx(
        statistics.quantiles([1, 1, 3], n=10, method="inclusive")[8]
    )
    assert summary["mediana_horas"] == pytest.approx(60 / 3600, abs=1e-6)
    assert domain.cumplimiento({"en_plazo": 3, "vencidos": 1}) == 0.75
    assert domain.cumplimiento({}) is None


def test_savings_show_the_assumptions_they_come_from() -> None:
    costos = Costos(
        hojas_por_pagina=0.5,
        ejemplares_adicionales=1,
        impresion_mxn_por_hoja=2.0,
        traslados_por_oficio=1,
        km_por_traslado=10,
        combustible_mxn_por_km=3,
        estacionamiento_mxn_por_traslado=20,
        casetas_mxn_por_traslado=5,
        horas_por_traslado=2,
        kg_co2_por_hoja=0.01,
        kg_co2_por_km=0.2,
    )
    figures = {
        f["clave"]: f
        for f in domain.ahorros({"enviados": 4, "paginas": 10, "paginas_ejemplares": 30}, costos)
    }
    assert figures["hojas"]["valor"] == (30 + 10 * 1) * 0.5
    assert figures["hojas"]["supuestos"]["hojas_por_pagina"] == 0.5
    assert figures["impresion"]["valor"] == 40.0
    assert figures["traslados"]["valor"] == 4
    assert figures["combustible"]["valor"] == 4 * 10 * 3
    assert figures["estacionamiento_y_casetas"]["valor"] == 4 * 25
    assert figures["total_mxn"]["valor"] == 40 + 120 + 100
    assert figures["horas"]["valor"] == 8
    assert figures["co2"]["valor"] == pytest.approx(20 * 0.01 + 40 * 0.2)
    assert all(f["formula"] and f["unidad"] for f in figures.values())


def test_open_work_waits_on_the_desk_it_was_turned_to_and_leaves_when_closed() -> None:
    events = scripted().events
    answered = next(i for i, e in enumerate(events) if e.type == "oficio.answered")
    open_now = domain.contributions(state(events[:answered]), CAL, MTY)
    desk = "funcionario|{}|actual|hoy"
    # 80001 turned of-1_a to 80002: it waits on 80002's desk, not on 80001's.
    assert open_now.get(desk.format("80001")) is None
    assert open_now[desk.format("80002")] == {"pendientes.2026-12-09": 1}
    # The unit ING has it once (its first delivery, the 8th), overdue (routing marked of-1_a).
    assert open_now["unidad|ING|actual|hoy"] == {"pendientes.2026-12-08": 1, "pendientes_vencidos": 1}
    assert "unidad|SEC|actual|hoy" not in open_now  # a C.c.p. asks for nothing
    closed = domain.contributions(state(events), CAL, MTY)
    assert [agg for agg in closed if agg.endswith("|actual|hoy")] == ["unidad|EGR|actual|hoy"]
    assert closed["unidad|EGR|actual|hoy"] == {"estados.enviado": 1}  # the sender's state, nothing waits


def test_a_desk_s_wait_counts_working_days_until_today() -> None:
    # Tuesday 8 and Wednesday 9 Dec to Monday 14 Dec: 4 and 3 working days (the weekend does not count).
    figures = domain.desk({"2026-12-08": 1, "2026-12-09": 2}, 1, dt.date(2026, 12, 14), CAL)
    assert figures == {
        "pendientes": 3,
        "pendientes_vencidos": 1,
        "espera_max_dias_habiles": CAL.working_days_between(dt.date(2026, 12, 8), dt.date(2026, 12, 14)),
        "espera_mediana_dias_habiles": CAL.working_days_between(dt.date(2026, 12, 9), dt.date(2026, 12, 14)),
    }
    assert figures["espera_max_dias_habiles"] == 4


def test_the_sender_s_state_follows_the_milestones() -> None:
    events = scripted().events
    seen = []
    for n in range(1, len(events) + 1):
        shares = domain.contributions(state(events[:n]), CAL, MTY).get("unidad|EGR|actual|hoy", {})
        (name,) = [k.split(".")[1] for k in shares if k.startswith("estados.")]
        if not seen or seen[-1] != name:
            seen.append(name)
    assert seen == ["borrador", "en_revision", "borrador", "listo_para_firma", "firmado", "enviado"]


@pytest.mark.parametrize("seed", range(10))
def test_folding_events_in_batches_leaves_what_recording_each_one_leaves(seed: int) -> None:
    events = scripted().events
    rng = random.Random(seed)
    shuffled = [*events, *rng.sample(events, k=3)]  # a few delivered twice
    rng.shuffle(shuffled)
    cut = rng.randrange(1, len(shuffled))
    first, _ = domain.fold({}, [domain.facts(e) for e in shuffled[:cut]])
    kept = repr(first)
    after, changed = domain.fold(first, [domain.facts(e) for e in shuffled[cut:]])
    assert repr(first) == kept  # the document before is left as it was
    assert domain.contributions(after, CAL, MTY) == domain.contributions(state(events), CAL, MTY)
    redone = dict(first)
    for path, value in changed.items():  # what the repository `$set`s gives the same document
        *parents, leaf = path.split(".")
        node = redone
        for part in parents:
            child = dict(node.get(part) or {})
            node[part] = child
            node = child
        node[leaf] = value
    assert redone == after


def test_a_folded_time_is_what_mongodb_keeps_of_it() -> None:
    life = Life("of-9").created(at("2026-12-03", 9) + dt.timedelta(microseconds=123456))
    after, changed = domain.fold({}, [domain.facts(e) for e in life.events])
    assert changed["hitos.creado"] == at("2026-12-03", 9) + dt.timedelta(microseconds=123000)
    assert after["hitos"]["creado"].tzinfo is not None
