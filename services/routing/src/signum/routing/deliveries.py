"""One delivery, as its recipient works it: read, acuse de recibo, turnar, concluir, archivar, start an
answer; its trajectory and its tree; and the sender's view of every recipient."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from typing import Any

from signum.contracts import Event
from signum.contracts.routing import (
    DeliveryAcknowledged,
    DeliveryAcknowledgedPayload,
    DeliveryClosed,
    DeliveryClosedPayload,
    DeliveryForwarded,
    DeliveryForwardedPayload,
    Turno,
)
from signum.platform.errors import ValidationFailedError
from signum.platform.identity import Caller
from signum.platform.policy import Action
from signum.routing import domain
from signum.routing.access import Access
from signum.routing.acuses import Acuses
from signum.routing.core import Routing, correlation, timeline_entry
from signum.routing.domain import INSTRUCCIONES, Delivery
from signum.routing.recipients import Recipients, created_event
from signum.routing.repository import Oficio, Session
from signum.routing.views import Views, delivery_summary

MAX_TERM_DAYS = 120


class Deliveries:
    def __init__(
        self, routing: Routing, access: Access, acuses: Acuses, recipients: Recipients, views: Views
    ) -> None:
        self.r = routing
        self.access = access
        self.acuses = acuses
        self.recipients = recipients
        self.views = views

    async def _reloaded(self, entrega: str) -> dict[str, Any]:
        doc, delivery = await self.access.load(entrega)
        return await self.views.delivery(doc, delivery)

    async def get(self, caller: Caller, entrega: str) -> dict[str, Any]:
        """The delivery, read only: reading never records the acuse de recibo (`acknowledge` does).

        `puede_acusar` tells the page the caller is its recipient and has not received it yet: the
        page then posts the receipt (a POST with the CSRF check; a GET changes nothing).
        """
        doc, delivery = await self.access.viewing(caller, entrega)
        pending = not delivery.get("recibido_en") and await self.access.may_act(caller, delivery)
        return await self.views.delivery(doc, delivery) | {"puede_acusar": pending}

    async def acknowledge(self, caller: Caller, entrega: str, *, forma: str = "explicita") -> dict[str, Any]:
        doc, delivery = await self.access.acting(caller, entrega)
        if delivery.get("recibido_en"):
            return await self.views.delivery(doc, delivery)
        received = Delivery.of(delivery).receive()
        now = datetime.now(UTC)
        oficio_id = doc["_id"]
        await self.acuses.enqueue(entrega, oficio_id, now)
        event = DeliveryAcknowledged(
            oficio_id=oficio_id,
            correlation_id=correlation(),
            actor=caller.actor,
            payload=DeliveryAcknowledgedPayload(
                entrega_id=entrega, recibido_por=caller.id, recibido_en=now, forma=forma
            ),
        )

        async def change(session: Session) -> Oficio:
            return await self.r.oficios.mark_received(
                oficio_id,
                entrega,
                by=caller.id,
                at=now,
                estado=received.estado,
                event=event,
                timeline=timeline_entry(event),
                session=session,
            )

        if await self.r.commit(oficio_id, change):
            # It is queued already; if this attempt fails the retry job issues it.
            self.acuses.issue_soon(entrega)
        return await self._reloaded(entrega)

    async def forward(
        self,
        caller: Caller,
        entrega: str,
        *,
        destinatarios: list[str],
        instruccion: str,
        nota: str = "",
        fecha_limite: dt.date | None = None,
        dias_habiles: int | None = None,
    ) -> dict[str, Any]:
        """Turnar: assign the delivery to subordinates with an instruction, a note and a deadline."""
        doc, delivery = await self.access.acting(caller, entrega)
        Delivery.of(delivery).turn()
        if instruccion not in INSTRUCCIONES:
            raise ValidationFailedError(
                "Instrucción desconocida. Use una de: " + ", ".join(INSTRUCCIONES) + ".",
                code="unknown_instruction",
                details={"instrucciones": INSTRUCCIONES},
            )
        targets = domain.distinct(d.strip() for d in destinatarios if d.strip())
        if not targets:
            raise ValidationFailedError("Indique a quién turna.", code="no_recipients")
        today = self.r.today()
        if dias_habiles is not None:
            if dias_habiles < 1 or dias_habiles > MAX_TERM_DAYS:
                raise ValidationFailedError("El plazo debe ser de 1 a 120 días hábiles.", code="invalid_term")
            fecha_limite = self.r.calendar.add_working_days(today, dias_habiles)
        if fecha_limite is not None and fecha_limite < today:
            raise domain.DeadlineInPastError()
        if fecha_limite is None and delivery.get("fecha_limite"):
            fecha_limite = dt.date.fromisoformat(str(delivery["fecha_limite"])[:10])
        not_below = [t for t in targets if not await self.recipients.is_subordinate(caller.id, t)]
        if not_below:
            raise domain.NotASubordinateError(details={"funcionarios": not_below})
        oficio_id = doc["_id"]
        now = datetime.now(UTC)
        correlation_id = correlation()
        children: dict[str, dict[str, Any]] = {}
        for target in targets:
            puesto = await self.r.directory.puesto_de(target)
            eid = domain.entrega_id(oficio_id, "turno", entrega, target)
            if eid in (doc.get("entregas") or {}):
                continue
            children[eid] = {
                "id": eid,
                "motivo": "turno",
                "funcionario_id": target,
                "unidad_id": puesto.unidad_id if puesto else delivery.get("unidad_id"),
                "puesto_id": puesto.id if puesto else None,
                "estado": "enviado",
                "leido": False,
                "creado_en": now,
                "fecha_limite": fecha_limite.isoformat() if fecha_limite else None,
                "padre_id": entrega,
                "turnado_por": caller.id,
                "turnado_por_nombre": caller.nombre,
                "instruccion": instruccion,
                "nota": nota,
            }
        if not children:
            raise ValidationFailedError("Ya turnó esta entrega a esas personas.", code="already_forwarded")
        forwarded = DeliveryForwarded(
            oficio_id=oficio_id,
            correlation_id=correlation_id,
            actor=caller.actor,
            payload=DeliveryForwardedPayload(
                entrega_id=entrega,
                turnado_por=caller.id,
                turnos=[Turno(entrega_id=e, funcionario_id=c["funcionario_id"]) for e, c in children.items()],
                instruccion=instruccion,
                nota=nota,
                fecha_limite=fecha_limite,
            ),
        )
        events: list[Event] = [forwarded] + [
            created_event(
                oficio_id,
                c,
                doc.get("folio") or "-",
                doc.get("asunto") or "-",
                doc.get("prioridad", "ordinaria"),
                correlation_id,
                str(forwarded.event_id),
                caller.actor,
            )
            for c in children.values()
        ]

        async def change(session: Session) -> Oficio:
            return await self.r.oficios.add_turnos(
                oficio_id,
                entrega,
                children,
                mark_read=not delivery.get("recibido_en"),
                timeline=[timeline_entry(e) for e in events],
                events=events,
                session=session,
            )

        await self.r.commit(oficio_id, change)
        for c in children.values():
            if c["fecha_limite"]:
                await self.r.queues.track_deadline(c["id"], oficio_id, c["fecha_limite"])
        return await self._reloaded(entrega)

    async def close(self, caller: Caller, entrega: str, motivo: str) -> dict[str, Any]:
        """Concluir without an answering oficio (a reason is required)."""
        doc, delivery = await self.access.acting(caller, entrega)
        Delivery.of(delivery).conclude(motivo)
        reason = motivo.strip()
        event = DeliveryClosed(
            oficio_id=doc["_id"],
            correlation_id=correlation(),
            actor=caller.actor,
            payload=DeliveryClosedPayload(
                entrega_id=entrega, estado="concluido", motivo=reason, cerrado_por=caller.id
            ),
        )

        async def change(session: Session) -> Oficio:
            return await self.r.oficios.mark_concluded(
                doc["_id"],
                entrega,
                was=delivery["estado"],
                reason=reason,
                at=datetime.now(UTC),
                event=event,
                timeline=timeline_entry(event),
                session=session,
            )

        await self.r.commit(doc["_id"], change)
        await self.r.queues.untrack_deadline(entrega)
        return await self._reloaded(entrega)

    async def archive(self, caller: Caller, entrega: str) -> dict[str, Any]:
        doc, delivery = await self.access.acting(caller, entrega)
        if delivery.get("archivado"):
            return await self.views.delivery(doc, delivery)
        Delivery.of(delivery).archive()
        event = DeliveryClosed(
            oficio_id=doc["_id"],
            correlation_id=correlation(),
            actor=caller.actor,
            payload=DeliveryClosedPayload(entrega_id=entrega, estado="archivado", cerrado_por=caller.id),
        )

        async def change(session: Session) -> Oficio:
            return await self.r.oficios.mark_archived(
                doc["_id"], entrega, event=event, timeline=timeline_entry(event), session=session
            )

        await self.r.commit(doc["_id"], change)
        return await self._reloaded(entrega)

    async def answer_basis(self, caller: Caller, entrega: str) -> dict[str, Any]:
        """What an answer to the delivery starts from (its recipient asks, on an open delivery)."""
        doc, delivery = await self.access.acting(caller, entrega)
        Delivery.of(delivery).check_answerable()
        firmantes = doc.get("firmantes") or []
        return {
            "oficio_id": doc["_id"],
            "folio": doc.get("folio"),
            "asunto": doc.get("asunto"),
            "prioridad": doc.get("prioridad", "ordinaria"),
            "remitente_id": next((f["funcionario_id"] for f in firmantes if f.get("funcionario_id")), None),
            "remitente_unidad": doc.get("remitente_unidad"),
            "enviado_en": doc.get("enviado_en"),
            # A paper document's own date; drafting dates the oficios it printed itself.
            "fecha": (doc.get("registro") or {}).get("fecha_documento"),
        }

    async def history(self, caller: Caller, entrega: str) -> dict[str, Any]:
        """The oficio's trajectory as routing saw it (who, when, what), for whoever may see the
        delivery; a recipient sees it from its signature on, not how it was drafted, and of the
        deliveries only their own office's steps (`Access.trajectory_scope`)."""
        doc, _ = await self.access.viewing(caller, entrega)
        drafting, entregas = self.access.trajectory_scope(caller, doc)
        return {
            "oficio_id": doc["_id"],
            "folio": doc.get("folio"),
            "eventos": await self.views.trajectory(doc, drafting=drafting, entregas=entregas),
        }

    async def tree(self, caller: Caller, entrega: str) -> dict[str, Any]:
        """The delivery and everything turned from it, for its recipient or whoever turned it."""
        doc, delivery = await self.access.viewing(caller, entrega)
        children: dict[str, list[dict[str, Any]]] = {}
        for d in (doc.get("entregas") or {}).values():
            if d.get("padre_id"):
                children.setdefault(d["padre_id"], []).append(d)

        async def node(d: dict[str, Any]) -> dict[str, Any]:
            kids = sorted(children.get(d["id"], []), key=lambda c: str(c["creado_en"]))
            return {
                **delivery_summary(d),
                "nombre": await self.views.owner_name(d),
                "turnos": [await node(k) for k in kids],
            }

        return await node(delivery)

    async def sent_view(self, caller: Caller, oficio_id: str) -> dict[str, Any]:
        """The sender's read-only view: each recipient's state, receipt and acuse, and the trajectory.

        For those who may read the oficio as its sender (author, collaborators, signers), a titular
        of its unit or an auditor; being a recipient is not enough to see the other recipients.
        """
        doc = await self.access.tracking(caller, oficio_id, Action.OFICIO_HISTORIAL)
        today = self.r.today()
        _, seen = self.access.trajectory_scope(caller, doc)
        entregas = (doc.get("entregas") or {}).values()
        destinatarios = []
        for d in domain.sent_deliveries(doc):
            turnos = [t for t in entregas if t.get("padre_id") == d["id"]]
            destinatarios.append(
                {
                    "entrega_id": d["id"],
                    "motivo": d["motivo"],
                    "nombre": await self.views.owner_name(d),
                    "unidad": await self.views.unit_name(d.get("unidad_id")),
                    "en_lugar_de": await self.views.person_name(d.get("en_lugar_de")),
                    "estado": d["estado"],
                    "recibido_en": d.get("recibido_en"),
                    "recibido_por": await self.views.person_name(d.get("recibido_por")),
                    "acuse": d.get("acuse"),
                    "acuse_pendiente": d.get("acuse_pendiente"),
                    "fecha_limite": d.get("fecha_limite"),
                    "vencido": domain.is_overdue(d, today),
                    "respuesta": d.get("respuesta"),
                    "cerrado_en": d.get("cerrado_en"),
                    "motivo_cierre": d.get("motivo_cierre"),
                    "turnado_a": [await self.views.owner_name(t) for t in turnos],
                }
            )
        return {
            "oficio": {
                "id": doc["_id"],
                "folio": doc.get("folio"),
                "asunto": doc.get("asunto"),
                "kind": doc.get("kind"),
                "status": doc.get("status"),
                "prioridad": doc.get("prioridad", "ordinaria"),
                "remitente": doc.get("remitente"),
                "remitente_unidad": doc.get("remitente_unidad_nombre"),
                "enviado_en": doc.get("enviado_en"),
                "fecha_limite_respuesta": doc.get("fecha_limite_respuesta"),
                "documento": doc.get("documento"),
                "firmantes": [
                    {"nombre": f.get("nombre"), "cargo": f.get("cargo"), "firmado": bool(f.get("firmado"))}
                    for f in doc.get("firmantes") or []
                ],
            },
            "destinatarios": destinatarios,
            "externos": doc.get("externos") or [],
            "eventos": await self.views.trajectory(doc, entregas=seen),
        }
