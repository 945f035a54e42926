"""Who may see or act on a delivery, whose inbox a caller reads, who reads an oficio."""

from __future__ import annotations

from typing import Any

from signum.platform.errors import NotFoundError, ValidationFailedError
from signum.platform.identity import Caller
from signum.platform.policy import Action, OficioAccess, authorize, decide
from signum.routing import domain
from signum.routing.core import Routing
from signum.routing.domain import DeliveryForbiddenError, DeliveryNotFoundError
from signum.routing.views import visible_steps


class Access:
    """Routing's access decisions on deliveries and inboxes (the oficio's own: `policy.decide`)."""

    def __init__(self, routing: Routing) -> None:
        self.r = routing

    async def load(self, entrega: str) -> tuple[dict[str, Any], dict[str, Any]]:
        doc = await self.r.oficios.get(domain.oficio_of(entrega))
        delivery = (doc or {}).get("entregas", {}).get(entrega)
        if doc is None or delivery is None:
            raise DeliveryNotFoundError()
        return doc, delivery

    async def may_act(self, caller: Caller, delivery: dict[str, Any]) -> bool:
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
            puesto = await self.r.directory.puesto_de(delivery["funcionario_id"])
            puesto_id = puesto.id if puesto else None
        if puesto_id is not None:
            suplente = await self.r.directory.suplente_vigente(puesto_id, self.r.today())
            if suplente is not None and suplente.id == caller.id:
                return True
        return False

    async def may_view(self, caller: Caller, doc: dict[str, Any], delivery: dict[str, Any]) -> bool:
        if await self.may_act(caller, delivery):
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

    async def acting(self, caller: Caller, entrega: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The delivery, if the caller may act on it (403 if they only see it, 404 otherwise)."""
        doc, delivery = await self.load(entrega)
        if not await self.may_act(caller, delivery):
            if await self.may_view(caller, doc, delivery):
                raise DeliveryForbiddenError()
            raise DeliveryNotFoundError()
        return doc, delivery

    async def viewing(self, caller: Caller, entrega: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The delivery, if the caller may see it (404 otherwise)."""
        doc, delivery = await self.load(entrega)
        if not await self.may_view(caller, doc, delivery):
            raise DeliveryNotFoundError()
        return doc, delivery

    def inbox_owner(self, caller: Caller, buzon: str | None) -> str:
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

    async def readers(self, oficio_id: str) -> list[str]:
        """Who reads the oficio because routing delivered it (`OficioAccess.lectores`), for the
        services that keep this from `delivery.created` and ask when theirs does not know a caller yet."""
        doc = await self.r.oficios.get(oficio_id)
        return sorted(domain.readers(doc)) if doc is not None else []

    async def tracking(
        self, caller: Caller, oficio_id: str, action: Action = Action.OFICIO_LEER
    ) -> dict[str, Any]:
        doc = await self.r.oficios.get(oficio_id)
        if doc is None:
            raise NotFoundError("El oficio aún no tiene seguimiento.", code="oficio_not_tracked")
        authorize(caller, action, self._access(doc))
        return doc

    async def tracking_steps(
        self, caller: Caller, oficio_id: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The oficio (for whoever may read it) and the timeline entries the caller sees of it."""
        doc = await self.tracking(caller, oficio_id)
        drafting, entregas = self.trajectory_scope(caller, doc)
        return doc, visible_steps(doc.get("timeline") or [], drafting=drafting, entregas=entregas)

    def sees_the_draft(self, caller: Caller, doc: dict[str, Any]) -> bool:
        """Whether the caller may see how the oficio was drafted (reviews, versions): its sender's
        side, not its recipients (`oficio.historial`)."""
        return decide(caller, Action.OFICIO_HISTORIAL, self._access(doc)).allowed

    def trajectory_scope(self, caller: Caller, doc: dict[str, Any]) -> tuple[bool, frozenset[str] | None]:
        """What of the oficio's trajectory the caller sees: its drafting (`oficio.historial`: the
        sender's side), and the deliveries whose steps they see (None: all, `oficio.trayectoria_completa`,
        auditors); otherwise each receiving office its own, and the sender the deliveries it made
        (`domain.deliveries_seen`)."""
        access = self._access(doc)
        drafting = decide(caller, Action.OFICIO_HISTORIAL, access).allowed
        if decide(caller, Action.OFICIO_TRAYECTORIA_COMPLETA, access):
            return drafting, None
        return drafting, domain.deliveries_seen(doc, caller, sender=drafting)

    @staticmethod
    def _access(doc: dict[str, Any]) -> OficioAccess:
        return OficioAccess(
            unidad_id=doc.get("office_id", ""),
            participantes=frozenset(domain.oficio_people(doc)),
            confidencialidad=doc.get("confidencialidad", "publica"),
            lectores=domain.readers(doc),
        )
