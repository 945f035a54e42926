"""Metrics' domain: the milestones of an oficio and its deliveries, the durations between them, and
what one oficio contributes to the pre-aggregated indicators. No I/O.

How the pieces fit (DESIGN.md §6):

- `facts(event)` says what an event records on the oficio's document: first-time milestones (kept
  with the earliest time), last-time ones (the latest) and plain attributes. Recording the same
  event twice, or events in any order, leaves the same document.
- `contributions(oficio)` derives, from that document alone, what the oficio adds to each
  aggregate (unit or official × day or month): counters and one sample per stage. A pure function
  of the state, so a replay into an empty database, or a redelivery, gives the same numbers.
- Stage durations are kept as exact histograms: working days (small integers) and calendar seconds,
  each value a key with its count. Medians and p90 computed from them are exact, histograms of
  several units and months merge by adding counts (a dependencia is the sum of its units), and an
  update is an atomic increment. A list of values would be as exact but could only be appended to;
  a t-digest would be smaller but approximate.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from signum.contracts import Event
from signum.contracts.drafting import (
    OficioCancelled,
    OficioCreated,
    OficioFinalized,
    OficioReviewed,
    OficioReviewRequested,
)
from signum.contracts.routing import (
    DeadlineOverdue,
    DeliveryAcknowledged,
    DeliveryClosed,
    DeliveryCreated,
    DeliveryForwarded,
    OficioAnswered,
    OficioDispatched,
)
from signum.contracts.signing import AcuseSealed, OficioSigned, SignatureAdded
from signum.platform.calendar import WorkCalendar

Periodo = Literal["dia", "mes"]
Ambito = Literal["unidad", "funcionario"]
PERIODOS: tuple[Periodo, ...] = ("dia", "mes")
# What stands now, whatever the period: one aggregate per official and unit
# (`funcionario|<id>|actual|hoy`): open deliveries on the desk by the day they arrived, and (units)
# the oficios it sends by their state.
ACTUAL, PENDIENTES = "actual", "hoy"
ESTADOS = ("borrador", "en_revision", "listo_para_firma", "firmado", "enviado", "cancelado")

# --- milestones ----------------------------------------------------------------------------------

# Milestones of the oficio (sender's side), each from one event type:
#   creado               oficio.created
#   revision_solicitada  oficio.review_requested (the first request)
#   visto_bueno          oficio.reviewed with `visto_bueno` and nobody pending (the last such)
#   finalizado           oficio.finalized (folio, final PDF)
#   firmas.<orden>       signature.added (each signer, `firmado_en`)
#   firmado              oficio.signed (`firmado_en` of the last signature)
#   enviado              oficio.dispatched
#   cancelado            oficio.cancelled
# Milestones of each delivery (recipient's side):
#   entregado            delivery.created (sent, turned or registered)
#   recibido             delivery.acknowledged (`recibido_en`: the acuse de recibo)
#   acuse_sellado        acuse.sealed (the sealed acuse PDF)
#   turnado              delivery.forwarded (the first turno from this delivery)
#   respondido           oficio.answered, or delivery.closed `respondido`
#   concluido, archivado delivery.closed
#   vencido              deadline.overdue
# `en_atencion` has no event: routing sets it while an answer is being signed.

CIERRES = ("respondido", "concluido", "archivado")


@dataclass(frozen=True)
class Facts:
    """What one event records on its oficio's document (dotted paths)."""

    first: dict[str, dt.datetime] = field(default_factory=dict)  # keep the earliest
    last: dict[str, dt.datetime] = field(default_factory=dict)  # keep the latest
    values: dict[str, Any] = field(default_factory=dict)  # the same for every delivery of the event

    def __bool__(self) -> bool:
        return bool(self.first or self.last or self.values)


def _entrega(entrega_id: str) -> str:
    # Delivery ids are `<oficio>_<hex>`; a dot would split the path, so it is replaced.
    return "entregas." + entrega_id.replace(".", "\uff0e")


def facts(event: Event) -> Facts:
    """The milestones and attributes `event` records (empty: the event says nothing to metrics)."""
    at = event.occurred_at
    match event:
        case OficioCreated(payload=p):
            return Facts(
                first={"hitos.creado": at}, values={"autor_id": p.author_id, "unidad_creacion": p.office_id}
            )
        case OficioReviewRequested():
            return Facts(first={"hitos.revision_solicitada": at})
        case OficioReviewed(payload=p) if p.resultado == "visto_bueno" and not p.pendientes:
            return Facts(last={"hitos.visto_bueno": at})
        case OficioFinalized(payload=p):
            para = len(p.para) if p.para is not None else len(p.destinatarios)
            return Facts(
                first={"hitos.finalizado": at},
                values={
                    "unidad_id": p.unidad_id,
                    "paginas": p.paginas,
                    "ejemplares": para + len(p.ccp or []),
                    "firmantes": len(p.firmantes),
                },
            )
        case SignatureAdded(payload=p):
            key = f"firmas.{p.orden}"
            return Facts(
                first={f"{key}.en": p.firmado_en}, values={f"{key}.funcionario_id": p.funcionario_id}
            )
        case OficioSigned(payload=p):
            return Facts(first={"hitos.firmado": p.firmado_en})
        case OficioDispatched(payload=p):
            return Facts(first={"hitos.enviado": at}, values={"unidad_id": p.unidad_id})
        case OficioCancelled():
            return Facts(first={"hitos.cancelado": at})
        case DeliveryCreated(payload=p):
            key = _entrega(p.entrega_id)
            return Facts(
                first={f"{key}.entregado": at},
                values={
                    f"{key}.motivo": p.motivo,
                    f"{key}.funcionario_id": p.funcionario_id,
                    f"{key}.unidad_id": p.unidad_id or p.buzon_unidad_id,
                    f"{key}.padre_id": p.padre_id,
                    f"{key}.fecha_limite": p.fecha_limite.isoformat() if p.fecha_limite else None,
                },
            )
        case DeliveryAcknowledged(payload=p):
            return Facts(first={f"{_entrega(p.entrega_id)}.recibido": p.recibido_en})
        case AcuseSealed(payload=p):
            return Facts(first={f"{_entrega(p.entrega_id)}.acuse_sellado": at})
        case DeliveryForwarded(payload=p):
            return Facts(first={f"{_entrega(p.entrega_id)}.turnado": at})
        case OficioAnswered(payload=p):
            return Facts(first={f"{_entrega(p.entrega_id)}.respondido": at})
        case DeliveryClosed(payload=p):
            return Facts(first={f"{_entrega(p.entrega_id)}.{p.estado}": at})
        case DeadlineOverdue(payload=p):
            return Facts(first={f"{_entrega(p.entrega_id)}.vencido": at})
    return Facts()


def _stored(value: Any) -> Any:
    """`value` as MongoDB keeps it: a BSON date holds milliseconds, in UTC."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        aware = aware.astimezone(dt.UTC)
        return aware.replace(microsecond=aware.microsecond // 1000 * 1000)
    return value


_ABSENT = object()


def _get(doc: Mapping[str, Any], path: str) -> Any:
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _ABSENT
        node = node[part]
    return node


def _put(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = doc
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        else:
            child = node[part] = dict(child)  # copied on the way down: the document before stays as it was
        node = child
    node[leaf] = value


def fold(oficio: Mapping[str, Any], recorded: Iterable[Facts]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The oficio's document after recording these facts in order, as the repository's `record`
    leaves it (the earliest of `first`, the latest of `last`, the last of `values`), and the fields
    that changed (dotted path -> new value)."""
    after = dict(oficio)
    changed: dict[str, Any] = {}
    for f in recorded:
        for path, when in f.first.items():
            current, new = _stored(_get(after, path)), _stored(when)
            if current is _ABSENT or new < current:
                _put(after, path, new)
                changed[path] = new
        for path, when in f.last.items():
            current, new = _stored(_get(after, path)), _stored(when)
            if current is _ABSENT or new > current:
                _put(after, path, new)
                changed[path] = new
        for path, value in f.values.items():
            current = _get(after, path)
            if current is not _ABSENT and current == value:
                continue
            _put(after, path, value)
            changed[path] = value
    return after, changed


# --- stages --------------------------------------------------------------------------------------

# (stage, from milestone, to milestone). The sender's stages count for the sending unit and the
# author; each signature for its signer; the recipient's for the receiving unit and official.
ETAPAS_ENVIO: tuple[tuple[str, str, str], ...] = (
    ("creacion_a_revision", "creado", "revision_solicitada"),
    ("revision", "revision_solicitada", "visto_bueno"),
    ("visto_bueno_a_finalizacion", "visto_bueno", "finalizado"),
    ("finalizacion_a_firmado", "finalizado", "firmado"),
    ("firmado_a_envio", "firmado", "enviado"),
    ("creacion_a_envio", "creado", "enviado"),
)
ETAPA_FIRMA = "firma"  # from finalization (or the previous signature) to this signature
ETAPAS_ATENCION: tuple[tuple[str, str, str], ...] = (
    ("entrega_a_acuse", "entregado", "recibido"),
    ("acuse_a_sello", "recibido", "acuse_sellado"),
    ("acuse_a_turno", "recibido", "turnado"),
    ("acuse_a_respuesta", "recibido", "respondido"),
    ("entrega_a_respuesta", "entregado", "respondido"),
    ("entrega_a_cierre", "entregado", "cerrado"),
)
ETAPAS: tuple[str, ...] = (
    *(e for e, _, _ in ETAPAS_ENVIO),
    ETAPA_FIRMA,
    *(e for e, _, _ in ETAPAS_ATENCION),
)
NOMBRES_ETAPAS: dict[str, str] = {
    "creacion_a_revision": "De la creación a la solicitud de revisión",
    "revision": "Revisión (hasta el visto bueno)",
    "visto_bueno_a_finalizacion": "Del visto bueno a la finalización",
    "finalizacion_a_firmado": "De la finalización a la última firma",
    "firmado_a_envio": "De la firma al envío",
    "creacion_a_envio": "De la creación al envío",
    "firma": "Firma de cada firmante",
    "entrega_a_acuse": "De la entrega al acuse de recibo",
    "acuse_a_sello": "Del acuse al sello institucional",
    "acuse_a_turno": "Del acuse al turno",
    "acuse_a_respuesta": "Del acuse a la respuesta",
    "entrega_a_respuesta": "De la entrega a la respuesta",
    "entrega_a_cierre": "De la entrega al cierre",
}

# Counters per unit or official and period.
CONTADORES: tuple[str, ...] = (
    "enviados",  # oficios sent (sending unit, each signer), by day sent
    "recibidos",  # oficios received (receiving unit: once per oficio; official: per delivery)
    "copias",  # C.c.p. received
    "turnados",  # deliveries turned down
    "respondidos",  # deliveries answered with an oficio
    "concluidos",  # closed with a reason, without an answer
    "archivados",
    "abiertos",  # received in the period and not closed yet
    "con_plazo",  # received in the period with a response deadline
    "en_plazo",  # ... and closed on or before it
    "vencidos",  # ... and overdue (routing's deadline job) or closed after it
    "vencidos_abiertos",  # ... overdue and still open
    "paginas",  # pages of the oficios sent (savings)
    "paginas_ejemplares",  # pages × recipients and copies of the oficios sent (savings)
)


@dataclass(frozen=True)
class Duracion:
    """One stage's duration: calendar seconds and working days (the shared holiday calendar)."""

    segundos: int
    dias_habiles: int


def duracion(start: dt.datetime, end: dt.datetime, calendar: WorkCalendar, tz: dt.tzinfo) -> Duracion:
    """From `start` to `end`; never negative (clocks of two services may disagree by milliseconds)."""
    segundos = max(0, math.floor((end - start).total_seconds()))
    dias = calendar.working_days_between(start.astimezone(tz).date(), end.astimezone(tz).date())
    return Duracion(segundos, max(0, dias))


def periodos(when: dt.datetime, tz: dt.tzinfo) -> dict[Periodo, str]:
    """The day and month an instant falls in, where the offices are."""
    day = when.astimezone(tz).date()
    return {"dia": day.isoformat(), "mes": day.isoformat()[:7]}


def aggregate_id(ambito: Ambito, clave: str, periodo: str, inicio: str) -> str:
    """The id of one pre-aggregated document: e.g. `unidad|PRU-A|mes|2026-12` (or the desk's work
    now, `unidad|PRU-A|actual|pendientes`)."""
    return f"{ambito}|{clave}|{periodo}|{inicio}"


def parse_aggregate_id(agg_id: str) -> tuple[Ambito, str, Periodo, str]:
    """The parts of `aggregate_id`."""
    ambito, clave, periodo, inicio = agg_id.rsplit("|", 3)
    return ambito, clave, periodo, inicio  # type: ignore[return-value]


# One oficio's contribution: aggregate id -> {dotted field: amount}.
Contribution = dict[str, dict[str, int]]


class _Builder:
    def __init__(self, calendar: WorkCalendar, tz: dt.tzinfo) -> None:
        self.calendar = calendar
        self.tz = tz
        self.out: Contribution = {}
        self._periods: dict[dt.datetime, tuple[tuple[Periodo, str], ...]] = {}

    def _periodos(self, when: dt.datetime) -> tuple[tuple[Periodo, str], ...]:
        found = self._periods.get(when)
        if found is None:
            found = self._periods[when] = tuple(periodos(when, self.tz).items())
        return found

    def add(
        self, targets: Iterable[tuple[Ambito, str | None]], when: dt.datetime, path: str, n: int = 1
    ) -> None:
        for ambito, clave in targets:
            if not clave:
                continue
            for periodo, inicio in self._periodos(when):
                fields = self.out.setdefault(aggregate_id(ambito, clave, periodo, inicio), {})
                fields[path] = fields.get(path, 0) + n

    def now(self, targets: Iterable[tuple[Ambito, str | None]], path: str, n: int = 1) -> None:
        """Something that stands now (not in a period): e.g. an oficio in a state, a desk's work."""
        for ambito, clave in targets:
            if clave:
                fields = self.out.setdefault(aggregate_id(ambito, clave, ACTUAL, PENDIENTES), {})
                fields[path] = fields.get(path, 0) + n

    def pending(
        self, targets: Iterable[tuple[Ambito, str | None]], since: dt.datetime, overdue: bool
    ) -> None:
        """An open delivery waiting on these desks since `since` (its arrival)."""
        day = since.astimezone(self.tz).date().isoformat()
        self.now(targets, f"pendientes.{day}")
        if overdue:
            self.now(targets, "pendientes_vencidos")

    def stage(
        self,
        targets: list[tuple[Ambito, str | None]],
        etapa: str,
        start: dt.datetime | None,
        end: dt.datetime | None,
    ) -> None:
        if start is None or end is None:
            return
        d = duracion(start, end, self.calendar, self.tz)
        self.add(targets, end, f"etapas.{etapa}.n")
        self.add(targets, end, f"etapas.{etapa}.dias.{d.dias_habiles}")
        self.add(targets, end, f"etapas.{etapa}.segundos.{d.segundos}")


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return None


def _closed(entrega: Mapping[str, Any]) -> dt.datetime | None:
    times = [t for t in (_time(entrega.get(c)) for c in CIERRES) if t is not None]
    return min(times) if times else None


def contributions(oficio: Mapping[str, Any], calendar: WorkCalendar, tz: dt.tzinfo) -> Contribution:
    """What the oficio, as its document stands, adds to every aggregate it touches."""
    b = _Builder(calendar, tz)
    hitos = {k: _time(v) for k, v in (oficio.get("hitos") or {}).items()}
    unidad = oficio.get("unidad_id") or oficio.get("unidad_creacion")
    author: list[tuple[Ambito, str | None]] = [("unidad", unidad), ("funcionario", oficio.get("autor_id"))]
    firmas = oficio.get("firmas") or {}

    if hitos.get("creado") is not None or hitos.get("finalizado") is not None:
        b.now([("unidad", unidad)], f"estados.{estado(hitos)}")
    enviado = hitos.get("enviado")
    if enviado is not None:
        # Sent by whoever signed it (the remitentes whose names it carries), not by whoever drafted
        # it; the author only while no signature is known yet (events of another topic may lag).
        signers = dict.fromkeys(firmas[orden].get("funcionario_id") for orden in sorted(firmas, key=int))
        senders: list[tuple[Ambito, str | None]] = [("unidad", unidad)]
        senders += [("funcionario", s) for s in signers if s] or author[1:]
        b.add(senders, enviado, "contadores.enviados")
        paginas = int(oficio.get("paginas") or 0)
        b.add(senders, enviado, "contadores.paginas", paginas)
        b.add(senders, enviado, "contadores.paginas_ejemplares", paginas * int(oficio.get("ejemplares") or 0))
    for etapa, desde, hasta in ETAPAS_ENVIO:
        b.stage(author, etapa, hitos.get(desde), hitos.get(hasta))

    previous = hitos.get("finalizado")
    for orden in sorted(firmas, key=int):
        firma = firmas[orden]
        en = _time(firma.get("en"))
        signer: list[tuple[Ambito, str | None]] = [
            ("unidad", unidad),
            ("funcionario", firma.get("funcionario_id")),
        ]
        b.stage(signer, ETAPA_FIRMA, previous, en)
        previous = en

    entregas = oficio.get("entregas") or {}
    _attention(b, entregas)
    return {
        agg: {k: v for k, v in fields.items() if v} for agg, fields in b.out.items() if any(fields.values())
    }


def estado(hitos: Mapping[str, dt.datetime | None]) -> str:
    """The oficio's state on the sender's side, from its milestones (one of `ESTADOS`)."""
    if hitos.get("cancelado") is not None:
        return "cancelado"
    for hito, name in (("enviado", "enviado"), ("firmado", "firmado"), ("finalizado", "listo_para_firma")):
        if hitos.get(hito) is not None:
            return name
    if hitos.get("revision_solicitada") is not None and hitos.get("visto_bueno") is None:
        return "en_revision"
    return "borrador"


def _attention(b: _Builder, entregas: Mapping[str, Mapping[str, Any]]) -> None:
    by_unit: dict[str, list[Mapping[str, Any]]] = {}
    for entrega in entregas.values():
        entregado = _time(entrega.get("entregado"))
        if entregado is None:
            continue  # a later event of a delivery whose creation has not arrived yet
        who: list[tuple[Ambito, str | None]] = [("funcionario", entrega.get("funcionario_id"))]
        if entrega.get("motivo") == "copia":
            b.add([*who, ("unidad", entrega.get("unidad_id"))], entregado, "contadores.copias")
            continue
        b.add(who, entregado, "contadores.recibidos")
        _outcome(b, who, entrega, entregado)
        if _closed(entrega) is None and entrega.get("turnado") is None:
            b.pending(who, entregado, _overdue(entrega))
        for etapa, desde, hasta in ETAPAS_ATENCION:
            b.stage(who, etapa, _milestone(entrega, desde), _milestone(entrega, hasta))
        if entrega.get("unidad_id"):
            by_unit.setdefault(str(entrega["unidad_id"]), []).append(entrega)
    # A unit receives an oficio once, however many of its people and mailboxes it reached: its
    # milestones are the first of its deliveries' (its first acuse, its first answer, ...).
    for unidad, items in by_unit.items():
        merged: dict[str, Any] = {}
        for name in ("entregado", "recibido", "acuse_sellado", "turnado", *CIERRES, "vencido"):
            times = [t for t in (_time(e.get(name)) for e in items) if t is not None]
            if times:
                merged[name] = min(times)
        limits = [str(e["fecha_limite"]) for e in items if e.get("fecha_limite")]
        merged["fecha_limite"] = min(limits) if limits else None
        where: list[tuple[Ambito, str | None]] = [("unidad", unidad)]
        b.add(where, merged["entregado"], "contadores.recibidos")
        _outcome(b, where, merged, merged["entregado"])
        if _closed(merged) is None:
            b.pending(where, merged["entregado"], _overdue(merged))
        for etapa, desde, hasta in ETAPAS_ATENCION:
            b.stage(where, etapa, _milestone(merged, desde), _milestone(merged, hasta))


def _overdue(entrega: Mapping[str, Any]) -> bool:
    """Overdue as routing's deadline job marked it (an open delivery's deadline passed)."""
    return entrega.get("vencido") is not None


def _milestone(entrega: Mapping[str, Any], name: str) -> dt.datetime | None:
    return _closed(entrega) if name == "cerrado" else _time(entrega.get(name))


def _outcome(
    b: _Builder, who: list[tuple[Ambito, str | None]], entrega: Mapping[str, Any], entregado: dt.datetime
) -> None:
    """Counters of how a delivery (or a unit's deliveries of one oficio) ended, in its receipt's period;
    what happened later (turno, answer) counts in the period it happened."""
    turnado = _time(entrega.get("turnado"))
    if turnado is not None:
        b.add(who, turnado, "contadores.turnados")
    closed = _closed(entrega)
    for cierre, contador in (
        ("respondido", "respondidos"),
        ("concluido", "concluidos"),
        ("archivado", "archivados"),
    ):
        when = _time(entrega.get(cierre))
        if when is not None and when == closed:
            b.add(who, when, f"contadores.{contador}")
    if closed is None:
        b.add(who, entregado, "contadores.abiertos")
    limite = entrega.get("fecha_limite")
    if not limite:
        return
    b.add(who, entregado, "contadores.con_plazo")
    late = closed is not None and closed.astimezone(b.tz).date() > dt.date.fromisoformat(str(limite)[:10])
    if entrega.get("vencido") is not None or late:
        b.add(who, entregado, "contadores.vencidos")
        if closed is None:
            b.add(who, entregado, "contadores.vencidos_abiertos")
    elif closed is not None:
        b.add(who, entregado, "contadores.en_plazo")


def diff(old: Mapping[str, int], new: Mapping[str, int]) -> dict[str, int]:
    """What to add to go from `old` to `new` (fields absent count as 0)."""
    out = {k: new.get(k, 0) - old.get(k, 0) for k in set(old) | set(new)}
    return {k: v for k, v in out.items() if v}


# --- reading the aggregates ------------------------------------------------------------------------


def merge(docs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Add up aggregate documents (periods, units): counters and histograms add."""
    contadores: dict[str, int] = {}
    etapas: dict[str, dict[str, dict[int, int]]] = {}
    pendientes: dict[str, int] = {}
    pendientes_vencidos = 0
    estados: dict[str, int] = {}
    for doc in docs:
        for k, v in (doc.get("contadores") or {}).items():
            contadores[k] = contadores.get(k, 0) + int(v)
        for day, count in (doc.get("pendientes") or {}).items():
            pendientes[day] = pendientes.get(day, 0) + int(count)
        pendientes_vencidos += int(doc.get("pendientes_vencidos") or 0)
        for name, count in (doc.get("estados") or {}).items():
            estados[name] = estados.get(name, 0) + int(count)
        for etapa, h in (doc.get("etapas") or {}).items():
            target = etapas.setdefault(etapa, {"dias": {}, "segundos": {}})
            for unit in ("dias", "segundos"):
                for value, count in (h.get(unit) or {}).items():
                    target[unit][int(value)] = target[unit].get(int(value), 0) + int(count)
    return {
        "contadores": contadores,
        "etapas": etapas,
        "pendientes": {d: c for d, c in pendientes.items() if c > 0},
        "pendientes_vencidos": pendientes_vencidos,
        "estados": {e: estados.get(e, 0) for e in ESTADOS},
    }


def desk(
    pendientes: Mapping[str, int], vencidos: int, today: dt.date, calendar: WorkCalendar
) -> dict[str, Any]:
    """The work waiting on a desk today: how much, the longest and median wait in working days."""
    waits: dict[int, int] = {}
    for day, count in pendientes.items():
        days = max(0, calendar.working_days_between(dt.date.fromisoformat(day), today))
        waits[days] = waits.get(days, 0) + count
    return {
        "pendientes": sum(waits.values()),
        "pendientes_vencidos": vencidos,
        "espera_max_dias_habiles": max(waits) if waits else None,
        "espera_mediana_dias_habiles": quantile(waits, 0.5),
    }


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The q-quantile of the values a histogram counts, by linear interpolation between the closest
    ranks (as `statistics.quantiles(method="inclusive")` and numpy's default); None if empty."""
    ordered = sorted((v, c) for v, c in histogram.items() if c > 0)
    n = sum(c for _, c in ordered)
    if n == 0:
        return None
    h = (n - 1) * q
    lo = math.floor(h)
    frac = h - lo
    a, bval = _nth(ordered, lo), _nth(ordered, min(lo + 1, n - 1))
    return a + (bval - a) * frac


def _nth(ordered: list[tuple[int, int]], index: int) -> int:
    seen = 0
    for value, count in ordered:
        seen += count
        if index < seen:
            return value
    raise IndexError(index)


def stage_summary(h: Mapping[str, Mapping[int, int]]) -> dict[str, Any]:
    """n, median and p90 of one stage, in working days and in hours."""
    dias, segundos = h.get("dias") or {}, h.get("segundos") or {}
    n = sum(dias.values())

    def hours(value: float | None) -> float | None:
        return None if value is None else round(value / 3600, 6)

    return {
        "n": n,
        "mediana_dias_habiles": quantile(dias, 0.5),
        "p90_dias_habiles": quantile(dias, 0.9),
        "mediana_horas": hours(quantile(segundos, 0.5)),
        "p90_horas": hours(quantile(segundos, 0.9)),
        "promedio_horas": hours(sum(v * c for v, c in segundos.items()) / n) if n else None,
    }


def cumplimiento(contadores: Mapping[str, int]) -> float | None:
    """Share of deliveries with a deadline, already resolved, that met it (None: none resolved)."""
    en_plazo, vencidos = contadores.get("en_plazo", 0), contadores.get("vencidos", 0)
    resueltos = en_plazo + vencidos
    return None if resueltos == 0 else round(en_plazo / resueltos, 6)


# --- savings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Costos:
    """Unit costs and factors of the paper process an electronic oficio replaces (settings)."""

    hojas_por_pagina: float = 1.0  # 0.5 when printed on both sides
    ejemplares_adicionales: int = 1  # copies besides one per recipient and C.c.p. (the sender's file)
    impresion_mxn_por_hoja: float = 1.2  # paper, toner and printer wear
    traslados_por_oficio: float = 1.0  # courier trips between buildings to deliver one oficio
    km_por_traslado: float = 12.0
    combustible_mxn_por_km: float = 2.6
    estacionamiento_mxn_por_traslado: float = 25.0
    casetas_mxn_por_traslado: float = 0.0
    horas_por_traslado: float = 1.5  # an official's time in transit
    kg_co2_por_hoja: float = 0.0046
    kg_co2_por_km: float = 0.192


def ahorros(contadores: Mapping[str, int], costos: Costos) -> list[dict[str, Any]]:
    """What the oficios sent saved, each figure with the counts and unit costs it comes from."""
    enviados = contadores.get("enviados", 0)
    paginas = contadores.get("paginas", 0)
    paginas_ejemplares = contadores.get("paginas_ejemplares", 0)
    hojas = (paginas_ejemplares + paginas * costos.ejemplares_adicionales) * costos.hojas_por_pagina
    traslados = enviados * costos.traslados_por_oficio
    km = traslados * costos.km_por_traslado
    combustible = km * costos.combustible_mxn_por_km
    estacionamiento = traslados * costos.estacionamiento_mxn_por_traslado
    casetas = traslados * costos.casetas_mxn_por_traslado
    impresion = hojas * costos.impresion_mxn_por_hoja

    def figure(
        clave: str, concepto: str, valor: float, unidad: str, formula: str, **supuestos: float
    ) -> dict[str, Any]:
        return {
            "clave": clave,
            "concepto": concepto,
            "valor": round(valor, 2),
            "unidad": unidad,
            "formula": formula,
            "supuestos": {k: v for k, v in supuestos.items()},
        }

    base = {"oficios_enviados": enviados, "paginas": paginas, "paginas_por_ejemplares": paginas_ejemplares}
    return [
        figure(
            "hojas",
            "Hojas de papel no impresas",
            hojas,
            "hojas",
            "(páginas × destinatarios y copias + páginas × ejemplares adicionales) × hojas por página",
            **base,
            ejemplares_adicionales=costos.ejemplares_adicionales,
            hojas_por_pagina=costos.hojas_por_pagina,
        ),
        figure(
            "impresion",
            "Impresión evitada",
            impresion,
            "MXN",
            "hojas × costo de impresión por hoja",
            hojas=round(hojas, 2),
            impresion_mxn_por_hoja=costos.impresion_mxn_por_hoja,
        ),
        figure(
            "traslados",
            "Traslados de mensajería evitados",
            traslados,
            "traslados",
            "oficios enviados × traslados por oficio",
            oficios_enviados=enviados,
            traslados_por_oficio=costos.traslados_por_oficio,
        ),
        figure(
            "combustible",
            "Combustible",
            combustible,
            "MXN",
            "traslados × km por traslado × costo por km",
            traslados=traslados,
            km_por_traslado=costos.km_por_traslado,
            combustible_mxn_por_km=costos.combustible_mxn_por_km,
        ),
        figure(
            "estacionamiento_y_casetas",
            "Estacionamiento y casetas",
            estacionamiento + casetas,
            "MXN",
            "traslados × (estacionamiento + casetas por traslado)",
            traslados=traslados,
            estacionamiento_mxn_por_traslado=costos.estacionamiento_mxn_por_traslado,
            casetas_mxn_por_traslado=costos.casetas_mxn_por_traslado,
        ),
        figure(
            "total_mxn",
            "Total en pesos",
            impresion + combustible + estacionamiento + casetas,
            "MXN",
            "impresión + combustible + estacionamiento + casetas",
        ),
        figure(
            "horas",
            "Horas de personal en traslado",
            traslados * costos.horas_por_traslado,
            "horas",
            "traslados × horas por traslado",
            traslados=traslados,
            horas_por_traslado=costos.horas_por_traslado,
        ),
        figure(
            "co2",
            "Emisiones de CO2 evitadas",
            hojas * costos.kg_co2_por_hoja + km * costos.kg_co2_por_km,
            "kg CO2",
            "hojas × kg por hoja + km × kg por km",
            hojas=round(hojas, 2),
            kg_co2_por_hoja=costos.kg_co2_por_hoja,
            km=round(km, 2),
            kg_co2_por_km=costos.kg_co2_por_km,
        ),
    ]
