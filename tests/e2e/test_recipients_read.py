"""Recipients read what they receive, and nothing more, on the real platform.

A confidential oficio (so neither a titular nor an auditor reads it by their role) goes from unit A
to the office PRU-B (its titular and its oficialía de partes' mailbox) with a C.c.p.; the titular
turns it; a suplente stands in for the titular; the titular answers and the answer comes back to
the sender. Each of them reads the oficio, its signed PDF, its anexo and its acuse de recibo
(drafting, storage and routing learn the readers from routing's delivery events); officials who
received nothing, of the same unit and of another, get 403 on all of it, and a reader cannot edit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import httpx
import pytest

from signum.testing.kafka import eventually
from tests.e2e.conftest import World
from tests.e2e.test_documents import PDF
from tests.routing.helpers import (
    content,
    efirma,
    new_draft,
    ok,
    review_finalize_sign,
    save_content,
    wait_item,
)

pytestmark = pytest.mark.stack

FORBIDDEN = "No tiene permiso para realizar esta acción."


async def _attach(world: World, key: str, oficio_id: str, nombre: str) -> str:
    """Upload an anexo (once storage knows the oficio); its SHA-256."""
    client = await world.as_(key)
    data = PDF.replace(b"startxref", f"% {nombre}\nstartxref".encode())  # after the xref: offsets hold

    async def uploaded() -> Any:
        r = await client.post(
            f"/api/v1/oficios/{oficio_id}/anexos",
            params={"nombre": nombre},
            content=data,
            headers={"content-type": "application/pdf"},
        )
        if r.status_code == 404:
            return None  # storage has not consumed oficio.created yet
        return ok(r, 201)

    await eventually(uploaded, within=30, interval=0.5)
    return hashlib.sha256(data).hexdigest()


async def _reads(client: httpx.AsyncClient, oficio_id: str, digests: dict[str, str]) -> dict[str, int]:
    """The status of each read: the oficio, its timeline, and each document's download."""
    found = {
        "oficio": (await client.get(f"/api/v1/oficios/{oficio_id}")).status_code,
        "linea_de_tiempo": (await client.get(f"/api/v1/oficios/{oficio_id}/linea-de-tiempo")).status_code,
    }
    for what, digest in digests.items():
        r = await client.get(
            f"/api/v1/oficios/{oficio_id}/documentos/sha256/{digest}/descarga", follow_redirects=False
        )
        found[what] = r.status_code
    return found


def _all_read(statuses: dict[str, int]) -> bool:
    """The oficio and its documents; not its bitácora (every event whole, every office's turnos: the
    sender's side and auditors), which a recipient follows as its trajectory in the inbox."""
    expected = {"oficio": 200, "linea_de_tiempo": 403}
    return all(code == expected.get(what, 302) for what, code in statuses.items())


async def _eventually_reads(world: World, key: str, oficio_id: str, digests: dict[str, str]) -> None:
    """The reader reads everything once the services consumed the delivery events."""
    client = await world.as_(key)
    last: dict[str, int] = {}

    async def reads() -> bool:
        last.update(await _reads(client, oficio_id, digests))
        return _all_read(last)

    try:
        await eventually(reads, within=30, interval=0.5)
    except AssertionError as exc:  # report what was refused
        raise AssertionError(f"{key} cannot read {oficio_id}: {last}") from exc
    # And the bytes behind the signed PDF's link are the signed PDF.
    r = await client.get(
        f"/api/v1/oficios/{oficio_id}/documentos/sha256/{digests['pdf_firmado']}/descarga",
        follow_redirects=False,
    )
    async with httpx.AsyncClient() as s3:
        fetched = await s3.get(r.headers["location"])
    assert hashlib.sha256(fetched.content).hexdigest() == digests["pdf_firmado"]


async def _refused_everything(world: World, key: str, oficio_id: str, digests: dict[str, str]) -> None:
    client = await world.as_(key)
    statuses = await _reads(client, oficio_id, digests)
    assert set(statuses.values()) == {403}, (key, statuses)
    refused = await client.get(f"/api/v1/oficios/{oficio_id}")
    assert refused.json()["message"] == FORBIDDEN


async def _acuse(world: World, key: str, entrega_id: str) -> str:
    """Acknowledge the delivery (records the receipt); the sealed acuse's SHA-256 once signing issued it."""
    client = await world.as_(key)
    ok(await client.post(f"/api/v1/entregas/{entrega_id}/acuse"))

    async def sealed() -> Any:
        d = ok(await client.get(f"/api/v1/entregas/{entrega_id}"))
        return d["acuse"]["sha256"] if d.get("acuse") and d["acuse"].get("sha256") else None

    return str(await eventually(sealed, within=90, interval=1.0))


async def test_every_kind_of_recipient_reads_the_oficio_its_pdf_anexo_and_acuse_and_no_one_else(
    world: World, signing_pki: Any
) -> None:
    pki = signing_pki[0]
    people = world.people
    admin = await world.as_("administrador@A")

    # --- a confidential oficio from A to the office PRU-B, C.c.p. to oficialia@A, with an anexo ------
    created = await (await world.as_("autor@A")).post(
        "/api/v1/oficios",
        json={"asunto": "Expediente reservado de obra pública", "confidencialidad": "confidencial"},
    )
    oficio_id = ok(created, 201)["id"]
    await save_content(
        world,
        "autor@A",
        oficio_id,
        content(
            world,
            "autor@A",
            ["autor@A"],
            destinatarios=[{"tipo": "unidad", "id": "PRU-B"}],
            ccp=[{"tipo": "funcionario", "id": people["oficialia@A"].numero_empleado}],
        ),
    )
    anexo = await _attach(world, "autor@A", oficio_id, "anexo-reservado.pdf")
    await review_finalize_sign(
        world, oficio_id, "autor@A", None, [("autor@A", efirma(world, pki, "autor@A"))]
    )

    titular = await wait_item(world, "titular@B", oficio_id)
    await wait_item(world, "oficialia@B", oficio_id, buzon="oficialia")
    await wait_item(world, "oficialia@A", oficio_id, carpeta="copias")
    entrega = ok(await (await world.as_("titular@B")).get(f"/api/v1/entregas/{titular['entrega_id']}"))
    digests = {
        "pdf_firmado": entrega["oficio"]["documento"]["sha256"],
        "anexo": anexo,
        "acuse": await _acuse(world, "titular@B", titular["entrega_id"]),
    }

    # --- turned to a subordinate -------------------------------------------------------------------
    ok(
        await (await world.as_("titular@B")).post(
            f"/api/v1/entregas/{titular['entrega_id']}/turnos",
            json={
                "destinatarios": [people["auditor@B"].numero_empleado],
                "instruccion": "para_su_atencion",
            },
        )
    )
    await wait_item(world, "auditor@B", oficio_id, carpeta="turnados")

    for reader in ("titular@B", "oficialia@B", "oficialia@A", "auditor@B"):
        await _eventually_reads(world, reader, oficio_id, digests)

    # Reading is all a recipient gets: no editing, no comments, no anexos of their own.
    reader = await world.as_("titular@B")
    version = ok(await reader.get(f"/api/v1/oficios/{oficio_id}"))["version"]
    edit = await reader.patch(f"/api/v1/oficios/{oficio_id}", json={"version": version, "asunto": "Cambiado"})
    comment = await reader.post(
        f"/api/v1/oficios/{oficio_id}/comentarios", json={"texto": "Visto.", "ancla": {"bloque": "asunto"}}
    )
    assert (edit.status_code, comment.status_code) == (403, 403), (edit.text, comment.text)
    # Nor the draft's internal history (its versions, review comments, differences): what was sent.
    for path in ("versiones", "comentarios", "diferencias?desde=1&hasta=2"):
        history = await reader.get(f"/api/v1/oficios/{oficio_id}/{path}")
        assert history.status_code == 403, (path, history.text)

    # Neither someone of the receiving unit nor of another unit who received nothing.
    for outsider in ("funcionario@B", "administrador@B", "funcionario@A", "titular@A", "auditor@A"):
        await _refused_everything(world, outsider, oficio_id, digests)

    # --- a suplente standing in for the titular reads what the titular received ----------------------
    today = dt.date.today()
    suplencia = ok(
        await admin.post(
            "/api/v1/directorio/suplencias",
            json={
                "puesto_id": "PRU-B-FUNCIONARIO",
                "suplente_id": people["administrador@B"].numero_empleado,
                "desde": today.isoformat(),
                "hasta": (today + dt.timedelta(days=1)).isoformat(),
                "motivo": "Vacaciones",
            },
        ),
        201,
    )
    try:
        # funcionario@B received nothing of the first oficio, so neither does who stands in for them;
        # of a second one, copied to funcionario@B (in person, not to the position), both read it.
        second = await new_draft(world, "autor@A", "Copia para quien está de vacaciones")
        await save_content(
            world,
            "autor@A",
            second,
            content(
                world,
                "autor@A",
                ["autor@A"],
                destinatarios=[{"tipo": "funcionario", "id": people["titular@B"].numero_empleado}],
                ccp=[{"tipo": "funcionario", "id": people["funcionario@B"].numero_empleado}],
            ),
        )
        second_anexo = await _attach(world, "autor@A", second, "anexo-copia.pdf")
        await review_finalize_sign(
            world, second, "autor@A", None, [("autor@A", efirma(world, pki, "autor@A"))]
        )
        await wait_item(world, "funcionario@B", second, carpeta="copias")
        received = await wait_item(world, "titular@B", second)
        second_view = ok(
            await (await world.as_("titular@B")).get(f"/api/v1/entregas/{received['entrega_id']}")
        )
        second_digests = {
            "pdf_firmado": second_view["oficio"]["documento"]["sha256"],
            "anexo": second_anexo,
            "acuse": await _acuse(world, "titular@B", received["entrega_id"]),
        }
        await _eventually_reads(world, "administrador@B", second, second_digests)
        await _eventually_reads(world, "funcionario@B", second, second_digests)  # the absent holder
        await _refused_everything(world, "funcionario@B", oficio_id, digests)  # still not the first
        await _refused_everything(world, "administrador@B", oficio_id, digests)
    finally:
        ok(await admin.delete(f"/api/v1/directorio/suplencias/{suplencia['id']}"))
    # The suplencia ended: at once, the former suplente reads nothing of what the holder received.
    await _refused_everything(world, "administrador@B", second, second_digests)

    # --- the answer comes back to the sender, who reads it ----------------------------------------------
    answerer = await world.as_("titular@B")
    answer = ok(await answerer.post(f"/api/v1/entregas/{titular['entrega_id']}/respuesta", json={}), 201)
    await save_content(
        world,
        "titular@B",
        answer["id"],
        content(
            world,
            "titular@B",
            ["titular@B"],
            destinatarios=[{"tipo": "funcionario", "id": people["autor@A"].numero_empleado}],
            cuerpo="Se da respuesta al expediente.",
        ),
    )
    answer_anexo = await _attach(world, "titular@B", answer["id"], "anexo-respuesta.pdf")
    await review_finalize_sign(
        world, answer["id"], "titular@B", None, [("titular@B", efirma(world, pki, "titular@B"))]
    )
    back = await wait_item(world, "autor@A", answer["id"])
    back_view = ok(await (await world.as_("autor@A")).get(f"/api/v1/entregas/{back['entrega_id']}"))
    answer_digests = {
        "pdf_firmado": back_view["oficio"]["documento"]["sha256"],
        "anexo": answer_anexo,
        "acuse": await _acuse(world, "autor@A", back["entrega_id"]),
    }
    await _eventually_reads(world, "autor@A", answer["id"], answer_digests)
    await _refused_everything(world, "administrador@A", answer["id"], answer_digests)
    await _refused_everything(world, "funcionario@B", answer["id"], answer_digests)
