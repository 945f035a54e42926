"""Demo directory of Monterrey (`deploy/demo/directorio-monterrey.csv`) and synthetic CSVs.

The people are invented; their RFC and CURP are derived from their names and birth dates the way
SAT and RENAPO do (without the homonym and inconvenient-word rules), with correct check digits.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from signum.contracts import Actor
from signum.gateway.directory.identifiers import curp_check_digit, rfc_check_digit
from signum.gateway.directory.importer import COLUMNS
from signum.gateway.directory.repository import search_text
from signum.gateway.directory.service import DirectoryService
from signum.platform.logging import get_logger

# gateway/src/signum/gateway/directory/demo.py -> the repository root
log = get_logger(__name__)

DEMO_CSV = Path(__file__).resolve().parents[5] / "deploy" / "demo" / "directorio-monterrey.csv"


@dataclass(frozen=True)
class DemoLogin:
    """A demo person the auth module gives a login to."""

    numero_empleado: str
    nombre: str
    correo: str
    papel: str  # what the person is for in a demo
    unidad: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "10010",
        "Rosa Elena Cantú Villarreal",
        "rosa.cantu@monterrey.gob.mx",
        "administrador",
        "SIGA-DGTI-DIS",
    ),
    DemoLogin(
        "10002", "Jorge Alberto Treviño Garza", "jorge.trevino@monterrey.gob.mx", "titular", "SIGA-DGTI"
    ),
    DemoLogin(
        "10005",
        "Mariana Guadalupe Salinas Leal",
        "mariana.salinas@monterrey.gob.mx",
        "funcionario",
        "SIGA-DGTI",
    ),
    DemoLogin(
        "10104", "Claudia Ivonne Garza Montemayor", "claudia.garza@monterrey.gob.mx", "oficialia", "SAY-OP"
    ),
    DemoLogin(
        "10402", "Héctor Manuel Elizondo Sepúlveda", "hector.elizondo@monterrey.gob.mx", "auditor", "CM-DA"
    ),
)

AccountsHook = Callable[[Sequence[DemoLogin]], Awaitable[None]]


async def load_demo(
    service: DirectoryService,
    accounts_hook: AccountsHook | None = None,
    *,
    path: Path = DEMO_CSV,
    correlation_id: str = "demo-directorio",
) -> None:
    """Import the Monterrey demo directory (idempotent: a second run changes nothing), then let
    auth create the demo logins through `accounts_hook`."""
    data = await asyncio.to_thread(path.read_bytes)
    report = await service.import_csv(data, actor=Actor.system("gateway-demo"), correlation_id=correlation_id)
    log.info("demo directory loaded", cambios=report.cambios, eventos=report.eventos)
    if accounts_hook is not None:
        await accounts_hook(DEMO_LOGINS)


# --- identifiers from names -----------------------------------------------------------------

_VOWELS = "AEIOU"


def _letters(value: str) -> str:
    plain = search_text(value).upper()
    return "".join(c for c in plain if c.isalpha() or c == " ").strip()


def _first_internal(word: str, vowels: bool) -> str:
    for c in word[1:]:
        if (c in _VOWELS) == vowels and c.isalpha():
            return c
    return "X"


def _initials(nombre: str, paterno: str, materno: str) -> str:
    p, m, n = _letters(paterno).split()[0], _letters(materno), _letters(nombre).split()
    # José and María are skipped when another given name follows (SAT/RENAPO rule).
    first = n[1] if len(n) > 1 and n[0] in {"JOSE", "MARIA", "MA", "J"} else n[0]
    return p[0] + _first_internal(p, True) + (m[0] if m else "X") + first[0]


def rfc_for(nombre: str, paterno: str, materno: str, born: date, homoclave: str) -> str:
    """An RFC of a persona física with a valid check digit (`homoclave`: 2 characters)."""
    first12 = _initials(nombre, paterno, materno) + born.strftime("%y%m%d") + homoclave
    return first12 + rfc_check_digit(first12)


def curp_for(nombre: str, paterno: str, materno: str, born: date, sexo: str, estado: str) -> str:
    """A CURP with a valid check digit (the differentiator is 0 before 2000, A after)."""
    n = _letters(nombre).split()
    given = n[1] if len(n) > 1 and n[0] in {"JOSE", "MARIA", "MA", "J"} else n[0]
    p, m = _letters(paterno).split()[0], _letters(materno)
    consonants = (
        _first_internal(p, False) + (_first_internal(m, False) if m else "X") + _first_internal(given, False)
    )
    first17 = (
        _initials(nombre, paterno, materno)
        + born.strftime("%y%m%d")
        + sexo
        + estado
        + consonants
        + ("0" if born.year < 2000 else "A")
    )
    return first17 + curp_check_digit(first17)


# --- synthetic CSVs -------------------------------------------------------------------------

_NOMBRES_H = [
    "José Luis",
    "Juan Carlos",
    "Miguel Ángel",
    "Roberto",
    "Francisco",
    "Alejandro",
    "Eduardo",
    "Fernando",
    "Ricardo",
    "Sergio",
    "Héctor",
    "Raúl",
    "Arturo",
    "Gerardo",
    "Javier",
    "Óscar",
    "Daniel",
    "Rodrigo",
]
_NOMBRES_M = [
    "María Fernanda",
    "Ana Laura",
    "Patricia",
    "Guadalupe",
    "Verónica",
    "Alejandra",
    "Gabriela",
    "Leticia",
    "Mónica",
    "Sandra",
    "Claudia",
    "Adriana",
    "Lorena",
    "Rocío",
    "Daniela",
    "Sofía",
    "Brenda",
    "Karla",
]
_APELLIDOS = [
    "Garza",
    "Treviño",
    "González",
    "Rodríguez",
    "Martínez",
    "Hernández",
    "Villarreal",
    "Cantú",
    "Salinas",
    "Elizondo",
    "Sepúlveda",
    "Leal",
    "Montemayor",
    "Guerra",
    "Cavazos",
    "Zambrano",
    "Benavides",
    "Chapa",
    "Flores",
    "Ramírez",
    "Peña",
    "Lozano",
    "Tamez",
    "Quintanilla",
    "Ibarra",
    "Saldaña",
    "Rocha",
    "Dávila",
    "Galván",
    "Muñoz",
]
_ESTADOS = ["NL", "NL", "NL", "NL", "CL", "TS", "SP", "CH", "DF", "JC", "VZ", "DG"]
_HOMO = "123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def synthetic_rows(funcionarios: int, *, seed: int = 7, dependencias: int = 20) -> list[dict[str, str]]:
    """Rows of a valid directory with `funcionarios` officials (plus a few vacant positions),
    spread over `dependencias` with three levels of units and reporting lines to each head."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    rows: list[dict[str, str]] = []
    used: set[str] = set()
    people = 0
    per_dep = max(1, funcionarios // dependencias)

    def person(numero: int) -> dict[str, str]:
        while True:
            sexo = rng.choice("HM")
            nombre = rng.choice(_NOMBRES_H if sexo == "H" else _NOMBRES_M)
            paterno, materno = rng.choice(_APELLIDOS), rng.choice(_APELLIDOS)
            born = date.fromordinal(date(1960, 1, 1).toordinal() + rng.randrange(0, 40 * 365))
            rfc = rfc_for(nombre, paterno, materno, born, rng.choice(_HOMO) + rng.choice(_HOMO))
            curp = curp_for(nombre, paterno, materno, born, sexo, rng.choice(_ESTADOS))
            if rfc not in used and curp not in used:
                used.update({rfc, curp})
                break
        return {
            "numero_empleado": str(200000 + numero),
            "nombre": nombre,
            "apellido_paterno": paterno,
            "apellido_materno": materno,
            "correo": f"e{200000 + numero}@sintetico.monterrey.gob.mx",
            "rfc": rfc,
            "curp": curp,
            "roles": "",
        }

    for d in range(dependencias):
        dep = f"D{d:02d}"
        base = {"dependencia_clave": dep, "dependencia_nombre": f"Dependencia sintética {d:02d}"}
        units = [(dep, f"Oficina de la dependencia {d:02d}", "", dep)]
        for i in range(3):
            direccion = f"{dep}-DIR{i}"
            units.append((direccion, f"Dirección {i} de {dep}", dep, f"{dep}/DIR{i}"))
            for j in range(3):
                units.append(
                    (
                        f"{direccion}-C{j}",
                        f"Coordinación {j} de la dirección {i}",
                        direccion,
                        f"{dep}/DIR{i}/C{j}",
                    )
                )
        target = per_dep if d < dependencias - 1 else funcionarios - people
        heads: dict[str, str] = {}
        for n, (clave, nombre, padre, prefijo) in enumerate(units):
            head = f"{clave}-T"
            heads[clave] = head
            unit = base | {
                "unidad_clave": clave,
                "unidad_nombre": nombre,
                "unidad_padre": padre,
                "prefijo_folio": prefijo,
            }
            vacant = n == len(units) - 1  # the last coordination of each dependencia has no head
            rows.append(
                unit
                | {
                    "puesto_clave": head,
                    "puesto_titulo": f"Titular de {nombre}",
                    "reporta_a": heads.get(padre, ""),
                    "es_titular": "sí",
                }
                | ({} if vacant or people >= funcionarios else person(people))
            )
            if not vacant and people < funcionarios:
                people += 1
        staff_units = units[1:]
        for k in range(max(0, target - (len(units) - 1))):
            if people >= funcionarios:
                break
            clave, nombre, padre, prefijo = staff_units[k % len(staff_units)]
            unit = base | {
                "unidad_clave": clave,
                "unidad_nombre": nombre,
                "unidad_padre": padre,
                "prefijo_folio": prefijo,
            }
            rows.append(
                unit
                | {
                    "puesto_clave": f"{clave}-P{k:04d}",
                    "puesto_titulo": "Analista",
                    "reporta_a": heads[clave],
                    "es_titular": "no",
                }
                | person(people)
            )
            people += 1
    return [{c: r.get(c, "") for c in COLUMNS} for r in rows]


def to_csv(rows: Sequence[dict[str, str]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    """Rows as CSV bytes in UTF-8 (optionally with Excel's BOM and `;`)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def synthetic_csv(funcionarios: int, *, seed: int = 7) -> bytes:
    """A valid directory CSV with `funcionarios` officials, for tests and measurements."""
    return to_csv(synthetic_rows(funcionarios, seed=seed))
