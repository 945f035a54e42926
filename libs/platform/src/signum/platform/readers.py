"""A service's read model of who received each oficio, kept from routing's delivery events.

Routing owns deliveries; every service that decides `oficio.leer` learns the oficio's readers from
`delivery.created` (the official, the absent holder a suplente received for, or the office mailbox
`unidad:<id>`) instead of asking routing on each request. The readers go into
`signum.platform.policy.OficioAccess.lectores`. Wire it with
`runtime.consume([Topic.ROUTING, ...], model.handlers() | ...)`.

Applying an event adds to a set keyed by the oficio (`signum.platform.repository.add_readers`):
repeated or out-of-order deliveries change nothing. Readers are only ever added because routing
never withdraws a delivery: turnar adds one below the delivery turned, which stays (an office
mailbox's included), and nothing reassigns one. An event that took a delivery away would remove
its reader here.

The inbox shows a delivery as soon as routing writes it, a moment before `delivery.created` reaches
this model: a recipient who opens the PDF at once would be refused. So a service that refuses a
caller on this model asks routing, the owner, once more (`confirm`) before it answers 403.
"""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection, AsyncIOMotorDatabase

from signum.contracts import Event
from signum.contracts.routing import DeliveryCreated, DeliveryCreatedPayload
from signum.platform.consumer import Handler
from signum.platform.errors import SignumError
from signum.platform.http import InternalClient, segment
from signum.platform.logging import get_logger
from signum.platform.policy import office_mailbox
from signum.platform.repository import add_readers

log = get_logger(__name__)

COLLECTION = "oficio_lectores"


def readers_of(delivery: DeliveryCreatedPayload) -> list[str]:
    """Who reads the oficio because of this delivery (reader ids as `OficioAccess.lectores` has them)."""
    found: list[str] = []
    if delivery.funcionario_id:
        found.append(delivery.funcionario_id)
    else:
        unit = delivery.buzon_unidad_id or delivery.unidad_id
        if unit:
            found.append(office_mailbox(unit))
    if delivery.en_lugar_de:
        found.append(delivery.en_lugar_de)
    return found


class OficioReaders:
    """The readers of each oficio, as this service last heard from routing."""

    def __init__(self, db: AsyncIOMotorDatabase[Any], routing: InternalClient | None = None) -> None:
        self.collection: AsyncIOMotorCollection[Any] = db[COLLECTION]
        self._routing = routing

    def handlers(self) -> dict[str, Handler]:
        """The handlers for `runtime.consume([Topic.ROUTING], ...)`."""
        return {DeliveryCreated.model_fields["type"].default: self.apply}

    async def apply(self, event: Event) -> None:
        """Add the recipient of a `delivery.created` to its oficio's readers."""
        if not isinstance(event, DeliveryCreated):
            return
        await self.add(event.oficio_id, readers_of(event.payload))

    async def add(self, oficio_id: str, readers: list[str]) -> None:
        """Add readers to an oficio (idempotent)."""
        await add_readers(self.collection, oficio_id, readers)

    async def of(self, oficio_id: str) -> frozenset[str]:
        """The oficio's readers (empty if it was never delivered)."""
        doc = await self.collection.find_one({"_id": oficio_id}, {"lectores": 1})
        return frozenset((doc or {}).get("lectores", []))

    async def confirm(self, oficio_id: str) -> frozenset[str]:
        """The oficio's readers as routing knows them now, kept here too (an unreachable routing
        leaves the model as it was: the caller is refused as before, never let in by an error)."""
        if self._routing is not None:
            try:
                path = f"/internal/oficios/{segment(oficio_id)}/lectores"
                body = await self._routing.request("GET", path)
            except SignumError as exc:
                log.warning("routing did not confirm the readers", oficio_id=oficio_id, error=exc.code)
            else:
                found = body.get("lectores") if isinstance(body, dict) else None
                if isinstance(found, list):
                    await self.add(oficio_id, [str(r) for r in found])
        return await self.of(oficio_id)
