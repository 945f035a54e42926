"""Acuses de recibo: signing seals them; routing asks, retries while signing cannot, and records the
sealed acuse once, from signing's `acuse.sealed` (the HTTP reply only says the request was taken)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from signum.contracts import Event
from signum.platform.errors import SignumError
from signum.platform.logging import get_logger
from signum.routing.access import Access
from signum.routing.core import ACUSE_PREFIX, SYSTEM, Client, Routing, aware, timeline_entry
from signum.routing.domain import DeliveryNotFoundError
from signum.routing.repository import Oficio, Session

log = get_logger(__name__)


class Acuses:
    def __init__(self, routing: Routing, access: Access, signing: Client | None) -> None:
        self.r = routing
        self.access = access
        self.signing = signing
        self.background: set[asyncio.Task[bool]] = set()

    async def enqueue(self, entrega: str, oficio_id: str, at: datetime) -> None:
        """Queue the acuse before the receipt is written: the retry job issues it if nothing else does."""
        await self.r.queues.enqueue_acuse(entrega, oficio_id, at)

    def issue_soon(self, entrega: str) -> None:
        """Sealing takes a PKCS#11 signature and a timestamp: the recipient does not wait for it."""
        task = asyncio.create_task(self.issue(entrega))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def issue(self, entrega: str) -> bool:
        """Ask signing to seal the acuse; on failure it stays queued for the retry job."""
        if self.signing is None:
            return False
        try:
            doc, delivery = await self.access.load(entrega)
        except DeliveryNotFoundError:
            await self.r.queues.acuse_done(entrega)
            return False
        if delivery.get("acuse"):
            await self.r.queues.acuse_done(entrega)
            return True
        if not delivery.get("recibido_en"):
            return False  # the receipt was not recorded (yet): nothing to seal
        try:
            await self.signing.request(
                "POST", "/internal/acuses", caller=SYSTEM, json=await self._request(doc, delivery)
            )
        except SignumError as exc:
            log.warning("acuse not issued yet; will retry", entrega=entrega, code=exc.code)
            await self.r.queues.acuse_failed(entrega)
            if not delivery.get("acuse_pendiente"):
                # The recipient's page says so (the receipt stands; the seal comes when signing can).
                pending = {"desde": datetime.now(UTC), "motivo": exc.code}

                async def change(session: Session) -> Oficio:
                    return await self.r.oficios.mark_acuse_pending(doc["_id"], entrega, pending, session)

                await self.r.commit(doc["_id"], change)
            return False
        # Signing took it (idempotent per delivery): its `acuse.sealed` records the acuse.
        await self.r.queues.acuse_done(entrega)
        return True

    async def _request(self, doc: dict[str, Any], delivery: dict[str, Any]) -> dict[str, Any]:
        directory = self.r.directory
        receiver_id = delivery.get("recibido_por") or delivery.get("funcionario_id") or ""
        person = await directory.funcionario(receiver_id)
        puesto = await directory.puesto_de(receiver_id)
        unidad_id = delivery.get("unidad_id") or (puesto.unidad_id if puesto else "") or "-"
        unidad = await directory.unidad(unidad_id)
        dependencia = await directory.dependencia(unidad.dependencia_id) if unidad else None
        return {
            "oficio_id": doc["_id"],
            "entrega_id": delivery["id"],
            "folio": doc.get("folio") or "-",
            "asunto": doc.get("asunto") or "-",
            "recibido_por": {
                "funcionario_id": receiver_id,
                "nombre": person.nombre if person else receiver_id,
                "cargo": puesto.titulo if puesto else "",
            },
            "unidad": {
                "unidad_id": unidad_id,
                "nombre": unidad.nombre if unidad else unidad_id,
                "dependencia": dependencia.nombre if dependencia else (unidad.nombre if unidad else "-"),
            },
            "recibido_en": aware(delivery["recibido_en"]).isoformat(),
        }

    async def retry(self) -> int:
        """The periodic job: ask for every acuse still pending."""
        issued = 0
        for item in await self.r.queues.pending_acuses():
            if await self.issue(item["_id"]):
                issued += 1
        return issued

    async def on_document_renewed(self, event: Event) -> None:
        """`document.renewed` (signing's archive renewal): the oficio's signed PDF, or a delivery's
        sealed acuse, is now the re-timestamped version (B-LTA); what people open is that one."""
        p: Any = event.payload
        new = p.documento
        if p.tipo == "oficio":
            path = "documento"
            fields = {"bucket": new.bucket, "clave": new.clave, "sha256": new.sha256, "tamano": new.tamano}
        else:
            path = f"entregas.{p.documento_id.removeprefix(ACUSE_PREFIX)}.acuse"
            fields = {"clave": new.clave, "sha256": new.sha256}
        renewed = p.documento_anterior.sha256

        async def change(session: Session) -> Oficio:
            return await self.r.oficios.replace_document(
                event, path, renewed, fields, timeline_entry(event), session
            )

        await self.r.commit(event.oficio_id or "", change)

    async def on_acuse_sealed(self, event: Event) -> None:
        """`acuse.sealed` (signing): read by field so routing does not depend on its class."""
        p: Any = event.payload
        oficio_id = event.oficio_id or ""
        acuse = {
            "clave": p.documento.clave,
            "sha256": p.documento.sha256,
            "url_verificacion": p.url_verificacion,
        }

        async def change(session: Session) -> Oficio:
            doc = await self.r.oficios.get(oficio_id, session)
            if doc is None or p.entrega_id not in (doc.get("entregas") or {}):
                return None
            return await self.r.oficios.record_acuse(
                event, p.entrega_id, acuse, timeline_entry(event), session
            )

        await self.r.commit(oficio_id, change)
        await self.r.queues.acuse_done(p.entrega_id)
