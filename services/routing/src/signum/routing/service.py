"""Routing's use cases: deliveries on `oficio.signed`, inboxes, acuse de recibo, turnar, answers,
closing, archiving and deadlines."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import httpx

from signum.contracts import Actor, Event
from signum.contracts.drafting import (
    OficioCancelled,
    OficioCreated,
    OficioFinalized,
    OficioReviewed,
    OficioReviewRequested,
    OficioUpdated,
)
from signum.contracts.envelope import uuid7
from signum.contracts.routing import (
    DeadlineOverdue,
    DeadlineOverduePayload,
    DeliveryAcknowledged,
    DeliveryAcknowledgedPayload,
    DeliveryClosed,
    DeliveryClosedPayload,
    DeliveryCreated,
    DeliveryCreatedPayload,
    DeliveryForwarded,
    DeliveryForwardedPayload,
    DispatchedDelivery,
    ExternalDelivery,
    OficioAnswered,
    OficioAnsweredPayload,
    OficioDispatched,
    OficioDispatchedPayload,
    Turno,
)
from signum.contracts.signing import OficioSigned, SignatureAdded
from signum.platform.calendar import WorkCalendar
from signum.platform.directory import DirectoryReadModel
from signum.platform.errors import NotFoundError, SignumError, UnavailableError, ValidationFailedError
from signum.platform.event_descriptions import describe_event
from signum.platform.http import segment
from signum.platform.identity import Caller
from signum.platform.logging import get_logger
from signum.platform.policy import Action, OficioAccess, authorize
from signum.routing import domain
from signum.routing.directory_cache import CachedDirectory
from signum.routing.domain import (
    CLOSED_STATES,
    INSTRUCCIONES,
    OPEN_STATES,
    DeliveryClosedError,
    DeliveryForbiddenError,
    DeliveryNotFoundError,
)
from signum.routing.mail import Mailer, Outgoing
from signum.routing.notifications import Notifier
from signum.routing.repository import InboxRepository, OficioRepository, QueueRepository

log = get_logger(__name__)

SYSTEM = Caller(kind="system", id="routing")
PAGE_MAX = 100


class Client(Protocol):
    """An internal API client (signum.platform.http.InternalClient)."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        caller: Caller | None = None,
        correlation_id: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any: ...

    async def stream_upload(
        self,
        path: str,
        content: AsyncIterator[bytes],
        *,
        caller: Caller | None = None,
        correlation_id: str | None = None,
        params: dict[str, Any] | None = None,
        content_type: str = "application/octet-stream",
        upload_timeout: float = 600.0,
    ) -> Any: ...


class RoutingService:
    """Tracks oficios from the other services' events and routes the signed ones."""

    def __init__(
        self,
        oficios: OficioRepository,
        inbox: InboxRepository,
        queues: QueueRepository,
        directory: DirectoryReadModel | CachedDirectory,
        *,
        drafting: Client | None = None,
        signing: Client | None = None,
        storage: Client | None = None,
        mailer: Mailer | None = None,
        notifier: Notifier | None = None,
        calendar: WorkCalendar | None = None,
        public_url: str = "http://127.0.0.1:8000",
        timezone: str = "America/Monterrey",
        reminder_days: int = 2,
        notify_outbox: Callable[[], None] | None = None,
        fetch: Callable[[str], Awaitable[bytes]] | None = None,
    ) -> None:
        self.oficios = oficios
        self.inbox = inbox
        self.queues = queues
        self.directory = directory
        self.drafting = drafting
        self.signing = signing
        self.storage = storage
        self.mailer = mailer or Mailer(None, 25, "signum@localhost")
        self.notifier = notifier or Notifier()
        self.calendar = calendar or WorkCalendar()
        self.public_url = public_url.rstrip("/")
        self.tz = ZoneInfo(timezone)
        self.reminder_days = reminder_days
        self._notify_outbox = notify_outbox or (lambda: None)
        self._fetch = fetch or _http_get
        self._background: set[asyncio.Task[bool]] = set()

    def today(self) -> dt.date:
        return datetime.now(self.tz).date()

    # --- drafting and signing events ------------------------------------------------------------

    async def on_drafting_event(self, event: Event) -> None:
        fields: dict[str, Any] = {}
        add_people: list[str] = []
        # What a save of the draft says (its participants, confidentiality, state) is kept in the
        # order of the draft's versions: an older save arriving after a newer one is ignored.
        if isinstance(event, OficioCreated):
            p = event.payload
            await self.oficios.apply_draft_version(
                event.oficio_id,
                1,
                {
                    "status": "borrador",
                    "asunto": p.asunto,
                    "participantes": p.participantes or [p.author_id],
                    "confidencialidad": p.confidencialidad,
                    "updated_at": event.occurred_at,
                },
            )
            fields = {
                "kind": p.kind,
                "office_id": p.office_id,
                "author_id": p.author_id,
                "created_at": event.occurred_at,
            }
            add_people = [p.author_id, *p.participantes]
        elif isinstance(event, OficioUpdated):
            up = event.payload
            await self.oficios.apply_draft_version(
                event.oficio_id,
                up.version,
                {
                    "asunto": up.asunto,
                    "participantes": up.participantes,
                    "confidencialidad": up.confidencialidad,
                    "status": up.status,
                    "updated_at": event.occurred_at,
                },
            )
            add_people = list(up.participantes)
        elif isinstance(event, OficioReviewRequested):
            fields = {
                "status": "en_revision",
                "revisores_pendientes": list(event.payload.revisores),
                "updated_at": event.occurred_at,
            }
            add_people = list(event.payload.revisores)
        elif isinstance(event, OficioReviewed):
            rp = event.payload
            fields = {
                "status": rp.status,
                "revisores_pendientes": list(rp.pendientes) if rp.status == "en_revision" else [],
                "updated_at": event.occurred_at,
            }
        elif isinstance(event, OficioFinalized):
            fp = event.payload
            fields = {
                "status": "listo_para_firma",
                "folio": fp.folio,
                "asunto": fp.asunto,
                "kind": fp.kind,
                "office_id": fp.unidad_id,
                "prioridad": fp.prioridad,
                "confidencialidad": fp.confidencialidad,
                "fecha_limite_respuesta": fp.fecha_limite_respuesta,
                "en_respuesta_a": fp.en_respuesta_a,
                "destinatarios": fp.destinatarios,
                # Who the signed oficio goes to, as finalized (None: the producer did not say).
                "para": None if fp.para is None else [a.model_dump() for a in fp.para],
                "copias": None if fp.ccp is None else [a.model_dump() for a in fp.ccp],
                "firmantes": [
                    {
                        "orden": s.orden,
                        "funcionario_id": s.funcionario_id,
                        "nombre": s.nombre,
                        "cargo": s.cargo,
                    }
                    for s in sorted(fp.firmantes, key=lambda s: s.orden)
                ],
                "updated_at": event.occurred_at,
            }
            add_people = [s.funcionario_id for s in fp.firmantes if s.funcionario_id]
        elif isinstance(event, OficioCancelled):
            fields = {"status": "cancelado", "updated_at": event.occurred_at}
        else:
            return
        update: dict[str, Any] = {"$push": {"timeline": _timeline_entry(event)}}
        if fields:
            update["$set"] = fields
        if add_people:
            update["$addToSet"] = {"conocidos": {"$each": domain.distinct(add_people)}}
        applied = await self.oficios.apply_event(event, update)
        await self.project(event.oficio_id or "", people_only=True)
        if applied and isinstance(event, OficioReviewRequested):
            await self._ask_reviewers(event)
        if isinstance(event, OficioFinalized) and event.payload.en_respuesta_a:
            await self._in_attention(event.payload.en_respuesta_a, event.payload.unidad_id, event)

    async def _ask_reviewers(self, event: OficioReviewRequested) -> None:
        """Tell each reviewer, live, that an oficio waits for their review (folder «Por revisar»)."""
        doc = await self.oficios.get(event.oficio_id or "") or {}
        who = await self._actor_name(event.actor.model_dump())
        asunto = doc.get("asunto") or ""
        for revisor in event.payload.revisores:
            self.notifier.notify(
                revisor,
                "revision",
                {
                    "oficio_id": event.oficio_id,
                    "asunto": asunto,
                    "solicitado_por": who,
                    "mensaje": f"{who} le pidió revisar el oficio «{asunto}».",
                },
            )

    async def _in_attention(self, answered_id: str, unit: str, event: OficioFinalized) -> None:
        """The answer is ready to sign: the deliveries it will close are `en_atencion` meanwhile."""
        original = await self.oficios.get(answered_id)
        if original is None:
            return
        fields = {
            f"entregas.{d['id']}.estado": "en_atencion"
            for d in domain.answered_by(original.get("entregas") or {}, unit)
        }
        if fields:
            fields.update(
                {f"{k.rsplit('.', 1)[0]}.respuesta_en_curso": event.oficio_id for k in list(fields)}
            )
            await self.oficios.apply_event_to(answered_id, event, {"$set": fields})
            await self.project(answered_id)

    async def on_signature_added(self, event: SignatureAdded) -> None:
        doc = await self.oficios.get(event.oficio_id or "")
        firmantes = list((doc or {}).get("firmantes") or [])
        for f in firmantes:
            if f["orden"] == event.payload.orden:
                f["firmado"] = True
        fields: dict[str, Any] = {"firmantes": firmantes, "documento": event.payload.documento.model_dump()}
        if doc is not None and doc.get("status") not in ("enviado", "firmado"):
            fields["status"] = "firmando"
        await self.oficios.apply_event(event, {"$set": fields, "$push": {"timeline": _timeline_entry(event)}})
        await self.project(event.oficio_id, people_only=True)

    async def on_acuse_sealed(self, event: Event) -> None:
        # `acuse.sealed` (signing): read by field so routing does not depend on its class.
        p: Any = event.payload
        doc = await self.oficios.get(event.oficio_id or "")
        if doc is None or p.entrega_id not in (doc.get("entregas") or {}):
            return
        acuse = {
            "clave": p.documento.clave,
            "sha256": p.documento.sha256,
            "url_verificacion": p.url_verificacion,
        }
        await self.oficios.apply_event(
            event,
            {
                "$set": {f"entregas.{p.entrega_id}.acuse": acuse},
                "$unset": {f"entregas.{p.entrega_id}.acuse_pendiente": ""},
                "$push": {"timeline": _timeline_entry(event)},
            },
        )
        await self.queues.acuse_done(p.entrega_id)

    async def on_oficio_signed(self, event: OficioSigned) -> None:
        """Send the signed oficio: one delivery per recipient, copy and office mailbox; emails."""
        oficio_id = event.oficio_id
        doc = await self.oficios.get(oficio_id) or {}
        if doc.get("despachado"):
            return
        if doc.get("para") is not None:
            # oficio.finalized said whom to send it to.
            draft: dict[str, Any] = {}
            recipients, copies = doc["para"], doc.get("copias") or []
        else:
            # An older oficio.finalized, or none seen yet: drafting's draft says it.
            draft = await self._draft(oficio_id, event.correlation_id)
            contenido = draft.get("contenido") or {}
            recipients, copies = contenido.get("destinatarios"), contenido.get("ccp") or []
        sender_unit = doc.get("office_id") or draft.get("office_id") or ""
        folio = event.payload.folio
        asunto = doc.get("asunto") or draft.get("asunto") or folio
        prioridad = doc.get("prioridad") or draft.get("prioridad") or "ordinaria"
        fecha_limite = doc.get("fecha_limite_respuesta") or draft.get("fecha_limite_respuesta")
        firmantes = doc.get("firmantes") or []
        remitente = firmantes[0]["nombre"] if firmantes else ""
        unidad = await self.directory.unidad(sender_unit) if sender_unit else None
        now = event.occurred_at
        deliveries: dict[str, dict[str, Any]] = {}
        externos: list[tuple[dict[str, Any], str]] = []

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

        if recipients is None:
            # Drafting does not know the oficio (e.g. an integration's): the ids of oficio.finalized.
            recipients = [await self._kind_of(rid) for rid in doc.get("destinatarios") or []]
        for recipient in recipients:
            await self._resolve(recipient, "destinatario", add, externos)
        for copy in copies:
            await self._resolve(copy, "copia", add, externos)

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
                        remitente=unidad.nombre if unidad else remitente,
                        pdf=pdf,
                        url_verificacion=f"{self.public_url}/verificar/{oficio_id}",
                    )
                )
            sent.append(
                ExternalDelivery(nombre=recipient.get("nombre") or correo or "-", correo=correo, enviado=ok)
            )

        actor = Actor.system("routing")
        events: list[Event] = [
            OficioDispatched(
                oficio_id=oficio_id,
                correlation_id=event.correlation_id,
                causation_id=str(event.event_id),
                actor=actor,
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
            self._created_event(
                oficio_id, d, folio, asunto, prioridad, event.correlation_id, str(event.event_id)
            )
            for d in deliveries.values()
        ]
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
        }
        for f in firmantes:
            f["firmado"] = True
        fields["firmantes"] = firmantes
        for eid, d in deliveries.items():
            fields[f"entregas.{eid}"] = d
        timeline = [_timeline_entry(event)] + [_timeline_entry(e) for e in events]
        applied = await self.oficios.apply_event(
            event, {"$set": fields, "$push": {"timeline": {"$each": timeline}}}, events
        )
        if applied:
            # The document as just written (saves reading it back).
            written = {k: v for k, v in {**doc, **fields}.items() if not k.startswith("entregas.")}
            written["_id"] = oficio_id
            written["entregas"] = {**(doc.get("entregas") or {}), **deliveries}
            await self.project(oficio_id, doc=written)
        else:
            await self.project(oficio_id)
        # The relay publishes the events after the inboxes are written: both write to the same
        # database, and the recipients are waiting for their inboxes, not for the events.
        self._notify_outbox()
        for d in deliveries.values():
            if d.get("fecha_limite"):
                await self.queues.track_deadline(d["id"], oficio_id, str(d["fecha_limite"]))
        answered = doc.get("en_respuesta_a") or draft.get("en_respuesta_a")
        if answered:
            await self._close_answered(answered, oficio_id, folio, sender_unit, event)

    async def _kind_of(self, rid: str) -> dict[str, Any]:
        """A directory id as a recipient of the kind the directory knows it as."""
        if await self.directory.funcionario(rid) is not None:
            return {"tipo": "funcionario", "id": rid}
        if await self.directory.puesto(rid) is not None:
            return {"tipo": "puesto", "id": rid}
        return {"tipo": "unidad", "id": rid}

    async def _resolve(
        self,
        recipient: dict[str, Any],
        motivo: str,
        add: Callable[..., None],
        externos: list[tuple[dict[str, Any], str]],
    ) -> None:
        tipo, rid = recipient.get("tipo"), recipient.get("id")
        if tipo == "externo" or not rid:
            if motivo == "destinatario" or recipient.get("correo"):
                externos.append((recipient, recipient.get("correo") or ""))
            return
        today = self.today()
        if tipo == "funcionario":
            puesto = await self.directory.puesto_de(rid)
            add(motivo, rid, puesto.unidad_id if puesto else None, puesto_id=puesto.id if puesto else None)
        elif tipo == "puesto":
            puesto = await self.directory.puesto(rid)
            if puesto is None:
                return
            await self._to_position(puesto.id, puesto.unidad_id, puesto.funcionario_id, motivo, add, today)
        elif tipo == "unidad":
            head = await self.directory.puesto_titular(rid)
            if head is not None:
                await self._to_position(head.id, rid, head.funcionario_id, motivo, add, today)
            if motivo == "destinatario":
                add("oficialia", None, rid, buzon_unidad_id=await self.oficialia_de(rid))

    async def oficialia_de(self, unidad_id: str) -> str | None:
        """The unit whose oficialía de partes keeps the office mailbox of `unidad_id`.

        The nearest up the unit tree: walking from the unit to its root, the first unit that has
        officials with role `oficialia` holding a position in it, or else a direct subunit that has
        them (e.g. «Oficialía de Partes» SAY-OP under SAY serves SAY and every unit below SAY that has
        none nearer). None when no unit up the tree has one: the mailbox stays the unit's own, read
        by its titular.
        """
        seen: set[str] = set()
        current: str | None = unidad_id
        while current and current not in seen:
            seen.add(current)
            if await self.directory.tiene_rol(current, "oficialia"):
                return current
            for child in await self.directory.subunidades_directas(current):
                if child not in seen and await self.directory.tiene_rol(child, "oficialia"):
                    return child
            unidad = await self.directory.unidad(current)
            current = unidad.padre_id if unidad else None
        return None

    async def _to_position(
        self,
        puesto_id: str,
        unidad_id: str,
        holder: str | None,
        motivo: str,
        add: Callable[..., None],
        today: dt.date,
    ) -> None:
        suplente = await self.directory.suplente_vigente(puesto_id, today)
        if suplente is not None:
            add(motivo, suplente.id, unidad_id, puesto_id=puesto_id, en_lugar_de=holder)
        elif holder is not None:
            add(motivo, holder, unidad_id, puesto_id=puesto_id)
        else:
            add(
                motivo,
                None,
                unidad_id,
                puesto_id=puesto_id,
                buzon_unidad_id=await self.oficialia_de(unidad_id),
            )

    def _created_event(
        self,
        oficio_id: str,
        d: dict[str, Any],
        folio: str,
        asunto: str,
        prioridad: str,
        correlation_id: str,
        causation_id: str,
        actor: Actor | None = None,
    ) -> DeliveryCreated:
        return DeliveryCreated(
            oficio_id=oficio_id,
            correlation_id=correlation_id,
            causation_id=causation_id,
            actor=actor or Actor.system("routing"),
            payload=DeliveryCreatedPayload(
                entrega_id=d["id"],
                motivo=d["motivo"],
                funcionario_id=d["funcionario_id"],
                unidad_id=d.get("unidad_id"),
                buzon_unidad_id=d.get("buzon_unidad_id"),
                en_lugar_de=d.get("en_lugar_de"),
                padre_id=d.get("padre_id"),
                folio=folio,
                asunto=asunto,
                prioridad=prioridad,
                fecha_limite=dt.date.fromisoformat(str(d["fecha_limite"])[:10])
                if d.get("fecha_limite")
                else None,
            ),
        )

    async def _close_answered(
        self, answered_id: str, answer_id: str, answer_folio: str, answer_unit: str, event: OficioSigned
    ) -> None:
        original = await self.oficios.get(answered_id)
        if original is None:
            log.warning("answer to an oficio routing does not know", answered=answered_id, answer=answer_id)
            return
        entregas = original.get("entregas") or {}
        closing = domain.answered_by(entregas, answer_unit)
        if not closing:
            return
        events: list[Event] = []
        fields: dict[str, Any] = {}
        for d in closing:
            fields[f"entregas.{d['id']}.estado"] = "respondido"
            fields[f"entregas.{d['id']}.respuesta"] = {"oficio_id": answer_id, "folio": answer_folio}
            fields[f"entregas.{d['id']}.cerrado_en"] = event.occurred_at
            common = {
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
        timeline = [_timeline_entry(e) for e in events]
        await self.oficios.apply_event_to(
            answered_id, event, {"$set": fields, "$push": {"timeline": {"$each": timeline}}}, events
        )
        self._notify_outbox()
        for d in closing:
            await self.queues.untrack_deadline(d["id"])
        await self.project(answered_id)

    # --- projection of inboxes ---------------------------------------------------------------------

    async def repair(self, event: Event) -> None:
        """Re-project after one of routing's own events came back (a crash may have cut a projection)."""
        if event.oficio_id is None:
            return
        if isinstance(event, OficioDispatched):
            # The usual case: everything was projected right after the write. Checking costs a
            # read per delivery; projecting again costs a write per inbox.
            present = [
                await self.inbox.get(
                    e.funcionario_id or domain.office_mailbox(e.buzon_unidad_id or e.unidad_id or ""),
                    f"e:{e.entrega_id}",
                )
                for e in event.payload.entregas
            ]
            if all(present):
                return
        await self.project(event.oficio_id)

    async def project(
        self, oficio_id: str, *, people_only: bool = False, doc: dict[str, Any] | None = None
    ) -> None:
        """Write the inbox entries the oficio's document implies (idempotent: safe to repeat)."""
        doc = doc or await self.oficios.get(oficio_id)
        if doc is None:
            return
        today = self.today()
        by_owner: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}
        # Deliveries first: their owners are waiting for them; the oficio's own people follow.
        if not people_only:
            for d in (doc.get("entregas") or {}).values():
                owner = domain.delivery_owner(d)
                entries, _ = by_owner.setdefault(owner, ([], []))
                entries.append(self._delivery_entry(doc, d, today))
        people = set(doc.get("conocidos") or []) | domain.oficio_people(doc)
        for person in people:
            folder = domain.oficio_folder(doc, person)
            entries, remove = by_owner.setdefault(person, ([], []))
            if folder is None:
                remove.append(f"o:{oficio_id}")
            else:
                entries.append(self._oficio_entry(doc, folder))
        for owner, (entries, remove) in by_owner.items():
            created = await self.inbox.write(owner, entries, remove)
            if entries:
                # `nuevos` counts deliveries that just arrived: the page announces only those, and
                # refreshes quietly for changes (a sealed acuse, the owner's own action, a repair).
                nuevos = sum(1 for entry_id in created if entry_id.startswith("e:"))
                self.notifier.notify(owner, "bandeja", {"oficio_id": oficio_id, "nuevos": nuevos})

    def _oficio_entry(self, doc: dict[str, Any], folder: str) -> dict[str, Any]:
        entry_id = f"o:{doc['_id']}"
        when = _aware(doc.get("enviado_en") or doc.get("updated_at") or doc.get("created_at"))
        return {
            "_id": entry_id,
            "tipo": "oficio",
            "carpeta": folder,
            "orden": domain.sort_key(when, entry_id),
            "fecha": when,
            "oficio_id": doc["_id"],
            "entrega_id": None,
            "folio": doc.get("folio"),
            "asunto": doc.get("asunto", ""),
            "estado": doc.get("status"),
            "prioridad": doc.get("prioridad", "ordinaria"),
            "remitente": doc.get("remitente", ""),
            "remitente_unidad": doc.get("office_id"),
            "leido": folder not in domain.WAITING_FOLDERS,
            "fecha_limite": doc.get("fecha_limite_respuesta"),
            # Enviados: how far its recipients got (state -> how many), for the sender's list.
            "destinatarios": domain.recipients_summary(doc) if folder == "enviados" else None,
            "texto": domain.search_text(doc.get("folio"), doc.get("asunto"), doc.get("remitente")),
        }

    def _delivery_entry(self, doc: dict[str, Any], d: dict[str, Any], today: dt.date) -> dict[str, Any]:
        entry_id = f"e:{d['id']}"
        when = _aware(d["creado_en"])
        return {
            "_id": entry_id,
            "tipo": "entrega",
            "carpeta": domain.delivery_folder(d),
            "orden": domain.sort_key(when, entry_id),
            "fecha": when,
            "oficio_id": doc["_id"],
            "entrega_id": d["id"],
            "motivo": d["motivo"],
            "folio": doc.get("folio"),
            "asunto": doc.get("asunto", ""),
            "estado": d["estado"],
            "prioridad": doc.get("prioridad", "ordinaria"),
            "remitente": d.get("turnado_por_nombre") or doc.get("remitente", ""),
            "remitente_unidad": doc.get("remitente_unidad"),
            "remitente_unidad_nombre": doc.get("remitente_unidad_nombre"),
            "leido": bool(d.get("leido")),
            "fecha_limite": str(d["fecha_limite"])[:10] if d.get("fecha_limite") else None,
            "vencido": domain.is_overdue(d, today),
            "instruccion": d.get("instruccion"),
            "en_lugar_de": d.get("en_lugar_de"),
            "texto": domain.search_text(
                doc.get("folio"), doc.get("asunto"), doc.get("remitente"), doc.get("remitente_unidad_nombre")
            ),
        }

    # --- inbox queries -----------------------------------------------------------------------------

    async def inbox_page(
        self,
        caller: Caller,
        carpeta: str,
        *,
        buzon: str | None = None,
        estado: str | None = None,
        prioridad: str | None = None,
        remitente_unidad: str | None = None,
        desde: dt.date | None = None,
        hasta: dt.date | None = None,
        vencidos: bool = False,
        q: str | None = None,
        cursor: str | None = None,
        limite: int = 25,
    ) -> dict[str, Any]:
        owner = self._inbox_owner(caller, buzon)
        if carpeta not in domain.CARPETAS:
            raise ValidationFailedError(
                "Carpeta desconocida. Use: " + ", ".join(domain.CARPETAS) + ".", code="unknown_folder"
            )
        query: dict[str, Any] = {"carpeta": carpeta}
        if estado:
            query["estado"] = estado
        if prioridad:
            query["prioridad"] = prioridad
        if remitente_unidad:
            query["remitente_unidad"] = remitente_unidad
        if desde or hasta:
            if desde and hasta and hasta < desde:
                raise ValidationFailedError(
                    "La fecha «hasta» no puede ser anterior a «desde».", code="invalid_date_range"
                )
            span: dict[str, Any] = {}
            if desde:
                span["$gte"] = datetime.combine(desde, dt.time(), self.tz).astimezone(UTC)
            if hasta:
                span["$lt"] = datetime.combine(hasta + dt.timedelta(days=1), dt.time(), self.tz).astimezone(
                    UTC
                )
            query["fecha"] = span
        if vencidos:
            query["fecha_limite"] = {"$lt": self.today().isoformat(), "$ne": None}
            query["estado"] = estado if estado else {"$in": sorted(OPEN_STATES)}
        if q:
            query["texto"] = {"$regex": re.escape(domain.fold(q.strip()))}
        if cursor:
            query["orden"] = {"$lt": _decode_cursor(cursor)}
        limite = max(1, min(limite, PAGE_MAX))
        items = await self.inbox.page(owner, query, limite + 1)
        more = len(items) > limite
        items = items[:limite]
        return {
            "carpeta": carpeta,
            "elementos": [_public_entry(i) for i in items],
            "siguiente": _encode_cursor(items[-1]["orden"]) if more and items else None,
        }

    async def unread_counts(self, caller: Caller, buzon: str | None = None) -> dict[str, int]:
        owner = self._inbox_owner(caller, buzon)
        counts = await self.inbox.unread(owner)
        return {c: counts.get(c, 0) for c in domain.CARPETAS}

    async def waiting(self, caller: Caller) -> dict[str, Any]:
        """What waits on the caller (the start page): reviews, signatures, unopened and overdue."""
        owner = self._inbox_owner(caller, None)
        unread = await self.inbox.unread(owner)
        overdue = await self.inbox.overdue(owner, self.today().isoformat(), sorted(OPEN_STATES))
        return {
            "por_revisar": unread.get("por_revisar", 0),
            "por_firmar": unread.get("por_firmar", 0),
            "recibidos_sin_abrir": unread.get("recibidos", 0),
            "turnados_sin_abrir": unread.get("turnados", 0),
            "vencidos": sum(overdue.values()),
            "vencidos_por_carpeta": overdue,
        }

    async def sent_view(self, caller: Caller, oficio_id: str) -> dict[str, Any]:
        """The sender's read-only view: each recipient's state, receipt and acuse, and the trajectory.

        For those who may read the oficio as its sender (author, collaborators, signers), a titular
        of its unit or an auditor; being a recipient is not enough to see the other recipients.
        """
        doc = await self.tracking(caller, oficio_id, Action.OFICIO_HISTORIAL)
        destinatarios = []
        for d in domain.sent_deliveries(doc):
            received_by = d.get("recibido_por")
            turnos = [t for t in (doc.get("entregas") or {}).values() if t.get("padre_id") == d["id"]]
            destinatarios.append(
                {
                    "entrega_id": d["id"],
                    "motivo": d["motivo"],
                    "nombre": await self._owner_name(d),
                    "unidad": await self._unit_name(d.get("unidad_id")),
                    "en_lugar_de": await self._actor_name({"kind": "official", "id": d["en_lugar_de"]})
                    if d.get("en_lugar_de")
                    else None,
                    "estado": d["estado"],
                    "recibido_en": d.get("recibido_en"),
                    "recibido_por": await self._actor_name({"kind": "official", "id": received_by})
                    if received_by
                    else None,
                    "acuse": d.get("acuse"),
                    "acuse_pendiente": d.get("acuse_pendiente"),
                    "fecha_limite": d.get("fecha_limite"),
                    "vencido": domain.is_overdue(d, self.today()),
                    "respuesta": d.get("respuesta"),
                    "cerrado_en": d.get("cerrado_en"),
                    "motivo_cierre": d.get("motivo_cierre"),
                    "turnado_a": [await self._owner_name(t) for t in turnos],
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
            "eventos": await self._trajectory(doc),
        }

    async def _unit_name(self, unidad_id: str | None) -> str | None:
        if not unidad_id:
            return None
        unidad = await self.directory.unidad(unidad_id)
        return unidad.nombre if unidad else unidad_id

    def _inbox_owner(self, caller: Caller, buzon: str | None) -> str:
        if caller.kind != "official":
            raise DeliveryForbiddenError("Las bandejas son de funcionarios.", code="inbox_officials_only")
        if buzon in (None, "", "personal"):
            return caller.id
        if buzon == "oficialia":
            if not caller.has_role("oficialia") or not caller.unidad_id:
                raise DeliveryForbiddenError(
                    "Solo la oficialía de partes consulta el buzón de la unidad.", code="mailbox_forbidden"
                )
            return domain.office_mailbox(caller.unidad_id)
        raise ValidationFailedError(
            "Buzón desconocido: use «personal» u «oficialia».", code="unknown_mailbox"
        )

    # --- one delivery ------------------------------------------------------------------------------

    async def _load(self, entrega: str) -> tuple[dict[str, Any], dict[str, Any]]:
        doc = await self.oficios.get(domain.oficio_of(entrega))
        delivery = (doc or {}).get("entregas", {}).get(entrega)
        if doc is None or delivery is None:
            raise DeliveryNotFoundError()
        return doc, delivery

    async def _may_act(self, caller: Caller, delivery: dict[str, Any]) -> bool:
        if caller.kind != "official":
            return False
        if delivery.get("funcionario_id") == caller.id:
            return True
        if delivery.get("funcionario_id") is None:
            # An office mailbox: the oficialía de partes that keeps it.
            mailbox = delivery.get("buzon_unidad_id") or delivery.get("unidad_id")
            return caller.has_role("oficialia") and caller.unidad_id == mailbox
        puesto_id = delivery.get("puesto_id")
        if puesto_id is None:
            puesto = await self.directory.puesto_de(delivery["funcionario_id"])
            puesto_id = puesto.id if puesto else None
        if puesto_id is not None:
            suplente = await self.directory.suplente_vigente(puesto_id, self.today())
            if suplente is not None and suplente.id == caller.id:
                return True
        return False

    async def _may_view(self, caller: Caller, doc: dict[str, Any], delivery: dict[str, Any]) -> bool:
        if await self._may_act(caller, delivery):
            return True
        # Whoever turned it (at any level above) sees it and its tree.
        entregas = doc.get("entregas") or {}
        current: dict[str, Any] | None = delivery
        while current is not None:
            if current.get("turnado_por") == caller.id:
                return True
            parent = current.get("padre_id")
            current = entregas.get(parent) if parent else None
            if current is not None and current.get("funcionario_id") == caller.id:
                return True
        return False

    async def _acting(self, caller: Caller, entrega: str) -> tuple[dict[str, Any], dict[str, Any]]:
        doc, delivery = await self._load(entrega)
        if not await self._may_act(caller, delivery):
            if await self._may_view(caller, doc, delivery):
                raise DeliveryForbiddenError()
            raise DeliveryNotFoundError()
        return doc, delivery

    async def get_delivery(self, caller: Caller, entrega: str) -> dict[str, Any]:
        """The delivery, read only: reading never records the acuse de recibo (`acknowledge` does).

        `puede_acusar` tells the page the caller is its recipient and has not received it yet: the
        page then posts the receipt (a POST with the CSRF check; a GET changes nothing).
        """
        doc, delivery = await self._load(entrega)
        if not await self._may_view(caller, doc, delivery):
            raise DeliveryNotFoundError()
        pending = not delivery.get("recibido_en") and await self._may_act(caller, delivery)
        return await self._view(doc, delivery) | {"puede_acusar": pending}

    async def acknowledge(self, caller: Caller, entrega: str, *, forma: str = "explicita") -> dict[str, Any]:
        doc, delivery = await self._acting(caller, entrega)
        if delivery.get("recibido_en"):
            return await self._view(doc, delivery)
        now = datetime.now(UTC)
        oficio_id = doc["_id"]
        await self.queues.enqueue_acuse(entrega, oficio_id, now)
        event = DeliveryAcknowledged(
            oficio_id=oficio_id,
            correlation_id=_correlation(),
            actor=caller.actor,
            payload=DeliveryAcknowledgedPayload(
                entrega_id=entrega,
                recibido_por=caller.id,
                recibido_en=now,
                forma=forma,
            ),
        )
        prefix = f"entregas.{entrega}"
        fields: dict[str, Any] = {
            f"{prefix}.recibido_en": now,
            f"{prefix}.recibido_por": caller.id,
            f"{prefix}.leido": True,
        }
        if delivery["estado"] == "enviado":
            fields[f"{prefix}.estado"] = "recibido"
        changed = await self.oficios.update(
            oficio_id,
            {f"{prefix}.recibido_en": None},
            {"$set": fields, "$push": {"timeline": _timeline_entry(event)}},
            [event],
        )
        self._notify_outbox()
        if changed:
            await self.project(oficio_id)
            # Sealing takes a PKCS#11 signature and a timestamp: the recipient does not wait for it.
            # It is queued already; if this attempt fails the retry job issues it.
            task = asyncio.create_task(self.issue_acuse(entrega))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        doc, delivery = await self._load(entrega)
        return await self._view(doc, delivery)

    async def issue_acuse(self, entrega: str) -> bool:
        """Ask signing to seal the acuse; on failure it stays queued for the retry job."""
        if self.signing is None:
            return False
        try:
            doc, delivery = await self._load(entrega)
        except DeliveryNotFoundError:
            await self.queues.acuse_done(entrega)
            return False
        if delivery.get("acuse"):
            await self.queues.acuse_done(entrega)
            return True
        if not delivery.get("recibido_en"):
            return False  # the receipt was not recorded (yet): nothing to seal
        receiver_id = delivery.get("recibido_por") or delivery.get("funcionario_id") or ""
        person = await self.directory.funcionario(receiver_id)
        puesto = await self.directory.puesto_de(receiver_id)
        unidad_id = delivery.get("unidad_id") or (puesto.unidad_id if puesto else "") or "-"
        unidad = await self.directory.unidad(unidad_id)
        dependencia = await self.directory.dependencia(unidad.dependencia_id) if unidad else None
        body = {
            "oficio_id": doc["_id"],
            "entrega_id": entrega,
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
            "recibido_en": _aware(delivery["recibido_en"]).isoformat(),
        }
        try:
            sealed = await self.signing.request("POST", "/internal/acuses", caller=SYSTEM, json=body)
        except SignumError as exc:
            log.warning("acuse not issued yet; will retry", entrega=entrega, code=exc.code)
            await self.queues.acuse_failed(entrega)
            if not delivery.get("acuse_pendiente"):
                # The recipient's page says so (the receipt stands; the seal comes when signing can).
                pending = {"desde": datetime.now(UTC), "motivo": exc.code}
                await self.oficios.update(
                    doc["_id"], {}, {"$set": {f"entregas.{entrega}.acuse_pendiente": pending}}, []
                )
                await self.project(doc["_id"])
            return False
        acuse = {
            "clave": sealed.get("clave"),
            "sha256": sealed.get("sha256"),
            "url_verificacion": sealed.get("url_verificacion"),
        }
        await self.oficios.update(
            doc["_id"],
            {},
            {
                "$set": {f"entregas.{entrega}.acuse": acuse},
                "$unset": {f"entregas.{entrega}.acuse_pendiente": ""},
            },
            [],
        )
        await self.queues.acuse_done(entrega)
        await self.project(doc["_id"])
        return True

    async def retry_acuses(self) -> int:
        """The periodic job: issue every acuse still pending."""
        issued = 0
        for item in await self.queues.pending_acuses():
            if await self.issue_acuse(item["_id"]):
                issued += 1
        return issued

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
        doc, delivery = await self._acting(caller, entrega)
        if delivery["motivo"] == "copia":
            raise domain.CopyNeedsNoActionError()
        if delivery["estado"] in CLOSED_STATES or delivery.get("archivado"):
            raise DeliveryClosedError()
        if instruccion not in INSTRUCCIONES:
            raise ValidationFailedError(
                "Instrucción desconocida. Use una de: " + ", ".join(INSTRUCCIONES) + ".",
                code="unknown_instruction",
                details={"instrucciones": INSTRUCCIONES},
            )
        targets = domain.distinct(d.strip() for d in destinatarios if d.strip())
        if not targets:
            raise ValidationFailedError("Indique a quién turna.", code="no_recipients")
        today = self.today()
        if dias_habiles is not None:
            if dias_habiles < 1 or dias_habiles > 120:
                raise ValidationFailedError("El plazo debe ser de 1 a 120 días hábiles.", code="invalid_term")
            fecha_limite = self.calendar.add_working_days(today, dias_habiles)
        if fecha_limite is not None and fecha_limite < today:
            raise domain.DeadlineInPastError()
        if fecha_limite is None and delivery.get("fecha_limite"):
            fecha_limite = dt.date.fromisoformat(str(delivery["fecha_limite"])[:10])
        not_below = [t for t in targets if not await self._is_subordinate(caller.id, t)]
        if not_below:
            raise domain.NotASubordinateError(details={"funcionarios": not_below})
        oficio_id = doc["_id"]
        now = datetime.now(UTC)
        correlation = _correlation()
        children: dict[str, dict[str, Any]] = {}
        for target in targets:
            puesto = await self.directory.puesto_de(target)
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
            correlation_id=correlation,
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
            self._created_event(
                oficio_id,
                c,
                doc.get("folio") or "-",
                doc.get("asunto") or "-",
                doc.get("prioridad", "ordinaria"),
                correlation,
                str(forwarded.event_id),
                caller.actor,
            )
            for c in children.values()
        ]
        fields: dict[str, Any] = {f"entregas.{e}": c for e, c in children.items()}
        fields[f"entregas.{entrega}.estado"] = "turnado"
        if not delivery.get("recibido_en"):
            fields[f"entregas.{entrega}.leido"] = True
        await self.oficios.update(
            oficio_id,
            {},
            {"$set": fields, "$push": {"timeline": {"$each": [_timeline_entry(e) for e in events]}}},
            events,
        )
        self._notify_outbox()
        for c in children.values():
            if c["fecha_limite"]:
                await self.queues.track_deadline(c["id"], oficio_id, c["fecha_limite"])
        await self.project(oficio_id)
        doc, delivery = await self._load(entrega)
        return await self._view(doc, delivery)

    async def _is_subordinate(self, boss: str, person: str) -> bool:
        mine = await self.directory.puesto_de(boss)
        theirs = await self.directory.puesto_de(person)
        if mine is None or theirs is None or theirs.id == mine.id:
            return False
        seen: set[str] = set()
        current = theirs
        while current.reporta_a and current.reporta_a not in seen:
            if current.reporta_a == mine.id:
                return True
            seen.add(current.reporta_a)
            parent = await self.directory.puesto(current.reporta_a)
            if parent is None:
                return False
            current = parent
        return False

    async def close(self, caller: Caller, entrega: str, motivo: str) -> dict[str, Any]:
        """Concluir without an answering oficio (a reason is required)."""
        doc, delivery = await self._acting(caller, entrega)
        if delivery["motivo"] == "copia":
            raise domain.CopyNeedsNoActionError()
        if delivery["estado"] in CLOSED_STATES:
            raise DeliveryClosedError()
        if not motivo.strip():
            raise domain.ReasonRequiredError()
        event = DeliveryClosed(
            oficio_id=doc["_id"],
            correlation_id=_correlation(),
            actor=caller.actor,
            payload=DeliveryClosedPayload(
                entrega_id=entrega, estado="concluido", motivo=motivo.strip(), cerrado_por=caller.id
            ),
        )
        prefix = f"entregas.{entrega}"
        await self.oficios.update(
            doc["_id"],
            {f"{prefix}.estado": delivery["estado"]},
            {
                "$set": {
                    f"{prefix}.estado": "concluido",
                    f"{prefix}.motivo_cierre": motivo.strip(),
                    f"{prefix}.cerrado_en": datetime.now(UTC),
                    f"{prefix}.leido": True,
                },
                "$push": {"timeline": _timeline_entry(event)},
            },
            [event],
        )
        self._notify_outbox()
        await self.queues.untrack_deadline(entrega)
        await self.project(doc["_id"])
        doc, delivery = await self._load(entrega)
        return await self._view(doc, delivery)

    async def archive(self, caller: Caller, entrega: str) -> dict[str, Any]:
        doc, delivery = await self._acting(caller, entrega)
        if delivery.get("archivado"):
            return await self._view(doc, delivery)
        if delivery["motivo"] != "copia" and delivery["estado"] not in CLOSED_STATES:
            raise ValidationFailedError(
                "Solo se archivan entregas respondidas o concluidas (o copias).", code="delivery_open"
            )
        event = DeliveryClosed(
            oficio_id=doc["_id"],
            correlation_id=_correlation(),
            actor=caller.actor,
            payload=DeliveryClosedPayload(entrega_id=entrega, estado="archivado", cerrado_por=caller.id),
        )
        prefix = f"entregas.{entrega}"
        await self.oficios.update(
            doc["_id"],
            {},
            {
                "$set": {f"{prefix}.archivado": True, f"{prefix}.leido": True},
                "$push": {"timeline": _timeline_entry(event)},
            },
            [event],
        )
        self._notify_outbox()
        await self.project(doc["_id"])
        doc, delivery = await self._load(entrega)
        return await self._view(doc, delivery)

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
        """Oficialía de partes: a scanned paper document enters the same flow as a signed oficio.
        `pdf` streams the scan to storage (`pdf_head`: its first bytes, to check it is a PDF)."""
        if caller.kind != "official" or not caller.has_role("oficialia") or not caller.unidad_id:
            raise DeliveryForbiddenError(
                "Solo la oficialía de partes registra documentos recibidos en papel.",
                code="registry_forbidden",
            )
        if not pdf_head.startswith(b"%PDF"):
            raise ValidationFailedError("El documento escaneado debe ser un PDF.", code="scan_not_pdf")
        if fecha_limite is not None and fecha_limite < self.today():
            raise domain.DeadlineInPastError()
        if destinatario_tipo not in ("funcionario", "puesto", "unidad"):
            raise ValidationFailedError(
                "El destinatario debe ser un funcionario, un puesto o una unidad del directorio.",
                code="invalid_recipient_kind",
            )
        known = {
            "funcionario": self.directory.funcionario,
            "puesto": self.directory.puesto,
            "unidad": self.directory.unidad,
        }[destinatario_tipo]
        if await known(destinatario_id) is None:
            raise ValidationFailedError(
                "El destinatario no existe en el directorio.", code="recipient_not_in_directory"
            )
        if self.storage is None:
            raise UnavailableError(
                "No hay servicio de almacenamiento configurado.", code="storage_unavailable"
            )
        oficio_id = str(uuid7())
        stored = await self.storage.stream_upload(
            "/internal/objetos",
            pdf,
            caller=SYSTEM,
            params={
                "oficio_id": oficio_id,
                "bucket": "documents",
                "nombre": f"{folio_externo or 'registro'}.pdf",
            },
            content_type="application/pdf",
        )
        now = datetime.now(UTC)
        unidad = await self.directory.unidad(caller.unidad_id)
        folio = folio_externo.strip() or f"REG/{caller.unidad_id}/{now:%Y%m%d%H%M%S}"
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

        await self._resolve({"tipo": destinatario_tipo, "id": destinatario_id}, "destinatario", add, [])
        if not deliveries:
            raise ValidationFailedError(
                "El destinatario no tiene titular ni suplente hoy; elija a una persona.",
                code="recipient_vacant",
            )
        correlation = _correlation()
        events: list[Event] = [
            OficioDispatched(
                oficio_id=oficio_id,
                correlation_id=correlation,
                actor=caller.actor,
                payload=OficioDispatchedPayload(
                    folio=folio,
                    asunto=asunto,
                    unidad_id=caller.unidad_id,
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
            self._created_event(
                oficio_id, d, folio, asunto, prioridad, correlation, correlation, caller.actor
            )
            for d in deliveries.values()
        ]
        doc = {
            "_id": oficio_id,
            "status": "enviado",
            "kind": "registro",
            "asunto": asunto,
            "office_id": caller.unidad_id,
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
                "unidad_id": caller.unidad_id,
                "unidad": unidad.nombre if unidad else caller.unidad_id,
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
            "timeline": [_timeline_entry(e) for e in events],
        }
        await self.oficios.insert(doc, events)
        self._notify_outbox()
        for d in deliveries.values():
            if d.get("fecha_limite"):
                await self.queues.track_deadline(d["id"], oficio_id, d["fecha_limite"])
        await self.project(oficio_id)
        return {
            "oficio_id": oficio_id,
            "folio": folio,
            "documento": doc["documento"],
            "entregas": [_delivery_summary(d) for d in deliveries.values()],
        }

    async def answer_basis(self, caller: Caller, entrega: str) -> dict[str, Any]:
        """What an answer to the delivery starts from (its recipient asks, on an open delivery)."""
        doc, delivery = await self._acting(caller, entrega)
        if delivery["motivo"] == "copia":
            raise domain.CopyNeedsNoActionError()
        if delivery["estado"] in CLOSED_STATES:
            raise DeliveryClosedError()
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
        """The oficio's trajectory as routing saw it (who, when, what), for whoever may see the delivery."""
        doc, delivery = await self._load(entrega)
        if not await self._may_view(caller, doc, delivery):
            raise DeliveryNotFoundError()
        return {"oficio_id": doc["_id"], "folio": doc.get("folio"), "eventos": await self._trajectory(doc)}

    async def _trajectory(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        # The timeline keeps no payloads; the deliveries tell a paper registration apart.
        deliveries = {"entregas": list((doc.get("entregas") or {}).values())}
        return [
            {
                "tipo": t["type"],
                "descripcion": describe_event(t["type"], deliveries),
                "cuando": t["at"],
                "quien": t["actor"],
                "quien_nombre": await self._actor_name(t["actor"]),
            }
            for t in doc.get("timeline") or []
        ]

    async def _actor_name(self, actor: dict[str, Any]) -> str:
        """Who did it, as a person reads it: the official's name, or the system."""
        if actor.get("kind") == "official":
            person = await self.directory.funcionario(str(actor.get("id")))
            return person.nombre if person is not None else str(actor.get("id"))
        if actor.get("kind") == "api_key":
            return "Sistema externo (API)"
        return "Signum (automático)"

    async def _view(self, doc: dict[str, Any], delivery: dict[str, Any]) -> dict[str, Any]:
        """A delivery as the API shows it, with the names of the people it mentions."""
        names: dict[str, str] = {}
        for field in ("en_lugar_de", "turnado_por", "recibido_por"):
            if delivery.get(field):
                names[field] = await self._actor_name({"kind": "official", "id": delivery[field]})
        return _delivery_view(doc, delivery) | {"nombres": names}

    async def _owner_name(self, d: dict[str, Any]) -> str:
        """Whose inbox a delivery is in: the official's name, or the office's oficialía de partes."""
        if d.get("funcionario_id"):
            person = await self.directory.funcionario(d["funcionario_id"])
            return person.nombre if person is not None else d["funcionario_id"]
        unidad = await self.directory.unidad(d.get("unidad_id") or "")
        return f"Oficialía de partes de {unidad.nombre if unidad else d.get('unidad_id')}"

    async def tree(self, caller: Caller, entrega: str) -> dict[str, Any]:
        """The delivery and everything turned from it, for its recipient or whoever turned it."""
        doc, delivery = await self._load(entrega)
        if not await self._may_view(caller, doc, delivery):
            raise DeliveryNotFoundError()
        entregas = doc.get("entregas") or {}
        children: dict[str, list[dict[str, Any]]] = {}
        for d in entregas.values():
            if d.get("padre_id"):
                children.setdefault(d["padre_id"], []).append(d)

        async def node(d: dict[str, Any]) -> dict[str, Any]:
            kids = sorted(children.get(d["id"], []), key=lambda c: str(c["creado_en"]))
            return {
                **_delivery_summary(d),
                "nombre": await self._owner_name(d),
                "turnos": [await node(k) for k in kids],
            }

        return await node(delivery)

    # --- deadlines ---------------------------------------------------------------------------------

    async def check_deadlines(self) -> int:
        """The periodic job: reminders before the due date, overdue + escalation after it."""
        today = self.today()
        overdue = 0
        for item in await self.queues.deadlines():
            entrega = item["_id"]
            try:
                doc, delivery = await self._load(entrega)
            except DeliveryNotFoundError:
                await self.queues.untrack_deadline(entrega)
                continue
            if delivery["estado"] not in OPEN_STATES:
                await self.queues.untrack_deadline(entrega)
                continue
            limite = dt.date.fromisoformat(str(item["fecha_limite"])[:10])
            owner = domain.delivery_owner(delivery)
            left = self.calendar.working_days_between(today, limite)
            if 0 <= left <= self.reminder_days and not item.get("recordado"):
                self.notifier.notify(
                    owner,
                    "recordatorio",
                    {
                        "entrega_id": entrega,
                        "folio": doc.get("folio"),
                        "fecha_limite": limite.isoformat(),
                        "dias_habiles_restantes": left,
                    },
                )
                await self.queues.mark_deadline(entrega, "recordado")
            if limite < today and not delivery.get("vencido"):
                superior = await self._superior_of(delivery)
                event = DeadlineOverdue(
                    oficio_id=doc["_id"],
                    correlation_id=_correlation(),
                    actor=Actor.system("routing"),
                    payload=DeadlineOverduePayload(
                        entrega_id=entrega,
                        funcionario_id=delivery.get("funcionario_id"),
                        fecha_limite=limite,
                        escalado_a=superior,
                    ),
                )
                prefix = f"entregas.{entrega}"
                await self.oficios.update(
                    doc["_id"],
                    {},
                    {
                        "$set": {f"{prefix}.vencido": True, f"{prefix}.escalado_a": superior},
                        "$push": {"timeline": _timeline_entry(event)},
                    },
                    [event],
                )
                self._notify_outbox()
                overdue += 1
                await self.project(doc["_id"])
                self.notifier.notify(owner, "vencido", {"entrega_id": entrega, "folio": doc.get("folio")})
                if superior:
                    self.notifier.notify(
                        superior,
                        "escalamiento",
                        {
                            "entrega_id": entrega,
                            "folio": doc.get("folio"),
                            "responsable": delivery.get("funcionario_id"),
                        },
                    )
        return overdue

    async def _superior_of(self, delivery: dict[str, Any]) -> str | None:
        person = delivery.get("funcionario_id")
        if person is None:
            titular = await self.directory.titular_de(delivery.get("unidad_id") or "")
            return titular.id if titular else None
        puesto = await self.directory.puesto_de(person)
        if puesto is None or not puesto.reporta_a:
            return None
        boss = await self.directory.puesto(puesto.reporta_a)
        return boss.funcionario_id if boss else None

    # --- helpers -----------------------------------------------------------------------------------

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
        signed = await self.storage.request(
            "POST",
            f"/internal/objetos/sha256/{segment(sha256)}/url",
            caller=SYSTEM,
            params={"oficio_id": oficio_id},
        )
        return await self._fetch(signed["url"])

    async def readers(self, oficio_id: str) -> list[str]:
        """Who reads the oficio because routing delivered it (`OficioAccess.lectores`), for the
        services that keep this from `delivery.created` and ask when theirs does not know a caller yet."""
        doc = await self.oficios.get(oficio_id)
        return sorted(domain.readers(doc)) if doc is not None else []

    async def tracking(
        self, caller: Caller, oficio_id: str, action: Action = Action.OFICIO_LEER
    ) -> dict[str, Any]:
        doc = await self.oficios.get(oficio_id)
        if doc is None:
            raise NotFoundError("El oficio aún no tiene seguimiento.", code="oficio_not_tracked")
        access = OficioAccess(
            unidad_id=doc.get("office_id", ""),
            participantes=frozenset(domain.oficio_people(doc)),
            confidencialidad=doc.get("confidencialidad", "publica"),
            lectores=domain.readers(doc),
        )
        authorize(caller, action, access)
        return doc


async def _http_get(url: str) -> bytes:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(url)
        response.raise_for_status()
        return response.content


def _correlation() -> str:
    from signum.platform.http import current_correlation_id

    return current_correlation_id() or str(__import__("uuid").uuid4())


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is None:
        return datetime.now(UTC)
    when: datetime = value
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _timeline_entry(event: Event) -> dict[str, Any]:
    return {
        "event_id": str(event.event_id),
        "type": event.type,
        "at": event.occurred_at,
        "actor": event.actor.model_dump(),
    }


def _encode_cursor(orden: str) -> str:
    return base64.urlsafe_b64encode(orden.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise domain.InvalidCursorError() from None
    if "|" not in raw or len(raw) > 300:
        raise domain.InvalidCursorError()
    return raw


def _public_entry(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in ("texto", "orden")} | {"id": entry["_id"]}


def _delivery_summary(d: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "motivo",
        "funcionario_id",
        "unidad_id",
        "estado",
        "leido",
        "creado_en",
        "recibido_en",
        "recibido_por",
        "fecha_limite",
        "vencido",
        "padre_id",
        "turnado_por",
        "instruccion",
        "nota",
        "en_lugar_de",
        "archivado",
        "motivo_cierre",
        "respuesta",
        "acuse",
        "acuse_pendiente",
        "escalado_a",
    )
    view = {k: d.get(k) for k in keys}
    view["instruccion_texto"] = INSTRUCCIONES.get(d.get("instruccion") or "")
    return view


def _delivery_view(doc: dict[str, Any], d: dict[str, Any]) -> dict[str, Any]:
    return _delivery_summary(d) | {
        "oficio": {
            "id": doc["_id"],
            "folio": doc.get("folio"),
            "asunto": doc.get("asunto"),
            "prioridad": doc.get("prioridad", "ordinaria"),
            "remitente": doc.get("remitente"),
            "remitente_unidad": doc.get("remitente_unidad"),
            "documento": doc.get("documento"),
        }
    }
