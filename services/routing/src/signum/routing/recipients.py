"""Who a delivery goes to: a person, a position (its holder or today's suplente), a whole office
(its titular and the office mailbox kept by the nearest oficialía de partes); and the
`delivery.created` event of a new delivery."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from signum.contracts import Actor
from signum.contracts.routing import DeliveryCreated, DeliveryCreatedPayload
from signum.platform.directory import DirectoryReadModel

# add(motivo, owner, unidad_id, **fields): one new delivery (the caller builds and keys it).
Add = Callable[..., None]
Externals = list[tuple[dict[str, Any], str]]  # (recipient, e-mail) outside the directory


class Recipients:
    """Resolves addressees against the directory read model."""

    def __init__(self, directory: DirectoryReadModel) -> None:
        self.directory = directory

    async def kind_of(self, rid: str) -> dict[str, Any]:
        """A directory id as a recipient of the kind the directory knows it as."""
        if await self.directory.funcionario(rid) is not None:
            return {"tipo": "funcionario", "id": rid}
        if await self.directory.puesto(rid) is not None:
            return {"tipo": "puesto", "id": rid}
        return {"tipo": "unidad", "id": rid}

    async def resolve_all(
        self, recipients: Sequence[tuple[dict[str, Any], str]], add: Add, externos: Externals, today: dt.date
    ) -> None:
        """`resolve` each (recipient, motivo), their look-ups at once (a delivery waits for the
        slowest, not for the sum), then `add` their deliveries in the order given, as one by one would."""
        calls: list[list[tuple[tuple[Any, ...], dict[str, Any]]]] = [[] for _ in recipients]
        found: list[Externals] = [[] for _ in recipients]

        def collect(n: int) -> Add:
            return lambda *args, **fields: calls[n].append((args, fields))

        await asyncio.gather(
            *(
                self.resolve(recipient, motivo, collect(n), found[n], today)
                for n, (recipient, motivo) in enumerate(recipients)
            )
        )
        for n in range(len(recipients)):
            for args, fields in calls[n]:
                add(*args, **fields)
            externos.extend(found[n])

    async def resolve(
        self, recipient: dict[str, Any], motivo: str, add: Add, externos: Externals, today: dt.date
    ) -> None:
        tipo, rid = recipient.get("tipo"), recipient.get("id")
        if tipo == "externo" or not rid:
            if motivo == "destinatario" or recipient.get("correo"):
                externos.append((recipient, recipient.get("correo") or ""))
            return
        if tipo == "funcionario":
            puesto = await self.directory.puesto_de(rid)
            add(motivo, rid, puesto.unidad_id if puesto else None, puesto_id=puesto.id if puesto else None)
        elif tipo == "puesto":
            found = await self.directory.puesto(rid)
            if found is None:
                return
            await self._to_position(found.id, found.unidad_id, found.funcionario_id, motivo, add, today)
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
        self, puesto_id: str, unidad_id: str, holder: str | None, motivo: str, add: Add, today: dt.date
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

    async def is_subordinate(self, boss: str, person: str) -> bool:
        """Whether `person`'s position reports, at any level, to `boss`'s."""
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

    async def superior_of(self, delivery: dict[str, Any]) -> str | None:
        """Who an overdue delivery is escalated to: the boss of its official, or its unit's titular."""
        person = delivery.get("funcionario_id")
        if person is None:
            titular = await self.directory.titular_de(delivery.get("unidad_id") or "")
            return titular.id if titular else None
        puesto = await self.directory.puesto_de(person)
        if puesto is None or not puesto.reporta_a:
            return None
        boss = await self.directory.puesto(puesto.reporta_a)
        return boss.funcionario_id if boss else None


def created_event(
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
