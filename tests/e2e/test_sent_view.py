"""The sender's side after signing, on the real platform: drafting's oficio follows the lifecycle
(`firmado`, then `enviado`), the sender sees each recipient's state (sin abrir → recibido at the
acuse's time → turnado) with the trajectory, others may not; and what waits on an official
(por revisar, por firmar, sin abrir) is counted for the start page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from signum.testing.kafka import eventually
from tests.e2e.conftest import World
from tests.routing.helpers import (
    name_of,
    new_draft,
    ok,
    sent_oficio,
    wait_item,
)

pytestmark = pytest.mark.stack


async def _sent(world: World, key: str, oficio_id: str) -> dict[str, Any]:
    client = await world.as_(key)
    return dict(ok(await client.get(f"/api/v1/oficios/{oficio_id}/seguimiento")))


async def test_the_sender_sees_the_oficio_sent_and_each_recipient_s_state(
    world: World, signing_pki: Any
) -> None:
    people = world.people
    oficio_id, final = await sent_oficio(
        world,
        signing_pki[0],
        "Calendario de mantenimiento de alumbrado",
        destinatarios=[{"tipo": "funcionario", "id": people["titular@B"].numero_empleado}],
        ccp=[{"tipo": "funcionario", "id": people["auditor@A"].numero_empleado}],
    )
    author = await world.as_("autor@A")

    # Drafting's oficio follows signing and routing: it ends `enviado`, no longer `listo_para_firma`.
    async def sent() -> dict[str, Any] | None:
        oficio = ok(await author.get(f"/api/v1/oficios/{oficio_id}"))
        return oficio if oficio["status"] == "enviado" else None

    oficio = await eventually(sent, within=60, interval=0.5)
    assert oficio["folio"] == final["folio"]
    refused = await author.post(f"/api/v1/oficios/{oficio_id}/finalizacion")
    assert refused.status_code == 409, refused.text

    # Enviados: the recipient has not opened it yet.
    item = await wait_item(world, "autor@A", oficio_id, carpeta="enviados")
    assert item["estado"] == "enviado"
    assert item["destinatarios"] == [{"estado": "enviado", "n": 1}]
    view = await _sent(world, "autor@A", oficio_id)
    by_reason = {d["motivo"]: d for d in view["destinatarios"]}
    assert set(by_reason) == {"destinatario", "copia"}
    recipient = by_reason["destinatario"]
    assert recipient["nombre"] == name_of(world.people["titular@B"])
    assert recipient["estado"] == "enviado"
    assert recipient["recibido_en"] is None
    assert view["oficio"]["documento"]["sha256"]
    assert "oficio.dispatched" in [e["tipo"] for e in view["eventos"]]

    # The recipient opens it (acuse de recibo) and turns it: the sender sees both, with the time.
    delivery = await wait_item(world, "titular@B", oficio_id)
    titular = await world.as_("titular@B")
    opened = ok(await titular.post(f"/api/v1/entregas/{delivery['entrega_id']}/acuse"))
    ok(
        await titular.post(
            f"/api/v1/entregas/{delivery['entrega_id']}/turnos",
            json={
                "destinatarios": [people["funcionario@B"].numero_empleado],
                "instruccion": "para_su_atencion",
                "dias_habiles": 3,
            },
        )
    )
    view = await _sent(world, "autor@A", oficio_id)
    recipient = next(d for d in view["destinatarios"] if d["motivo"] == "destinatario")
    assert recipient["estado"] == "turnado"
    assert datetime.fromisoformat(recipient["recibido_en"]) == datetime.fromisoformat(opened["recibido_en"])
    assert recipient["recibido_por"] == name_of(world.people["titular@B"])
    assert recipient["turnado_a"] == [name_of(world.people["funcionario@B"])]
    kinds = [e["tipo"] for e in view["eventos"]]
    assert kinds.index("delivery.acknowledged") < kinds.index("delivery.forwarded")

    async def summarized() -> dict[str, Any] | None:
        listed = await wait_item(world, "autor@A", oficio_id, carpeta="enviados")
        return listed if listed["destinatarios"] == [{"estado": "turnado", "n": 1}] else None

    await eventually(summarized, within=30, interval=0.5)

    # Not for the recipient's colleagues, nor for another office's official.
    for outsider in ("funcionario@B", "funcionario@A"):
        client = await world.as_(outsider)
        response = await client.get(f"/api/v1/oficios/{oficio_id}/seguimiento")
        assert response.status_code == 403, (outsider, response.text)
    # A titular of the sending unit and an auditor may follow it.
    for overseer in ("titular@A", "auditor@B"):
        assert (await _sent(world, overseer, oficio_id))["oficio"]["id"] == oficio_id


async def test_a_review_request_waits_in_por_revisar_and_is_counted(world: World) -> None:
    oficio_id = await new_draft(
        world, "autor@B", "Propuesta de horario de atención ciudadana", [("titular@B", "revisor")]
    )
    reviewer = await world.as_("titular@B")
    before = ok(await reviewer.get("/api/v1/bandeja/pendientes"))
    author = await world.as_("autor@B")
    ok(await author.post(f"/api/v1/oficios/{oficio_id}/revisiones", json={}))

    item = await wait_item(world, "titular@B", oficio_id, carpeta="por_revisar")
    assert item["leido"] is False
    assert item["asunto"] == "Propuesta de horario de atención ciudadana"

    async def counted() -> dict[str, Any] | None:
        now = ok(await reviewer.get("/api/v1/bandeja/pendientes"))
        return now if now["por_revisar"] == before["por_revisar"] + 1 else None

    await eventually(counted, within=30, interval=0.5)

    # The visto bueno takes it out of Por revisar (back among the drafts the reviewer takes part in).
    version = ok(await author.get(f"/api/v1/oficios/{oficio_id}"))["version"]
    ok(
        await reviewer.post(
            f"/api/v1/oficios/{oficio_id}/dictamenes", json={"resultado": "visto_bueno", "version": version}
        )
    )
    await wait_item(world, "titular@B", oficio_id, carpeta="borradores")
    now = ok(await reviewer.get("/api/v1/bandeja/pendientes"))
    assert now["por_revisar"] == before["por_revisar"]
    assert set(now) >= {"por_firmar", "recibidos_sin_abrir", "vencidos"}
