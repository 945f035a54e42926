"""Routing end to end on the real platform: draft → visto bueno → two signatures → sent to two
offices and one C.c.p. (and an external recipient by email) → acuse de recibo → turnar two levels
down → answer → closed; every step on the oficio's timeline, in order."""

from __future__ import annotations

from typing import Any

import pytest

from signum.testing.kafka import eventually
from tests.e2e.conftest import World
from tests.routing.helpers import (
    content,
    efirma,
    new_draft,
    ok,
    review_finalize_sign,
    save_content,
    seed_unit_c,
    wait_item,
)

pytestmark = pytest.mark.stack


def _subsequence(expected: list[str], actual: list[str]) -> bool:
    it = iter(actual)
    return all(any(a == e for a in it) for e in expected)


async def test_send_acuse_turnar_answer_close_on_the_timeline(
    world: World, stack_env: dict[str, str], signing_pki: Any, smtp_sink: Any
) -> None:
    pki = signing_pki[0]
    people = world.people
    unit_c = await seed_unit_c(stack_env, world)

    # --- draft, visto bueno, two signers -------------------------------------------------------
    oficio_id = await new_draft(
        world, "autor@A", "Programa anual de obra pública 2027", [("funcionario@A", "revisor")]
    )
    await eventually(lambda: _known(world, unit_c["titular@C"].numero_empleado), within=60, interval=0.5)
    await save_content(
        world,
        "autor@A",
        oficio_id,
        content(
            world,
            "autor@A",
            ["autor@A", "titular@A"],
            destinatarios=[
                {"tipo": "unidad", "id": "PRU-B"},
                {"tipo": "unidad", "id": "PRU-C"},
                {
                    "tipo": "externo",
                    "nombre": "Ing. Laura Méndez",
                    "organizacion": "Colegio de Ingenieros Civiles de Nuevo León",
                    "correo": "laura.mendez@colegio.example.mx",
                },
            ],
            ccp=[{"tipo": "funcionario", "id": people["auditor@A"].numero_empleado}],
        ),
    )
    final = await review_finalize_sign(
        world,
        oficio_id,
        "autor@A",
        "funcionario@A",
        [("autor@A", efirma(world, pki, "autor@A")), ("titular@A", efirma(world, pki, "titular@A"))],
    )
    folio = final["folio"]

    # --- sent: two offices (titular + oficialía each) and one C.c.p. --------------------------
    titular_b = await wait_item(world, "titular@B", oficio_id)
    titular_c = await wait_item(world, "titular@C", oficio_id)
    assert titular_b["folio"] == folio
    assert titular_b["estado"] == "enviado"
    assert titular_b["leido"] is False
    assert titular_b["asunto"] == "Programa anual de obra pública 2027"
    assert titular_b["remitente_unidad"] == "PRU-A"
    copia = await wait_item(world, "auditor@A", oficio_id, carpeta="copias")
    assert copia["motivo"] == "copia"
    mailbox_b = await wait_item(world, "oficialia@B", oficio_id, buzon="oficialia")
    assert mailbox_b["motivo"] == "oficialia"
    await wait_item(world, "autor@A", oficio_id, carpeta="enviados")
    titular_client = await world.as_("titular@C")
    unread = ok(await titular_client.get("/api/v1/bandeja/no-leidos"))
    assert unread["recibidos"] >= 1

    # Search by folio and by a word of the asunto without its accent; a filter that excludes it.
    by_folio = ok(await titular_client.get("/api/v1/bandeja", params={"q": folio}))
    assert [i["oficio_id"] for i in by_folio["elementos"]] == [oficio_id]
    by_word = ok(await titular_client.get("/api/v1/bandeja", params={"q": "PUBLICA"}))
    assert oficio_id in [i["oficio_id"] for i in by_word["elementos"]]
    urgent = ok(await titular_client.get("/api/v1/bandeja", params={"prioridad": "urgente"}))
    assert oficio_id not in [i["oficio_id"] for i in urgent["elementos"]]

    # The external recipient got the signed PDF and the verification link by email.
    async def mailed() -> Any:
        found = [m for m in smtp_sink.messages() if folio in str(m["Subject"])]
        return found[0] if found else None

    message = await eventually(mailed, within=30, interval=0.5)
    assert message["To"] == "laura.mendez@colegio.example.mx"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"/verificar/{oficio_id}" in body
    attachment = next(iter(message.iter_attachments()))
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")

    # --- acuse de recibo: reading changes nothing; the POST records it; the sealed acuse follows --
    entrega_c = titular_c["entrega_id"]
    read = ok(await titular_client.get(f"/api/v1/entregas/{entrega_c}"))
    assert read["estado"] == "enviado"
    assert read["recibido_en"] is None
    assert read["puede_acusar"]
    opened = ok(await titular_client.post(f"/api/v1/entregas/{entrega_c}/acuse", json={"forma": "apertura"}))
    assert opened["estado"] == "recibido"
    assert opened["recibido_en"]
    assert opened["recibido_por"] == unit_c["titular@C"].numero_empleado

    async def sealed() -> Any:
        d = ok(await titular_client.get(f"/api/v1/entregas/{entrega_c}"))
        return d["acuse"] if d.get("acuse") and d["acuse"].get("clave") else None

    acuse = await eventually(sealed, within=60, interval=1.0)
    assert len(acuse["sha256"]) == 64
    assert acuse["url_verificacion"]

    # Someone else may not act on it; a copy cannot be turned.
    outsider = await world.as_("funcionario@B")
    refused = await outsider.post(f"/api/v1/entregas/{entrega_c}/acuse")
    assert refused.status_code == 404, refused.text
    auditor = await world.as_("auditor@A")
    copy_turn = await auditor.post(
        f"/api/v1/entregas/{copia['entrega_id']}/turnos",
        json={"destinatarios": [people["funcionario@A"].numero_empleado], "instruccion": "para_su_atencion"},
    )
    assert (copy_turn.status_code, copy_turn.json()["code"]) == (409, "copy_not_actionable")

    # --- turnar two levels down ----------------------------------------------------------------
    sub_id = unit_c["subdirector@C"].numero_empleado
    ana_id = unit_c["analista@C"].numero_empleado
    not_mine = await titular_client.post(
        f"/api/v1/entregas/{entrega_c}/turnos",
        json={"destinatarios": [people["titular@B"].numero_empleado], "instruccion": "para_su_atencion"},
    )
    assert (not_mine.status_code, not_mine.json()["code"]) == (422, "not_a_subordinate")
    bad_instruction = await titular_client.post(
        f"/api/v1/entregas/{entrega_c}/turnos", json={"destinatarios": [sub_id], "instruccion": "hazlo"}
    )
    assert bad_instruction.status_code == 422
    ok(
        await titular_client.post(
            f"/api/v1/entregas/{entrega_c}/turnos",
            json={
                "destinatarios": [sub_id],
                "instruccion": "para_tramite_procedente",
                "nota": "Revisar con el área jurídica.",
                "dias_habiles": 5,
            },
        )
    )
    turno_sub = await wait_item(world, "subdirector@C", oficio_id, carpeta="turnados")
    assert turno_sub["instruccion"] == "para_tramite_procedente"
    assert turno_sub["fecha_limite"]
    sub_client = await world.as_("subdirector@C")
    ok(
        await sub_client.post(
            f"/api/v1/entregas/{turno_sub['entrega_id']}/turnos",
            json={
                "destinatarios": [ana_id],
                "instruccion": "para_su_respuesta",
                "nota": "Proyecte respuesta.",
            },
        )
    )
    turno_ana = await wait_item(world, "analista@C", oficio_id, carpeta="turnados")
    tree = ok(await titular_client.get(f"/api/v1/entregas/{entrega_c}/turnos"))
    assert tree["estado"] == "turnado"
    assert [t["funcionario_id"] for t in tree["turnos"]] == [sub_id]
    assert [t["funcionario_id"] for t in tree["turnos"][0]["turnos"]] == [ana_id]
    assert tree["turnos"][0]["turnos"][0]["instruccion_texto"] == "Para su respuesta"

    # --- answer: a new oficio linked to this one, signed by the titular of C ----------------------
    ana_client = await world.as_("analista@C")
    answer = ok(await ana_client.post(f"/api/v1/entregas/{turno_ana['entrega_id']}/respuesta", json={}), 201)
    assert answer["en_respuesta_a"] == oficio_id
    # The reference carries the answered oficio's date, so the answer prints "del <fecha>".
    referencia = answer["contenido"]["referencia"]
    assert referencia["oficio_id"] == oficio_id
    assert referencia["fecha"] is not None
    ok(
        await ana_client.patch(
            f"/api/v1/oficios/{answer['id']}",
            json={
                "version": answer["version"],
                "colaboradores": [{"funcionario_id": unit_c["titular@C"].numero_empleado, "rol": "editor"}],
            },
        )
    )
    await save_content(
        world,
        "analista@C",
        answer["id"],
        content(
            world,
            "analista@C",
            ["titular@C"],
            destinatarios=[{"tipo": "funcionario", "id": people["autor@A"].numero_empleado}],
            cuerpo="Se remite la opinión solicitada sobre el programa anual de obra pública.",
        ),
    )
    await review_finalize_sign(
        world, answer["id"], "analista@C", None, [("titular@C", efirma(world, pki, "titular@C"))]
    )

    async def answered() -> Any:
        d = ok(await titular_client.get(f"/api/v1/entregas/{entrega_c}"))
        return d if d["estado"] == "respondido" else None

    done = await eventually(answered, within=60, interval=1.0)
    assert done["respuesta"]["oficio_id"] == answer["id"]
    await wait_item(world, "autor@A", answer["id"])  # the answer reached the one who asked

    # --- the other office concludes without an oficio (a reason is required), then archives ------
    b_client = await world.as_("titular@B")
    entrega_b = titular_b["entrega_id"]
    no_reason = await b_client.post(f"/api/v1/entregas/{entrega_b}/conclusion", json={"motivo": " "})
    assert no_reason.status_code == 422, no_reason.text
    closed = ok(
        await b_client.post(
            f"/api/v1/entregas/{entrega_b}/conclusion", json={"motivo": "Tomado en cuenta; sin comentarios."}
        )
    )
    assert closed["estado"] == "concluido"
    ok(await b_client.post(f"/api/v1/entregas/{entrega_b}/archivo"))
    await wait_item(world, "titular@B", oficio_id, carpeta="archivados")

    # --- the timeline, in order ------------------------------------------------------------------
    author = await world.as_("autor@A")
    expected = [
        "oficio.created",
        "oficio.review_requested",
        "oficio.reviewed",
        "oficio.finalized",
        "signature.added",
        "signature.added",
        "oficio.signed",
        "oficio.dispatched",
        "delivery.created",
        "delivery.acknowledged",
        "delivery.forwarded",
        "delivery.forwarded",
        "oficio.answered",
        "delivery.closed",
    ]

    async def complete() -> Any:
        body = ok(await author.get(f"/api/v1/oficios/{oficio_id}/linea-de-tiempo"))
        types = [e["tipo"] for e in body["eventos"]]
        return (
            body["eventos"] if _subsequence(expected, types) and types.count("delivery.closed") >= 5 else None
        )

    events = await eventually(complete, within=60, interval=1.0)
    by_type = {e["tipo"]: e for e in events}
    assert by_type["delivery.acknowledged"]["quien"]["id"] == unit_c["titular@C"].numero_empleado
    assert by_type["delivery.forwarded"]["quien"]["id"] in (unit_c["titular@C"].numero_empleado, sub_id)
    # The steps, as the timeline lists them, happened in that order (other events, e.g. a stored
    # object of another topic, may sit between them).
    steps, wanted = [], iter(expected)
    step = next(wanted)
    for e in events:
        if e["tipo"] == step:
            steps.append(e["cuando"])
            step = next(wanted, None)
            if step is None:
                break
    assert len(steps) == len(expected)
    assert steps == sorted(steps)


async def _known(world: World, funcionario_id: str) -> bool:
    """Unit C reached the gateway's directory (seeded from this test)."""
    client = await world.as_("titular@A")
    return (await client.get(f"/api/v1/directorio/funcionarios/{funcionario_id}")).status_code == 200
