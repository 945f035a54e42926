"""Routing's use cases on the real MongoDB server: deliveries, inboxes, acuse, turnar, answers, deadlines."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from signum.contracts.directory import FuncionarioPayload, PuestoPayload, UnidadPayload
from signum.contracts.drafting import Addressee, StoredObject
from signum.platform.errors import ForbiddenError, SignumError
from signum.platform.event_descriptions import EVENT_DESCRIPTIONS
from signum.routing.domain import office_mailbox
from signum.routing.service import RoutingService
from tests.routing.support import (
    PEOPLE,
    FakeSigning,
    acuse_sealed,
    add_suplencia,
    created,
    finalized,
    new_id,
    official,
    renewed,
    signed,
)

pytestmark = pytest.mark.stack

SECRETARIA = official("90001", "SEC")
EGR_TITULAR = official("70001")
EGR_SUB = official("70002")
EGR_ANALISTA = official("70003")
EGR_OFICIALIA = official("70004", roles=frozenset({"oficialia"}))
ING_TITULAR = official("80001", "ING")
ING_ANALISTA = official("80002", "ING")


async def send(service: RoutingService, destinatarios: list[str], **kwargs: Any) -> str:
    oficio_id = new_id()
    await service.on_drafting_event(created(oficio_id))
    await service.on_drafting_event(finalized(oficio_id, destinatarios, **kwargs))
    await service.on_oficio_signed(signed(oficio_id, kwargs.get("folio", "TES/SEC/0001/2026")))
    return oficio_id


async def outbox_types(service: RoutingService, oficio_id: str) -> list[str]:
    doc = await service.oficios.collection.find_one({"_id": oficio_id})
    assert doc is not None
    return [e["type"] for e in doc.get("_outbox", [])]


async def deliveries(service: RoutingService, oficio_id: str) -> dict[str, dict[str, Any]]:
    doc = await service.oficios.get(oficio_id)
    assert doc is not None
    return dict(doc["entregas"])


async def test_a_signed_oficio_reaches_people_positions_offices_and_suplentes_exactly_once(
    service: RoutingService,
) -> None:
    await add_suplencia(service.directory, "ING-TIT", "80002")
    oficio_id = new_id()
    first = created(oficio_id)
    await service.on_drafting_event(first)
    await service.on_drafting_event(finalized(oficio_id, ["70003", "EGR", "ING-TIT"]))
    event = signed(oficio_id)
    await service.on_oficio_signed(event)
    await service.on_oficio_signed(event)  # a redelivery
    await service.on_drafting_event(first)  # a late redelivery: applied already, nothing written
    doc = await service.oficios.get(oficio_id)
    assert doc is not None
    assert [t["type"] for t in doc["timeline"]].count("oficio.created") == 1
    assert doc["status"] == "enviado"
    found = await deliveries(service, oficio_id)
    owners = sorted(
        (d["motivo"], d["funcionario_id"] or office_mailbox(d["unidad_id"])) for d in found.values()
    )
    assert owners == [
        ("destinatario", "70001"),  # titular of EGR
        ("destinatario", "70003"),  # a person
        ("destinatario", "80002"),  # the suplente of ING's titular, today
        ("oficialia", "unidad:EGR"),  # the office's oficialía de partes
    ]
    suplente = next(d for d in found.values() if d["funcionario_id"] == "80002")
    assert suplente["en_lugar_de"] == "80001"
    types = await outbox_types(service, oficio_id)
    assert types.count("oficio.dispatched") == 1
    assert types.count("delivery.created") == 4

    page = await service.inbox_page(EGR_OFICIALIA, "recibidos", buzon="oficialia")
    assert [i["oficio_id"] for i in page["elementos"]] == [oficio_id]
    with pytest.raises(SignumError) as refused:
        await service.inbox_page(EGR_ANALISTA, "recibidos", buzon="oficialia")
    assert refused.value.code == "mailbox_forbidden"
    sent = await service.inbox_page(SECRETARIA, "enviados")
    assert [i["oficio_id"] for i in sent["elementos"]] == [oficio_id]


class NoDrafting:
    """A drafting client that must not be called: oficio.finalized already said whom to send to."""

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        raise AssertionError(f"routing asked drafting {method} {path}")


async def test_the_recipients_written_at_finalization_are_sent_without_asking_drafting(
    service: RoutingService,
) -> None:
    service.drafting = NoDrafting()  # type: ignore[assignment]
    oficio_id = new_id()
    await service.on_drafting_event(created(oficio_id))
    para = [
        Addressee(tipo="puesto", id="ING-TIT"),
        Addressee(tipo="externo", nombre="Lic. Marta Salinas", correo="marta@proveedor.mx"),
    ]
    ccp = [Addressee(tipo="funcionario", id="70003"), Addressee(tipo="externo", nombre="Archivo")]
    # The ids alone would say otherwise: the typed recipients of the finalized oficio win.
    await service.on_drafting_event(finalized(oficio_id, ["EGR"], para=para, ccp=ccp))
    await service.on_oficio_signed(signed(oficio_id))

    owners = sorted(
        (d["motivo"], d["funcionario_id"] or office_mailbox(d["unidad_id"]))
        for d in (await deliveries(service, oficio_id)).values()
    )
    assert owners == [("copia", "70003"), ("destinatario", "80001")]
    doc = await service.oficios.get(oficio_id)
    assert doc is not None
    # No SMTP server in this test: the external recipient is recorded as not emailed, not lost.
    marta = {"nombre": "Lic. Marta Salinas", "correo": "marta@proveedor.mx", "enviado": False}
    assert doc["externos"] == [marta]
    page = await service.inbox_page(ING_TITULAR, "recibidos")
    assert [i["oficio_id"] for i in page["elementos"]] == [oficio_id]


async def test_inbox_filters_search_unread_counts_and_stable_pages(service: RoutingService) -> None:
    ids = []
    for n in range(7):
        ids.append(
            await send(
                service,
                ["80001"],
                folio=f"TES/SEC/{n + 1:04d}/2026",
                prioridad="urgente" if n % 3 == 0 else "ordinaria",
                asunto=f"Solicitud número {n} de información presupuestal"
                if n != 4
                else "Licitación de patrullas",
            )
        )
    counts = await service.unread_counts(ING_TITULAR)
    assert counts["recibidos"] == 7
    assert counts["copias"] == 0
    urgent = await service.inbox_page(ING_TITULAR, "recibidos", prioridad="urgente")
    assert sorted(i["oficio_id"] for i in urgent["elementos"]) == sorted([ids[0], ids[3], ids[6]])
    search = await service.inbox_page(ING_TITULAR, "recibidos", q="LICITACION")
    assert [i["oficio_id"] for i in search["elementos"]] == [ids[4]]
    by_folio = await service.inbox_page(ING_TITULAR, "recibidos", q="TES/SEC/0002")
    assert [i["oficio_id"] for i in by_folio["elementos"]] == [ids[1]]
    by_office = await service.inbox_page(ING_TITULAR, "recibidos", remitente_unidad="EGR")
    assert by_office["elementos"] == []
    today = service.today()
    window = await service.inbox_page(ING_TITULAR, "recibidos", desde=today, hasta=today)
    assert len(window["elementos"]) == 7
    tomorrow = await service.inbox_page(ING_TITULAR, "recibidos", desde=today + dt.timedelta(days=1))
    assert tomorrow["elementos"] == []

    pages: list[str] = []
    cursor = None
    while True:
        page = await service.inbox_page(ING_TITULAR, "recibidos", cursor=cursor, limite=3)
        pages += [i["oficio_id"] for i in page["elementos"]]
        cursor = page["siguiente"]
        if cursor is None:
            break
    assert pages == list(reversed(ids))  # newest first, each once
    with pytest.raises(SignumError) as bad:
        await service.inbox_page(ING_TITULAR, "recibidos", cursor="no-es-un-cursor")
    assert bad.value.code == "invalid_cursor"

    entrega = (await service.inbox_page(ING_TITULAR, "recibidos", limite=1))["elementos"][0]["entrega_id"]
    read = await service.get_delivery(ING_TITULAR, entrega)  # reading it changes nothing
    assert read["estado"] == "enviado"
    assert read["recibido_en"] is None
    assert read["puede_acusar"] is True
    assert (await service.unread_counts(ING_TITULAR))["recibidos"] == 7
    await service.acknowledge(ING_TITULAR, entrega, forma="apertura")  # the page posts the receipt
    assert (await service.unread_counts(ING_TITULAR))["recibidos"] == 6
    assert (await service.get_delivery(ING_TITULAR, entrega))["puede_acusar"] is False


async def test_reading_a_delivery_records_no_receipt(service: RoutingService) -> None:
    oficio_id = await send(service, ["80001"])
    entrega = next(iter(await deliveries(service, oficio_id)))
    for _ in range(2):
        read = await service.get_delivery(ING_TITULAR, entrega)
        assert read["estado"] == "enviado"
        assert read["recibido_en"] is None
        assert read["puede_acusar"] is True
    doc = await service.oficios.collection.find_one({"_id": oficio_id})
    assert doc["entregas"][entrega]["estado"] == "enviado"
    assert "recibido_en" not in doc["entregas"][entrega] or doc["entregas"][entrega]["recibido_en"] is None
    assert not [e for e in doc["_outbox"] if e["type"] == "delivery.acknowledged"]
    assert not [t for t in doc["timeline"] if t.get("type") == "delivery.acknowledged"]
    received = await service.acknowledge(ING_TITULAR, entrega, forma="apertura")
    assert received["estado"] == "recibido"
    doc = await service.oficios.collection.find_one({"_id": oficio_id})
    acknowledged = [e for e in doc["_outbox"] if e["type"] == "delivery.acknowledged"]
    assert [e["payload"]["forma"] for e in acknowledged] == ["apertura"]


async def test_the_receipt_is_never_lost_when_signing_is_down(
    service: RoutingService, signing: FakeSigning
) -> None:
    oficio_id = await send(service, ["80001"])
    entrega = next(iter(await deliveries(service, oficio_id)))
    signing.up = False
    received = await service.acknowledge(ING_TITULAR, entrega)
    assert received["estado"] == "recibido"
    assert received["recibido_en"] is not None
    assert received["acuse"] is None
    await asyncio.gather(*service.background)  # the first attempt, in the background, fails
    # The recipient's page can say the seal is pending because signing is down, not "being issued".
    pending = await service.get_delivery(ING_TITULAR, entrega)
    assert pending["acuse"] is None
    assert pending["acuse_pendiente"]["motivo"] == "signing_unavailable"
    assert await service.retry_acuses() == 0
    signing.up = True
    assert await service.retry_acuses() == 1
    # Signing took the request; the acuse is recorded from its event, not from the HTTP reply.
    assert (await service.get_delivery(ING_TITULAR, entrega))["acuse"] is None
    event = acuse_sealed(signing.calls[0])
    for _ in range(2):  # a redelivered event records nothing twice
        await service.on_acuse_sealed(event)
    sealed = await service.get_delivery(ING_TITULAR, entrega)
    assert sealed["acuse"]["clave"].startswith("acuses/")
    assert sealed["acuse_pendiente"] is None
    # The sender follows it too: the oficio's tracking carries each delivery's acuse.
    tracked = await service.tracking(SECRETARIA, oficio_id)
    assert tracked["entregas"][entrega]["acuse"] == sealed["acuse"]
    assert "acuse_pendiente" not in tracked["entregas"][entrega]
    assert len(signing.calls) == 1
    call = signing.calls[0]
    assert call["recibido_por"]["nombre"] == "Mtra. Elena Villarreal Sada"
    assert call["unidad"] == {
        "unidad_id": "ING",
        "nombre": "Dirección de Ingresos",
        "dependencia": "Tesorería Municipal",
    }
    assert "delivery.acknowledged" in await outbox_types(service, oficio_id)
    assert await service.retry_acuses() == 0  # nothing left
    doc = await service.oficios.get(oficio_id)
    assert [t["type"] for t in doc["timeline"]].count("acuse.sealed") == 1


async def test_recipients_open_the_renewed_b_lta_pdf_and_acuse(
    service: RoutingService, signing: FakeSigning
) -> None:
    """Signing's archive renewal re-timestamps the signed PDF and the sealed acuse: what the
    recipient and the sender open is the new version; a late renewal of an older one changes nothing."""
    oficio_id = await send(service, ["80001"])
    entrega = next(iter(await deliveries(service, oficio_id)))
    await service.acknowledge(ING_TITULAR, entrega)
    await asyncio.gather(*service.background)
    await service.on_acuse_sealed(acuse_sealed(signing.calls[0]))
    before = await service.get_delivery(ING_TITULAR, entrega)
    signed_pdf = StoredObject(**(await service.oficios.get(oficio_id))["documento"])
    sealed = StoredObject(
        bucket="documents", tamano=100, **{k: before["acuse"][k] for k in ("clave", "sha256")}
    )

    first = renewed(oficio_id, oficio_id, "oficio", signed_pdf, "lta-1")
    for _ in range(2):  # redelivered: applied once
        await service.on_document_renewed(first)
    await service.on_document_renewed(renewed(oficio_id, f"acuse-{entrega}", "acuse", sealed, "acuse-lta-1"))
    doc = await service.oficios.get(oficio_id)
    assert doc["documento"]["sha256"] == first.payload.documento.sha256
    assert doc["documento"]["tamano"] == signed_pdf.tamano + 9000
    after = await service.get_delivery(ING_TITULAR, entrega)
    assert after["oficio"]["documento"]["sha256"] == first.payload.documento.sha256
    assert after["acuse"]["clave"] == "k/acuse-lta-1"
    assert after["acuse"]["url_verificacion"] == before["acuse"]["url_verificacion"]
    tracked = await service.tracking(SECRETARIA, oficio_id)
    assert tracked["entregas"][entrega]["acuse"]["clave"] == "k/acuse-lta-1"
    # A renewal of the version it already replaced (arriving late) leaves the newest in place.
    second = renewed(oficio_id, oficio_id, "oficio", first.payload.documento, "lta-2")
    await service.on_document_renewed(second)
    await service.on_document_renewed(renewed(oficio_id, oficio_id, "oficio", signed_pdf, "lta-late"))
    final = await service.oficios.get(oficio_id)
    assert final["documento"]["clave"] == "k/lta-2"
    assert [t["type"] for t in final["timeline"]].count("document.renewed") == 3


async def test_turnar_down_two_levels_with_a_tree_and_only_to_subordinates(service: RoutingService) -> None:
    oficio_id = await send(service, ["EGR"])
    entrega = next(
        d["id"] for d in (await deliveries(service, oficio_id)).values() if d["funcionario_id"] == "70001"
    )
    with pytest.raises(SignumError) as outsider:
        await service.forward(EGR_SUB, entrega, destinatarios=["70003"], instruccion="para_su_atencion")
    assert outsider.value.code == "delivery_not_found"
    with pytest.raises(SignumError) as sideways:
        await service.forward(EGR_TITULAR, entrega, destinatarios=["80002"], instruccion="para_su_atencion")
    assert sideways.value.code == "not_a_subordinate"
    with pytest.raises(SignumError) as past:
        await service.forward(
            EGR_TITULAR,
            entrega,
            destinatarios=["70002"],
            instruccion="para_su_atencion",
            fecha_limite=service.today() - dt.timedelta(days=1),
        )
    assert past.value.code == "deadline_in_past"
    await service.forward(
        EGR_TITULAR,
        entrega,
        destinatarios=["70002"],
        instruccion="para_su_atencion",
        nota="Atender a la brevedad",
        dias_habiles=3,
    )
    turno = next(d for d in (await deliveries(service, oficio_id)).values() if d["funcionario_id"] == "70002")
    assert turno["fecha_limite"] == service.calendar.add_working_days(service.today(), 3).isoformat()
    opened = await service.acknowledge(EGR_SUB, turno["id"])
    assert opened["nombres"] == {"turnado_por": PEOPLE["70001"], "recibido_por": PEOPLE["70002"]}
    await service.forward(EGR_SUB, turno["id"], destinatarios=["70003"], instruccion="para_su_respuesta")
    tree = await service.tree(EGR_TITULAR, entrega)
    assert tree["estado"] == "turnado"
    assert (tree["nombre"], tree["turnos"][0]["nombre"]) == (PEOPLE["70001"], PEOPLE["70002"])
    assert tree["turnos"][0]["funcionario_id"] == "70002"
    assert tree["turnos"][0]["turnos"][0]["funcionario_id"] == "70003"
    assert tree["turnos"][0]["turnos"][0]["instruccion_texto"] == "Para su respuesta"
    page = await service.inbox_page(EGR_ANALISTA, "turnados")
    assert [i["oficio_id"] for i in page["elementos"]] == [oficio_id]
    types = await outbox_types(service, oficio_id)
    assert types.count("delivery.forwarded") == 2
    history = await service.history(EGR_TITULAR, entrega)
    said = [(e["descripcion"], e["quien_nombre"]) for e in history["eventos"]]
    turned = [who for what, who in said if what.startswith(EVENT_DESCRIPTIONS["delivery.forwarded"])]
    assert turned == [PEOPLE["70001"], PEOPLE["70002"]]
    assert ("Se envió a sus destinatarios", "Signum (automático)") in said
    # A recipient sees the oficio from its signature on, not how it was drafted; its sender sees all.
    assert not {e["tipo"] for e in history["eventos"]} & {"oficio.created", "oficio.finalized"}
    sender_side = await service.sent_view(SECRETARIA, oficio_id)
    assert {"oficio.created", "oficio.finalized"} <= {e["tipo"] for e in sender_side["eventos"]}
    found = (await deliveries(service, oficio_id)).values()
    mailbox = next(d["id"] for d in found if d["motivo"] == "oficialia")
    office = await service.tree(EGR_OFICIALIA, mailbox)
    assert office["nombre"] == "Oficialía de partes de Dirección de Egresos"


async def test_each_office_sees_its_own_turnos_in_the_trajectory_and_the_sender_its_deliveries(
    service: RoutingService,
) -> None:
    """Two recipient offices turn the oficio inside themselves; a C.c.p. goes to a third person. Each
    office reads its own steps, by whose inbox they happened in; the sender reads its deliveries (not
    the turnos inside each office); an auditor reads everything."""
    oficio_id = new_id()
    await service.on_drafting_event(created(oficio_id))
    para = [Addressee(tipo="unidad", id="EGR"), Addressee(tipo="unidad", id="ING")]
    ccp = [Addressee(tipo="funcionario", id="70003")]
    await service.on_drafting_event(finalized(oficio_id, ["EGR", "ING"], para=para, ccp=ccp))
    await service.on_oficio_signed(signed(oficio_id))
    found = (await deliveries(service, oficio_id)).values()
    egr = next(d["id"] for d in found if d["funcionario_id"] == "70001")
    ing = next(d["id"] for d in found if d["funcionario_id"] == "80001")
    copy = next(d["id"] for d in found if d["motivo"] == "copia")
    mailbox = next(d["id"] for d in found if d["motivo"] == "oficialia" and d["unidad_id"] == "EGR")
    await service.acknowledge(EGR_TITULAR, egr)
    await service.forward(EGR_TITULAR, egr, destinatarios=["70002"], instruccion="para_su_atencion")
    await service.acknowledge(ING_TITULAR, ing)
    await service.forward(ING_TITULAR, ing, destinatarios=["80002"], instruccion="para_opinion")
    await service.acknowledge(EGR_ANALISTA, copy)
    egr_turno = next(
        d["id"] for d in (await deliveries(service, oficio_id)).values() if d["funcionario_id"] == "70002"
    )

    async def steps(caller: Any, entrega: str) -> list[str]:
        return [e["descripcion"] for e in (await service.history(caller, entrega))["eventos"]]

    to_egr = f"Llegó a la bandeja de {PEOPLE['70001']} (Dirección de Egresos)"
    to_egr_office = "Llegó a la bandeja de la Oficialía de partes de Dirección de Egresos"
    egr_turned = f"Llegó turnado a la bandeja de {PEOPLE['70002']} (Dirección de Egresos)"
    ing_turned = f"Llegó turnado a la bandeja de {PEOPLE['80002']} (Dirección de Ingresos)"
    to_ing = f"Llegó a la bandeja de {PEOPLE['80001']} (Dirección de Ingresos)"
    copied = f"Llegó con copia (C.c.p.) a la bandeja de {PEOPLE['70003']} (Dirección de Egresos)"
    received_egr = f"Se acusó de recibido en la bandeja de {PEOPLE['70001']} (Dirección de Egresos)"
    turned_egr = f"Se turnó con instrucciones desde la bandeja de {PEOPLE['70001']} (Dirección de Egresos)"
    turned_ing = f"Se turnó con instrucciones desde la bandeja de {PEOPLE['80001']} (Dirección de Ingresos)"

    # Office EGR (its titular, whom it was turned to, its oficialía de partes): EGR's steps only.
    for caller, entrega in ((EGR_TITULAR, egr), (EGR_SUB, egr_turno), (EGR_OFICIALIA, mailbox)):
        seen = await steps(caller, entrega)
        assert {to_egr, to_egr_office, received_egr, turned_egr, egr_turned} <= set(seen), caller.id
        assert not {to_ing, ing_turned, turned_ing, copied} & set(seen), caller.id
        assert "Se envió a sus destinatarios" in seen  # what happened to the oficio itself
    # Office ING: its own, nothing of EGR's.
    seen = await steps(ING_TITULAR, ing)
    assert {to_ing, turned_ing, ing_turned} <= set(seen)
    assert not {to_egr, to_egr_office, egr_turned, turned_egr, copied} & set(seen)
    # The C.c.p.: its own copy, not what either office did inside (though it works in EGR).
    seen = await steps(EGR_ANALISTA, copy)
    assert copied in seen
    assert not {to_egr, to_ing, egr_turned, ing_turned, turned_egr, turned_ing} & set(seen)
    # The sender: each delivery it made and how far it got, not the turnos inside the offices.
    sender = [e["descripcion"] for e in (await service.sent_view(SECRETARIA, oficio_id))["eventos"]]
    assert {to_egr, to_egr_office, to_ing, copied, received_egr, turned_egr, turned_ing} <= set(sender)
    assert not {egr_turned, ing_turned} & set(sender)
    # An auditor reads every office's steps.
    auditor = official("70009", roles=frozenset({"auditor"}))
    audited = [e["descripcion"] for e in (await service.sent_view(auditor, oficio_id))["eventos"]]
    assert {egr_turned, ing_turned, copied, to_egr, to_ing} <= set(audited)
    # The raw timeline the oficio's page shows is cut the same way.
    _, timeline = await service.tracking_steps(ING_TITULAR, oficio_id)
    assert {t.get("entrega_id") for t in timeline} - {None} <= {
        d["id"] for d in (await deliveries(service, oficio_id)).values() if d["unidad_id"] == "ING"
    }
    assert not {"oficio.created", "oficio.finalized"} & {t["type"] for t in timeline}


async def test_an_answer_closes_the_deliveries_of_the_answering_office(service: RoutingService) -> None:
    asked = await send(service, ["EGR", "80001"])
    answer = new_id()
    await service.on_drafting_event(created(answer, author="70003", office="EGR"))
    await service.on_drafting_event(
        finalized(
            answer, ["90001"], folio="TES/EGR/0009/2026", signer="70001", office="EGR", en_respuesta_a=asked
        )
    )
    in_attention = await deliveries(service, asked)
    assert sorted(d["estado"] for d in in_attention.values()) == ["en_atencion", "en_atencion", "enviado"]
    await service.on_oficio_signed(signed(answer, "TES/EGR/0009/2026"))
    found = await deliveries(service, asked)
    states = sorted((d["funcionario_id"] or "mailbox", d["estado"]) for d in found.values())
    assert states == [("70001", "respondido"), ("80001", "enviado"), ("mailbox", "respondido")]
    types = await outbox_types(service, asked)
    assert types.count("oficio.answered") == 2
    assert types.count("delivery.closed") == 2
    page = await service.inbox_page(SECRETARIA, "recibidos")
    assert [i["oficio_id"] for i in page["elementos"]] == [answer]

    entrega_ing = next(d["id"] for d in found.values() if d["funcionario_id"] == "80001")
    with pytest.raises(SignumError) as no_reason:
        await service.close(ING_TITULAR, entrega_ing, "  ")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(SignumError) as still_open:
        await service.archive(ING_TITULAR, entrega_ing)
    assert still_open.value.code == "delivery_open"
    closed = await service.close(ING_TITULAR, entrega_ing, "Se atendió por teléfono.")
    assert closed["estado"] == "concluido"
    await service.archive(ING_TITULAR, entrega_ing)
    archived = await service.inbox_page(ING_TITULAR, "archivados")
    assert [i["oficio_id"] for i in archived["elementos"]] == [asked]
    with pytest.raises(SignumError) as closed_twice:
        await service.close(ING_TITULAR, entrega_ing, "otra vez")
    assert closed_twice.value.code == "delivery_closed"


async def test_an_overdue_delivery_is_marked_and_escalated_to_the_superior(service: RoutingService) -> None:
    oficio_id = await send(service, ["70003"], fecha_limite=service.today() - dt.timedelta(days=2))
    assert await service.check_deadlines() == 1
    assert await service.check_deadlines() == 0  # once
    delivery = next(iter((await deliveries(service, oficio_id)).values()))
    assert delivery["vencido"] is True
    assert delivery["escalado_a"] == "70002"  # the analyst's superior
    overdue = await service.inbox_page(EGR_ANALISTA, "recibidos", vencidos=True)
    assert [i["oficio_id"] for i in overdue["elementos"]] == [oficio_id]
    assert overdue["elementos"][0]["vencido"] is True
    doc = await service.oficios.collection.find_one({"_id": oficio_id})
    assert doc is not None
    overdue_event = next(e for e in doc["_outbox"] if e["type"] == "deadline.overdue")
    assert overdue_event["payload"]["escalado_a"] == "70002"


async def test_a_suplente_acts_for_the_absent_holder_and_strangers_cannot(service: RoutingService) -> None:
    oficio_id = await send(service, ["70001"])
    entrega = next(iter(await deliveries(service, oficio_id)))
    with pytest.raises(SignumError) as stranger:
        await service.acknowledge(ING_ANALISTA, entrega)
    assert stranger.value.code == "delivery_not_found"
    await add_suplencia(service.directory, "EGR-TIT", "70002")
    received = await service.acknowledge(EGR_SUB, entrega)
    assert received["recibido_por"] == "70002"


async def test_borradores_por_firmar_and_enviados_follow_drafting_and_signing(
    service: RoutingService,
) -> None:
    from signum.contracts import Actor
    from signum.contracts.drafting import SignerSlot, StoredObject
    from signum.contracts.signing import SignatureAdded, SignatureAddedPayload, SignerCertificate

    oficio_id = new_id()
    await service.on_drafting_event(created(oficio_id, author="70003", office="EGR"))
    drafts = await service.inbox_page(EGR_ANALISTA, "borradores")
    assert [i["oficio_id"] for i in drafts["elementos"]] == [oficio_id]
    base = finalized(oficio_id, ["80001"], signer="70002", office="EGR")
    slots = [
        SignerSlot(orden=1, funcionario_id="70002", nombre="Bruno", campo="firma-1", pagina=1),
        SignerSlot(orden=2, funcionario_id="70001", nombre="Ana", campo="firma-2", pagina=1),
    ]
    await service.on_drafting_event(
        base.model_copy(update={"payload": base.payload.model_copy(update={"firmantes": slots})})
    )
    assert [i["oficio_id"] for i in (await service.inbox_page(EGR_SUB, "por_firmar"))["elementos"]] == [
        oficio_id
    ]
    assert (await service.inbox_page(EGR_TITULAR, "por_firmar"))["elementos"] == []
    assert (await service.unread_counts(EGR_SUB))["por_firmar"] == 1
    first = SignatureAdded(
        oficio_id=oficio_id,
        correlation_id="c",
        actor=Actor(kind="official", id="70002"),
        payload=SignatureAddedPayload(
            orden=1,
            funcionario_id="70002",
            campo="firma-1",
            certificado=SignerCertificate(nombre="BRUNO", rfc="SALB800101AB1", numero_certificado="1"),
            metodo="credencial",
            nivel="B-T",
            firmado_en=dt.datetime.now(dt.UTC),
            documento=StoredObject(bucket="documents", clave="k", sha256="2" * 64, tamano=1),
            pendientes=1,
        ),
    )
    await service.on_signature_added(first)
    assert (await service.inbox_page(EGR_SUB, "por_firmar"))["elementos"] == []
    assert [i["oficio_id"] for i in (await service.inbox_page(EGR_TITULAR, "por_firmar"))["elementos"]] == [
        oficio_id
    ]
    await service.on_oficio_signed(signed(oficio_id))
    assert (await service.inbox_page(EGR_TITULAR, "por_firmar"))["elementos"] == []
    for who in (EGR_ANALISTA, EGR_SUB, EGR_TITULAR):
        sent = await service.inbox_page(who, "enviados")
        assert [i["oficio_id"] for i in sent["elementos"]] == [oficio_id], who.id
    assert (await service.inbox_page(EGR_ANALISTA, "borradores"))["elementos"] == []


async def test_a_reminder_goes_out_once_before_the_deadline(service: RoutingService) -> None:
    told: list[tuple[str, str, dict[str, Any]]] = []
    service.notifier.notify = lambda owner, kind, data: told.append((owner, kind, data))  # type: ignore[method-assign]
    due = service.calendar.add_working_days(service.today(), 1)
    await send(service, ["70003"], fecha_limite=due)
    assert await service.check_deadlines() == 0
    await service.check_deadlines()
    reminders = [t for t in told if t[1] == "recordatorio"]
    assert len(reminders) == 1
    assert reminders[0][0] == "70003"
    assert reminders[0][2]["fecha_limite"] == due.isoformat()
    assert reminders[0][2]["dias_habiles_restantes"] == 1


async def test_what_waits_counts_unopened_and_overdue_deliveries(service: RoutingService) -> None:
    oficio_id = new_id()
    await service.on_drafting_event(created(oficio_id))
    # An answer was due yesterday: the delivery is overdue from the moment it arrives.
    yesterday = service.today() - dt.timedelta(days=1)
    para, ccp = [Addressee(tipo="funcionario", id="80001")], [Addressee(tipo="funcionario", id="80002")]
    await service.on_drafting_event(
        finalized(oficio_id, ["80001"], fecha_limite=yesterday, para=para, ccp=ccp)
    )
    await service.on_oficio_signed(signed(oficio_id))
    copied = await service.waiting(ING_ANALISTA)
    assert (copied["copias_sin_abrir"], copied["recibidos_sin_abrir"], copied["vencidos"]) == (1, 0, 0)
    copy = (await service.inbox_page(ING_ANALISTA, "copias"))["elementos"][0]
    await service.acknowledge(ING_ANALISTA, copy["entrega_id"])  # opened: the acuse de recibo
    assert (await service.waiting(ING_ANALISTA))["copias_sin_abrir"] == 0
    waiting = await service.waiting(ING_TITULAR)
    assert waiting["recibidos_sin_abrir"] == 1
    assert waiting["copias_sin_abrir"] == 0
    assert waiting["vencidos"] == 1
    assert waiting["vencidos_por_carpeta"] == {"recibidos": 1}
    assert (waiting["por_revisar"], waiting["por_firmar"]) == (0, 0)

    item = (await service.inbox_page(ING_TITULAR, "recibidos"))["elementos"][0]
    await service.get_delivery(ING_TITULAR, item["entrega_id"])  # opened: the acuse de recibo
    await service.close(ING_TITULAR, item["entrega_id"], "Atendido por teléfono.")
    waiting = await service.waiting(ING_TITULAR)
    assert (waiting["recibidos_sin_abrir"], waiting["vencidos"]) == (0, 0)

    # The sender sees the recipient's state; the recipient does not see the sender's view.
    view = await service.sent_view(SECRETARIA, oficio_id)
    assert [(d["motivo"], d["estado"]) for d in view["destinatarios"]] == [
        ("destinatario", "concluido"),
        ("copia", "recibido"),
    ]
    assert view["destinatarios"][0]["motivo_cierre"] == "Atendido por teléfono."
    with pytest.raises(ForbiddenError):
        await service.sent_view(ING_ANALISTA, oficio_id)


async def test_an_office_mailbox_goes_to_the_nearest_oficialia_up_the_unit_tree(
    service: RoutingService,
) -> None:
    # DIR has no oficialía of its own; its subunit DIR-OP has one (71001); DIR-JUR sits below DIR.
    directory = service.directory
    for uid, padre in (("DIR", None), ("DIR-OP", "DIR"), ("DIR-JUR", "DIR"), ("DIR-JUR-A", "DIR-JUR")):
        await directory.upsert(
            "directory.unidad.upserted",
            UnidadPayload(
                id=uid, revision=1, dependencia_id="TES", nombre=uid, padre_id=padre, prefijo_folio=uid
            ),
        )
    for pid, uid, holder, titular in (
        ("DIR-TIT", "DIR", "71000", True),
        ("DIR-OP-TIT", "DIR-OP", "71001", True),
        ("DIR-JUR-TIT", "DIR-JUR", "71002", True),
    ):
        await directory.upsert(
            "directory.puesto.upserted",
            PuestoPayload(
                id=pid, revision=1, unidad_id=uid, titulo=pid, es_titular=titular, funcionario_id=holder
            ),
        )
    for fid, roles in (("71000", []), ("71001", ["oficialia"]), ("71002", [])):
        await directory.upsert(
            "directory.funcionario.upserted",
            FuncionarioPayload(
                id=fid,
                revision=1,
                nombre=fid,
                correo=f"{fid}@monterrey.gob.mx",
                rfc="GOTA800101AB1",
                curp="GOTA800101MNLMRN01",
                roles=roles,
            ),
        )
    assert await service.oficialia_de("DIR") == "DIR-OP"  # a subunit of the unit itself
    assert await service.oficialia_de("DIR-JUR-A") == "DIR-OP"  # two levels up, then its subunit
    assert await service.oficialia_de("DIR-OP") == "DIR-OP"
    assert await service.oficialia_de("EGR") == "EGR"  # its own holder
    assert await service.oficialia_de("ING") is None  # none up the tree: the unit's own mailbox

    oficio_id = await send(service, ["DIR", "DIR-JUR", "ING"])
    mailboxes = sorted(
        (d["unidad_id"], d.get("buzon_unidad_id"))
        for d in (await deliveries(service, oficio_id)).values()
        if d["motivo"] == "oficialia"
    )
    assert mailboxes == [("DIR", "DIR-OP"), ("DIR-JUR", "DIR-OP"), ("ING", None)]
    oficialia = official("71001", "DIR-OP", roles=frozenset({"oficialia"}))
    page = await service.inbox_page(oficialia, "recibidos", buzon="oficialia")
    assert [i["oficio_id"] for i in page["elementos"]] == [oficio_id, oficio_id]
    assert (await service.inbox_page(EGR_OFICIALIA, "recibidos", buzon="oficialia"))["elementos"] == []
    # She acts on them (the acuse is hers) and reads the oficio; someone who received nothing does not.
    opened = await service.acknowledge(oficialia, page["elementos"][0]["entrega_id"])
    assert opened["estado"] == "recibido"
    assert (await service.tracking(oficialia, oficio_id))["_id"] == oficio_id
    with pytest.raises(SignumError) as refused:
        await service.tracking(EGR_ANALISTA, oficio_id)
    assert refused.value.status_code == 403
    types = [e for e in (await service.oficios.collection.find_one({"_id": oficio_id}))["_outbox"]]
    created_mailboxes = sorted(
        e["payload"]["buzon_unidad_id"] or "-"
        for e in types
        if e["type"] == "delivery.created" and e["payload"]["motivo"] == "oficialia"
    )
    assert created_mailboxes == ["-", "DIR-OP", "DIR-OP"]


async def test_a_draft_follows_its_saves_in_version_order_whatever_order_they_arrive_in(
    service: RoutingService,
) -> None:
    from signum.contracts import Actor
    from signum.contracts.drafting import OficioUpdated, OficioUpdatedPayload
    from signum.contracts.envelope import uuid7

    def saved(version: int, participantes: list[str], confidencialidad: str) -> OficioUpdated:
        return OficioUpdated(
            oficio_id=oficio_id,
            correlation_id="c",
            actor=Actor(kind="official", id="70003"),
            payload=OficioUpdatedPayload(
                version=version,
                asunto=f"Versión {version}",
                participantes=participantes,
                confidencialidad=confidencialidad,  # type: ignore[arg-type]
            ),
        )

    oficio_id = new_id()
    with_editor = saved(2, ["70002", "70003"], "publica")
    without = saved(3, ["70003"], "confidencial")
    await service.on_drafting_event(created(oficio_id, author="70003", office="EGR"))
    await service.on_drafting_event(with_editor)
    assert [i["oficio_id"] for i in (await service.inbox_page(EGR_SUB, "borradores"))["elementos"]] == [
        oficio_id
    ]
    await service.tracking(EGR_SUB, oficio_id)  # a participant
    auditor = official("70009", roles=frozenset({"auditor"}))
    await service.tracking(auditor, oficio_id)  # an auditor, while it is public
    await service.on_drafting_event(without)
    await service.on_drafting_event(with_editor.model_copy(update={"event_id": uuid7()}))  # late
    await service.on_drafting_event(created(oficio_id, author="70003", office="EGR"))  # replayed

    doc = await service.oficios.get(oficio_id)
    assert doc is not None
    assert (doc["borrador_version"], doc["participantes"], doc["confidencialidad"], doc["asunto"]) == (
        3,
        ["70003"],
        "confidencial",
        "Versión 3",
    )
    assert (await service.inbox_page(EGR_SUB, "borradores"))["elementos"] == []
    with pytest.raises(ForbiddenError):  # removed
        await service.tracking(EGR_SUB, oficio_id)
    with pytest.raises(ForbiddenError):  # confidential: not for an auditor either
        await service.tracking(auditor, oficio_id)
    await service.tracking(EGR_ANALISTA, oficio_id)  # the author


async def test_a_signed_oficio_stays_signed_when_drafting_s_events_arrive_after_signing_s(
    service: RoutingService,
) -> None:
    """Drafting's and signing's topics are consumed independently: the finalization (drafting) can
    reach routing after the signature (signing). Seen in make test: the author's Enviados never
    showed the oficio, which went back to `listo_para_firma`."""
    oficio_id = new_id()
    await service.on_drafting_event(created(oficio_id, author="70002", office="EGR"))
    await service.on_oficio_signed(signed(oficio_id))
    await service.on_drafting_event(finalized(oficio_id, ["80001"], signer="70002", office="EGR"))
    doc = await service.oficios.get(oficio_id)
    assert doc is not None
    assert doc["status"] == "enviado"  # signed, then dispatched by routing itself
    assert doc["folio"]  # the finalization's other fields are kept
    sent = await service.inbox_page(EGR_SUB, "enviados")
    assert [i["oficio_id"] for i in sent["elementos"]] == [oficio_id]


def test_a_draft_s_state_never_replaces_a_signing_state() -> None:
    from signum.routing.domain import stale_status

    assert stale_status("firmado", "listo_para_firma")
    assert stale_status("enviado", "borrador")
    assert not stale_status("listo_para_firma", "firmando")
    assert not stale_status("en_revision", "borrador")  # drafting's own states follow its order
    assert not stale_status(None, "borrador")
