"""The directory's use cases: import from CSV, look-ups, suplencias, deactivation."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from signum.contracts import Actor
from signum.contracts.envelope import uuid7
from signum.gateway.directory.domain import Dependencia, Funcionario, Puesto, Suplencia, Unidad
from signum.gateway.directory.events import EventContext, upserted
from signum.gateway.directory.importer import (
    MAX_BYTES,
    MAX_ROWS,
    Changes,
    Plan,
    Progress,
    plan_import,
    read_csv,
)
from signum.gateway.directory.repository import DirectoryRepository
from signum.platform.errors import ConflictError, NotFoundError, ValidationFailedError
from signum.platform.logging import get_logger
from signum.platform.outbox import OutboxRelay

LEASE_SECONDS = 15 * 60
UPDATE_CONCURRENCY = 8

log = get_logger(__name__)

Notify = Callable[[], None]


MAX_LISTED_CHANGES = 1000


@dataclass(frozen=True)
class ImportChange:
    """One entity an import creates or changes, as a person reads it."""

    tipo: str  # dependencia, unidad, puesto, funcionario
    accion: str  # creado, actualizado
    id: str
    nombre: str
    campos: list[str]  # what changes (an update's fields)


def _changes(plan: Plan) -> list[ImportChange]:
    """Every entity the plan creates or updates, parents first (at most MAX_LISTED_CHANGES)."""
    found: list[ImportChange] = []
    kinds: list[tuple[str, Changes[Any]]] = [
        ("dependencia", plan.dependencias),
        ("unidad", plan.unidades),
        ("puesto", plan.puestos),
        ("funcionario", plan.funcionarios),
    ]
    for tipo, changes in kinds:
        for new in changes.created:
            found.append(ImportChange(tipo, "creado", new.id, _name_of(new), []))
        for new, old in changes.updated:
            campos = [
                f.name
                for f in fields(new)
                if f.name != "revision" and getattr(new, f.name) != getattr(old, f.name)
            ]
            found.append(ImportChange(tipo, "actualizado", new.id, _name_of(new), campos))
        if len(found) >= MAX_LISTED_CHANGES:
            break
    return found[:MAX_LISTED_CHANGES]


def _name_of(entity: Any) -> str:
    if isinstance(entity, Funcionario):
        return entity.nombre_completo
    if isinstance(entity, Puesto):
        return entity.titulo
    return str(entity.nombre)


@dataclass
class ImportReport:
    """What an import did (or, on a dry run, would do)."""

    simulacion: bool
    filas: int
    resumen: dict[str, dict[str, int]]
    puestos_desocupados: list[str]
    funcionarios_sin_puesto: list[str]
    funcionarios_no_incluidos: int
    columnas_ignoradas: list[str]
    eventos: int
    segundos_validacion: float
    segundos_escritura: float
    avisos: list[str] = field(default_factory=list)
    detalle: list[ImportChange] = field(default_factory=list)  # the first MAX_LISTED_CHANGES

    @property
    def cambios(self) -> int:
        """How many entities were (or would be) created or updated."""
        return sum(s["creados"] + s["actualizados"] for s in self.resumen.values())

    def as_text(self) -> str:
        """The report in Spanish, as the CLI prints it."""
        verb = "Se crearían / actualizarían" if self.simulacion else "Se crearon / actualizaron"
        lines = [
            ("Simulación (no se escribió nada)" if self.simulacion else "Importación aplicada")
            + f": {self.filas} filas.",
            f"{verb}:",
        ]
        for kind, s in self.resumen.items():
            lines.append(
                f"  {kind:<13} {s['creados']:>6} nuevos  {s['actualizados']:>6} actualizados  "
                f"{s['sin_cambios']:>6} sin cambios"
            )
        if not self.simulacion:
            lines.append(f"Eventos escritos en la bandeja de salida: {self.eventos}.")
        lines.append(
            f"Tiempo: validación {self.segundos_validacion:.2f} s, escritura {self.segundos_escritura:.2f} s."
        )
        lines.extend(f"Aviso: {a}" for a in self.avisos)
        return "\n".join(lines)


def _avisos(plan: Plan) -> list[str]:
    avisos = []
    if plan.funcionarios_no_incluidos:
        avisos.append(
            f"{plan.funcionarios_no_incluidos} funcionario(s) del directorio no vienen en el archivo; "
            "no se eliminan ni se dan de baja (la baja es una acción explícita del administrador)."
        )
    if plan.puestos_desocupados:
        avisos.append(
            "Quedan vacantes porque su titular ocupa ahora otro puesto: "
            + ", ".join(plan.puestos_desocupados[:20])
            + (" …" if len(plan.puestos_desocupados) > 20 else "")
            + "."
        )
    if plan.funcionarios_sin_puesto:
        avisos.append(
            "Funcionarios que ya no ocupan ningún puesto: "
            + ", ".join(plan.funcionarios_sin_puesto[:20])
            + (" …" if len(plan.funcionarios_sin_puesto) > 20 else "")
            + "."
        )
    if plan.ignored_columns:
        avisos.append("Columnas ignoradas: " + ", ".join(plan.ignored_columns) + ".")
    return avisos


@dataclass(frozen=True)
class UnidadDetalle:
    unidad: Unidad
    puestos: list[tuple[Puesto, Funcionario | None]]


@dataclass(frozen=True)
class SuplenciaDetalle:
    suplencia: Suplencia
    puesto: Puesto | None
    unidad: Unidad | None
    ausente: Funcionario | None  # who holds the position now
    suplente: Funcionario | None


@dataclass(frozen=True)
class FuncionarioDetalle:
    funcionario: Funcionario
    puesto: Puesto | None
    unidad: Unidad | None


class DirectoryService:
    """Every change of the directory goes through here, stored with its events (outbox)."""

    def __init__(
        self,
        repository: DirectoryRepository,
        notify: Notify | None = None,
        *,
        relay: OutboxRelay | None = None,
        max_bytes: int = MAX_BYTES,
        max_rows: int = MAX_ROWS,
    ) -> None:
        self.repo = repository
        self._notify = notify if notify is not None else (relay.notify if relay is not None else None)
        self.max_bytes = max_bytes
        self.max_rows = max_rows

    # --- import ------------------------------------------------------------------------------

    async def import_csv(
        self,
        data: bytes,
        *,
        actor: Actor,
        correlation_id: str,
        simulacion: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Validate the whole file, then (unless a dry run) write every change with its event.

        Raises ImportFileError when the file cannot be read and ImportRefusedError, listing every
        bad row, when any row is wrong; nothing is written then.
        """
        started = time.perf_counter()
        csv_file = await asyncio.to_thread(read_csv, data, max_bytes=self.max_bytes, max_rows=self.max_rows)
        owner = uuid.uuid4().hex
        if not simulacion:
            await self.repo.acquire_lease(owner, seconds=LEASE_SECONDS)
        try:
            snapshot = await self.repo.snapshot()
            plan = await asyncio.to_thread(plan_import, csv_file, snapshot, progress=progress)
            validated = time.perf_counter()
            events = 0
            if not simulacion:
                ctx = EventContext(actor, correlation_id, causation_id=f"importacion:{owner}")
                events = await self._apply(plan, ctx, progress)
        finally:
            if not simulacion:
                await self.repo.release_lease(owner)
        done = time.perf_counter()
        report = ImportReport(
            simulacion=simulacion,
            filas=plan.filas,
            resumen={
                "dependencias": plan.dependencias.summary(),
                "unidades": plan.unidades.summary(),
                "puestos": plan.puestos.summary(),
                "funcionarios": plan.funcionarios.summary(),
            },
            puestos_desocupados=plan.puestos_desocupados,
            funcionarios_sin_puesto=plan.funcionarios_sin_puesto,
            funcionarios_no_incluidos=plan.funcionarios_no_incluidos,
            columnas_ignoradas=plan.ignored_columns,
            eventos=events,
            segundos_validacion=round(validated - started, 3),
            segundos_escritura=round(done - validated, 3),
            avisos=_avisos(plan),
            detalle=_changes(plan),
        )
        log.info(
            "directory import",
            simulacion=simulacion,
            filas=plan.filas,
            cambios=report.cambios,
            eventos=events,
            segundos_validacion=report.segundos_validacion,
            segundos_escritura=report.segundos_escritura,
        )
        return report

    async def _apply(self, plan: Plan, ctx: EventContext, progress: Progress | None) -> int:
        tracker = _Tracker(plan.writes, progress)
        events = 0
        # Parents before children, officials before the positions that name them: a consumer
        # that looks an id up as soon as it reads it is more likely to find it.
        events += await self._write(plan.dependencias, ctx, tracker)
        events += await self._write(plan.unidades, ctx, tracker)
        await self._release_unique_values(plan.funcionarios)
        events += await self._write(plan.funcionarios, ctx, tracker, puesto_de=plan.puesto_de)
        for fid, pid in plan.only_location_changes().items():
            await self.repo.set_puesto_de(fid, pid)
            tracker.add(1)
        events += await self._write(plan.puestos, ctx, tracker)
        tracker.finish()
        if events and self._notify is not None:
            self._notify()
        return events

    async def _write(
        self,
        changes: Changes[Any],
        ctx: EventContext,
        tracker: _Tracker,
        *,
        puesto_de: dict[str, str | None] | None = None,
    ) -> int:
        sem = asyncio.Semaphore(UPDATE_CONCURRENCY)

        async def one(entity: Any) -> None:
            async with sem:
                await self.repo.update(entity, upserted(entity, ctx), puesto_de=puesto_de)

        for start in range(0, len(changes.updated), 100):
            pairs = changes.updated[start : start + 100]
            await asyncio.gather(*(one(new) for new, _ in pairs))
            tracker.add(len(pairs))
        for start in range(0, len(changes.created), 500):
            batch = changes.created[start : start + 500]
            await self.repo.insert([(e, upserted(e, ctx)) for e in batch], puesto_de=puesto_de)
            tracker.add(len(batch))
        return len(changes.created) + len(changes.updated)

    async def _release_unique_values(self, changes: Changes[Funcionario]) -> None:
        """When officials of one import trade e-mails (or RFC, CURP), free the values first so the
        unique indexes never see two owners in between."""
        wanted: dict[str, set[str]] = {"correo": set(), "rfc": set(), "curp": set()}
        for new in [*changes.created, *(n for n, _ in changes.updated)]:
            for column, values in wanted.items():
                values.add(getattr(new, column))
        for new, old in changes.updated:
            for column, values in wanted.items():
                before = getattr(old, column)
                if before != getattr(new, column) and before in values:
                    await self.repo.release_unique(old.id, column)

    # --- reads -------------------------------------------------------------------------------

    async def dependencias(self) -> list[Dependencia]:
        return await self.repo.dependencias()

    async def unidades(self, dependencia_id: str | None = None) -> list[Unidad]:
        return await self.repo.unidades(dependencia_id)

    async def unidad(self, unidad_id: str) -> UnidadDetalle:
        unidad = await self.repo.unidad(unidad_id)
        if unidad is None:
            raise NotFoundError("No existe esa unidad administrativa.", code="unidad_not_found")
        puestos = await self.repo.puestos_de_unidades([unidad_id])
        people = await self.repo.funcionarios_por_id(p.funcionario_id for p in puestos if p.funcionario_id)
        # The head first, then by key.
        puestos.sort(key=lambda p: (not p.es_titular, p.id))
        return UnidadDetalle(
            unidad, [(p, people.get(p.funcionario_id) if p.funcionario_id else None) for p in puestos]
        )

    async def funcionario(self, funcionario_id: str) -> FuncionarioDetalle:
        f = await self.repo.funcionario(funcionario_id)
        if f is None:
            raise NotFoundError("No existe ese funcionario.", code="funcionario_not_found")
        puesto = await self.repo.puesto_de(f.id)
        unidad = await self.repo.unidad(puesto.unidad_id) if puesto is not None else None
        return FuncionarioDetalle(f, puesto, unidad)

    async def buscar_funcionarios(
        self,
        *,
        texto: str = "",
        unidad_id: str | None = None,
        subunidades: bool = False,
        cursor: str | None = None,
        limite: int = 50,
    ) -> tuple[list[FuncionarioDetalle], str | None]:
        ids: list[str] | None = None
        units: dict[str, Unidad] = {}
        if unidad_id is not None:
            unit_ids = await self.repo.subunidades(unidad_id) if subunidades else [unidad_id]
            ids = [
                p.funcionario_id for p in await self.repo.puestos_de_unidades(unit_ids) if p.funcionario_id
            ]
        found, next_cursor = await self.repo.buscar_funcionarios(
            texto=texto, ids=ids, despues_de=cursor, limite=limite
        )
        result = []
        for f in found:
            puesto = await self.repo.puesto_de(f.id)
            unidad = None
            if puesto is not None:
                if puesto.unidad_id not in units:
                    u = await self.repo.unidad(puesto.unidad_id)
                    if u is not None:
                        units[u.id] = u
                unidad = units.get(puesto.unidad_id)
            result.append(FuncionarioDetalle(f, puesto, unidad))
        return result, next_cursor

    async def suplencias(
        self,
        *,
        puesto_id: str | None = None,
        suplente_id: str | None = None,
        vigentes_en: date | None = None,
        terminan_desde: date | None = None,
    ) -> list[Suplencia]:
        """Suplencias by position or stand-in; `vigentes_en` a day: those in force then;
        `terminan_desde` a day: those not cancelled that end on it or later (current and coming)."""
        return await self.repo.suplencias(
            puesto_id=puesto_id,
            suplente_id=suplente_id,
            vigentes_en=vigentes_en,
            terminan_desde=terminan_desde,
        )

    async def describir_suplencias(self, suplencias: list[Suplencia]) -> list[SuplenciaDetalle]:
        """Each suplencia with its position, unit, the position's holder and the stand-in, as a
        person reads them (names, not keys)."""
        puestos: dict[str, Puesto | None] = {}
        for s in suplencias:
            if s.puesto_id not in puestos:
                puestos[s.puesto_id] = await self.repo.puesto(s.puesto_id)
        unidades: dict[str, Unidad | None] = {}
        for p in puestos.values():
            if p is not None and p.unidad_id not in unidades:
                unidades[p.unidad_id] = await self.repo.unidad(p.unidad_id)
        people = await self.repo.funcionarios_por_id(
            {s.suplente_id for s in suplencias}
            | {p.funcionario_id for p in puestos.values() if p is not None and p.funcionario_id}
        )
        result = []
        for s in suplencias:
            puesto = puestos[s.puesto_id]
            result.append(
                SuplenciaDetalle(
                    s,
                    puesto,
                    unidades.get(puesto.unidad_id) if puesto is not None else None,
                    people.get(puesto.funcionario_id)
                    if puesto is not None and puesto.funcionario_id
                    else None,
                    people.get(s.suplente_id),
                )
            )
        return result

    # --- suplencias --------------------------------------------------------------------------

    async def crear_suplencia(
        self,
        *,
        puesto_id: str,
        suplente_id: str,
        desde: date,
        hasta: date,
        motivo: str,
        actor: Actor,
        correlation_id: str,
        hoy: date | None = None,
    ) -> Suplencia:
        """Name a stand-in for a position's holder from `desde` to `hasta` (both included)."""
        hoy = hoy or date.today()
        if hasta < desde:
            raise ValidationFailedError(
                "La fecha de término es anterior a la de inicio.", code="suplencia_fechas_invalidas"
            )
        if hasta < hoy:
            raise ValidationFailedError(
                "La suplencia terminaría antes de hoy; no se registran suplencias pasadas.",
                code="suplencia_en_el_pasado",
            )
        if (hasta - desde).days > 366:
            raise ValidationFailedError(
                "Una suplencia puede durar a lo más un año; registre otra al terminar.",
                code="suplencia_demasiado_larga",
            )
        puesto = await self.repo.puesto(puesto_id)
        if puesto is None or not puesto.activo:
            raise NotFoundError("No existe ese puesto.", code="puesto_not_found")
        suplente = await self.repo.funcionario(suplente_id)
        if suplente is None or not suplente.activo:
            raise NotFoundError(
                "No existe ese funcionario (o está dado de baja).", code="funcionario_not_found"
            )
        if puesto.funcionario_id == suplente_id:
            raise ValidationFailedError(
                "El suplente es quien ocupa el puesto; elija a otra persona.", code="suplente_es_titular"
            )
        for other in await self.repo.suplencias(puesto_id=puesto_id):
            if not other.cancelada and other.desde <= hasta and desde <= other.hasta:
                raise ConflictError(
                    f"El puesto ya tiene una suplencia del {other.desde:%d/%m/%Y} al "
                    f"{other.hasta:%d/%m/%Y}; cancélela o elija otras fechas.",
                    code="suplencia_traslapada",
                    details={"suplencia_id": other.id},
                )
        suplencia = Suplencia(
            id=str(uuid7()),
            puesto_id=puesto_id,
            suplente_id=suplente_id,
            desde=desde,
            hasta=hasta,
            motivo=motivo.strip(),
        )
        await self.repo.insert_suplencia(suplencia, upserted(suplencia, EventContext(actor, correlation_id)))
        self._wake()
        return suplencia

    async def cancelar_suplencia(self, suplencia_id: str, *, actor: Actor, correlation_id: str) -> Suplencia:
        """Cancel a suplencia; cancelling it again changes nothing."""
        current = await self.repo.suplencia(suplencia_id)
        if current is None:
            raise NotFoundError("No existe esa suplencia.", code="suplencia_not_found")
        if current.cancelada:
            return current
        cancelled = replace(current, cancelada=True, revision=current.revision + 1)
        await self.repo.update(cancelled, upserted(cancelled, EventContext(actor, correlation_id)))
        self._wake()
        return cancelled

    # --- deactivation ------------------------------------------------------------------------

    async def dar_de_baja(self, funcionario_id: str, *, actor: Actor, correlation_id: str) -> Funcionario:
        """Deactivate an official and leave their position vacant (imports never do this)."""
        owner = uuid.uuid4().hex
        await self.repo.acquire_lease(owner, seconds=60)
        try:
            current = await self.repo.funcionario(funcionario_id)
            if current is None:
                raise NotFoundError("No existe ese funcionario.", code="funcionario_not_found")
            if not current.activo:
                return current
            ctx = EventContext(actor, correlation_id)
            puesto = await self.repo.puesto_de(funcionario_id)
            inactive = replace(current, activo=False, revision=current.revision + 1)
            await self.repo.update(inactive, upserted(inactive, ctx), puesto_de={funcionario_id: None})
            if puesto is not None:
                vacant = replace(puesto, funcionario_id=None, revision=puesto.revision + 1)
                await self.repo.update(vacant, upserted(vacant, ctx))
        finally:
            await self.repo.release_lease(owner)
        self._wake()
        return inactive

    def _wake(self) -> None:
        if self._notify is not None:
            self._notify()


class _Tracker:
    """Reports write progress about every 500 documents."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.done = 0
        self._last = 0
        self._progress = progress

    def add(self, n: int) -> None:
        self.done += n
        if self._progress is not None and self.done - self._last >= 500:
            self._last = self.done
            self._progress("escritura", self.done, self.total)

    def finish(self) -> None:
        if self._progress is not None and self._last != self.done:
            self._progress("escritura", self.done, self.total)
