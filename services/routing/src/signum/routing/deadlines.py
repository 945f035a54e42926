"""The deadline job: reminders before a delivery's due date; after it, `deadline.overdue` and the
superior told (deadlines count working days: `signum.platform.calendar.WorkCalendar`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from signum.contracts import Actor
from signum.contracts.routing import DeadlineOverdue, DeadlineOverduePayload
from signum.routing import domain
from signum.routing.access import Access
from signum.routing.core import Routing, correlation, timeline_entry
from signum.routing.domain import OPEN_STATES, DeliveryNotFoundError
from signum.routing.recipients import Recipients
from signum.routing.repository import Oficio, Session


class Deadlines:
    def __init__(self, routing: Routing, access: Access, recipients: Recipients, reminder_days: int) -> None:
        self.r = routing
        self.access = access
        self.recipients = recipients
        self.reminder_days = reminder_days

    async def check(self) -> int:
        """The periodic job; returns how many deliveries it marked overdue."""
        today = self.r.today()
        overdue = 0
        for item in await self.r.queues.deadlines():
            entrega = item["_id"]
            try:
                doc, delivery = await self.access.load(entrega)
            except DeliveryNotFoundError:
                await self.r.queues.untrack_deadline(entrega)
                continue
            if delivery["estado"] not in OPEN_STATES:
                await self.r.queues.untrack_deadline(entrega)
                continue
            limite = dt.date.fromisoformat(str(item["fecha_limite"])[:10])
            owner = domain.delivery_owner(delivery)
            left = self.r.calendar.working_days_between(today, limite)
            if 0 <= left <= self.reminder_days and not item.get("recordado"):
                self.r.notifier.notify(
                    owner,
                    "recordatorio",
                    {
                        "entrega_id": entrega,
                        "folio": doc.get("folio"),
                        "fecha_limite": limite.isoformat(),
                        "dias_habiles_restantes": left,
                    },
                )
                await self.r.queues.mark_deadline(entrega, "recordado")
            if limite < today and not delivery.get("vencido") and await self._overdue(doc, delivery, limite):
                overdue += 1
        return overdue

    async def _overdue(self, doc: dict[str, Any], delivery: dict[str, Any], limite: dt.date) -> bool:
        entrega = delivery["id"]
        superior = await self.recipients.superior_of(delivery)
        event = DeadlineOverdue(
            oficio_id=doc["_id"],
            correlation_id=correlation(),
            actor=Actor.system("routing"),
            payload=DeadlineOverduePayload(
                entrega_id=entrega,
                funcionario_id=delivery.get("funcionario_id"),
                fecha_limite=limite,
                escalado_a=superior,
            ),
        )

        async def change(session: Session) -> Oficio:
            return await self.r.oficios.mark_overdue(
                doc["_id"],
                entrega,
                escalado_a=superior,
                event=event,
                timeline=timeline_entry(event),
                session=session,
            )

        if not await self.r.commit(doc["_id"], change):
            return False
        owner = domain.delivery_owner(delivery)
        self.r.notifier.notify(owner, "vencido", {"entrega_id": entrega, "folio": doc.get("folio")})
        if superior:
            self.r.notifier.notify(
                superior,
                "escalamiento",
                {
                    "entrega_id": entrega,
                    "folio": doc.get("folio"),
                    "responsable": delivery.get("funcionario_id"),
                },
            )
        return True
