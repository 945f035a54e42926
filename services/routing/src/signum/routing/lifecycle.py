"""The oficio before it is sent, as drafting's and signing's events tell it: its state, its people
(their «Borradores», «Por revisar», «Por firmar» and «Enviados») and its signatures."""

from __future__ import annotations

from typing import Any

from signum.contracts import Event
from signum.contracts.drafting import (
    OficioCancelled,
    OficioCreated,
    OficioFinalized,
    OficioReviewed,
    OficioReviewRequested,
    OficioUpdated,
)
from signum.contracts.signing import SignatureAdded
from signum.routing.answers import Answers
from signum.routing.core import Routing, timeline_entry
from signum.routing.repository import Oficio, Session
from signum.routing.views import Views


def _draft_fields(event: Event) -> tuple[int, dict[str, Any]] | None:
    """What a save of the draft says, with its version (kept in the order of the draft's versions)."""
    if isinstance(event, OficioCreated):
        p = event.payload
        return 1, {
            "status": "borrador",
            "asunto": p.asunto,
            "participantes": p.participantes or [p.author_id],
            "confidencialidad": p.confidencialidad,
            "updated_at": event.occurred_at,
        }
    if isinstance(event, OficioUpdated):
        up = event.payload
        return up.version, {
            "asunto": up.asunto,
            "participantes": up.participantes,
            "confidencialidad": up.confidencialidad,
            "status": up.status,
            "updated_at": event.occurred_at,
        }
    return None


def _fields(event: Event) -> tuple[dict[str, Any], list[str]] | None:
    """The other fields one of drafting's events sets, and the people it makes known."""
    if isinstance(event, OficioCreated):
        p = event.payload
        fields = {
            "kind": p.kind,
            "office_id": p.office_id,
            "author_id": p.author_id,
            "created_at": event.occurred_at,
        }
        return fields, [p.author_id, *p.participantes]
    if isinstance(event, OficioUpdated):
        return {}, list(event.payload.participantes)
    if isinstance(event, OficioReviewRequested):
        revisores = list(event.payload.revisores)
        return {
            "status": "en_revision",
            "revisores_pendientes": revisores,
            "updated_at": event.occurred_at,
        }, revisores
    if isinstance(event, OficioReviewed):
        rp = event.payload
        pendientes = list(rp.pendientes) if rp.status == "en_revision" else []
        return {"status": rp.status, "revisores_pendientes": pendientes, "updated_at": event.occurred_at}, []
    if isinstance(event, OficioFinalized):
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
                {"orden": s.orden, "funcionario_id": s.funcionario_id, "nombre": s.nombre, "cargo": s.cargo}
                for s in sorted(fp.firmantes, key=lambda s: s.orden)
            ],
            "updated_at": event.occurred_at,
        }
        return fields, [s.funcionario_id for s in fp.firmantes if s.funcionario_id]
    if isinstance(event, OficioCancelled):
        return {"status": "cancelado", "updated_at": event.occurred_at}, []
    return None


class Lifecycle:
    def __init__(self, routing: Routing, answers: Answers, views: Views) -> None:
        self.r = routing
        self.answers = answers
        self.views = views

    async def on_drafting_event(self, event: Event) -> None:
        found = _fields(event)
        if found is None:
            return
        fields, people = found
        saved = _draft_fields(event)
        oficio_id = event.oficio_id or ""

        async def change(session: Session) -> Oficio:
            if saved is not None:
                await self.r.oficios.keep_draft_version(oficio_id, *saved, session)
            return await self.r.oficios.record_draft_event(
                event, fields, people, timeline_entry(event), session
            )

        applied = await self.r.commit(oficio_id, change, people_only=True)
        if applied and isinstance(event, OficioReviewRequested):
            await self._ask_reviewers(event)
        if isinstance(event, OficioFinalized) and event.payload.en_respuesta_a:
            await self.answers.in_attention(event.payload.en_respuesta_a, event.payload.unidad_id, event)

    async def _ask_reviewers(self, event: OficioReviewRequested) -> None:
        """Tell each reviewer, live, that an oficio waits for their review (folder «Por revisar»)."""
        doc = await self.r.oficios.get(event.oficio_id or "") or {}
        who = await self.views.actor_name(event.actor.model_dump())
        asunto = doc.get("asunto") or ""
        for revisor in event.payload.revisores:
            self.r.notifier.notify(
                revisor,
                "revision",
                {
                    "oficio_id": event.oficio_id,
                    "asunto": asunto,
                    "solicitado_por": who,
                    "mensaje": f"{who} le pidió revisar el oficio «{asunto}».",
                },
            )

    async def on_signature_added(self, event: SignatureAdded) -> None:
        oficio_id = event.oficio_id

        async def change(session: Session) -> Oficio:
            doc = await self.r.oficios.get(oficio_id, session)
            firmantes = list((doc or {}).get("firmantes") or [])
            for f in firmantes:
                if f["orden"] == event.payload.orden:
                    f["firmado"] = True
            fields: dict[str, Any] = {
                "firmantes": firmantes,
                "documento": event.payload.documento.model_dump(),
            }
            if doc is not None and doc.get("status") not in ("enviado", "firmado"):
                fields["status"] = "firmando"
            return await self.r.oficios.record_signature(event, fields, timeline_entry(event), session)

        await self.r.commit(oficio_id, change, people_only=True)
