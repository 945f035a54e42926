"""Helpers of the metrics stack tests: dependencias of their own, so a test's figures are exactly what
it did whatever else the session sends between the shared units PRU-A and PRU-B."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from signum.contracts import Actor
from signum.gateway.directory.demo import curp_for, rfc_for, to_csv
from signum.gateway.directory.repository import DirectoryRepository
from signum.gateway.directory.service import DirectoryService
from signum.gateway.identity import passwords
from signum.gateway.identity.repository import IdentityRepository
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings
from signum.testing.people import PASSWORD, Person, World, wait_for_read_models

OTHER = "titular@X"


@dataclass(frozen=True)
class Seat:
    """One official of a seeded dependencia: key, employee number, unit, role, titular or not, name."""

    key: str
    numero: str
    unidad: str
    role: str
    nombre: tuple[str, str, str]
    born: date

    @property
    def titular(self) -> bool:
        return self.role == "titular"


async def seed_dependencia(
    env: dict[str, str],
    world: World,
    clave: str,
    nombre: str,
    unidades: dict[str, str],
    seats: list[Seat],
    *,
    services: tuple[str, ...] = ("drafting", "routing", "signing", "metrics"),
) -> dict[str, Person]:
    """Import a dependencia with these units (clave -> name) and officials through the directory's
    CSV import, give each a login, add them to `world`, and wait until `services` know them.

    RFC and CURP are built as `tests.routing.helpers.efirma` builds them (homoclave A1, sex M), so
    the test PKI issues each their e.firma."""
    if all(s.key in world.people for s in seats):
        return {s.key: world.people[s.key] for s in seats}
    rows, people = [], {}
    for seat in seats:
        first, paterno, materno = seat.nombre
        person = Person(seat.key, seat.numero, first, paterno, materno, seat.unidad, seat.role, seat.born)
        people[seat.key] = person
        titular = f"{seat.unidad}-TIT"
        rows.append(
            {
                "dependencia_clave": clave,
                "dependencia_nombre": nombre,
                "unidad_clave": seat.unidad,
                "unidad_nombre": unidades[seat.unidad],
                "unidad_padre": "",
                "prefijo_folio": seat.unidad.replace("-", "/"),
                "puesto_clave": titular if seat.titular else f"{seat.unidad}-{seat.role.upper()}",
                "puesto_titulo": f"Titular de {unidades[seat.unidad]}" if seat.titular else "Analista",
                "reporta_a": "" if seat.titular else titular,
                "es_titular": "sí" if seat.titular else "no",
                "numero_empleado": seat.numero,
                "nombre": first,
                "apellido_paterno": paterno,
                "apellido_materno": materno,
                "correo": person.correo,
                "rfc": rfc_for(first, paterno, materno, seat.born, "A1"),
                "curp": curp_for(first, paterno, materno, seat.born, "M", "NL"),
                "roles": seat.role if seat.role in {"oficialia", "administrador", "auditor"} else "",
            }
        )
    infra = InfraSettings(mongo_url=env["SIGNUM_MONGO_URL"], mongo_db_prefix=env["SIGNUM_MONGO_DB_PREFIX"])
    client = build_mongo_client(infra)
    db: Any = client[infra.database_name("gateway")]
    try:
        directory = DirectoryService(DirectoryRepository(db))
        await directory.import_csv(to_csv(rows), actor=Actor.system("tests"), correlation_id=f"seed-{clave}")
        accounts = IdentityRepository(db)
        hashed = passwords.hash_password(PASSWORD)
        for person in people.values():
            await accounts.upsert_account(
                person.numero_empleado, person.correo, hashed, debe_cambiar=False, now=datetime.now(UTC)
            )
        await wait_for_read_models(client, infra, [s.numero for s in seats], services=services)
    finally:
        client.close()
    world.people.update(people)
    return people


async def seed_other_dependencia(env: dict[str, str], world: World) -> Person:
    """The titular of unit OTR-X of another dependencia (OTR), with a login; added to `world`."""
    seat = Seat(OTHER, "96001", "OTR-X", "titular", ("Rosa", "Ibarra", "Garza"), date(1979, 4, 21))
    people = await seed_dependencia(
        env, world, "OTR", "Secretaría de Otras Pruebas", {"OTR-X": "Dirección de Otras Pruebas"}, [seat]
    )
    return people[OTHER]
