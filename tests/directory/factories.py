"""Rows and files for directory tests (plain functions, as the style guide asks)."""

from __future__ import annotations

from datetime import date

from signum.gateway.directory.demo import curp_for, rfc_for, to_csv
from signum.gateway.directory.importer import COLUMNS, CsvFile, Plan, Snapshot, plan_import, read_csv

_GIVEN = ["Ana", "Luis", "Rosa", "Iván", "Sara", "Omar", "Elsa", "Raúl", "Nora", "Hugo"]
_SURNAMES = ["Garza", "Leal", "Peña", "Tamez", "Rocha", "Ibarra", "Cantú", "Salinas", "Chapa", "Lozano"]


def person(n: int) -> dict[str, str]:
    """Valid person cells for employee `n` (unique correo, RFC and CURP per n)."""
    nombre, paterno, materno = _GIVEN[n % 10], _SURNAMES[(n // 10) % 10], _SURNAMES[(n // 100) % 10]
    born = date.fromordinal(date(1970, 1, 1).toordinal() + n * 37)
    homo = "ABCDEFGHJK"[n % 10] + "123456789"[(n // 10) % 9]
    return {
        "numero_empleado": f"E{n:05d}",
        "nombre": nombre,
        "apellido_paterno": paterno,
        "apellido_materno": materno,
        "correo": f"empleado{n}@monterrey.gob.mx",
        "rfc": rfc_for(nombre, paterno, materno, born, homo),
        "curp": curp_for(nombre, paterno, materno, born, "M" if n % 2 else "H", "NL"),
        "roles": "",
    }


def unit(clave: str, padre: str = "", *, dep: str = "SIGA", prefijo: str | None = None) -> dict[str, str]:
    return {
        "dependencia_clave": dep,
        "dependencia_nombre": f"Secretaría {dep}",
        "unidad_clave": clave,
        "unidad_nombre": f"Unidad {clave}",
        "unidad_padre": padre,
        "prefijo_folio": prefijo or clave.replace("-", "/"),
    }


def position(
    clave: str,
    unidad: dict[str, str],
    *,
    reporta_a: str = "",
    titular: bool = False,
    holder: int | None = None,
) -> dict[str, str]:
    row = unidad | {
        "puesto_clave": clave,
        "puesto_titulo": f"Puesto {clave}",
        "reporta_a": reporta_a,
        "es_titular": "sí" if titular else "no",
    }
    return row | (person(holder) if holder is not None else {})


def base_rows() -> list[dict[str, str]]:
    """A small valid directory: a secretaría with a general direction and two directions below."""
    siga, dgti = unit("SIGA"), unit("SIGA-DGTI", "SIGA")
    dis, dds = unit("SIGA-DGTI-DIS", "SIGA-DGTI"), unit("SIGA-DGTI-DDS", "SIGA-DGTI")
    return [
        position("P-SIGA", siga, titular=True, holder=1),
        position("P-DGTI", dgti, reporta_a="P-SIGA", titular=True, holder=2),
        position("P-DGTI-2", dgti, reporta_a="P-DGTI", holder=3),
        position("P-DIS", dis, reporta_a="P-DGTI", titular=True, holder=4),
        position("P-DDS", dds, reporta_a="P-DGTI", titular=True),  # vacant
        position("P-DDS-2", dds, reporta_a="P-DDS", holder=5),
    ]


def csv_bytes(rows: list[dict[str, str]], **kwargs: object) -> bytes:
    return to_csv([{c: r.get(c, "") for c in COLUMNS} for r in rows], **kwargs)  # type: ignore[arg-type]


def parse(rows: list[dict[str, str]]) -> CsvFile:
    return read_csv(csv_bytes(rows))


def plan(rows: list[dict[str, str]], snapshot: Snapshot | None = None) -> Plan:
    return plan_import(parse(rows), snapshot or Snapshot())
