"""How deliveries and trajectories read: with the names of the people they mention (from the directory)."""

from __future__ import annotations

from typing import Any

from signum.platform.directory import DirectoryReadModel
from signum.platform.event_descriptions import describe_event
from signum.routing.domain import INSTRUCCIONES

SUMMARY_KEYS = (
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


# The drafting steps of an oficio's timeline: its sender's side (`oficio.historial`); so is a refused
# attempt to sign it (a wrong password, an expired e.firma), which happened before anything was sent.
DRAFTING_STEPS = frozenset(
    {
        "oficio.created",
        "oficio.updated",
        "oficio.review_requested",
        "oficio.reviewed",
        "oficio.finalized",
        "oficio.cancelled",
        "signature.refused",
    }
)
# Steps of one delivery: the timeline entry names it (`entrega_id`), and it shows to those who see
# that delivery (`domain.deliveries_seen`). An entry written before entries named their delivery
# shows only to those who see every delivery.
DELIVERY_STEPS = frozenset(
    {
        "delivery.created",
        "delivery.acknowledged",
        "acuse.sealed",
        "delivery.forwarded",
        "delivery.closed",
        "oficio.answered",
        "deadline.overdue",
    }
)


def visible_steps(
    timeline: list[dict[str, Any]], *, drafting: bool, entregas: frozenset[str] | None
) -> list[dict[str, Any]]:
    """The timeline entries a caller sees: without `drafting`, not the drafting steps; of the steps of
    deliveries, those of `entregas` (None: every delivery's)."""
    shown = []
    for t in timeline:
        if not drafting and t["type"] in DRAFTING_STEPS:
            continue
        entrega = t.get("entrega_id")
        if entregas is not None and (entrega or t["type"] in DELIVERY_STEPS) and entrega not in entregas:
            continue
        shown.append(t)
    return shown


def delivery_summary(d: dict[str, Any]) -> dict[str, Any]:
    view = {k: d.get(k) for k in SUMMARY_KEYS}
    view["instruccion_texto"] = INSTRUCCIONES.get(d.get("instruccion") or "")
    return view


def delivery_view(doc: dict[str, Any], d: dict[str, Any]) -> dict[str, Any]:
    return delivery_summary(d) | {
        "oficio": {
            "id": doc["_id"],
            "folio": doc.get("folio"),
            "asunto": doc.get("asunto"),
            "prioridad": doc.get("prioridad", "ordinaria"),
            "remitente": doc.get("remitente"),
            # The sender's position: the first signer's (a paper document's is in `remitente`).
            "remitente_cargo": next((f.get("cargo") for f in doc.get("firmantes") or []), None),
            "remitente_unidad": doc.get("remitente_unidad"),
            # The sender's unit by name, or the organization a paper document came from.
            "remitente_unidad_nombre": doc.get("remitente_unidad_nombre"),
            "kind": doc.get("kind"),  # `registro`: a paper document, also once turned
            "documento": doc.get("documento"),
        }
    }


class Views:
    """Presenters that need the directory for names."""

    def __init__(self, directory: DirectoryReadModel) -> None:
        self.directory = directory

    async def actor_name(self, actor: dict[str, Any]) -> str:
        """Who did it, as a person reads it: the official's name, or the system."""
        if actor.get("kind") == "official":
            person = await self.directory.funcionario(str(actor.get("id")))
            return person.nombre if person is not None else str(actor.get("id"))
        if actor.get("kind") == "api_key":
            return "Sistema externo (API)"
        return "Signum (automático)"

    async def person_name(self, funcionario_id: str | None) -> str | None:
        if not funcionario_id:
            return None
        return await self.actor_name({"kind": "official", "id": funcionario_id})

    async def owner_name(self, d: dict[str, Any]) -> str:
        """Whose inbox a delivery is in: the official's name, or the office's oficialía de partes."""
        if d.get("funcionario_id"):
            person = await self.directory.funcionario(d["funcionario_id"])
            return person.nombre if person is not None else d["funcionario_id"]
        unidad = await self.directory.unidad(d.get("unidad_id") or "")
        return f"Oficialía de partes de {unidad.nombre if unidad else d.get('unidad_id')}"

    async def unit_name(self, unidad_id: str | None) -> str | None:
        if not unidad_id:
            return None
        unidad = await self.directory.unidad(unidad_id)
        return unidad.nombre if unidad else unidad_id

    async def delivery(self, doc: dict[str, Any], delivery: dict[str, Any]) -> dict[str, Any]:
        """A delivery as the API shows it, with the names of the people it mentions."""
        names: dict[str, str] = {}
        for field in ("en_lugar_de", "turnado_por", "recibido_por"):
            if delivery.get(field):
                names[field] = await self.actor_name({"kind": "official", "id": delivery[field]})
        return delivery_view(doc, delivery) | {"nombres": names}

    async def trajectory(
        self, doc: dict[str, Any], *, drafting: bool = True, entregas: frozenset[str] | None = None
    ) -> list[dict[str, Any]]:
        """The oficio's timeline as people read it (`visible_steps`): without `drafting`, the steps of
        its drafting (created, saved, reviewed, finalized) are left out, so recipients see it from its
        signature on; `entregas` (None: all) are the deliveries whose steps the caller sees. A step
        of a delivery names its inbox («Llegó a la bandeja de Ana López (Dirección de Obras)»)."""
        deliveries: dict[str, dict[str, Any]] = doc.get("entregas") or {}
        timeline = visible_steps(doc.get("timeline") or [], drafting=drafting, entregas=entregas)
        # A circular's timeline names many inboxes, again and again: every name is read once.
        mentioned = [deliveries[t["entrega_id"]] for t in timeline if t.get("entrega_id") in deliveries]
        people = {t["actor"].get("id") for t in timeline if t["actor"].get("kind") == "official"}
        for d in mentioned:
            people |= {d.get("funcionario_id"), d.get("en_lugar_de")}
        names = {
            pid: f.nombre
            for pid, f in (await self.directory.funcionarios_por_id([str(p) for p in people if p])).items()
        }
        units: dict[str, str] = {}
        for uid in {str(d.get("unidad_id")) for d in mentioned if d.get("unidad_id")}:
            units[uid] = await self.unit_name(uid) or uid
        said = Said(names, units, deliveries)
        return [
            {
                "tipo": t["type"],
                "descripcion": said.step(t),
                "cuando": t["at"],
                "quien": t["actor"],
                "quien_nombre": said.actor(t["actor"]),
            }
            for t in timeline
        ]


class Said:
    """How the trajectory says who and where, from names read beforehand."""

    def __init__(
        self, names: dict[str, str], units: dict[str, str], deliveries: dict[str, dict[str, Any]]
    ) -> None:
        self.names = names
        self.units = units
        self.deliveries = deliveries

    def actor(self, actor: dict[str, Any]) -> str:
        if actor.get("kind") == "official":
            return self.names.get(str(actor.get("id")), str(actor.get("id")))
        if actor.get("kind") == "api_key":
            return "Sistema externo (API)"
        return "Signum (automático)"

    def whose(self, d: dict[str, Any]) -> str:
        """Whose inbox a delivery is in: «Ana López (Dirección de Obras)», «Ana López, en lugar de
        Juan Pérez (Dirección de Obras)» or «la Oficialía de partes de Dirección de Obras»."""
        unit = self.units.get(str(d.get("unidad_id"))) or d.get("unidad_id")
        if not d.get("funcionario_id"):
            return f"la Oficialía de partes de {unit}"
        who = self.names.get(d["funcionario_id"], d["funcionario_id"])
        if d.get("en_lugar_de"):
            who += f", en lugar de {self.names.get(d['en_lugar_de'], d['en_lugar_de'])}"
        return f"{who} ({unit})" if unit else who

    def step(self, t: dict[str, Any]) -> str:
        """A timeline entry in Spanish, naming the inbox of the delivery it is about."""
        kind = t["type"]
        d = self.deliveries.get(t.get("entrega_id") or "")
        if d is None:
            # The timeline keeps no payloads; the deliveries tell a paper registration apart.
            return describe_event(kind, {"entregas": list(self.deliveries.values())})
        whose = self.whose(d)
        if kind == "delivery.created":
            if d.get("motivo") == "copia":
                return f"Llegó con copia (C.c.p.) a la bandeja de {whose}"
            if d.get("motivo") == "turno":
                return f"Llegó turnado a la bandeja de {whose}"
            return f"Llegó a la bandeja de {whose}"
        if kind == "delivery.closed":
            closed = {
                "archivado": "Se archivó en la bandeja de",
                "respondido": "Quedó respondida la entrega a",
            }.get(t.get("estado") or "", "Se dio por atendida la entrega a")
            return f"{closed} {whose}"
        where = {
            "delivery.acknowledged": " en la bandeja de ",
            "acuse.sealed": " de la entrega a ",
            "delivery.forwarded": " desde la bandeja de ",
            "oficio.answered": " la entrega a ",
            "deadline.overdue": " de la entrega a ",
            "document.renewed": " del acuse de la entrega a ",
        }.get(kind)
        base = describe_event(kind)
        return f"{base}{where}{whose}" if where else base
