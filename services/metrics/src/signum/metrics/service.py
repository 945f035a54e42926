"""Metrics' use cases: applying events to the indicators, and answering for them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from signum.contracts import Event
from signum.metrics import domain
from signum.metrics.domain import Ambito, Costos, Periodo
from signum.metrics.repository import MetricsRepository, OficioWrite, Share
from signum.platform.calendar import WorkCalendar
from signum.platform.directory import DirectoryReadModel
from signum.platform.errors import NotFoundError, ValidationFailedError
from signum.platform.identity import Caller
from signum.platform.policy import Action, IndicadoresAccess, authorize

MAX_PERIODS: dict[Periodo, int] = {"dia": 400, "mes": 60}
FIGURAS_PERSONA = ("enviados", "recibidos", "respondidos", "vencidos")


class InvalidPeriodError(ValidationFailedError):
    code = "invalid_period"
    message = (
        "El periodo no es válido: use AAAA-MM para meses o AAAA-MM-DD para días, «desde» antes de «hasta»."
    )


class PeriodTooLongError(ValidationFailedError):
    code = "period_too_long"
    message = "El periodo es demasiado largo: hasta 60 meses o 400 días por consulta."


class ScopeConflictError(ValidationFailedError):
    code = "scope_conflict"
    message = "Indique solo una: unidad, dependencia o funcionario."


class UnitNotFoundError(NotFoundError):
    code = "unit_not_found"
    message = "La unidad no existe en el directorio."


class DependenciaNotFoundError(NotFoundError):
    code = "dependencia_not_found"
    message = "La dependencia no existe en el directorio o no tiene unidades."


@dataclass(frozen=True)
class Consulta:
    """What the caller asks for: a period and, optionally, one unit, dependencia or official."""

    periodo: Periodo = "mes"
    desde: str | None = None
    hasta: str | None = None
    unidad_id: str | None = None
    dependencia_id: str | None = None
    funcionario_id: str | None = None


@dataclass(frozen=True)
class Alcance:
    tipo: Literal["unidad", "dependencia", "funcionario", "todas", "ambito"]
    id: str | None
    ambito: Ambito
    claves: tuple[str, ...]  # the units, or the one official, whose aggregates are added up


class MetricsService:
    """Keeps the indicators from the event stream and answers for them."""

    def __init__(
        self,
        repository: MetricsRepository,
        directory: DirectoryReadModel,
        *,
        calendar: WorkCalendar | None = None,
        tz: dt.tzinfo | None = None,
        costos: Costos | None = None,
        clock: Any = None,
    ) -> None:
        self.repository = repository
        self.directory = directory
        self.calendar = calendar or WorkCalendar()
        self.tz = tz or dt.UTC
        self.costos = costos or Costos()
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    # --- from the events -------------------------------------------------------------------------

    async def apply(self, event: Event) -> None:
        """Record what the event says of its oficio, then bring the oficio's shares up to date."""
        facts = domain.facts(event)
        if event.oficio_id is None or not facts:
            return
        recorded = await self.repository.record(event.oficio_id, event, facts)
        if recorded.applied and recorded.before is not None:
            # Only the aggregates whose share this event changed: every other one holds the share
            # of the state before, which is the share of the state now.
            before = domain.contributions(recorded.before, self.calendar, self.tz)
            await self.settle(event.oficio_id, changed_since=before)
        else:
            # A repeated event: a crash after recording it may have left any share behind.
            await self.settle(event.oficio_id)

    async def apply_batch(self, events: Sequence[Event]) -> None:
        """What `apply` does for each event, for a whole batch (catching up, replaying the topics)
        in a few round trips: the batch's oficios read at once, each one's new events folded onto
        its document in memory (`domain.fold`) and all recorded in one bulk write, then every
        aggregate whose share changed (for any oficio of the batch) written in one more, each
        write conditioned on the state it assumes. Whatever does not hold (an event recorded
        already, a crash mid-batch, another process at work on the same oficio) sends those oficios
        down `apply`'s path, one event and one aggregate at a time: the figures are the same."""
        by_oficio: dict[str, list[tuple[Event, domain.Facts]]] = {}
        for event in events:
            facts = domain.facts(event)
            if event.oficio_id is not None and facts:
                by_oficio.setdefault(event.oficio_id, []).append((event, facts))
        if not by_oficio:
            return
        stored = await self.repository.oficios_by_id(by_oficio)
        slow: list[str] = []
        writes: list[OficioWrite] = []
        shares: dict[str, list[Share]] = {}
        for oficio_id, items in by_oficio.items():
            doc = stored.get(oficio_id) or {}
            applied = set(doc.pop("_applied", None) or [])
            new: dict[str, domain.Facts] = {}
            for event, facts in items:
                new.setdefault(str(event.event_id), facts)
            if applied & set(new):
                slow.append(oficio_id)  # redelivered: a crash may have left any share behind
                continue
            after, changed = domain.fold(doc, new.values())
            rev = int(doc.get("rev") or 0) + len(new)
            after["rev"] = rev
            before_shares = domain.contributions(doc, self.calendar, self.tz)
            after_shares = domain.contributions(after, self.calendar, self.tz)
            known = set(doc.get("agregados") or [])
            writes.append(
                OficioWrite(
                    oficio_id,
                    doc.get("rev") if oficio_id in stored else None,
                    changed,
                    list(new),
                    set(after_shares) - known,
                    after,
                )
            )
            for agg_id in sorted(known | set(after_shares)):
                fields, before = after_shares.get(agg_id, {}), before_shares.get(agg_id, {})
                if fields != before:
                    shares.setdefault(agg_id, []).append(Share(oficio_id, rev, fields, before))
        # Someone else recorded events of these oficios meanwhile: theirs go one at a time.
        slow.extend(await self.repository.record_batch(writes))
        lost = set(slow)
        kept = {a: [s for s in items if s.oficio_id not in lost] for a, items in shares.items()}
        unsettled = await self.repository.contribute_batch({a: items for a, items in kept.items() if items})
        for oficio_id in slow:
            for event, _ in by_oficio[oficio_id]:
                await self.apply(event)
        for oficio_id in sorted(unsettled - lost):
            await self.settle(oficio_id)  # every share checked against what its aggregate holds

    async def settle(self, oficio_id: str, *, changed_since: domain.Contribution | None = None) -> None:
        """Make every aggregate hold the oficio's share as its document stands now (with
        `changed_since`, the shares of an earlier state all aggregates hold: only those that differ)."""
        oficio = await self.repository.oficio(oficio_id)
        if oficio is None:
            return
        shares = domain.contributions(oficio, self.calendar, self.tz)
        known = set(oficio.get("agregados") or [])
        if not set(shares) <= known:
            await self.repository.remember_targets(oficio_id, set(shares) - known)
        rev = int(oficio.get("rev") or 0)
        targets = known | set(shares)
        if changed_since is not None:
            targets = {a for a in targets if shares.get(a, {}) != changed_since.get(a, {})}
        for agg_id in sorted(targets):
            await self.repository.contribute(agg_id, oficio_id, rev, shares.get(agg_id, {}))

    # --- Prometheus ------------------------------------------------------------------------------

    async def gauges(self) -> list[dict[str, Any]]:
        """Per dependencia: oficios by state, overdue deliveries open now, p90 of delivery to answer
        this month, and this month's savings (the business gauges' figures)."""
        today = self._clock().astimezone(self.tz).date()
        month = today.isoformat()[:7]
        by_dependencia: dict[str, list[str]] = {}
        for unidad in await self.directory.unidades_de():
            by_dependencia.setdefault(unidad.dependencia_id, []).append(unidad.id)
        rows = []
        for dependencia, unidades in sorted(by_dependencia.items()):
            now = domain.merge(
                await self.repository.aggregates(
                    domain.aggregate_id("unidad", u, domain.ACTUAL, domain.PENDIENTES) for u in unidades
                )
            )
            this_month = domain.merge(
                await self.repository.aggregates(
                    domain.aggregate_id("unidad", u, "mes", month) for u in unidades
                )
            )
            answers = this_month["etapas"].get("entrega_a_respuesta") or {}
            savings = {f["clave"]: f["valor"] for f in domain.ahorros(this_month["contadores"], self.costos)}
            rows.append(
                {
                    "dependencia": dependencia,
                    "oficios": now["estados"],
                    "vencidos": now["pendientes_vencidos"],
                    "p90_segundos": domain.quantile(answers.get("segundos") or {}, 0.9),
                    "p90_dias_habiles": domain.quantile(answers.get("dias") or {}, 0.9),
                    "ahorros": savings,
                }
            )
        return rows

    # --- the indicators --------------------------------------------------------------------------

    async def indicadores(self, caller: Caller, consulta: Consulta) -> dict[str, Any]:
        """The indicators the caller may see, for the period and scope asked."""
        inicios = self._periods(consulta)
        alcance, access = await self._scope(caller, consulta)
        authorize(caller, Action.INDICADORES_VER, access)
        ids = [
            domain.aggregate_id(alcance.ambito, clave, consulta.periodo, inicio)
            for clave in alcance.claves
            for inicio in inicios
        ]
        docs = await self.repository.aggregates(ids)
        by_period: dict[str, list[dict[str, Any]]] = {}
        by_key: dict[str, list[dict[str, Any]]] = {}
        for doc in docs:
            by_period.setdefault(str(doc.get("inicio")), []).append(doc)
            by_key.setdefault(str(doc.get("clave")), []).append(doc)
        names = await self._unit_names()
        answer: dict[str, Any] = {
            "periodo": consulta.periodo,
            "desde": inicios[0],
            "hasta": inicios[-1],
            "alcance": {
                "tipo": alcance.tipo,
                "id": alcance.id,
                "unidades": list(alcance.claves) if alcance.ambito == "unidad" else [],
            },
            "totales": self._summary(docs),
            "series": [{"periodo": p, **self._summary(by_period.get(p, []))} for p in inicios],
            "ahorros": domain.ahorros(domain.merge(docs)["contadores"], self.costos),
        }
        if alcance.ambito == "unidad":
            answer["por_unidad"] = [
                {"unidad_id": u, "nombre": names.get(u, u), **self._summary(by_key.get(u, []), stages=False)}
                for u in alcance.claves
            ]
            puestos = await self._positions(alcance.claves, consulta.periodo, inicios)
            answer["por_puesto"] = puestos
            answer["por_funcionario"] = [
                {k: p[k] for k in ("funcionario_id", "nombre", *FIGURAS_PERSONA)} for p in _holders(puestos)
            ]
            answer["cuellos_de_botella"] = self._bottlenecks(answer["totales"], puestos)
        return answer

    async def indicadores_csv(self, caller: Caller, consulta: Consulta) -> str:
        """The same indicators as CSV: one row per period and a total row (UTF-8, comma)."""
        data = await self.indicadores(caller, consulta)
        counters = list(domain.CONTADORES)
        stage_cols = [
            f"{etapa}_{medida}"
            for etapa in domain.ETAPAS
            for medida in ("n", "mediana_dias_habiles", "p90_dias_habiles", "mediana_horas", "p90_horas")
        ]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["periodo", *counters, "cumplimiento", *stage_cols])
        for row in [*data["series"], {"periodo": "total", **data["totales"]}]:
            cells: list[Any] = [row["periodo"], *(row["contadores"].get(c, 0) for c in counters)]
            cells.append("" if row["cumplimiento"] is None else row["cumplimiento"])
            for etapa in domain.ETAPAS:
                summary = row["etapas"].get(etapa) or {}
                for medida in ("n", "mediana_dias_habiles", "p90_dias_habiles", "mediana_horas", "p90_horas"):
                    value = summary.get(medida)
                    cells.append("" if value is None else value)
            writer.writerow(cells)
        return out.getvalue()

    def _summary(self, docs: Iterable[dict[str, Any]], *, stages: bool = True) -> dict[str, Any]:
        merged = domain.merge(docs)
        contadores = {c: merged["contadores"].get(c, 0) for c in domain.CONTADORES}
        summary: dict[str, Any] = {"contadores": contadores, "cumplimiento": domain.cumplimiento(contadores)}
        if stages:
            summary["etapas"] = {
                etapa: {
                    "nombre": domain.NOMBRES_ETAPAS[etapa],
                    **domain.stage_summary(merged["etapas"][etapa]),
                }
                for etapa in domain.ETAPAS
                if etapa in merged["etapas"] and sum(merged["etapas"][etapa]["dias"].values())
            }
        return summary

    async def _positions(
        self, unidades: Iterable[str], periodo: Periodo, inicios: list[str]
    ) -> list[dict[str, Any]]:
        """Per position in these units: who holds it now, what its holder sent, received, answered
        and let fall overdue in the period, and the work waiting on their desk today.

        A position's figures are its current holder's (events name officials, not positions): when
        someone else takes the position, their own history comes with them."""
        puestos = sorted(
            (p for p in await self.directory.puestos_en(list(unidades)) if p.funcionario_id),
            key=lambda p: (p.unidad_id, not p.es_titular, p.titulo, p.id),
        )
        people = sorted({str(p.funcionario_id) for p in puestos})
        ids = [domain.aggregate_id("funcionario", f, periodo, i) for f in people for i in inicios]
        ids += [domain.aggregate_id("funcionario", f, domain.ACTUAL, domain.PENDIENTES) for f in people]
        by_person: dict[str, list[dict[str, Any]]] = {}
        desks: dict[str, dict[str, Any]] = {}
        for doc in await self.repository.aggregates(ids):
            if doc.get("periodo") == domain.ACTUAL:
                desks[str(doc.get("clave"))] = doc
            else:
                by_person.setdefault(str(doc.get("clave")), []).append(doc)
        today = self._clock().astimezone(self.tz).date()
        officials = await self.directory.funcionarios_por_id(people)
        rows = []
        for puesto in puestos:
            person = str(puesto.funcionario_id)
            merged = domain.merge(by_person.get(person, []))
            now = domain.merge([desks[person]] if person in desks else [])
            funcionario = officials.get(person)
            attention = merged["etapas"].get("entrega_a_cierre") or {}
            rows.append(
                {
                    "puesto_id": puesto.id,
                    "titulo": puesto.titulo,
                    "unidad_id": puesto.unidad_id,
                    "es_titular": puesto.es_titular,
                    "funcionario_id": person,
                    "nombre": funcionario.nombre if funcionario else person,
                    **{c: merged["contadores"].get(c, 0) for c in FIGURAS_PERSONA},
                    "p90_atencion_dias_habiles": domain.quantile(attention.get("dias") or {}, 0.9),
                    **domain.desk(now["pendientes"], now["pendientes_vencidos"], today, self.calendar),
                }
            )
        return rows

    def _bottlenecks(self, totales: dict[str, Any], puestos: list[dict[str, Any]]) -> dict[str, Any]:
        """Where oficios wait longest: the stages by their p90, and the desks by their longest wait."""
        etapas = sorted(
            ({"etapa": k, **v} for k, v in totales["etapas"].items() if v.get("p90_horas") is not None),
            key=lambda e: (-e["p90_horas"], e["etapa"]),
        )
        escritorios = sorted(
            (p for p in puestos if p["pendientes"]),
            key=lambda p: (-(p["espera_max_dias_habiles"] or 0), -p["pendientes"], p["funcionario_id"]),
        )
        return {"etapas": etapas[:5], "escritorios": escritorios[:10]}

    async def _unit_names(self) -> dict[str, str]:
        return {u.id: u.nombre for u in await self.directory.unidades_de()}

    async def _scope(self, caller: Caller, consulta: Consulta) -> tuple[Alcance, IndicadoresAccess]:
        given = [v for v in (consulta.unidad_id, consulta.dependencia_id, consulta.funcionario_id) if v]
        if len(given) > 1:
            raise ScopeConflictError()
        if consulta.funcionario_id:
            fid = consulta.funcionario_id
            puesto = await self.directory.puesto_de(fid)
            suya = frozenset({puesto.unidad_id}) if puesto else frozenset()
            return Alcance("funcionario", fid, "funcionario", (fid,)), IndicadoresAccess(suya, fid)
        if consulta.unidad_id:
            if await self.directory.unidad(consulta.unidad_id) is None:
                # Who may not see a unit learns nothing from a 404 either: decide first.
                authorize(caller, Action.INDICADORES_VER, IndicadoresAccess(frozenset({consulta.unidad_id})))
                raise UnitNotFoundError()
            arbol = await self.directory.arbol(consulta.unidad_id)
            return Alcance("unidad", consulta.unidad_id, "unidad", tuple(arbol)), IndicadoresAccess(
                frozenset(arbol)
            )
        if consulta.dependencia_id:
            unidades = [u.id for u in await self.directory.unidades_de(consulta.dependencia_id)]
            if not unidades:
                authorize(caller, Action.INDICADORES_VER, IndicadoresAccess(frozenset({""})))
                raise DependenciaNotFoundError()
            alcance = Alcance("dependencia", consulta.dependencia_id, "unidad", tuple(unidades))
            return alcance, IndicadoresAccess(frozenset(unidades))
        if caller.has_role("auditor"):
            unidades = [u.id for u in await self.directory.unidades_de()]
            return Alcance("todas", None, "unidad", tuple(unidades)), IndicadoresAccess(frozenset(unidades))
        if caller.has_role("titular") and caller.ambito:
            unidades = sorted(caller.ambito)
            return Alcance("ambito", None, "unidad", tuple(unidades)), IndicadoresAccess(frozenset(unidades))
        own = Alcance("funcionario", caller.id, "funcionario", (caller.id,))
        return own, IndicadoresAccess(frozenset(), caller.id)

    def _periods(self, consulta: Consulta) -> list[str]:
        today = self._clock().astimezone(self.tz).date()
        try:
            if consulta.periodo == "mes":
                hasta = _month(consulta.hasta) if consulta.hasta else (today.year, today.month)
                desde = _month(consulta.desde) if consulta.desde else _add_months(hasta, -11)
                months: list[str] = []
                current = desde
                while current <= hasta and len(months) <= MAX_PERIODS["mes"]:
                    months.append(f"{current[0]:04d}-{current[1]:02d}")
                    current = _add_months(current, 1)
                inicios = months
            else:
                end = dt.date.fromisoformat(consulta.hasta) if consulta.hasta else today
                start = (
                    dt.date.fromisoformat(consulta.desde) if consulta.desde else end - dt.timedelta(days=30)
                )
                if (end - start).days >= MAX_PERIODS["dia"]:
                    raise PeriodTooLongError()
                inicios = [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
        except ValueError:
            raise InvalidPeriodError() from None
        if not inicios:
            raise InvalidPeriodError()
        if len(inicios) > MAX_PERIODS[consulta.periodo]:
            raise PeriodTooLongError()
        return inicios


def _holders(puestos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per official (someone may hold two positions), in id order."""
    seen: dict[str, dict[str, Any]] = {}
    for p in puestos:
        seen.setdefault(p["funcionario_id"], p)
    return [seen[k] for k in sorted(seen)]


def _month(text: str) -> tuple[int, int]:
    year, _, month = text.partition("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(text)
    value = (int(year), int(month))
    if not 1 <= value[1] <= 12:
        raise ValueError(text)
    return value


def _add_months(ym: tuple[int, int], n: int) -> tuple[int, int]:
    total = ym[0] * 12 + ym[1] - 1 + n
    return total // 12, total % 12 + 1
