"""Mail to an office reaches the nearest oficialía de partes up the unit tree, on the Monterrey demo
directory loaded as `make up` loads it (`load_demo`, the directory's CSV import).

In the demo, the Secretaría del Ayuntamiento's office SAY has no oficialía role holder of its own;
its subunit SAY-OP «Oficialía de Partes» has (claudia.garza@monterrey.gob.mx). Sent to SAY and to
SAY-DJ (a unit below SAY), both reach Claudia's office mailbox and she reads the oficio and its
signed PDF. The Tesorería keeps its oficialía in its own unit TES (brenda's position, TES-OP-01):
sent to TES-DI, below TES, it goes there.
"""

from __future__ import annotations

import base64
import csv
import unicodedata
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from signum.gateway.directory.demo import DEMO_CSV, load_demo
from signum.gateway.directory.repository import DirectoryRepository
from signum.gateway.directory.service import DirectoryService
from signum.gateway.identity import passwords
from signum.gateway.identity.repository import IdentityRepository
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings
from signum.testing.kafka import eventually
from signum.testing.people import PASSWORD, World, wait_for_read_models
from tests.routing.helpers import ok

pytestmark = pytest.mark.stack

SENDER = "10002"  # Jorge Alberto Treviño Garza, titular of SIGA-DGTI
CLAUDIA = "10104"  # oficialía de partes, SAY-OP
BRENDA = "10206"  # oficialía de partes of the Tesorería, in TES itself
OUTSIDER = "10103"  # Ana Laura Ibarra, SAY-DJ: of the receiving dependencia, received nothing


def _demo_rows() -> dict[str, dict[str, str]]:
    with DEMO_CSV.open(encoding="utf-8") as f:
        return {row["numero_empleado"]: row for row in csv.DictReader(f) if row["numero_empleado"]}


async def _load_demo(env: dict[str, str], logins: list[str]) -> dict[str, dict[str, str]]:
    """The demo directory into this run's gateway, as `make up` does, and logins for `logins`."""
    rows = _demo_rows()
    infra = InfraSettings(mongo_url=env["SIGNUM_MONGO_URL"], mongo_db_prefix=env["SIGNUM_MONGO_DB_PREFIX"])
    client = build_mongo_client(infra)
    db: Any = client[infra.database_name("gateway")]
    try:
        await load_demo(DirectoryService(DirectoryRepository(db)))
        accounts = IdentityRepository(db)
        hashed = passwords.hash_password(PASSWORD)
        for numero in logins:
            await accounts.upsert_account(
                numero, rows[numero]["correo"], hashed, debe_cambiar=False, now=datetime.now(UTC)
            )
        await wait_for_read_models(client, infra, list(rows))
    finally:
        client.close()
    return rows


async def _login(gateway: str, correo: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=gateway, timeout=15)
    r = await client.post("/api/v1/auth/login", json={"usuario": correo, "contrasena": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def _nombre(row: dict[str, str]) -> str:
    return f"{row['nombre']} {row['apellido_paterno']} {row['apellido_materno']}"


async def _mailbox(client: httpx.AsyncClient, oficio_id: str, count: int) -> list[dict[str, Any]]:
    async def arrived() -> list[dict[str, Any]] | None:
        page = ok(await client.get("/api/v1/bandeja", params={"buzon": "oficialia", "limite": 100}))
        found = [i for i in page["elementos"] if i["oficio_id"] == oficio_id]
        return found if len(found) >= count else None

    found: list[dict[str, Any]] = await eventually(arrived, within=60, interval=0.5)
    return found


async def test_mail_to_an_office_reaches_the_nearest_oficialia_up_the_unit_tree(
    world: World, stack_env: dict[str, str], signing_pki: Any
) -> None:
    rows = await _load_demo(stack_env, [SENDER, CLAUDIA, BRENDA, OUTSIDER])
    sender_row = rows[SENDER]
    sender = await _login(world.gateway, sender_row["correo"])
    claudia = await _login(world.gateway, rows[CLAUDIA]["correo"])
    brenda = await _login(world.gateway, rows[BRENDA]["correo"])
    outsider = await _login(world.gateway, rows[OUTSIDER]["correo"])
    try:
        created = ok(await sender.post("/api/v1/oficios", json={"asunto": "Solicitud de dictamen"}), 201)
        oficio_id = created["id"]
        contenido = {
            "remitente": {
                "nombre": _nombre(sender_row),
                "cargo": sender_row["puesto_titulo"],
                "dependencia": sender_row["dependencia_nombre"],
                "unidad": sender_row["unidad_clave"],
            },
            "destinatarios": [
                {"tipo": "unidad", "id": "SAY"},
                {"tipo": "unidad", "id": "SAY-DJ"},
                {"tipo": "unidad", "id": "TES-DI"},
            ],
            "ccp": [],
            "cuerpo": {
                "blocks": [
                    {"type": "paragraph", "children": [{"type": "text", "text": "Solicito su dictamen."}]}
                ]
            },
            "firmantes": [
                {"funcionario_id": SENDER, "nombre": _nombre(sender_row), "cargo": "Director General"}
            ],
            "iniciales": "JATG/rt",
        }

        async def saved() -> bool:
            version = ok(await sender.get(f"/api/v1/oficios/{oficio_id}"))["version"]
            r = await sender.patch(
                f"/api/v1/oficios/{oficio_id}", json={"version": version, "contenido": contenido}
            )
            return r.status_code == 200

        await eventually(saved, within=60, interval=1.0)
        ok(await sender.post(f"/api/v1/oficios/{oficio_id}/finalizacion"))

        sat = unicodedata.normalize("NFKD", _nombre(sender_row)).encode("ascii", "ignore").decode().upper()
        fiel = signing_pki[0].fiel_for(sat, sender_row["rfc"], sender_row["curp"])

        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode("ascii")

        async def signed() -> bool:
            r = await sender.post(
                f"/api/v1/oficios/{oficio_id}/firmas/credencial",
                json={"cer": b64(fiel.cer), "key": b64(fiel.key_file), "password": fiel.password},
            )
            if r.status_code in (403, 404, 409):
                return False  # signing has not consumed oficio.finalized yet
            ok(r)
            return True

        await eventually(signed, within=60, interval=0.5)

        # SAY and SAY-DJ: both in the mailbox of SAY-OP's oficialía, read by Claudia.
        mine = await _mailbox(claudia, oficio_id, 2)
        assert {i["motivo"] for i in mine} == {"oficialia"}
        entrega = ok(await claudia.post(f"/api/v1/entregas/{mine[0]['entrega_id']}/acuse"))
        assert entrega["estado"] == "recibido"  # she received it: the acuse de recibo is hers

        async def reads() -> bool:
            return (await claudia.get(f"/api/v1/oficios/{oficio_id}")).status_code == 200

        await eventually(reads, within=30, interval=0.5)
        digest = entrega["oficio"]["documento"]["sha256"]
        pdf = await claudia.get(
            f"/api/v1/oficios/{oficio_id}/documentos/sha256/{digest}/descarga", follow_redirects=False
        )
        assert pdf.status_code == 302, pdf.text

        # TES-DI: the Tesorería's oficialía sits in TES itself.
        theirs = await _mailbox(brenda, oficio_id, 1)
        assert len(theirs) == 1
        assert len(await _mailbox(claudia, oficio_id, 2)) == 2  # not one more for Claudia

        # Someone of the receiving dependencia who received nothing reads nothing.
        refused = await outsider.get(f"/api/v1/oficios/{oficio_id}")
        assert refused.status_code == 403, refused.text
        assert refused.json()["message"] == "No tiene permiso para realizar esta acción."
    finally:
        for c in (sender, claudia, brenda, outsider):
            await c.aclose()
