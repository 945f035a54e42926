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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from signum.contracts import Event
from signum.metrics.domain import Facts, diff, parse_aggregate_id

# Fields of an aggregate that queries never need: the per-oficio bookkeeping.
_WITHOUT_BOOKKEEPING = {"aportes": 0}
_MAX_CAS_ATTEMPTS = 50


def share_field(oficio_id: str) -> str:
    """The oficio's key under `aportes` (a field name holds neither dots nor a leading `$`)."""
    return oficio_id.replace(".", "\uff0e").replace("$", "\uff04")


@dataclass(frozen=True)
class Recorded:
    """What recording an event did: whether it was new, and the oficio's document just before
    (empty for a new oficio; None when the event had been recorded already)."""

    applied: bool
    before: dict[str, Any] | None


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
                "$set": {key: {"rev": rev, "c": [f"{k}={v}" for k, v in sorted(fields.items())]}},
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

    async def aggregates(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        """The aggregate documents with these ids that exist (without bookkeeping)."""
        wanted = list(dict.fromkeys(ids))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), 500):
            cursor = self.indicadores.find(
                {"_id": {"$in": wanted[start : start + 500]}}, _WITHOUT_BOOKKEEPING
            )
            found.extend([doc async for doc in cursor])
        return found


def _share(doc: Mapping[str, Any] | None, oficio_id: str) -> tuple[int, dict[str, int]] | None:
    share = ((doc or {}).get("aportes") or {}).get(share_field(oficio_id))
    if not isinstance(share, Mapping) or not isinstance(share.get("rev"), int):
        return None
    fields = (str(item).rpartition("=") for item in share.get("c") or [])
    return int(share["rev"]), {k: int(v) for k, _, v in fields}
