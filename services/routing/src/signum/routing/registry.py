"""The oficialía de partes registers paper documents: the scan is stored and the document enters the
same flow as a signed oficio (deliveries, inboxes, acuses, deadlines)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from signum.contracts import Event
from signum.contracts.envelope import uuid7
from signum.contracts.routing import DispatchedDelivery, OficioDispatched, OficioDispatchedPayload
from signum.platform.errors import UnavailableError, ValidationFailedError
from signum.platform.identity import Caller
from signum.platform.storage_client import StorageClient
from signum.routing import domain
from signum.routing.core import SYSTEM, Routing, correlation, timeline_entry
from signum.routing.domain import DeliveryForbiddenError
from signum.routing.recipients import Recipients, created_event
from signum.routing.repository import Oficio, Session
from signum.routing.views import delivery_summary

RECIPIENT_KINDS = ("funcionario", "puesto", "unidad")


class Registry:
    def __init__(self, routing: Routing, recipients: Recipients, storage: StorageClient | None) -> None:
        self.r = routing
        self.recipients = recipients
        self.storage = storage

    async def _check(
        self,
        caller: Caller,
        pdf_head: bytes,
        fecha_limite: dt.date | None,
        destinatario_tipo: str,
        destinatario_id: str,
    ) -> tuple[StorageClient, str]:
        """The storage client and the registering unit, once the request may go on."""
        if caller.kind != "official" or not caller.has_role("oficialia") or not caller.unidad_id:
            raise DeliveryForbiddenError(
                "Solo la oficialía de partes registra documentos recibidos en papel.",
                code="registry_forbidden",
            )
        if not pdf_head.startswith(b"%PDF"):
            raise ValidationFailedError("El documento escaneado debe ser un PDF.", code="scan_not_pdf")
        if fecha_limite is not None and fecha_limite < self.r.today():
            raise domain.DeadlineInPastError()
        if destinatario_tipo not in RECIPIENT_KINDS:
            raise ValidationFailedError(
                "El destinatario debe ser un funcionario, un puesto o una unidad del directorio.",
                code="invalid_recipient_kind",
            )
        directory = self.r.directory
        known = {"funcionario": directory.funcionario, "puesto": directory.puesto, "unidad": directory.unidad}
        if await known[destinatario_tipo](destinatario_id) is None:
            raise ValidationFailedError(
                "El destinatario no existe en el directorio.", code="recipient_not_in_directory"
            )
        if self.storage is None:
            raise UnavailableError(
                "No hay servicio de almacenamiento configurado.", code="storage_unavailable"
            )
        return self.storage, caller.unidad_id

    async def register_paper(
        self,
        caller: Caller,
        *,
        pdf_head: bytes,
        pdf: AsyncIterator[bytes],
        asunto: str,
        remitente_nombre: str,
        remitente_cargo: str,
        remitente_organizacion: str,
        folio_externo: str,
        fecha_documento: dt.date | None,
        destinatario_tipo: str,
        destinatario_id: str,
        prioridad: str = "ordinaria",
        fecha_limite: dt.date | None = None,
    ) -> dict[str, Any]:
        """A scanned paper document enters the same flow as a signed oficio.
        `pdf` streams the scan to storage (`pdf_head`: its first bytes, to check it is a PDF)."""
        storage, unit = await self._check(caller, pdf_head, fecha_limite, destinatario_tipo, destinatario_id)
        oficio_id = str(uuid7())
        stored = await storage.upload(
            pdf,
            oficio_id=oficio_id,
            bucket="documents",
            nombre=f"{folio_externo or 'registro'}.pdf",
            media_type="application/pdf",
            caller=SYSTEM,
        )
        now = datetime.now(UTC)
        unidad = await self.r.directory.unidad(unit)
        folio = folio_externo.strip() or f"REG/{unit}/{now:%Y%m%d%H%M%S}"
        deliveries: dict[str, dict[str, Any]] = {}

        def add(motivo: str, owner: str | None, unidad_id: str | None, **extra: Any) -> None:
            if motivo == "oficialia":
                return  # the oficialía that registers it already has it
            target = owner or domain.office_mailbox(unidad_id or "")
            eid = domain.entrega_id(oficio_id, "registro", target)
            deliveries.setdefault(
                eid,
                {
                    "id": eid,
                    "motivo": "registro",
                    "funcionario_id": owner,
                    "unidad_id": unidad_id,
                    "estado": "enviado",
                    "leido": False,
                    "creado_en": now,
                    "fecha_limite": fecha_limite.isoformat() if fecha_limite else None,
                    "padre_id": None,
                    "registrado_por": caller.id,
                    **extra,
                },
            )

        recipient = {"tipo": destinatario_tipo, "id": destinatario_id}
        await self.recipients.resolve(recipient, "destinatario", add, [], self.r.today())
        if not deliveries:
            raise ValidationFailedError(
                "El destinatario no tiene titular ni suplente hoy; elija a una persona.",
                code="recipient_vacant",
            )
        correlation_id = correlation()
        events: list[Event] = [
            OficioDispatched(
                oficio_id=oficio_id,
                correlation_id=correlation_id,
                actor=caller.actor,
                payload=OficioDispatchedPayload(
                    folio=folio,
                    asunto=asunto,
                    unidad_id=unit,
                    entregas=[
                        DispatchedDelivery(
                            entrega_id=d["id"],
                            motivo="registro",
                            funcionario_id=d["funcionario_id"],
                            unidad_id=d["unidad_id"],
                            buzon_unidad_id=d.get("buzon_unidad_id"),
                        )
                        for d in deliveries.values()
                    ],
                ),
            )
        ]
        events += [
            created_event(
                oficio_id, d, folio, asunto, prioridad, correlation_id, correlation_id, caller.actor
            )
            for d in deliveries.values()
        ]
        doc = {
            "_id": oficio_id,
            "status": "enviado",
            "kind": "registro",
            "asunto": asunto,
            "office_id": unit,
            "author_id": caller.id,
            "participantes": [caller.id],
            "confidencialidad": "publica",
            "created_at": now,
            "updated_at": now,
            "enviado_en": now,
            "despachado": True,
            "folio": folio,
            "prioridad": prioridad,
            "fecha_limite_respuesta": fecha_limite.isoformat() if fecha_limite else None,
            "remitente": ", ".join(p for p in (remitente_nombre, remitente_cargo) if p),
            "remitente_unidad": None,
            "remitente_unidad_nombre": remitente_organizacion,
            "registro": {
                "registrado_por": caller.id,
                "unidad_id": unit,
                "unidad": unidad.nombre if unidad else unit,
                "folio_externo": folio_externo,
                "fecha_documento": fecha_documento.isoformat() if fecha_documento else None,
                "remitente": {
                    "nombre": remitente_nombre,
                    "cargo": remitente_cargo,
                    "organizacion": remitente_organizacion,
                },
            },
            "documento": {k: stored.get(k) for k in ("bucket", "clave", "sha256", "tamano")},
            "entregas": deliveries,
            "timeline": [timeline_entry(e) for e in events],
        }

        async def change(session: Session) -> Oficio:
            return await self.r.oficios.insert(doc, events, session)

        await self.r.commit(oficio_id, change)
        for d in deliveries.values():
            if d.get("fecha_limite"):
                await self.r.queues.track_deadline(d["id"], oficio_id, d["fecha_limite"])
        return {
            "oficio_id": oficio_id,
            "folio": folio,
            "documento": doc["documento"],
            "entregas": [delivery_summary(d) for d in deliveries.values()],
        }
