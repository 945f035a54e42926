"""A small synthetic directory for end-to-end tests: two units, every role in each, and logins.

Seeded through the directory's real CSV import and the identity repository, into the namespaced
gateway database the platform processes of a test run use.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx

from signum.contracts import Actor
from signum.gateway.directory.demo import curp_for, rfc_for, to_csv
from signum.gateway.directory.repository import DirectoryRepository
from signum.gateway.directory.service import DirectoryService
from signum.gateway.identity import passwords
from signum.gateway.identity.repository import IdentityRepository
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings

PASSWORD = "PruebaSegura2026"  # noqa: S105 - the test officials' password
ROLES = ("funcionario", "titular", "oficialia", "administrador", "auditor")
UNITS = {"A": "PRU-A", "B": "PRU-B"}
_NAMES = [
    ("Ana Laura", "Garza", "Treviño"),
    ("Bruno", "Salinas", "Leal"),
    ("Carla", "Elizondo", "Cantú"),
    ("Diego", "Montemayor", "Zambrano"),
    ("Elena", "Villarreal", "Sada"),
    ("Fernando", "Lozano", "Rocha"),
    ("Gabriela", "Quintanilla", "Tamez"),
    ("Hugo", "Cavazos", "Pérez"),
    ("Irene", "Benavides", "Ortiz"),
    ("Javier", "Saldaña", "Rangel"),
    ("Karla", "Guerra", "Medina"),
    ("Luis", "Martínez", "Flores"),
]


@dataclass(frozen=True)
class Person:
    """A test official: a role in a unit, with a login."""

    key: str  # e.g. "titular@A", "autor@A"
    numero_empleado: str
    nombre: str
    paterno: str
    materno: str
    unidad: str
    role: str
    born: date

    @property
    def correo(self) -> str:
        return f"{self.key.replace('@', '.').lower()}@pruebas.monterrey.gob.mx"


def people() -> dict[str, Person]:
    """Every role in unit A and in unit B, plus an author in A who writes the test oficios."""
    found: dict[str, Person] = {}
    n = 0
    for office, unidad in UNITS.items():
        for role in (*ROLES, "autor"):
            nombre, paterno, materno = _NAMES[n % len(_NAMES)]
            key = f"{role}@{office}"
            found[key] = Person(
                key,
                str(90000 + n),
                nombre,
                paterno,
                materno,
                unidad,
                role,
                date(1970 + n, 1 + n % 12, 10 + n),
            )
            n += 1
    return found


def directory_csv(everyone: dict[str, Person]) -> bytes:
    """The CSV HR would send for these people (titulares head their units; others report to them)."""
    rows = []
    for person in everyone.values():
        office = person.key.split("@")[1]
        titular = f"PRU-{office}-TIT"
        es_titular = person.role == "titular"
        rows.append(
            {
                "dependencia_clave": "PRU",
                "dependencia_nombre": "Secretaría de Pruebas",
                "unidad_clave": person.unidad,
                "unidad_nombre": f"Dirección de Pruebas {office}",
                "unidad_padre": "",
                "prefijo_folio": f"PRU/{office}",
                "puesto_clave": titular if es_titular else f"PRU-{office}-{person.role.upper()}",
                "puesto_titulo": f"Director de Pruebas {office}" if es_titular else f"Analista {person.role}",
                "reporta_a": "" if es_titular else titular,
                "es_titular": "sí" if es_titular else "no",
                "numero_empleado": person.numero_empleado,
                "nombre": person.nombre,
                "apellido_paterno": person.paterno,
                "apellido_materno": person.materno,
                "correo": person.correo,
                "rfc": rfc_for(person.nombre, person.paterno, person.materno, person.born, "A1"),
                "curp": curp_for(person.nombre, person.paterno, person.materno, person.born, "M", "NL"),
                "roles": person.role if person.role in {"oficialia", "administrador", "auditor"} else "",
            }
        )
    return to_csv(rows)


async def seed(
    env: dict[str, str], everyone: dict[str, Person], *, services: tuple[str, ...] | None = None
) -> None:
    """Import the people into the gateway's directory and give each a login; then wait until the
    `services` running (by default drafting, routing and signing) know them."""
    infra = InfraSettings(mongo_url=env["SIGNUM_MONGO_URL"], mongo_db_prefix=env["SIGNUM_MONGO_DB_PREFIX"])
    client = build_mongo_client(infra)
    db: Any = client[infra.database_name("gateway")]
    try:
        service = DirectoryService(DirectoryRepository(db))
        await service.import_csv(directory_csv(everyone), actor=Actor.system("tests"), correlation_id="seed")
        accounts = IdentityRepository(db)
        await accounts.ensure_indexes()
        hashed = passwords.hash_password(PASSWORD)
        for person in everyone.values():
            await accounts.upsert_account(
                person.numero_empleado, person.correo, hashed, debe_cambiar=False, now=datetime.now(UTC)
            )
        await wait_for_read_models(
            client, infra, [p.numero_empleado for p in everyone.values()], services=services
        )
    finally:
        client.close()


READ_MODEL_SERVICES = ("drafting", "routing", "signing")


async def wait_for_read_models(
    client: Any,
    infra: InfraSettings,
    ids: list[str],
    within: float = 60,
    *,
    services: tuple[str, ...] | None = None,
) -> None:
    """Wait until the services' read models of the directory know these officials.

    They learn of them from directory events (eventually); a test that names an official right after
    the import would otherwise race the consumers, as no person would in a real office."""
    deadline = asyncio.get_running_loop().time() + within
    for service in READ_MODEL_SERVICES if services is None else services:
        coll = client[infra.database_name(service)]["directory_funcionarios"]
        while await coll.count_documents({"_id": {"$in": ids}}) < len(set(ids)):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{service} did not learn the seeded directory within {within:.0f} s")
            await asyncio.sleep(0.2)


async def login(gateway_url: str, person: Person) -> httpx.AsyncClient:
    """A client with the person's browser session (cookie) and CSRF header set."""
    client = httpx.AsyncClient(base_url=gateway_url, timeout=15)
    response = await client.post(
        "/api/v1/auth/login", json={"usuario": person.correo, "contrasena": PASSWORD}
    )
    if response.status_code != 200:
        await client.aclose()
        raise AssertionError(f"login of {person.key} failed: {response.status_code} {response.text}")
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


@dataclass
class World:
    """Who is who in the seeded directory, and the oficios each test can use."""

    gateway: str
    people: dict[str, Person]
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    async def as_(self, key: str) -> httpx.AsyncClient:
        """A logged-in client of the person `key` (e.g. "titular@A"), one session per person."""
        if key not in self.clients:
            self.clients[key] = await login(self.gateway, self.people[key])
        return self.clients[key]

    async def fresh(self, key: str) -> httpx.AsyncClient:
        """A new session of `key` (for calls that end it, such as logging out)."""
        return await login(self.gateway, self.people[key])
