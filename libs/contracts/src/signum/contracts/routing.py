"""Events of the routing service (topic `signum.routing`, keyed by the oficio)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, Field

from signum.contracts.envelope import Event, EventModel, WireModel
from signum.contracts.topics import Topic

DeliveryReason = Literal["destinatario", "oficialia", "copia", "turno", "registro"]
"""Why a delivery exists: addressed to them, the office's oficialía de partes, a C.c.p. copy, turned
to them by a superior, or a paper document registered by the oficialía de partes."""

Instruccion = Literal[
    "para_su_atencion",
    "para_conocimiento",
    "para_tramite_procedente",
    "para_su_respuesta",
    "para_opinion",
    "para_archivo",
]


class DispatchedDelivery(EventModel):
    """One delivery created when the oficio was sent."""

    entrega_id: str = Field(min_length=1, max_length=128)
    motivo: DeliveryReason
    funcionario_id: str | None = Field(
        default=None, max_length=128, description="Receiving official; None for an office mailbox."
    )
    unidad_id: str | None = Field(default=None, max_length=64, description="Receiving office, if known.")
    buzon_unidad_id: str | None = Field(
        default=None,
        max_length=64,
        description="For an office mailbox: the unit whose oficialía de partes keeps it (the nearest "
        "up the unit tree); None: the mailbox of `unidad_id`, or an official's delivery.",
    )


class ExternalDelivery(EventModel):
    """An external recipient, sent the signed PDF by email."""

    nombre: str = Field(min_length=1, max_length=300)
    correo: str = Field(default="", max_length=320, description="Empty when none was given.")
    enviado: bool = Field(description="Whether the email was accepted by the mail server.")


class OficioDispatchedPayload(EventModel):
    """The signed oficio was sent to every recipient and copy."""

    folio: str = Field(min_length=1, max_length=100)
    asunto: str = Field(min_length=1, max_length=500)
    unidad_id: str = Field(min_length=1, max_length=64, description="Sending office.")
    entregas: list[DispatchedDelivery] = Field(max_length=2000)
    externos: list[ExternalDelivery] = Field(default_factory=list, max_length=200)


class OficioDispatched(Event):
    """A signed oficio was sent (state `enviado`): one delivery per recipient, copy and mailbox.

    Produced by routing on `oficio.signed`. Consumed by drafting (the oficio's state becomes
    `enviado`), storage (audit log) and metrics (time to delivery).
    """

    topic: ClassVar[Topic] = Topic.ROUTING

    type: Literal["oficio.dispatched"] = "oficio.dispatched"
    version: Literal[1] = 1
    producer: str = "routing"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: OficioDispatchedPayload


class DeliveryCreatedPayload(EventModel):
    """A delivery in someone's inbox."""

    entrega_id: str = Field(min_length=1, max_length=128)
    motivo: DeliveryReason
    funcionario_id: str | None = Field(default=None, max_length=128, description="None: office mailbox.")
    unidad_id: str | None = Field(default=None, max_length=64, description="Receiving office.")
    buzon_unidad_id: str | None = Field(
        default=None,
        max_length=64,
        description="For an office mailbox: the unit whose oficialía de partes keeps it (the nearest "
        "up the unit tree); None: the mailbox of `unidad_id`, or an official's delivery.",
    )
    en_lugar_de: str | None = Field(
        default=None, max_length=128, description="The absent holder a suplente receives for."
    )
    padre_id: str | None = Field(default=None, max_length=128, description="The delivery turned.")
    folio: str = Field(min_length=1, max_length=100)
    asunto: str = Field(min_length=1, max_length=500)
    prioridad: Literal["ordinaria", "urgente"] = "ordinaria"
    fecha_limite: dt.date | None = Field(default=None, description="Response deadline, if any.")


class DeliveryCreated(Event):
    """A delivery reached an inbox (sent, turned, or registered by the oficialía de partes).

    Produced by routing. Consumed by drafting (the oficio's readers), storage (the oficio's readers,
    audit log) and metrics. The reader added is its recipient: the official, the absent holder, or
    the office mailbox `unidad:<buzon_unidad_id or unidad_id>`.
    """

    topic: ClassVar[Topic] = Topic.ROUTING

    type: Literal["delivery.created"] = "delivery.created"
    version: Literal[1] = 1
    producer: str = "routing"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: DeliveryCreatedPayload


class DeliveryAcknowledgedPayload(EventModel):
    """The acuse de recibo: who received the delivery and when."""

    entrega_id: str = Field(min_length=1, max_length=128)
    recibido_por: str = Field(min_length=1, max_length=128, description="Official who received it.")
    recibido_en: AwareDatetime
    forma: Literal["apertura", "explicita"] = Field(description="Opened, or acknowledged explicitly.")


class DeliveryAcknowledged(Event):
    """The recipient received the delivery (acuse de recibo); the sealed acuse PDF follows.

    Produced by routing. Consumed by storage (audit log) and metrics (time to acuse).
    """

    topic: ClassVar[Topic] = Topic.ROUTING

    type: Literal["delivery.acknowledged"] = "delivery.acknowledged"
    version: Literal[1] = 1
    producer: str = "routing"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: DeliveryAcknowledgedPayload


class Turno(EventModel):
    """One subordinate the delivery was turned to."""

    entrega_id: str = Field(min_length=1, max_length=128, description="The new delivery.")
    funcionario_id: str = Field(min_length=1, max_length=128)


class DeliveryForwardedPayload(EventModel):
    """Who turned the delivery to whom, with which instruction and deadline."""

    entrega_id: str = Field(min_length=1, max_length=128, description="The delivery turned.")
    turnado_por: str = Field(min_length=1, max_length=128)
    turnos: list[Turno] = Field(min_length=1, max_length=50)
    instruccion: Instruccion
    nota: str = Field(default="", max_length=2000)
    fecha_limite: dt.date | None = None


class DeliveryForwarded(Event):
    """A recipient turned (turnó) the delivery to subordinates.

    Produced by routing. Consumed by storage (audit log) and metrics (attention times).
    """

    topic: ClassVar[Topic] = Topic.ROUTING

    type: Literal["delivery.forwarded"] = "delivery.forwarded"
    version: Literal[1] = 1
    producer: str = "routing"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: DeliveryForwardedPayload


class OficioAnsweredPayload(EventModel):
    """The answer that closed a delivery."""

    entrega_id: str = Field(min_length=1, max_length=128)
    respuesta_oficio_id: str = Field(min_length=1, max_length=64)
    respuesta_folio: str = Field(min_length=1, max_length=100)


class OficioAnswered(Event):
    """A delivery was answered by a signed oficio that points at it (`en_respuesta_a`).

    Produced by routing when the answer is sent. Consumed by storage (audit log) and metrics (time to
    answer).
    """

    topic: ClassVar[Topic] = Topic.ROUTING

    type: Literal["oficio.answered"] = "oficio.answered"
    version: Literal[1] = 1
    producer: str = "routing"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: OficioAnsweredPayload


class DeliveryClosedPayload(EventModel):
    """How the delivery ended."""

    entrega_id: str = Field(min_length=1, max_length=128)
    estado: Literal["respondido", "concluido", "archivado"]
    motivo: str = Field(default="", max_length=2000, description="Why it was closed without an answer.")
    cerrado_por: str = Field(min_length=1, max_length=128)


class DeliveryClosed(Event):
    """A delivery was closed: answered, concluded with a reason, or archived.

    Produced by routing. Consumed by storage (audit log) and metrics (open counts).
    """

    topic: ClassVar[Topic] = Topic.ROUTING

    type: Literal["delivery.closed"] = "delivery.closed"
    version: Literal[1] = 1
    producer: str = "routing"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: DeliveryClosedPayload


class DeadlineOverduePayload(EventModel):
    """A delivery passed its deadline without being closed."""

    entrega_id: str = Field(min_length=1, max_length=128)
    funcionario_id: str | None = Field(default=None, max_length=128)
    fecha_limite: dt.date
    escalado_a: str | None = Field(default=None, max_length=128, description="Superior told, if any.")


class DeadlineOverdue(Event):
    """A delivery became overdue (working days, holiday calendar); the superior is told.

    Produced by routing's deadline job. Consumed by storage (audit log) and metrics
    (overdue counts).
    """

    topic: ClassVar[Topic] = Topic.ROUTING

    type: Literal["deadline.overdue"] = "deadline.overdue"
    version: Literal[1] = 1
    producer: str = "routing"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: DeadlineOverduePayload


ROUTING_EVENTS: tuple[type[Event], ...] = (
    OficioDispatched,
    DeliveryCreated,
    DeliveryAcknowledged,
    DeliveryForwarded,
    OficioAnswered,
    DeliveryClosed,
    DeadlineOverdue,
)


class InboxNotification(WireModel):
    """A hint for the server-sent events of one owner: "look again" at the inbox (not an event).

    Produced by routing (each replica, besides handing it to the streams open on it) on the topic
    `signum.routing.avisos` (`topics.INBOX_NOTIFICATIONS`). Consumed by routing (every replica reads
    the topic from its end, without a consumer group, and hands the other replicas' notifications to
    its own streams).
    """

    origin: str = Field(
        min_length=1, max_length=64, description="The replica that sent it (its own are skipped)."
    )
    owner: str = Field(
        min_length=1, max_length=128, description="Whose streams hear it: an official or `unidad:<id>`."
    )
    kind: str = Field(
        min_length=1,
        max_length=64,
        description="The server-sent event's name: `bandeja`, `revision`, `recordatorio`, `vencido`, "
        "`escalamiento`.",
    )
    data: dict[str, Any] = Field(default_factory=dict, description="What the page shows or looks up.")
