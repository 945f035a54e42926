"""Helpers of the routing tests: a three-level unit, and oficios drafted, reviewed and really signed
through the public API of the running platform."""

from __future__ import annotations

import base64
import unicodedata
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
from signum.testing.kafka import eventually
from signum.testing.people import PASSWORD, Person, World

# Unit C: titular -> subdirector -> analista (turnar two levels down), and its oficialía de partes.
HIERARCHY = (
    # key, employee number, puesto, title, reports to, titular, roles
    ("titular@C", "95001", "PRU-C-TIT", "Director de Pruebas C", "", True, ""),
    ("subdirector@C", "95002", "PRU-C-SUB", "Subdirector de Pruebas C", "PRU-C-TIT", False, ""),
    ("analista@C", "95003", "PRU-C-ANA", "Analista de Pruebas C", "PRU-C-SUB", False, ""),
    ("oficialia@C", "95004", "PRU-C-OFI", "Oficialía de Partes C", "PRU-C-TIT", False, "oficialia"),
)
_NAMES = {
    "titular@C": ("Mónica", "Garza", "Leal"),
    "subdirector@C": ("Ramiro", "Treviño", "Sada"),
    "analista@C": ("Sofía", "Cantú", "Rocha"),
    "oficialia@C": ("Tomás", "Elizondo", "Páez"),
}


async def seed_unit_c(env: dict[str, str], world: World) -> dict[str, Person]:
    """Import unit PRU-C (three levels) into the directory, with logins; add them to `world`."""
    if "titular@C" in world.people:
        return {k: world.people[k] for k, *_ in HIERARCHY}
    rows, people = [], {}
    for n, (key, numero, puesto, titulo, reporta, titular, roles) in enumerate(HIERARCHY):
        nombre, paterno, materno = _NAMES[key]
        born = date(1980 + n, 2 + n, 11 + n)
        person = Person(key, numero, nombre, paterno, materno, "PRU-C", key.split("@")[0], born)
        people[key] = person
        rows.append(
            {
                "dependencia_clave": "PRU",
                "dependencia_nombre": "Secretaría de Pruebas",
                "unidad_clave": "PRU-C",
                "unidad_nombre": "Dirección de Pruebas C",
                "unidad_padre": "",
                "prefijo_folio": "PRU/C",
                "puesto_clave": puesto,
                "puesto_titulo": titulo,
                "reporta_a": reporta,
                "es_titular": "sí" if titular else "no",
                "numero_empleado": numero,
                "nombre": nombre,
                "apellido_paterno": paterno,
                "apellido_materno": materno,
                "correo": person.correo,
                "rfc": rfc_for(nombre, paterno, materno, born, "C1"),
                "curp": curp_for(nombre, paterno, materno, born, "H", "NL"),
                "roles": roles,
            }
        )
    infra = InfraSettings(mongo_url=env["SIGNUM_MONGO_URL"], mongo_db_prefix=env["SIGNUM_MONGO_DB_PREFIX"])
    client = build_mongo_client(infra)
    db: Any = client[infra.database_name("gateway")]
    try:
        service = DirectoryService(DirectoryRepository(db))
        await service.import_csv(to_csv(rows), actor=Actor.system("tests"), correlation_id="seed-c")
        accounts = IdentityRepository(db)
        hashed = passwords.hash_password(PASSWORD)
        for person in people.values():
            await accounts.upsert_account(
                person.numero_empleado, person.correo, hashed, debe_cambiar=False, now=datetime.now(UTC)
            )
    finally:
        client.close()
    world.people.update(people)
    return people


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json()


def name_of(person: Person) -> str:
    return f"{person.nombre} {person.paterno} {person.materno}"


def content(
    world: World,
    author: str,
    signers: list[str],
    destinatarios: list[dict[str, Any]],
    ccp: list[dict[str, Any]] | None = None,
    cuerpo: str = "Solicito su apoyo para la revisión del programa anual de obra pública.",
) -> dict[str, Any]:
    autor = world.people[author]
    return {
        "remitente": {
            "nombre": name_of(autor),
            "cargo": "Coordinación de Pruebas",
            "dependencia": "Secretaría de Pruebas",
            "unidad": autor.unidad,
        },
        "destinatarios": destinatarios,
        "ccp": ccp or [],
        "cuerpo": {"blocks": [{"type": "paragraph", "children": [{"type": "text", "text": cuerpo}]}]},
        "firmantes": [
            {
                "funcionario_id": world.people[s].numero_empleado,
                "nombre": name_of(world.people[s]),
                "cargo": "Firmante de pruebas",
            }
            for s in signers
        ],
        "iniciales": "PRU/rt",
    }


def efirma(world: World, pki: Any, key: str) -> Any:
    """The person's own e.firma from the test PKI (the RFC and CURP the directory has for them)."""
    p = world.people[key]
    homoclave, sexo = ("C1", "H") if p.unidad == "PRU-C" else ("A1", "M")
    rfc = rfc_for(p.nombre, p.paterno, p.materno, p.born, homoclave)
    curp = curp_for(p.nombre, p.paterno, p.materno, p.born, sexo, "NL")
    sat = unicodedata.normalize("NFKD", name_of(p)).encode("ascii", "ignore").decode("ascii").upper()
    return pki.fiel_for(sat, rfc, curp)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def sign(world: World, oficio_id: str, signer: str, issued: Any) -> Any:
    client = await world.as_(signer)
    return ok(
        await client.post(
            f"/api/v1/oficios/{oficio_id}/firmas/credencial",
            json={"cer": _b64(issued.cer), "key": _b64(issued.key_file), "password": issued.password},
        )
    )


async def review_finalize_sign(
    world: World,
    oficio_id: str,
    author: str,
    reviewer: str | None,
    signers: list[tuple[str, Any]],
) -> dict[str, Any]:
    """Visto bueno (if a reviewer), finalization with a folio, and every signature in order."""
    client = await world.as_(author)
    oficio = f"/api/v1/oficios/{oficio_id}"
    if reviewer is not None:
        ok(await client.post(f"{oficio}/revisiones", json={}))
        version = ok(await client.get(oficio))["version"]
        revisor = await world.as_(reviewer)
        ok(await revisor.post(f"{oficio}/dictamenes", json={"resultado": "visto_bueno", "version": version}))
    final = ok(await client.post(f"{oficio}/finalizacion"))
    assert final["status"] == "listo_para_firma", final

    # Signing learns of the finalization through Kafka: retry the first signature until it knows.
    first_key, first_cred = signers[0]

    async def first() -> Any:
        c = await world.as_(first_key)
        r = await c.post(
            f"/api/v1/oficios/{oficio_id}/firmas/credencial",
            json={
                "cer": _b64(first_cred.cer),
                "key": _b64(first_cred.key_file),
                "password": first_cred.password,
            },
        )
        if r.status_code in (404, 409, 403):
            return None
        assert r.status_code == 200, r.text
        return r.json()

    await eventually(first, within=60, interval=0.5)
    for key, cred in signers[1:]:
        await sign(world, oficio_id, key, cred)
    return dict(final)


async def new_draft(
    world: World, author: str, asunto: str, collaborators: list[tuple[str, str]] | None = None
) -> str:
    client = await world.as_(author)
    body: dict[str, Any] = {"asunto": asunto}
    if collaborators:
        body["colaboradores"] = [
            {"funcionario_id": world.people[k].numero_empleado, "rol": rol} for k, rol in collaborators
        ]
    return str(ok(await client.post("/api/v1/oficios", json=body), 201)["id"])


async def sent_oficio(
    world: World,
    pki: Any,
    asunto: str,
    destinatarios: list[dict[str, Any]],
    ccp: list[dict[str, Any]] | None = None,
    *,
    author: str = "autor@A",
) -> tuple[str, dict[str, Any]]:
    """An oficio the author drafted, finalized and signed alone, on its way to its recipients:
    its id and the finalization (with the folio)."""
    oficio_id = await new_draft(world, author, asunto)
    await save_content(world, author, oficio_id, content(world, author, [author], destinatarios, ccp))
    final = await review_finalize_sign(world, oficio_id, author, None, [(author, efirma(world, pki, author))])
    return oficio_id, final


async def save_content(world: World, author: str, oficio_id: str, body: dict[str, Any]) -> None:
    client = await world.as_(author)

    async def saved() -> bool:
        version = ok(await client.get(f"/api/v1/oficios/{oficio_id}"))["version"]
        r = await client.patch(f"/api/v1/oficios/{oficio_id}", json={"version": version, "contenido": body})
        if r.status_code == 422 and r.json()["code"] == "recipient_not_in_directory":
            return False  # drafting has not heard of a freshly seeded official yet (Kafka)
        if r.status_code == 409:
            return False  # a stale read of the version (FerretDB snapshot)
        ok(r)
        return True

    await eventually(saved, within=60, interval=1.0)


async def inbox(world: World, key: str, carpeta: str = "recibidos", **params: Any) -> dict[str, Any]:
    client = await world.as_(key)
    return dict(ok(await client.get("/api/v1/bandeja", params={"carpeta": carpeta, **params})))


async def wait_item(
    world: World, key: str, oficio_id: str, carpeta: str = "recibidos", within: float = 60, **params: Any
) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        page = await inbox(world, key, carpeta, **params)
        return next((i for i in page["elementos"] if i["oficio_id"] == oficio_id), None)

    item: dict[str, Any] = await eventually(found, within=within, interval=0.5)
    return item
