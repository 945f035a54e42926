"""Answers: an answering oficio being signed puts what it answers `en_atencion`; once signed, it
closes them (`respondido`)."""

from __future__ import annotations

from typing import Any

from signum.contracts import Actor, Event
from signum.contracts.drafting import OficioFinalized
from signum.contracts.routing import (
    DeliveryClosed,
    DeliveryClosedPayload,
    OficioAnswered,
    OficioAnsweredPayload,
)
from signum.contracts.signing import OficioSigned
from signum.platform.logging import get_logger
from signum.routing import domain
from signum.routing.core import Routing, timeline_entry
from signum.routing.repository import Oficio, Session

log = get_logger(__name__)


class Answers:
    def __init__(self, routing: Routing) -> None:
        self.r = routing

    async def in_attention(self, answered_id: str, unit: str, event: OficioFinalized) -> None:
        """The answer is ready to sign: the deliveries it will close are `en_atencion` meanwhile."""
        original = await self.r.oficios.get(answered_id)
        if original is None:
            return
        closing = domain.answered_by(original.get("entregas") or {}, unit)
        for d in closing:
            domain.Delivery.of(d).start_attention()
        if not closing:
            return

        async def change(session: Session) -> Oficio:
            return await self.r.oficios.mark_in_attention(
                answered_id, event, [d["id"] for d in closing], event.oficio_id or "", session
            )

        await self.r.commit(answered_id, change)

    async def close_answered(
        self, answered_id: str, answer_id: str, answer_folio: str, answer_unit: str, event: OficioSigned
    ) -> None:
        original = await self.r.oficios.get(answered_id)
        if original is None:
            log.warning("answer to an oficio routing does not know", answered=answered_id, answer=answer_id)
            return
        closing = domain.answered_by(original.get("entregas") or {}, answer_unit)
        if not closing:
            return
        events: list[Event] = []
        for d in closing:
            domain.Delivery.of(d).answer()
            common: dict[str, Any] = {
                "oficio_id": answered_id,
                "correlation_id": event.correlation_id,
                "causation_id": str(event.event_id),
                "actor": Actor.system("routing"),
            }
            if d["motivo"] != "turno":
                events.append(
                    OficioAnswered(
                        **common,
                        payload=OficioAnsweredPayload(
                            entrega_id=d["id"], respuesta_oficio_id=answer_id, respuesta_folio=answer_folio
                        ),
                    )
                )
            events.append(
                DeliveryClosed(
                    **common,
                    payload=DeliveryClosedPayload(
                        entrega_id=d["id"], estado="respondido", cerrado_por="routing"
                    ),
                )
            )
        timeline = [timeline_entry(e) for e in events]

        async def change(session: Session) -> Oficio:
            return await self.r.oficios.mark_answered(
                answered_id,
                event,
                [d["id"] for d in closing],
                {"oficio_id": answer_id, "folio": answer_folio},
                event.occurred_at,
                timeline,
                events,
                session,
            )

        await self.r.commit(answered_id, change)
        for d in closing:
            await self.r.queues.untrack_deadline(d["id"])
