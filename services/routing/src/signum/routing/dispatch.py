"""Sending a signed oficio (`oficio.signed`): one delivery per recipient, copy and office mailbox,
and an e-mail with the signed PDF to each external recipient."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from signum.contracts import Actor, Event
from signum.contracts.directory import UnidadPayload
from signum.contracts.routing import (
    DispatchedDelivery,
    ExternalDelivery,
    OficioDispatched,
    OficioDispatchedPayload,
)
from signum.contracts.signing import OficioSigned
from signum.platform.errors import NotFoundError, UnavailableError
from signum.platform.http import segment
from signum.platform.storage_client import StorageClient
from signum.routing import domain
from signum.routing.answers import Answers
from signum.routing.core import SYSTEM, Client, Routing, timeline_entry
from signum.routing.mail import Mailer, Outgoing
from signum.routing.recipients import Externals, Recipients, created_event
from signum.routing.repository import Oficio, Session


class Dispatch:
    """Delivers signed oficios."""

    def __init__(
        self,
        routing: Routing,
        recipients: Recipients,
        answers: Answers,
        *,
        drafting: Client | None,
        storage: StorageClient | None,
        mailer: Mailer,
        public_url: str,
        fetch: Callable[[str], Awaitable[bytes]],
    ) -> None:
        self.r = routing
        self.recipients = recipients
        self.answers = answers
        self.drafting = drafting
        self.storage = storage
        self.mailer = mailer
        self.public_url = public_url.rstrip("/")
        self._fetch = fetch

    async def on_oficio_signed(self, event: OficioSigned) -> None:
        oficio_id = event.oficio_id
        doc = await self.r.oficios.get(oficio_id, timeline=False) or {}
        if doc.get("despachado"):
            return
        if doc.get("para") is not None:
            # oficio.finalized said whom to send it to.
            draft: dict[str, Any] = {}
            to, copies = doc["para"], doc.get("copias") or []
        else:
            # An older oficio.finalized, or none seen yet: drafting's draft says it.
            draft = await self._draft(oficio_id, event.correlation_id)
            contenido = draft.get("contenido") or {}
            to, copies = contenido.get("destinatarios"), contenido.get("ccp") or []
        sender_unit = doc.get("office_id") or draft.get("office_id") or ""
        folio = event.payload.folio
        asunto = doc.get("asunto") or draft.get("asunto") or folio
        prioridad = doc.get("prioridad") or draft.get("prioridad") or "ordinaria"
        fecha_limite = doc.get("fecha_limite_respuesta") or draft.get("fecha_limite_respuesta")
        firmantes = doc.get("firmantes") or []
        remitente = firmantes[0]["nombre"] if firmantes else ""
        now = event.occurred_at
        deliveries: dict[str, dict[str, Any]] = {}
        externos: Externals = []

        def add(motivo: str, owner: str | None, unidad_id: str | None, **extra: Any) -> None:
            target = owner or domain.office_mailbox(unidad_id or "")
            eid = domain.entrega_id(oficio_id, motivo, target)
            if eid in deliveries:
                return
            deliveries[eid] = {
                "id": eid,
                "motivo": motivo,
                "funcionario_id": owner,
                "unidad_id": unidad_id,
                "estado": "enviado",
                "leido": False,
                "creado_en": now,
                "fecha_limite": None if motivo == "copia" else fecha_limite,
                "padre_id": None,
                **extra,
            }

        async def whom() -> None:
            nonlocal to
            if to is None:
                # Drafting does not know the oficio (e.g. an integration's): the ids of oficio.finalized.
                to = [await self.recipients.kind_of(rid) for rid in doc.get("destinatarios") or []]
            addressed = [(r, "destinatario") for r in to] + [(c, "copia") for c in copies]
            await self.recipients.resolve_all(addressed, add, externos, self.r.today())

        # The sender's unit and every recipient are looked up at once: the directory answers them
        # together, and the delivery does not wait for one look-up after another.
        unidad, _ = await asyncio.gather(self._unidad(sender_unit), whom())
        sender_name = unidad.nombre if unidad else remitente
        sent = await self._email(oficio_id, event, externos, folio, asunto, sender_name)

        events: list[Event] = [
            OficioDispatched(
                oficio_id=oficio_id,
                correlation_id=event.correlation_id,
                causation_id=str(event.event_id),
                actor=Actor.system("routing"),
                payload=OficioDispatchedPayload(
                    folio=folio,
                    asunto=asunto,
                    unidad_id=sender_unit or "-",
                    entregas=[
                        DispatchedDelivery(
                            entrega_id=d["id"],
                            motivo=d["motivo"],
                            funcionario_id=d["funcionario_id"],
                            unidad_id=d["unidad_id"],
                            buzon_unidad_id=d.get("buzon_unidad_id"),
                        )
                        for d in deliveries.values()
                    ],
                    externos=sent,
                ),
            )
        ]
        events += [
            created_event(oficio_id, d, folio, asunto, prioridad, event.correlation_id, str(event.event_id))
            for d in deliveries.values()
        ]
        for f in firmantes:
            f["firmado"] = True
        fields: dict[str, Any] = {
            "status": "enviado",
            "despachado": True,
            "enviado_en": now,
            "folio": folio,
            "asunto": asunto,
            "prioridad": prioridad,
            "remitente": remitente,
            "remitente_unidad": sender_unit,
            "remitente_unidad_nombre": unidad.nombre if unidad else sender_unit,
            "documento": event.payload.documento.model_dump(),
            "externos": [e.model_dump() for e in sent],
            "firmantes": firmantes,
        }
        timeline = [timeline_entry(event)] + [timeline_entry(e) for e in events]

        async def change(session: Session) -> Oficio:
            return await self.r.oficios.record_dispatch(event, fields, deliveries, timeline, events, session)

        await self.r.commit(oficio_id, change)
        for d in deliveries.values():
            if d.get("fecha_limite"):
                await self.r.queues.track_deadline(d["id"], oficio_id, str(d["fecha_limite"]))
        answered = doc.get("en_respuesta_a") or draft.get("en_respuesta_a")
        if answered:
            await self.answers.close_answered(answered, oficio_id, folio, sender_unit, event)

    async def _unidad(self, unidad_id: str) -> UnidadPayload | None:
        return await self.r.directory.unidad(unidad_id) if unidad_id else None

    async def _email(
        self,
        oficio_id: str,
        event: OficioSigned,
        externos: Externals,
        folio: str,
        asunto: str,
        remitente: str,
    ) -> list[ExternalDelivery]:
        sent: list[ExternalDelivery] = []
        pdf: bytes | None = None
        for recipient, correo in externos:
            ok = False
            if correo and self.mailer.configured:
                if pdf is None:
                    pdf = await self._signed_pdf(oficio_id, event.payload.documento.sha256)
                ok = await self.mailer.send(
                    Outgoing(
                        to=correo,
                        nombre=recipient.get("nombre") or correo,
                        folio=folio,
                        asunto=asunto,
                        remitente=remitente,
                        pdf=pdf,
                        url_verificacion=f"{self.public_url}/verificar/{oficio_id}",
                    )
                )
            sent.append(
                ExternalDelivery(nombre=recipient.get("nombre") or correo or "-", correo=correo, enviado=ok)
            )
        return sent

    async def _draft(self, oficio_id: str, correlation_id: str) -> dict[str, Any]:
        if self.drafting is None:
            return {}
        try:
            found = await self.drafting.request(
                "GET", f"/internal/oficios/{segment(oficio_id)}", caller=SYSTEM, correlation_id=correlation_id
            )
        except NotFoundError:
            return {}
        return found if isinstance(found, dict) else {}

    async def _signed_pdf(self, oficio_id: str, sha256: str) -> bytes:
        if self.storage is None:
            raise UnavailableError(
                "No hay servicio de almacenamiento configurado.", code="storage_unavailable"
            )
        signed = await self.storage.download_url(sha256, oficio_id=oficio_id, caller=SYSTEM)
        return await self._fetch(signed["url"])
