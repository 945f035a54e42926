"""The directory CSV as HR exports it: reading, validation and the plan of changes. No I/O here.

One row per position with the official who holds it (person columns empty for a vacant position;
a row with no position only declares its unit). The whole file is validated against what the
directory already holds before anything is written: a file with any error is refused whole, with
every bad row listed.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from signum.gateway.directory.domain import (
    GRANTABLE_ROLES,
    Dependencia,
    Funcionario,
    Puesto,
    Unidad,
)
from signum.gateway.directory.identifiers import (
    curp_error,
    email_error,
    normalize_curp,
    normalize_email,
    normalize_rfc,
    rfc_error,
)
from signum.platform.errors import SignumError

COLUMNS: tuple[str, ...] = (
    "dependencia_clave",
    "dependencia_nombre",
    "unidad_clave",
    "unidad_nombre",
    "unidad_padre",
    "prefijo_folio",
    "puesto_clave",
    "puesto_titulo",
    "reporta_a",
    "es_titular",
    "numero_empleado",
    "nombre",
    "apellido_paterno",
    "apellido_materno",
    "correo",
    "rfc",
    "curp",
    "roles",
)
PERSON_COLUMNS = (
    "nombre",
    "apellido_paterno",
    "apellido_materno",
    "correo",
    "rfc",
    "curp",
    "roles",
)

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
PROGRESS_EVERY = 500

Progress = Callable[[str, int, int], None]
"""Called with (phase, done, total) while an import runs; phases: `validacion`, `escritura`."""

_CLAVE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PREFIJO = re.compile(r"^[A-ZÑ0-9][A-ZÑ0-9.-]*(/[A-ZÑ0-9][A-ZÑ0-9.-]*)*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TRUE = {"si", "sí", "s", "x", "1", "true", "verdadero", "yes"}
_FALSE = {"", "no", "n", "0", "false", "falso"}
_ROLE_SEPARATORS = re.compile(r"[|,;\s]+")


# --- errors ---------------------------------------------------------------------------------


class ImportFileError(SignumError):
    """The upload is not a directory CSV this importer can read."""

    code = "directory_import_invalid_file"
    status_code = 422
    message = "El archivo no es un CSV de directorio válido."


@dataclass(frozen=True)
class Issue:
    """One problem found in one row (row 1 is the header, as a spreadsheet numbers them)."""

    fila: int
    columna: str | None
    valor: str
    mensaje: str

    def as_dict(self) -> dict[str, Any]:
        return {"fila": self.fila, "columna": self.columna, "valor": self.valor, "mensaje": self.mensaje}


class ImportRefusedError(SignumError):
    """The file has errors: nothing was written. `details.errores` lists every one."""

    code = "directory_import_refused"
    status_code = 422

    def __init__(self, issues: list[Issue], *, filas: int) -> None:
        self.issues = sorted(issues, key=lambda i: (i.fila, COLUMN_ORDER.get(i.columna or "", 99)))
        bad_rows = len({i.fila for i in self.issues})
        super().__init__(
            f"El archivo tiene {len(self.issues)} error(es) en {bad_rows} fila(s); "
            "no se aplicó ningún cambio. Corrija todas las filas indicadas y vuelva a enviarlo.",
            details={
                "filas": filas,
                "filas_con_error": bad_rows,
                "errores": [i.as_dict() for i in self.issues],
            },
        )


COLUMN_ORDER = {c: i for i, c in enumerate(COLUMNS)}


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One data row, trimmed. `fila` is its number in the file (the header is row 1)."""

    fila: int
    cells: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True)
class CsvFile:
    rows: list[Row]
    delimiter: str
    ignored_columns: list[str]
    issues: list[Issue]  # rows whose shape is wrong (too many or too few cells)


def read_csv(data: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> CsvFile:
    """Decode and split the file; raise ImportFileError when it cannot be read at all."""
    if len(data) > max_bytes:
        raise ImportFileError(
            f"El archivo pesa {len(data) / 1_048_576:.1f} MB; el máximo es "
            f"{max_bytes / 1_048_576:.0f} MB. Divídalo por dependencia e impórtelo por partes.",
            code="directory_import_too_large",
            status_code=413,
        )
    if not data.strip():
        raise ImportFileError("El archivo está vacío.", code="directory_import_empty")
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(
            "El archivo es un libro de Excel, no un CSV. En Excel use «Guardar como» → «CSV UTF-8 "
            "(delimitado por comas)» y envíe ese archivo.",
            code="directory_import_not_csv",
        )
    if b"\x00" in data:
        raise ImportFileError(
            "El archivo no es de texto (contiene bytes nulos); envíe un CSV en UTF-8.",
            code="directory_import_not_csv",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"El archivo no está codificado en UTF-8 (primer carácter inválido en la línea {line}). "
            "En Excel use «Guardar como» → «CSV UTF-8 (delimitado por comas)».",
            code="directory_import_encoding",
            details={"linea": line},
        ) from None
    header_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise ImportFileError(
            f"No se pudo leer el encabezado del CSV: {exc}.", code="directory_import_not_csv"
        ) from None
    names = [_header_name(h) for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise ImportFileError(
            "Faltan columnas en el encabezado: " + ", ".join(missing) + ". La primera fila debe "
            "traer los nombres de las columnas: " + ",".join(COLUMNS) + ".",
            code="directory_import_missing_columns",
            details={"faltantes": missing, "esperadas": list(COLUMNS), "encontradas": header},
        )
    duplicated = sorted({n for n in names if names.count(n) > 1 and n in COLUMN_ORDER})
    if duplicated:
        raise ImportFileError(
            "Columnas repetidas en el encabezado: " + ", ".join(duplicated) + ".",
            code="directory_import_duplicate_columns",
            details={"repetidas": duplicated},
        )
    ignored = [h for h, n in zip(header, names, strict=True) if n not in COLUMN_ORDER and n]
    rows: list[Row] = []
    issues: list[Issue] = []
    fila = 1
    try:
        for record in reader:
            fila += 1
            cells = [c.strip() for c in record]
            if not any(cells):
                continue  # blank lines, or lines of bare delimiters, as spreadsheets leave
            if len(rows) >= max_rows:
                raise ImportFileError(
                    f"El archivo tiene más de {max_rows:,} filas de datos; divídalo por dependencia "
                    "e impórtelo por partes.",
                    code="directory_import_too_many_rows",
                )
            if len(cells) != len(names):
                issues.append(
                    Issue(
                        fila,
                        None,
                        "",
                        f"La fila tiene {len(cells)} celdas y el encabezado {len(names)} columnas "
                        f"(¿un «{delimiter}» de más o de menos, o comillas sin cerrar?).",
                    )
                )
            rows.append(Row(fila, {n: v for n, v in zip(names, cells, strict=False) if n in COLUMN_ORDER}))
    except csv.Error as exc:
        raise ImportFileError(
            f"El CSV está mal formado cerca de la fila {fila + 1}: {exc}.",
            code="directory_import_not_csv",
            details={"fila": fila + 1},
        ) from None
    if not rows:
        raise ImportFileError(
            "El archivo solo tiene encabezado; no trae filas.", code="directory_import_no_rows"
        )
    return CsvFile(rows=rows, delimiter=delimiter, ignored_columns=ignored, issues=issues)


def _header_name(value: str) -> str:
    name = value.strip().lower().replace(" ", "_")
    return name.translate(str.maketrans("áéíóúü", "aeiouu"))


# --- the directory as it stands -------------------------------------------------------------


@dataclass
class Snapshot:
    """The directory as stored, read before validating (suplencias do not take part)."""

    dependencias: dict[str, Dependencia] = field(default_factory=dict)
    unidades: dict[str, Unidad] = field(default_factory=dict)
    puestos: dict[str, Puesto] = field(default_factory=dict)
    funcionarios: dict[str, Funcionario] = field(default_factory=dict)
    # Where each stored official sits (kept on the official's document for fast look-ups).
    puesto_de: dict[str, str | None] = field(default_factory=dict)


# --- the plan -------------------------------------------------------------------------------


T = TypeVar("T", Dependencia, Unidad, Puesto, Funcionario)


@dataclass
class Changes(Generic[T]):
    """What an import does to one kind of entity: new ones, changed ones (new, old), unchanged."""

    created: list[T] = field(default_factory=list)
    updated: list[tuple[T, T]] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> dict[str, int]:
        return {
            "creados": len(self.created),
            "actualizados": len(self.updated),
            "sin_cambios": self.unchanged,
        }


@dataclass
class Plan:
    """Everything an import would write, computed before the first write."""

    filas: int
    dependencias: Changes[Dependencia]
    unidades: Changes[Unidad]
    puestos: Changes[Puesto]
    funcionarios: Changes[Funcionario]
    # Unversioned: the position each official of the file (or displaced by it) now holds.
    puesto_de: dict[str, str | None]
    puestos_desocupados: list[str]
    funcionarios_sin_puesto: list[str]
    funcionarios_no_incluidos: int
    ignored_columns: list[str]

    @property
    def writes(self) -> int:
        """How many documents the apply writes (for progress)."""
        total = 0
        for c in (self.dependencias, self.unidades, self.puestos, self.funcionarios):
            total += len(c.created) + len(c.updated)
        return total + len(self.only_location_changes())

    def only_location_changes(self) -> dict[str, str | None]:
        """Officials whose position changed while nothing versioned about them did."""
        touched = {f.id for f in self.funcionarios.created} | {n.id for n, _ in self.funcionarios.updated}
        return {fid: pid for fid, pid in self.puesto_de.items() if fid not in touched}


@dataclass
class _UnitDecl:
    fila: int
    dependencia_id: str
    nombre: str
    padre_id: str | None
    prefijo_folio: str
    valid: bool


def plan_import(csv_file: CsvFile, snapshot: Snapshot, *, progress: Progress | None = None) -> Plan:
    """Validate every row against the file and the stored directory; return the plan or raise
    ImportRefusedError listing every problem."""
    v = _Validator(snapshot)
    issues = list(csv_file.issues)
    total = len(csv_file.rows)
    for n, row in enumerate(csv_file.rows, 1):
        v.row(row)
        if progress is not None and (n % PROGRESS_EVERY == 0 or n == total):
            progress("validacion", n, total)
    v.whole_file()
    issues.extend(v.issues)
    if issues:
        raise ImportRefusedError(issues, filas=total)
    return v.plan(total, csv_file.ignored_columns)


class _Validator:
    """Collects declarations row by row, then checks what needs the whole file."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snap = snapshot
        self.issues: list[Issue] = []
        self.dependencias: dict[str, tuple[int, str]] = {}
        self.unidades: dict[str, _UnitDecl] = {}
        self.puestos: dict[str, tuple[int, Puesto]] = {}
        self.funcionarios: dict[str, tuple[int, Funcionario]] = {}
        self.numeros: dict[str, tuple[int, str]] = {}  # employee -> (row, position) first seen
        self.seen_unique: dict[str, dict[str, tuple[int, str]]] = {"correo": {}, "rfc": {}, "curp": {}}

    def error(self, row: Row | int, column: str | None, message: str, value: str | None = None) -> None:
        fila = row if isinstance(row, int) else row.fila
        if value is None:
            value = "" if column is None or isinstance(row, int) else row[column]
        self.issues.append(Issue(fila, column, value, message))

    # --- one row -----------------------------------------------------------------------------

    def row(self, row: Row) -> None:
        for column in COLUMNS:
            if _CONTROL.search(row[column]):
                self.error(row, column, "La celda contiene caracteres de control.")
        dep_ok = self._dependencia(row)
        unit_ok = self._unidad(row, dep_ok)
        puesto_id = row["puesto_clave"]
        if not puesto_id:
            for column in ("puesto_titulo", "reporta_a", "numero_empleado", *PERSON_COLUMNS):
                if row[column]:
                    self.error(
                        row,
                        column,
                        "Sin clave de puesto la fila solo declara la unidad; deje vacía esta celda.",
                    )
            if row["es_titular"] and _flag(row["es_titular"]):
                self.error(row, "es_titular", "Sin clave de puesto no puede marcarse como titular.")
            return
        funcionario_id = self._funcionario(row)
        self._puesto(row, unit_ok, funcionario_id)

    def _required(self, row: Row, column: str, max_len: int = 300) -> bool:
        value = row[column]
        if not value:
            self.error(row, column, "Este dato es obligatorio.")
            return False
        if len(value) > max_len:
            self.error(row, column, f"Demasiado largo: máximo {max_len} caracteres.")
            return False
        return True

    def _clave(self, row: Row, column: str, *, required: bool = True) -> bool:
        value = row[column]
        if not value:
            if required:
                self.error(row, column, "Este dato es obligatorio.")
            return False
        if _CLAVE.match(value) is None:
            self.error(
                row,
                column,
                "Clave no válida: use hasta 64 letras sin acentos, dígitos, «.», «_» o «-», "
                "empezando con letra o dígito.",
            )
            return False
        return True

    def _dependencia(self, row: Row) -> bool:
        ok = self._clave(row, "dependencia_clave") & self._required(row, "dependencia_nombre")
        if not ok:
            return False
        clave, nombre = row["dependencia_clave"], row["dependencia_nombre"]
        first = self.dependencias.setdefault(clave, (row.fila, nombre))
        if first[1] != nombre:
            self.error(
                row,
                "dependencia_nombre",
                f"La dependencia {clave} aparece en la fila {first[0]} con otro nombre («{first[1]}»).",
            )
            return False
        return True

    def _unidad(self, row: Row, dep_ok: bool) -> bool:
        ok = self._clave(row, "unidad_clave") & self._required(row, "unidad_nombre")
        padre = row["unidad_padre"]
        if padre and not self._clave(row, "unidad_padre"):
            ok = False
        prefijo = row["prefijo_folio"]
        if not prefijo:
            self.error(row, "prefijo_folio", "Este dato es obligatorio.")
            ok = False
        elif len(prefijo) > 64 or _PREFIJO.match(prefijo) is None:
            self.error(
                row,
                "prefijo_folio",
                "Prefijo de folio no válido: mayúsculas y dígitos separados por «/», p. ej. SIGA/DGTI.",
            )
            ok = False
        clave = row["unidad_clave"]
        if not _CLAVE.match(clave):
            return False
        # Declared even when invalid, so rows below it do not also report it as unknown.
        decl = _UnitDecl(
            row.fila, row["dependencia_clave"], row["unidad_nombre"], padre or None, prefijo, ok and dep_ok
        )
        first = self.unidades.setdefault(clave, decl)
        if first is decl:
            return decl.valid
        ok = ok and dep_ok and first.valid
        for column, mine, theirs in (
            ("dependencia_clave", decl.dependencia_id, first.dependencia_id),
            ("unidad_nombre", decl.nombre, first.nombre),
            ("unidad_padre", decl.padre_id or "", first.padre_id or ""),
            ("prefijo_folio", decl.prefijo_folio, first.prefijo_folio),
        ):
            if mine != theirs:
                self.error(
                    row,
                    column,
                    f"La unidad {clave} aparece en la fila {first.fila} con otro valor en esta "
                    f"columna («{theirs}»).",
                )
                ok = False
        return ok

    def _funcionario(self, row: Row) -> str | None:
        numero = row["numero_empleado"]
        if not numero:
            for column in PERSON_COLUMNS:
                if row[column]:
                    self.error(
                        row,
                        column,
                        "Puesto vacante: sin número de empleado deje vacías las celdas de la persona.",
                    )
            return None
        if not self._clave(row, "numero_empleado"):
            return None
        ok = self._required(row, "nombre", 100) & self._required(row, "apellido_paterno", 100)
        if len(row["apellido_materno"]) > 100:
            self.error(row, "apellido_materno", "Demasiado largo: máximo 100 caracteres.")
            ok = False
        correo = normalize_email(row["correo"])
        rfc, curp = normalize_rfc(row["rfc"]), normalize_curp(row["curp"])
        for column, value, check in (
            ("correo", correo, email_error),
            ("rfc", rfc, rfc_error),
            ("curp", curp, curp_error),
        ):
            if not value:
                self.error(row, column, "Este dato es obligatorio.")
                ok = False
                continue
            problem = check(value)
            if problem is not None:
                self.error(row, column, problem)
                ok = False
        roles: set[str] = set()
        for role in _ROLE_SEPARATORS.split(row["roles"].lower()):
            if not role:
                continue
            if role not in GRANTABLE_ROLES:
                self.error(
                    row,
                    "roles",
                    f"Rol desconocido «{role}». Roles que se pueden asignar: "
                    + ", ".join(sorted(GRANTABLE_ROLES))
                    + " (el de titular se deduce del puesto).",
                )
                ok = False
            roles.add(role)
        earlier = self.numeros.setdefault(numero, (row.fila, row["puesto_clave"]))
        if earlier[0] != row.fila:
            self.error(
                row,
                "numero_empleado",
                f"El empleado {numero} ya ocupa el puesto {earlier[1]} en la fila {earlier[0]}; "
                "una persona ocupa un solo puesto.",
            )
            return None
        for column, value in (("correo", correo), ("rfc", rfc), ("curp", curp)):
            if not value:
                continue
            holder = self.seen_unique[column].setdefault(value, (row.fila, numero))
            if holder[1] != numero:
                self.error(
                    row,
                    column,
                    f"Ya lo tiene el empleado {holder[1]} en la fila {holder[0]}.",
                    value,
                )
                ok = False
        if not ok:
            return None
        self.funcionarios[numero] = (
            row.fila,
            Funcionario(
                id=numero,
                nombre=row["nombre"],
                apellido_paterno=row["apellido_paterno"],
                apellido_materno=row["apellido_materno"],
                correo=correo,
                rfc=rfc,
                curp=curp,
                roles=frozenset(roles),
            ),
        )
        return numero

    def _puesto(self, row: Row, unit_ok: bool, funcionario_id: str | None) -> None:
        ok = self._clave(row, "puesto_clave") & self._required(row, "puesto_titulo")
        if row["reporta_a"] and not self._clave(row, "reporta_a"):
            ok = False
        titular = row["es_titular"].lower()
        if titular not in _TRUE and titular not in _FALSE:
            self.error(row, "es_titular", "Use «sí» o «no» (también 1/0 o x/vacío).")
            ok = False
        puesto_id = row["puesto_clave"]
        earlier = self.puestos.get(puesto_id)
        if earlier is not None:
            self.error(row, "puesto_clave", f"El puesto {puesto_id} ya aparece en la fila {earlier[0]}.")
            return
        if not (ok and unit_ok):
            # Remember the key anyway, so a later duplicate is still reported.
            self.puestos.setdefault(puesto_id, (row.fila, _placeholder_puesto(puesto_id)))
            return
        self.puestos[puesto_id] = (
            row.fila,
            Puesto(
                id=puesto_id,
                unidad_id=row["unidad_clave"],
                titulo=row["puesto_titulo"],
                es_titular=titular in _TRUE,
                reporta_a=row["reporta_a"] or None,
                funcionario_id=funcionario_id,
            ),
        )

    # --- the whole file ----------------------------------------------------------------------

    def whole_file(self) -> None:
        self._unit_tree()
        self._reporting_line()
        self._titulares()
        self._unique_against_directory()

    def _final_units(self) -> dict[str, tuple[str, str | None]]:
        """unit -> (dependencia, parent) once the file is applied."""
        final = {u.id: (u.dependencia_id, u.padre_id) for u in self.snap.unidades.values()}
        final.update({k: (d.dependencia_id, d.padre_id) for k, d in self.unidades.items()})
        return final

    def _unit_tree(self) -> None:
        final = self._final_units()
        prefixes = {u.prefijo_folio: u.id for u in self.snap.unidades.values() if u.id not in self.unidades}
        for clave, decl in self.unidades.items():
            if not decl.valid:
                continue
            owner = prefixes.setdefault(decl.prefijo_folio, clave)
            if owner != clave:
                where = f"la fila {self.unidades[owner].fila}" if owner in self.unidades else "el directorio"
                self.error(
                    decl.fila,
                    "prefijo_folio",
                    f"El prefijo {decl.prefijo_folio} ya es de la unidad {owner} ({where}); "
                    "cada unidad necesita un prefijo propio para sus folios.",
                    decl.prefijo_folio,
                )
            if decl.padre_id is None:
                continue
            parent = final.get(decl.padre_id)
            if parent is None:
                self.error(
                    decl.fila,
                    "unidad_padre",
                    f"La unidad superior {decl.padre_id} no está en el archivo ni en el directorio.",
                    decl.padre_id,
                )
            elif parent[0] != decl.dependencia_id and (
                decl.padre_id not in self.unidades or self.unidades[decl.padre_id].valid
            ):
                self.error(
                    decl.fila,
                    "unidad_padre",
                    f"La unidad superior {decl.padre_id} pertenece a la dependencia {parent[0]}, no a "
                    f"{decl.dependencia_id}.",
                    decl.padre_id,
                )
        # A stored unit that stays under a unit the file moves to another dependencia.
        for unit in self.snap.unidades.values():
            if unit.id in self.unidades or unit.padre_id not in self.unidades:
                continue
            decl = self.unidades[unit.padre_id]
            if decl.valid and decl.dependencia_id != unit.dependencia_id:
                self.error(
                    decl.fila,
                    "dependencia_clave",
                    f"La unidad {unit.id}, ya registrada bajo esta unidad, pertenece a la dependencia "
                    f"{unit.dependencia_id}; no puede moverse esta unidad a {decl.dependencia_id}.",
                )
        parents = {k: p for k, (_, p) in final.items()}
        for cycle in _cycles(parents, self.unidades.keys()):
            text = " → ".join([*cycle, cycle[0]])
            for clave in cycle:
                if clave in self.unidades:
                    self.error(
                        self.unidades[clave].fila,
                        "unidad_padre",
                        f"Ciclo en el árbol de unidades: {text}.",
                        parents[clave] or "",
                    )

    def _reporting_line(self) -> None:
        final = {p.id: p.reporta_a for p in self.snap.puestos.values()}
        final.update({k: p.reporta_a for k, (_, p) in self.puestos.items()})
        for fila, puesto in self.puestos.values():
            if puesto.reporta_a is not None and puesto.reporta_a not in final:
                self.error(
                    fila,
                    "reporta_a",
                    f"El puesto superior {puesto.reporta_a} no está en el archivo ni en el directorio.",
                    puesto.reporta_a,
                )
        for cycle in _cycles(final, self.puestos.keys()):
            text = " → ".join([*cycle, cycle[0]])
            for clave in cycle:
                if clave in self.puestos:
                    self.error(
                        self.puestos[clave][0],
                        "reporta_a",
                        f"Ciclo en la línea de mando: {text}.",
                        final[clave] or "",
                    )

    def _titulares(self) -> None:
        by_unit: dict[str, list[tuple[int | None, str]]] = defaultdict(list)
        for p in self.snap.puestos.values():
            if p.id not in self.puestos and p.es_titular and p.activo:
                by_unit[p.unidad_id].append((None, p.id))
        for clave, (fila, p) in self.puestos.items():
            if p.es_titular and p.unidad_id:
                by_unit[p.unidad_id].append((fila, clave))
        for unidad, heads in by_unit.items():
            if len(heads) < 2:
                continue
            names = ", ".join(c for _, c in heads)
            for head_row, _ in heads:
                if head_row is not None:
                    self.error(
                        head_row,
                        "es_titular",
                        f"La unidad {unidad} tendría más de un titular ({names}); solo puede haber uno.",
                    )

    def _unique_against_directory(self) -> None:
        """Correo, RFC and CURP stay unique once the file is applied."""
        for column in ("correo", "rfc", "curp"):
            final: dict[str, str] = {
                getattr(f, column): f.id
                for f in self.snap.funcionarios.values()
                if f.id not in self.funcionarios
            }
            for numero, (fila, f) in self.funcionarios.items():
                value = getattr(f, column)
                owner = final.get(value)
                if owner is not None and owner != numero:
                    self.error(
                        fila,
                        column,
                        f"Ya pertenece al empleado {owner}, registrado en el directorio.",
                        value,
                    )

    # --- the plan ----------------------------------------------------------------------------

    def plan(self, filas: int, ignored_columns: list[str]) -> Plan:
        snap = self.snap
        deps = _diff(
            (Dependencia(id=k, nombre=n) for k, (_, n) in self.dependencias.items()), snap.dependencias
        )
        units = _diff(
            _parents_first(
                [
                    Unidad(
                        id=k,
                        dependencia_id=d.dependencia_id,
                        nombre=d.nombre,
                        prefijo_folio=d.prefijo_folio,
                        padre_id=d.padre_id,
                    )
                    for k, d in self.unidades.items()
                ]
            ),
            snap.unidades,
        )
        holders = {p.funcionario_id: p.id for _, p in self.puestos.values() if p.funcionario_id}
        # Stored positions outside the file whose holder the file seats elsewhere: now vacant.
        desocupados = [
            replace(p, funcionario_id=None)
            for p in snap.puestos.values()
            if p.id not in self.puestos and p.funcionario_id in holders
        ]
        puestos = _diff([p for _, p in self.puestos.values()] + desocupados, snap.puestos)
        funcionarios = _diff((f for _, f in self.funcionarios.values()), snap.funcionarios)
        puesto_de: dict[str, str | None] = {}
        for fid, pid in holders.items():
            if snap.puesto_de.get(fid) != pid or fid not in snap.funcionarios:
                puesto_de[fid] = pid
        # Stored officials whose position the file gives to someone else: now without one.
        sin_puesto = []
        for _, p in self.puestos.values():
            before = snap.puestos.get(p.id)
            if before is not None and before.funcionario_id and before.funcionario_id not in holders:
                sin_puesto.append(before.funcionario_id)
                if snap.puesto_de.get(before.funcionario_id) is not None:
                    puesto_de[before.funcionario_id] = None
        no_incluidos = sum(
            1 for f in snap.funcionarios.values() if f.activo and f.id not in self.funcionarios
        )
        return Plan(
            filas=filas,
            dependencias=deps,
            unidades=units,
            puestos=puestos,
            funcionarios=funcionarios,
            puesto_de=puesto_de,
            puestos_desocupados=sorted(p.id for p in desocupados),
            funcionarios_sin_puesto=sorted(sin_puesto),
            funcionarios_no_incluidos=no_incluidos,
            ignored_columns=ignored_columns,
        )


def _flag(value: str) -> bool:
    return value.strip().lower() in _TRUE


def _placeholder_puesto(puesto_id: str) -> Puesto:
    return Puesto(id=puesto_id, unidad_id="", titulo="", es_titular=False)


def _diff(wanted: Iterable[T], stored: Mapping[str, T]) -> Changes[T]:
    changes: Changes[T] = Changes()
    for entity in wanted:
        old = stored.get(entity.id)
        if old is None:
            changes.created.append(entity)
        elif replace(entity, revision=old.revision) == old:
            changes.unchanged += 1
        else:
            changes.updated.append((replace(entity, revision=old.revision + 1), old))
    return changes


def _parents_first(units: list[Unidad]) -> list[Unidad]:
    """Order units so a parent is written before its children (consumers may look it up)."""
    by_id = {u.id: u for u in units}
    depth: dict[str, int] = {}

    def level(uid: str) -> int:
        if uid in depth:
            return depth[uid]
        seen: list[str] = []
        current: str | None = uid
        while current is not None and current in by_id and current not in depth and current not in seen:
            seen.append(current)
            current = by_id[current].padre_id
        base = depth.get(current, 0) if current is not None else 0
        for n, u in enumerate(reversed(seen), 1):
            depth[u] = base + n
        return depth[uid]

    return sorted(units, key=lambda u: (level(u.id), u.id))


def _cycles(parent: Mapping[str, str | None], starts: Iterable[str]) -> list[list[str]]:
    """Each cycle reachable from `starts` by following `parent`, once, as the list of its nodes."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    found: list[list[str]] = []
    for start in starts:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parent and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = parent[node]
        if node is not None and state.get(node) == 1:
            found.append(path[path.index(node) :])
        for n in path:
            state[n] = 2
    return found
