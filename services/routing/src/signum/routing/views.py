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


# The drafting steps of an oficio's timeline: its sender's side (`oficio.historial`).
DRAFTING_STEPS = frozenset(
    {
        "oficio.created",
        "oficio.updated",
        "oficio.review_requested",
        "oficio.reviewed",
        "oficio.finalized",
        "oficio.cancelled",
    }
)


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

    async def trajectory(self, doc: dict[str, Any], *, drafting: bool = True) -> list[dict[str, Any]]:
        """The oficio's timeline as people read it; without `drafting`, the steps of its drafting
        (created, saved, reviewed, finalized) are left out: recipients see it from its signature on."""
        # The timeline keeps no payloads; the deliveries tell a paper registration apart.
        deliveries = {"entregas": list((doc.get("entregas") or {}).values())}
        timeline = [t for t in doc.get("timeline") or [] if drafting or t["type"] not in DRAFTING_STEPS]
        return [
            {
                "tipo": t["type"],
                "descripcion": describe_event(t["type"], deliveries),
                "cuando": t["at"],
                "quien": t["actor"],
                "quien_nombre": await self.actor_name(t["actor"]),
            }
            for t in timeline
        ]
