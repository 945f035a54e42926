"""The only module of routing that talks to MongoDB; every update operator of routing lives here,
behind a method named for what it does (`mark_received`, `add_turnos`, ...).

- `oficios`: one document per oficio routing knows, the source of truth: its state, its timeline and
  every delivery of it (`entregas.<id>`), with the events each change causes (outbox) in the same
  update. Deliveries of one oficio are few (its recipients, copies and turnos), so they live in it.
- `bandeja`: every inbox (each official's, each office mailbox's) in one collection, a projection of
  `oficios`: one entry per delivery (`e:<delivery>`) and per oficio a person takes part in
  (`o:<oficio>`), keyed by owner and entry. Compound indexes serve an inbox page, the unread counts
  and the overdue counts of one owner. A change of an oficio and its inbox entries are written in one
  transaction (`Store.transaction`), so no projection is ever left half-written.
- `acuses_pendientes`, `plazos`: small work queues of the retry and deadline jobs.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Coroutine, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from motor.motor_asyncio import (
    AsyncIOMotorClientSession,
    AsyncIOMotorCollection,
    AsyncIOMotorDatabase,
)
from pymongo import ASCENDING, DESCENDING, DeleteOne, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from signum.contracts import Event
from signum.platform.logging import get_logger
from signum.platform.outbox import announce, new_document_with_events, with_events
from signum.routing import domain

log = get_logger(__name__)

Session = AsyncIOMotorClientSession
T = TypeVar("T")
# An oficio's document as a change left it, without its timeline (None: the change did not apply).
Oficio = dict[str, Any] | None
HIDDEN = {"_applied": 0, "_outbox": 0}
# What a change returns: its inbox entries are made from it, and they never show the timeline (the
# longest part of an oficio), so it is neither sent back nor decoded on every change.
CHANGED = {**HIDDEN, "timeline": 0}


class AlreadyAppliedError(Exception):
    """A consumed event met its oficio with the event applied already: its transaction is void."""


INBOX = "bandeja"
# Before one inbox collection, each owner had its own (`bandeja_<hash of the owner>`).
OLD_INBOX_PREFIX = "bandeja_"
MIGRATION_BATCH = 1_000


def old_inbox_collection_name(owner: str) -> str:
    """The collection an owner's inbox had before one inbox collection (read by the migration)."""
    return OLD_INBOX_PREFIX + hashlib.sha256(owner.encode()).hexdigest()[:20]


def inbox_key(owner: str, entry_id: str) -> dict[str, str]:
    """The `_id` of one inbox entry: whose inbox, which entry (always built here: field order counts)."""
    return {"dueno": owner, "entrada": entry_id}


class Store:
    """Routing's database: the repositories and the transaction that writes them together."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.db = db
        self.oficios = OficioRepository(db)
        self.inbox = InboxRepository(db)
        self.queues = QueueRepository(db)

    async def ensure_indexes(self) -> None:
        await self.oficios.ensure_indexes()
        await self.inbox.ensure_indexes()

    async def transaction(self, body: Callable[[Session], Coroutine[Any, Any, T]]) -> T:
        """Run `body` in one transaction (retried whole on a transient conflict). An event applied
        already aborts it (`AlreadyAppliedError`): nothing of it is written."""
        async with await self.db.client.start_session() as session:
            result: T = await session.with_transaction(body)
        return result

    async def migrate(self) -> None:
        """One-time, idempotent: move the per-owner inbox collections into `bandeja`."""
        await self.inbox.migrate_per_owner_collections(self.oficios)


class OficioRepository:
    """Routing's documents of oficios, with their deliveries and their outbox."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection: AsyncIOMotorCollection[Any] = db["oficios"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("office_id", ASCENDING), ("status", ASCENDING)])

    def announce(self) -> None:
        """Events were committed: wake this process's relay."""
        announce(self.collection)

    # --- reads ----------------------------------------------------------------------------------

    async def get(
        self, oficio_id: str, session: Session | None = None, *, timeline: bool = True
    ) -> dict[str, Any] | None:
        """The oficio (`timeline=False`: without its timeline, for a decision that does not read it)."""
        return await self.collection.find_one(
            {"_id": oficio_id}, HIDDEN if timeline else CHANGED, session=session
        )

    async def inbox_owners(self) -> set[str]:
        """Every owner any oficio puts an inbox entry with (read by the migration)."""
        fields = {"entregas": 1, "conocidos": 1, "participantes": 1, "firmantes": 1, "author_id": 1}
        owners: set[str] = set()
        async for doc in self.collection.find({}, fields):
            owners |= domain.inbox_owners(doc)
        return owners

    # --- one write of a consumed event (once per event) -------------------------------------------

    async def _apply(
        self,
        oficio_id: str,
        event: Event,
        update: dict[str, Any],
        session: Session,
        events: Sequence[Event] = (),
        *,
        upsert: bool = True,
    ) -> Oficio:
        """Apply `update` for a consumed event unless it was applied already (`_applied` holds its id,
        written in the same update); returns the oficio after it. A draft's state never replaces a
        signing state (`stale_status`)."""
        event_id = str(event.event_id)
        fields = update.get("$set") or {}
        if fields.get("status") in domain.DRAFT_STATES:
            current = await self.collection.find_one({"_id": oficio_id}, {"status": 1}, session=session)
            if current is not None and domain.stale_status(current.get("status"), fields["status"]):
                update = {**update, "$set": {k: v for k, v in fields.items() if k != "status"}}
        merged = {op: dict(v) for op, v in with_events(update, events).items()}
        merged.setdefault("$push", {})["_applied"] = event_id
        try:
            after: Oficio = await self.collection.find_one_and_update(
                {"_id": oficio_id, "_applied": {"$ne": event_id}},
                merged,
                projection=CHANGED,
                upsert=upsert,
                return_document=ReturnDocument.AFTER,
                session=session,
            )
        except DuplicateKeyError:
            # The upsert met the oficio, which holds this event already.
            raise AlreadyAppliedError(event_id) from None
        return after

    async def record_draft_event(
        self,
        event: Event,
        fields: dict[str, Any],
        add_people: Sequence[str],
        timeline: dict[str, Any],
        session: Session,
    ) -> Oficio:
        """What one of drafting's events says about the oficio, with its timeline entry."""
        update: dict[str, Any] = {"$push": {"timeline": timeline}}
        if fields:
            update["$set"] = fields
        if add_people:
            update["$addToSet"] = {"conocidos": {"$each": domain.distinct(add_people)}}
        return await self._apply(event.oficio_id or "", event, update, session)

    async def keep_draft_version(
        self, oficio_id: str, version: int, fields: dict[str, Any], session: Session
    ) -> bool:
        """Keep what a save of the draft says (participants, confidentiality...) unless a later save
        is already kept (`borrador_version`): an older event arriving late changes nothing."""
        current = await self.collection.find_one(
            {"_id": oficio_id}, {"borrador_version": 1, "status": 1}, session=session
        )
        if current is not None and int(current.get("borrador_version") or 0) >= version:
            return False
        if (
            current is not None
            and "status" in fields
            and domain.stale_status(current.get("status"), fields["status"])
        ):
            fields = {k: v for k, v in fields.items() if k != "status"}
        await self.collection.update_one(
            {"_id": oficio_id},
            {"$set": {**fields, "borrador_version": version}},
            upsert=True,
            session=session,
        )
        return True

    async def record_signature(
        self, event: Event, fields: dict[str, Any], timeline: dict[str, Any], session: Session
    ) -> Oficio:
        """A signature was added: the signers, the document and perhaps the state."""
        return await self._apply(
            event.oficio_id or "", event, {"$set": fields, "$push": {"timeline": timeline}}, session
        )

    async def record_acuse(
        self, event: Event, entrega: str, acuse: dict[str, Any], timeline: dict[str, Any], session: Session
    ) -> Oficio:
        """The sealed acuse de recibo of one delivery (from `acuse.sealed`)."""
        prefix = f"entregas.{entrega}"
        return await self._apply(
            event.oficio_id or "",
            event,
            {
                "$set": {f"{prefix}.acuse": acuse},
                "$unset": {f"{prefix}.acuse_pendiente": ""},
                "$push": {"timeline": timeline},
            },
            session,
            upsert=False,
        )

    async def replace_document(
        self,
        event: Event,
        path: str,
        renewed: str,
        fields: dict[str, Any],
        timeline: dict[str, Any],
        session: Session,
    ) -> Oficio:
        """A re-timestamped signed PDF (B-LTA) takes the place of the one at `path` (`documento`, or
        a delivery's `entregas.<id>.acuse`), only while that is still the version it renews (sha256
        `renewed`): a renewal arriving after a later one changes nothing. Once per event."""
        event_id = str(event.event_id)
        after: Oficio = await self.collection.find_one_and_update(
            {"_id": event.oficio_id or "", f"{path}.sha256": renewed, "_applied": {"$ne": event_id}},
            {
                "$set": {f"{path}.{k}": v for k, v in fields.items()},
                "$push": {"_applied": event_id, "timeline": timeline},
            },
            projection=CHANGED,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        return after

    async def record_dispatch(
        self,
        event: Event,
        fields: dict[str, Any],
        deliveries: dict[str, dict[str, Any]],
        timeline: Sequence[dict[str, Any]],
        events: Sequence[Event],
        session: Session,
    ) -> Oficio:
        """The signed oficio was sent: its state, its deliveries and their events."""
        changes = {**fields, **{f"entregas.{eid}": d for eid, d in deliveries.items()}}
        return await self._apply(
            event.oficio_id or "",
            event,
            {"$set": changes, "$push": {"timeline": {"$each": list(timeline)}}},
            session,
            events,
        )

    async def mark_in_attention(
        self, oficio_id: str, event: Event, entregas: Iterable[str], answer_id: str, session: Session
    ) -> Oficio:
        """An answer is ready to sign: the deliveries it will close are `en_atencion` meanwhile."""
        fields: dict[str, Any] = {}
        for e in entregas:
            fields[f"entregas.{e}.estado"] = "en_atencion"
            fields[f"entregas.{e}.respuesta_en_curso"] = answer_id
        if not fields:
            return None
        return await self._apply(oficio_id, event, {"$set": fields}, session, upsert=False)

    async def mark_answered(
        self,
        oficio_id: str,
        event: Event,
        entregas: Iterable[str],
        respuesta: dict[str, Any],
        at: datetime,
        timeline: Sequence[dict[str, Any]],
        events: Sequence[Event],
        session: Session,
    ) -> Oficio:
        """An answering oficio was signed: the deliveries it closes are `respondido`."""
        fields: dict[str, Any] = {}
        for e in entregas:
            fields[f"entregas.{e}.estado"] = "respondido"
            fields[f"entregas.{e}.respuesta"] = respuesta
            fields[f"entregas.{e}.cerrado_en"] = at
        return await self._apply(
            oficio_id,
            event,
            {"$set": fields, "$push": {"timeline": {"$each": list(timeline)}}},
            session,
            events,
            upsert=False,
        )

    # --- changes asked through the API --------------------------------------------------------------

    async def _change(
        self,
        oficio_id: str,
        condition: dict[str, Any],
        update: dict[str, Any],
        events: Sequence[Event],
        session: Session | None,
    ) -> Oficio:
        """A change asked through the API, applied only while `condition` holds."""
        after: Oficio = await self.collection.find_one_and_update(
            {"_id": oficio_id, **condition},
            with_events(update, events),
            projection=CHANGED,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        return after

    async def mark_received(
        self,
        oficio_id: str,
        entrega: str,
        *,
        by: str,
        at: datetime,
        estado: str,
        event: Event,
        timeline: dict[str, Any],
        session: Session,
    ) -> Oficio:
        """The acuse de recibo, recorded once (only while the delivery has no receipt)."""
        prefix = f"entregas.{entrega}"
        return await self._change(
            oficio_id,
            {f"{prefix}.recibido_en": None},
            {
                "$set": {
                    f"{prefix}.recibido_en": at,
                    f"{prefix}.recibido_por": by,
                    f"{prefix}.leido": True,
                    f"{prefix}.estado": estado,
                },
                "$push": {"timeline": timeline},
            },
            [event],
            session,
        )

    async def mark_acuse_pending(
        self, oficio_id: str, entrega: str, pending: dict[str, Any], session: Session
    ) -> Oficio:
        """Signing could not seal the acuse yet: the delivery says since when and why."""
        prefix = f"entregas.{entrega}"
        return await self._change(
            oficio_id,
            {f"{prefix}.acuse": None, f"{prefix}.acuse_pendiente": None},
            {"$set": {f"{prefix}.acuse_pendiente": pending}},
            [],
            session,
        )

    async def add_turnos(
        self,
        oficio_id: str,
        entrega: str,
        children: dict[str, dict[str, Any]],
        *,
        mark_read: bool,
        timeline: Sequence[dict[str, Any]],
        events: Sequence[Event],
        session: Session,
    ) -> Oficio:
        """Turnar: the new deliveries below `entrega`, which becomes `turnado`."""
        fields: dict[str, Any] = {f"entregas.{e}": c for e, c in children.items()}
        fields[f"entregas.{entrega}.estado"] = "turnado"
        if mark_read:
            fields[f"entregas.{entrega}.leido"] = True
        return await self._change(
            oficio_id, {}, {"$set": fields, "$push": {"timeline": {"$each": list(timeline)}}}, events, session
        )

    async def mark_concluded(
        self,
        oficio_id: str,
        entrega: str,
        *,
        was: str,
        reason: str,
        at: datetime,
        event: Event,
        timeline: dict[str, Any],
        session: Session,
    ) -> Oficio:
        """Concluir without an answer (only if the delivery is still in state `was`)."""
        prefix = f"entregas.{entrega}"
        return await self._change(
            oficio_id,
            {f"{prefix}.estado": was},
            {
                "$set": {
                    f"{prefix}.estado": "concluido",
                    f"{prefix}.motivo_cierre": reason,
                    f"{prefix}.cerrado_en": at,
                    f"{prefix}.leido": True,
                },
                "$push": {"timeline": timeline},
            },
            [event],
            session,
        )

    async def mark_archived(
        self, oficio_id: str, entrega: str, *, event: Event, timeline: dict[str, Any], session: Session
    ) -> Oficio:
        prefix = f"entregas.{entrega}"
        return await self._change(
            oficio_id,
            {f"{prefix}.archivado": {"$ne": True}},
            {"$set": {f"{prefix}.archivado": True, f"{prefix}.leido": True}, "$push": {"timeline": timeline}},
            [event],
            session,
        )

    async def mark_overdue(
        self,
        oficio_id: str,
        entrega: str,
        *,
        escalado_a: str | None,
        event: Event,
        timeline: dict[str, Any],
        session: Session,
    ) -> Oficio:
        prefix = f"entregas.{entrega}"
        return await self._change(
            oficio_id,
            {f"{prefix}.vencido": {"$ne": True}},
            {
                "$set": {f"{prefix}.vencido": True, f"{prefix}.escalado_a": escalado_a},
                "$push": {"timeline": timeline},
            },
            [event],
            session,
        )

    async def insert(self, document: dict[str, Any], events: Sequence[Event], session: Session) -> Oficio:
        """A new oficio document (a registered paper document) with its first events."""
        await self.collection.insert_one(new_document_with_events(document, events), session=session)
        return document


class InboxRepository:
    """Every inbox in one collection (see the module docstring)."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self._db = db
        self.collection: AsyncIOMotorCollection[Any] = db[INBOX]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("dueno", ASCENDING), ("carpeta", ASCENDING), ("orden", DESCENDING)], name="dueno_carpeta_orden"
        )
        await self.collection.create_index(
            [("dueno", ASCENDING), ("leido", ASCENDING), ("carpeta", ASCENDING)], name="dueno_leido_carpeta"
        )
        await self.collection.create_index(
            [("dueno", ASCENDING), ("tipo", ASCENDING), ("fecha_limite", ASCENDING)], name="dueno_tipo_limite"
        )

    async def write(
        self,
        entries: Sequence[tuple[str, dict[str, Any]]],
        remove: Sequence[tuple[str, str]],
        session: Session,
    ) -> list[tuple[str, str]]:
        """Upsert `entries` (owner, entry) and delete `remove` (owner, entry id), in one bulk write.

        Returns the (owner, entry id) of the entries that were not there before (new to their owner).
        """
        ops: list[Any] = [
            UpdateOne(
                {"_id": inbox_key(owner, entry["id"])},
                {
                    "$set": {
                        **{k: v for k, v in entry.items() if k != "id"},
                        "dueno": owner,
                        "entrada": entry["id"],
                    }
                },
                upsert=True,
            )
            for owner, entry in entries
        ]
        ops += [DeleteOne({"_id": inbox_key(owner, entry_id)}) for owner, entry_id in remove]
        if not ops:
            return []
        result = await self.collection.bulk_write(ops, ordered=False, session=session)
        return [(str(k["dueno"]), str(k["entrada"])) for k in (result.upserted_ids or {}).values()]

    async def page(self, owner: str, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        cursor = self.collection.find({"dueno": owner, **query}).sort("orden", DESCENDING).limit(limit)
        return [doc async for doc in cursor]

    async def _per_folder(self, match: dict[str, Any]) -> dict[str, int]:
        pipeline = [{"$match": match}, {"$group": {"_id": "$carpeta", "n": {"$sum": 1}}}]
        return {str(d["_id"]): int(d["n"]) async for d in self.collection.aggregate(pipeline)}

    async def unread(self, owner: str) -> dict[str, int]:
        """Unread entries per folder."""
        return await self._per_folder({"dueno": owner, "leido": False})

    async def overdue(self, owner: str, today: str, open_states: list[str]) -> dict[str, int]:
        """Open deliveries past their deadline, per folder."""
        return await self._per_folder(
            {
                "dueno": owner,
                "tipo": "entrega",
                "fecha_limite": {"$lt": today, "$ne": None},
                "estado": {"$in": open_states},
            }
        )

    async def get(self, owner: str, entry_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": inbox_key(owner, entry_id)})

    async def migrate_per_owner_collections(self, oficios: OficioRepository) -> int:
        """Move every `bandeja_<hash>` collection's entries into `bandeja`, then drop it.

        The owner of a collection is found by hashing every owner the oficios name. Entries already
        moved are kept as they are (a projection written since is newer), so running it again, or
        after a crash half-way, is safe. Returns how many entries were moved.
        """
        names = [n for n in await self._db.list_collection_names() if n.startswith(OLD_INBOX_PREFIX)]
        if not names:
            return 0
        owners = {old_inbox_collection_name(o): o for o in await oficios.inbox_owners()}
        moved = 0
        for name in names:
            owner = owners.get(name)
            if owner is None:
                log.warning("old inbox collection of an owner no oficio names; dropped", collection=name)
            else:
                batch: list[Any] = []
                async for doc in self._db[name].find({}):
                    entry_id = str(doc.pop("_id"))
                    if isinstance(doc.get("destinatarios"), list):
                        doc["destinatarios"] = {str(s["estado"]): int(s["n"]) for s in doc["destinatarios"]}
                    doc.update(dueno=owner, entrada=entry_id)
                    batch.append(
                        UpdateOne({"_id": inbox_key(owner, entry_id)}, {"$setOnInsert": doc}, upsert=True)
                    )
                    if len(batch) >= MIGRATION_BATCH:
                        moved += await self._flush(batch)
                if batch:
                    moved += await self._flush(batch)
            await self._db.drop_collection(name)
        log.info("inboxes moved into one collection", collections=len(names), entries=moved)
        return moved

    async def _flush(self, batch: list[Any]) -> int:
        result = await self.collection.bulk_write(batch, ordered=False)
        batch.clear()
        return int(result.upserted_count)


class QueueRepository:
    """Small work queues: acuses still to be sealed, and open deliveries with a deadline."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.acuses: AsyncIOMotorCollection[Any] = db["acuses_pendientes"]
        self.plazos: AsyncIOMotorCollection[Any] = db["plazos"]

    async def enqueue_acuse(self, entrega: str, oficio_id: str, at: datetime) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self.acuses.insert_one({"_id": entrega, "oficio_id": oficio_id, "desde": at, "intentos": 0})

    async def pending_acuses(self, limit: int = 100) -> list[dict[str, Any]]:
        return [d async for d in self.acuses.find({}).sort("desde", ASCENDING).limit(limit)]

    async def acuse_done(self, entrega: str) -> None:
        await self.acuses.delete_one({"_id": entrega})

    async def acuse_failed(self, entrega: str) -> None:
        await self.acuses.update_one({"_id": entrega}, {"$inc": {"intentos": 1}})

    async def track_deadline(self, entrega: str, oficio_id: str, fecha_limite: str) -> None:
        await self.plazos.update_one(
            {"_id": entrega},
            {"$set": {"oficio_id": oficio_id, "fecha_limite": fecha_limite}},
            upsert=True,
        )

    async def untrack_deadline(self, entrega: str) -> None:
        await self.plazos.delete_one({"_id": entrega})

    async def deadlines(self) -> list[dict[str, Any]]:
        return [d async for d in self.plazos.find({})]

    async def mark_deadline(self, entrega: str, field: str) -> None:
        await self.plazos.update_one({"_id": entrega}, {"$set": {field: True}})
