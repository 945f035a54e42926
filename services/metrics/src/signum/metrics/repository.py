"""The only module of metrics that talks to MongoDB (and the only one with update operators).

Two collections:

- `oficios`: one document per oficio, its milestones and those of its deliveries (`domain.facts`),
  written once per event (its id noted in `_applied` in the same update) with `$min`/`$max`, so
  order and repeats do not matter; `rev` counts the events applied and versions the state.
- `indicadores`: the pre-aggregated documents, one per unit or official and day or month
  (`domain.aggregate_id`): `contadores` and `etapas` (histograms) are the sums of what every oficio
  contributes, and `aportes.<oficio>` keeps that contribution with the `rev` it came from (as
  `field=n` strings: FerretDB refuses arrays inside arrays). A new
  contribution replaces the stored one only if it comes from a newer state, in one atomic update
  conditioned on the old `rev` that also `$inc`s the difference: a redelivered event, a crash
  between two aggregates, or two processes working on one oficio can neither count twice nor go
  back to an older state.

A batch of events (`record_batch`, `contribute_batch`) writes the same documents in a few bulk
writes: new documents inserted whole (an aggregate without looking first: one refused as there
already is updated instead), existing ones updated only if they are as the batch read or assumed
them; what did not hold is named to the caller, which takes those oficios one event at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import InsertOne, ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from signum.contracts import Event
from signum.metrics.domain import Facts, diff, parse_aggregate_id

# Fields of an aggregate that queries never need: the per-oficio bookkeeping.
_WITHOUT_BOOKKEEPING = {"aportes": 0}
_MAX_CAS_ATTEMPTS = 50
# Ids per `$in` of a find by id: SecantusDB's time per document grows with the list's length past a
# few hundred (2,000 ids cost 15 times 100 ids each); MongoDB does not mind either size.
FIND_CHUNK = 200


def share_field(oficio_id: str) -> str:
    """The oficio's key under `aportes` (a field name holds neither dots nor a leading `$`)."""
    return oficio_id.replace(".", "\uff0e").replace("$", "\uff04")


@dataclass(frozen=True)
class Recorded:
    """What recording an event did: whether it was new, and the oficio's document just before
    (empty for a new oficio; None when the event had been recorded already)."""

    applied: bool
    before: dict[str, Any] | None


@dataclass(frozen=True)
class OficioWrite:
    """A batch's new events of one oficio, folded (`domain.fold`) onto its document as read."""

    oficio_id: str
    rev: int | None  # the document's `rev` as read (None: there was no document)
    changed: Mapping[str, Any]  # dotted path -> value after the events
    event_ids: Sequence[str]
    targets: Iterable[str]  # aggregates it contributes to now that it did not before
    after: Mapping[str, Any]  # the whole document after the events (written as is when new)


@dataclass(frozen=True)
class Share:
    """One oficio's share of an aggregate: `fields` from state `rev`, replacing `before`, which the
    aggregate must hold (empty: no share, or an empty one)."""

    oficio_id: str
    rev: int
    fields: Mapping[str, int]
    before: Mapping[str, int]


class ContentionError(RuntimeError):
    """An aggregate kept changing under us (retried by the consumer)."""


class MetricsRepository:
    """Oficio milestones and the pre-aggregated indicators."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.oficios = db["oficios"]
        self.indicadores = db["indicadores"]

    async def ensure_indexes(self) -> None:
        """Every look-up is by `_id` (unique by nature); nothing else to index."""

    # --- oficios ---------------------------------------------------------------------------------

    async def record(self, oficio_id: str, event: Event, facts: Facts) -> Recorded:
        """Record what an event says of its oficio, once, in one atomic update that also notes the
        event's id; answers whether it was new and the document as it was just before."""
        event_id = str(event.event_id)
        update: dict[str, Any] = {"$inc": {"rev": 1}, "$push": {"_applied": event_id}}
        if facts.first:
            update["$min"] = dict(facts.first)
        if facts.last:
            update["$max"] = dict(facts.last)
        if facts.values:
            update["$set"] = dict(facts.values)
        try:
            before = await self.oficios.find_one_and_update(
                {"_id": oficio_id, "_applied": {"$ne": event_id}},
                update,
                projection={"_applied": 0},
                upsert=True,
                return_document=ReturnDocument.BEFORE,
            )
        except DuplicateKeyError:
            return Recorded(applied=False, before=None)  # the document holds this event id already
        return Recorded(applied=True, before=before or {})

    async def oficios_by_id(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The documents of these oficios that exist, by id, with the ids of the events applied."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), FIND_CHUNK):
            async for doc in self.oficios.find({"_id": {"$in": wanted[start : start + FIND_CHUNK]}}):
                found[doc["_id"]] = doc
        return found

    async def record_batch(self, writes: Sequence[OficioWrite]) -> set[str]:
        """Record several oficios' new events in one round trip: a new oficio's document inserted
        whole, an existing one's changed in one atomic update that holds only if it is still as read
        (its `rev`). Answers the oficios not recorded (another process got there meanwhile): the
        caller applies their events one at a time."""
        ops: list[Any] = []
        for w in writes:
            if w.rev is None:
                document = dict(w.after)
                document |= {"_id": w.oficio_id, "rev": len(w.event_ids), "_applied": list(w.event_ids)}
                document["agregados"] = sorted(w.targets)
                ops.append(InsertOne(document))
                continue
            update: dict[str, Any] = {
                "$inc": {"rev": len(w.event_ids)},
                "$push": {"_applied": {"$each": list(w.event_ids)}},
            }
            if w.changed:
                update["$set"] = dict(w.changed)
            targets = sorted(w.targets)
            if targets:
                update["$addToSet"] = {"agregados": {"$each": targets}}
            ops.append(UpdateOne({"_id": w.oficio_id, "rev": w.rev}, update))
        failed = await _failed(self.oficios, ops)
        return {writes[i].oficio_id for i in failed}

    async def oficio(self, oficio_id: str) -> dict[str, Any] | None:
        """The oficio's document (without the applied event ids)."""
        return await self.oficios.find_one({"_id": oficio_id}, {"_applied": 0})

    async def remember_targets(self, oficio_id: str, aggregates: Iterable[str]) -> None:
        """Note the aggregates the oficio contributes to, before contributing (so a later state
        that no longer touches one can take its share back)."""
        ids = sorted(aggregates)
        if ids:
            await self.oficios.update_one({"_id": oficio_id}, {"$addToSet": {"agregados": {"$each": ids}}})

    # --- aggregates ------------------------------------------------------------------------------

    async def contribute(self, agg_id: str, oficio_id: str, rev: int, fields: Mapping[str, int]) -> bool:
        """Make the oficio's share of one aggregate `fields` (state `rev`); False if a share from
        this state or a newer one is already there."""
        key = f"aportes.{share_field(oficio_id)}"
        ambito, clave, periodo, inicio = parse_aggregate_id(agg_id)
        for _ in range(_MAX_CAS_ATTEMPTS):
            current = await self.indicadores.find_one({"_id": agg_id}, {key: 1})
            stored = _share(current, oficio_id)
            if stored is not None and stored[0] >= rev:
                return False
            old_rev, old_fields = stored if stored is not None else (None, {})
            delta = diff(old_fields, fields)
            if stored is None and not fields:
                return False
            update: dict[str, Any] = {
                "$set": {key: {"rev": rev, "c": _listed(fields)}},
                "$setOnInsert": {"ambito": ambito, "clave": clave, "periodo": periodo, "inicio": inicio},
            }
            if delta:
                update["$inc"] = delta
            condition = {f"{key}.rev": old_rev} if old_rev is not None else {key: {"$exists": False}}
            try:
                result = await self.indicadores.update_one(
                    {"_id": agg_id, **condition}, update, upsert=current is None
                )
            except DuplicateKeyError:
                continue  # created meanwhile by another process: read it and try again
            if result.matched_count or result.upserted_id is not None:
                return True
        raise ContentionError(f"aggregate {agg_id} kept changing")

    async def contribute_batch(self, shares: Mapping[str, Sequence[Share]]) -> set[str]:
        """Replace the shares of several oficios in several aggregates (aggregate id -> shares) in
        one or two round trips: an aggregate none of whose shares existed before is inserted whole,
        as if new (most are, when catching up); one that exists, or was refused as already there,
        gets one atomic update that holds only if it holds each `before` share and no newer one,
        and `$inc`s the differences. Answers the oficios whose shares may not all be in place (a
        crash or another process left an aggregate elsewhere): the caller settles them one by one."""
        fresh = {a: items for a, items in shares.items() if not any(s.before for s in items)}
        # Inserted without looking first: a refused insert costs the server a look-up in the _id
        # index, a find of the same ids would read every document that is there, shares and all.
        there = await self._insert_new(fresh)
        updates = {a: items for a, items in shares.items() if a not in fresh or a in there}
        return {s.oficio_id for a in await self._update_holding(updates) for s in shares[a]}

    async def _insert_new(self, shares: Mapping[str, Sequence[Share]]) -> set[str]:
        """Insert these aggregates whole with their shares; answers those that were there already."""
        ops: list[Any] = []
        for agg_id, items in shares.items():
            ambito, clave, periodo, inicio = parse_aggregate_id(agg_id)
            document: dict[str, Any] = {
                "_id": agg_id,
                "ambito": ambito,
                "clave": clave,
                "periodo": periodo,
                "inicio": inicio,
            }
            for path, amount in _summed(items).items():
                _put(document, path, amount)
            document["aportes"] = {
                share_field(s.oficio_id): {"rev": s.rev, "c": _listed(s.fields)} for s in items
            }
            ops.append(InsertOne(document))
        if not ops:
            return set()
        try:
            await self.indicadores.bulk_write(ops, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != 11000 for e in errors):
                raise
            aggs = list(shares)
            return {aggs[int(e["index"])] for e in errors}
        return set()

    async def _update_holding(self, shares: Mapping[str, Sequence[Share]]) -> set[str]:
        """Update each aggregate if it holds every share as the batch assumed; answers those that
        may not have been updated (all of them if any was not: a bulk write does not say which)."""
        ops: list[Any] = []
        for agg_id, items in shares.items():
            # One condition per share, side by side: a filter of `_id` and plain fields is found by
            # `_id` (SecantusDB scans the collection for one under `$and`/`$or`).
            condition: dict[str, Any] = {"_id": agg_id}
            sets: dict[str, Any] = {}
            for share in items:
                key = f"aportes.{share_field(share.oficio_id)}"
                sets[key] = {"rev": share.rev, "c": _listed(share.fields)}
                if share.before:
                    condition[f"{key}.c"] = _listed(share.before)
                    condition[f"{key}.rev"] = {"$lt": share.rev}
                else:  # no share (`c` absent: null matches a missing field), or an emptied one
                    condition[f"{key}.c"] = {"$in": [None, []]}
                    condition[f"{key}.rev"] = {"$not": {"$gte": share.rev}}
            update: dict[str, Any] = {"$set": sets}
            inc = _summed(items)
            if inc:
                update["$inc"] = inc
            ops.append(UpdateOne(condition, update))
        failed = await _failed(self.indicadores, ops)
        aggs = list(shares)
        return {aggs[i] for i in failed}

    async def aggregates(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        """The aggregate documents with these ids that exist (without bookkeeping)."""
        wanted = list(dict.fromkeys(ids))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), FIND_CHUNK):
            cursor = self.indicadores.find(
                {"_id": {"$in": wanted[start : start + FIND_CHUNK]}}, _WITHOUT_BOOKKEEPING
            )
            found.extend([doc async for doc in cursor])
        return found


def _summed(shares: Iterable[Share]) -> dict[str, int]:
    """What the shares add to an aggregate, together: each one's difference from its `before`."""
    total: dict[str, int] = {}
    for share in shares:
        for k, v in diff(share.before, share.fields).items():
            total[k] = total.get(k, 0) + v
    return {k: v for k, v in total.items() if v}


def _listed(fields: Mapping[str, int]) -> list[str]:
    """A share as stored: `field=n` strings in field order."""
    return [f"{k}={v}" for k, v in sorted(fields.items())]


async def _failed(collection: Any, ops: list[Any]) -> set[int]:
    """Run the inserts and conditional updates in one round trip; the indexes of those that may not
    have been applied: inserts refused (the document was created meanwhile) and, if fewer updates
    matched than were sent, every update (a bulk write does not say which)."""
    if not ops:
        return set()
    updates = {i for i, op in enumerate(ops) if isinstance(op, UpdateOne)}
    try:
        result = await collection.bulk_write(ops, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != 11000 for e in errors):
            raise
        refused = {int(e["index"]) for e in errors}
        matched = exc.details.get("nMatched", 0)
        return refused | (updates if matched < len(updates - refused) else set())
    return updates if result.matched_count < len(updates) else set()


def _put(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = document
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def _share(doc: Mapping[str, Any] | None, oficio_id: str) -> tuple[int, dict[str, int]] | None:
    share = ((doc or {}).get("aportes") or {}).get(share_field(oficio_id))
    if not isinstance(share, Mapping) or not isinstance(share.get("rev"), int):
        return None
    fields = (str(item).rpartition("=") for item in share.get("c") or [])
    return int(share["rev"]), {k: int(v) for k, _, v in fields}
