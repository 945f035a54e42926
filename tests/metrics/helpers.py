"""Helpers of the metrics stack tests: a titular of another dependencia."""

from __future__ import annotations

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
from signum.testing.people import PASSWORD, Person, World

OTHER = "titular@X"


async def seed_other_dependencia(env: dict[str, str], world: World) -> Person:
    """The titular of unit OTR-X of another dependencia (OTR), with a login; added to `world`."""
    if OTHER in world.people:
        return world.people[OTHER]
    born = date(1979, 4, 21)
    person = Person(OTHER, "96001", "Rosa", "Ibarra", "Garza", "OTR-X", "titular", born)
    row = {
        "dependencia_clave": "OTR",
        "dependencia_nombre": "Secretaría de Otras Pruebas",
        "unidad_clave": "OTR-X",
        "unidad_nombre": "Dirección de Otras Pruebas",
        "unidad_padre": "",
        "prefijo_folio": "OTR/X",
        "puesto_clave": "OTR-X-TIT",
        "puesto_titulo": "Directora de Otras Pruebas",
        "reporta_a": "",
        "es_titular": "sí",
        "numero_empleado": person.numero_empleado,
        "nombre": person.nombre,
        "apellido_paterno": person.paterno,
        "apellido_materno": person.materno,
        "correo": person.correo,
        "rfc": rfc_for(person.nombre, person.paterno, person.materno, born, "X1"),
        "curp": curp_for(person.nombre, person.paterno, person.materno, born, "M", "NL"),
        "roles": "",
    }
    infra = InfraSettings(mongo_url=env["SIGNUM_MONGO_URL"], mongo_db_prefix=env["SIGNUM_MONGO_DB_PREFIX"])
    client = build_mongo_client(infra)
    db: Any = client[infra.database_name("gateway")]
    try:
        service = DirectoryService(DirectoryRepository(db))
        await service.import_csv(to_csv([row]), actor=Actor.system("tests"), correlation_id="seed-otr")
        hashed = passwords.hash_password(PASSWORD)
        await IdentityRepository(db).upsert_account(
            person.numero_empleado, person.correo, hashed, debe_cambiar=False, now=datetime.now(UTC)
        )
    finally:
        client.close()
    world.people[OTHER] = person
    return person
