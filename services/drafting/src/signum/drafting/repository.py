"""The only module of drafting that talks to MongoDB.

FerretDB has no transactions: every change of an oficio is one update of its document, with its
events (outbox) inside. FerretDB 1.24 (SQLite backend) reads and writes an update in two steps, so
two concurrent `update_one`s with the same precondition can both apply and concurrent `$inc`s lose
updates (measured: 200 concurrent `$inc` left the counter at 11). Only inserts under a unique key
are atomic there, so they are the compare-and-swap: a write of an oficio first inserts its claim
`(oficio_id, rev + 1)` into `cambios` (one writer wins, the others get 409), and a folio is taken by
inserting `(unidad, año, consecutivo)` into `folios`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from motor.motor_asyncio import AsyncIOMotorDatabase
from pydantic import ValidationError
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from signum.contracts import Event
from signum.drafting.domain import (
    Clasificacion,
    CollaboratorRole,
    Confidencialidad,
    Draft,
    DraftContent,
    FolioAssignment,
    OficioKind,
    Prioridad,
    Review,
    ReviewState,
    Status,
)
from signum.drafting.templates import Template
from signum.platform.logging import get_logger
from signum.platform.outbox import insert_with_events, update_with_events

log = get_logger(__name__)

STALE_CLAIM = timedelta(seconds=10)


class OficioRepository:
    """Drafts, one document per oficio, with their pending events (outbox) inside."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection = db["oficios"]
        self.versions = db["versiones"]
        self.comments = db["comentarios"]
        self.claims = db["cambios"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("office_id", 1), ("created_at", -1)])
        await self.collection.create_index([("participantes", 1)])
        await self.versions.create_index([("oficio_id", ASCENDING), ("n", ASCENDING)], unique=True)
        await self.comments.create_index([("oficio_id", ASCENDING), ("creado_en", ASCENDING)])

    async def insert(self, draft: Draft, events: list[Event], *, saved_by: str) -> None:
        """Store a new draft and its events in one write, then its first version."""
        await insert_with_events(self.collection, _to_document(draft), events)
        await self.put_version(draft, saved_by=saved_by)

    async def get(self, oficio_id: str) -> Draft | None:
        doc = await self.collection.find_one({"_id": oficio_id})
        return None if doc is None else _from_document(doc)

    async def printed_date(self, oficio_id: str) -> dt.date | None:
        """The date printed on an oficio drafted here (None until it is finalized, or if unknown)."""
        doc = await self.collection.find_one({"_id": oficio_id}, {"fecha": 1})
        fecha = None if doc is None else doc.get("fecha")
        return dt.date.fromisoformat(fecha) if isinstance(fecha, str) else None

    async def apply(self, oficio_id: str, rev: int, fields: dict[str, Any], events: list[Event]) -> bool:
        """Set `fields` (and push `events`) if the oficio is still at `rev`; it then is at `rev + 1`.

        False if another write claimed `rev + 1` first. A claim whose write never landed (the
        process died in between) is rolled forward by the next writer once it is stale.
        """
        fields = {**fields, "rev": rev + 1, "updated_at": datetime.now(UTC)}
        claim = {
            "_id": f"{oficio_id}:{rev + 1}",
            "oficio_id": oficio_id,
            "rev": rev + 1,
            "campos": fields,
            "eventos": [e.to_document() for e in events],
            "en": datetime.now(UTC),
        }
        try:
            await self.claims.insert_one(claim)
        except DuplicateKeyError:
            await self._roll_forward(oficio_id, rev)
            return False
        await self._land(oficio_id, rev, fields, events)
        return True

    async def _land(self, oficio_id: str, rev: int, fields: dict[str, Any], events: list[Event]) -> None:
        await update_with_events(self.collection, {"_id": oficio_id, "rev": rev}, {"$set": fields}, events)

    async def _roll_forward(self, oficio_id: str, rev: int) -> None:
        claim = await self.claims.find_one({"_id": f"{oficio_id}:{rev + 1}"})
        if claim is None or _aware(claim["en"]) > datetime.now(UTC) - STALE_CLAIM:
            return
        from signum.contracts import decode_event

        await self._land(oficio_id, rev, claim["campos"], [decode_event(e) for e in claim["eventos"]])

    async def write(self, before: Draft, after: Draft, events: list[Event]) -> bool:
        """Store `after` if the stored draft is still `before` (its rev, hence its version)."""
        assert after.rev == before.rev + 1
        fields = _mutable_fields(after)
        fields.pop("rev")
        return await self.apply(before.id, before.rev, fields, events)

    # --- finalization (a lease held in the document while the folio and PDF are produced) -------

    async def claim_finalization(self, draft: Draft, owner: str) -> bool:
        lease = {"owner": owner, "since": datetime.now(UTC)}
        return await self.apply(draft.id, draft.rev, {"finalizacion": lease}, [])

    # --- versions ---------------------------------------------------------------------------

    async def put_version(self, draft: Draft, *, saved_by: str) -> None:
        """The snapshot of the draft's current version (idempotent: keyed by oficio and number)."""
        await self.versions.replace_one(
            {"_id": f"{draft.id}:{draft.version}"}, _snapshot(draft, saved_by), upsert=True
        )

    async def get_version(self, oficio_id: str, n: int) -> dict[str, Any] | None:
        found = await self.versions.find_one({"_id": f"{oficio_id}:{n}"})
        if found is not None and "contenido" in found:
            found["contenido"] = _loaded(found["contenido"])
        return found

    async def list_versions(self, oficio_id: str) -> list[dict[str, Any]]:
        cursor = self.versions.find(
            {"oficio_id": oficio_id}, {"_id": 0, "n": 1, "guardada_por": 1, "guardada_en": 1, "asunto": 1}
        ).sort("n", ASCENDING)
        return [doc async for doc in cursor]

    # --- comments ---------------------------------------------------------------------------

    async def add_comment(self, comment: dict[str, Any]) -> None:
        await self.comments.insert_one(comment)

    async def get_comment(self, oficio_id: str, comment_id: str) -> dict[str, Any] | None:
        return await self.comments.find_one({"_id": comment_id, "oficio_id": oficio_id})

    async def list_comments(self, oficio_id: str) -> list[dict[str, Any]]:
        cursor = self.comments.find({"oficio_id": oficio_id}).sort("creado_en", ASCENDING)
        return [doc async for doc in cursor]

    async def reply(self, oficio_id: str, comment_id: str, reply: dict[str, Any]) -> bool:
        result = await self.comments.update_one(
            {"_id": comment_id, "oficio_id": oficio_id}, {"$push": {"respuestas": reply}}
        )
        return result.matched_count == 1

    async def resolve(self, oficio_id: str, comment_id: str, by: str, resolved: bool) -> bool:
        fields: dict[str, Any] = {
            "resuelto": resolved,
            "resuelto_por": by if resolved else None,
            "resuelto_en": datetime.now(UTC) if resolved else None,
        }
        result = await self.comments.update_one({"_id": comment_id, "oficio_id": oficio_id}, {"$set": fields})
        return result.matched_count == 1


class FolioCounters:
    """Folios handed out: one document per (unit, year, consecutive), inserted under a unique key.

    The insert is the atomic step (FerretDB loses concurrent `$inc`s); a per-(unit, year) counter
    document is only a hint of where to start, and in one process a lock per (unit, year) keeps
    the writers in line so that they do not collide. Several replicas collide and walk up.
    """

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection = db["folios"]
        self.hints = db["folios_ultimo"]
        self._locks: dict[str, asyncio.Lock] = {}

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("unidad_id", ASCENDING), ("anio", ASCENDING), ("consecutivo", DESCENDING)], name="unidad_anio"
        )

    async def next(self, unidad_id: str, anio: int, oficio_id: str = "") -> int:
        """The next consecutive of the unit in the year; never the same twice."""
        key = f"{unidad_id}:{anio}"
        async with self._locks.setdefault(key, asyncio.Lock()):
            n = await self.last(unidad_id, anio) + 1
            while True:
                try:
                    await self.collection.insert_one(
                        {
                            "_id": f"{key}:{n}",
                            "unidad_id": unidad_id,
                            "anio": anio,
                            "consecutivo": n,
                            "oficio_id": oficio_id,
                            "en": datetime.now(UTC),
                        }
                    )
                    break
                except DuplicateKeyError:
                    n += 1  # another replica took it
            await self.hints.update_one({"_id": key}, {"$max": {"ultimo": n}}, upsert=True)
            return n

    async def last(self, unidad_id: str, anio: int) -> int:
        """The last consecutive handed out (from the hint, checked against what was inserted)."""
        key = f"{unidad_id}:{anio}"
        hint = await self.hints.find_one({"_id": key})
        n = 0 if hint is None else int(hint["ultimo"])
        # The hint may lag behind (a process died after its insert): walk up to the real last one.
        while await self.collection.find_one({"_id": f"{key}:{n + 1}"}, {"_id": 1}) is not None:
            n += 1
        return n


class TemplateRepository:
    """Templates; every save is a new immutable version (`plantilla_id`, `version`) unique."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection = db["plantillas"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("plantilla_id", ASCENDING), ("version", ASCENDING)], unique=True, name="version"
        )

    async def insert(self, template: Template, *, by: str) -> bool:
        """Store a new version; False if that version already exists."""
        try:
            await self.collection.insert_one(
                {
                    "_id": f"{template.id}@{template.version}",
                    "plantilla_id": template.id,
                    "version": template.version,
                    "nombre": template.name,
                    "datos": template.model_dump(mode="json"),
                    "retirada": False,
                    "creada_por": by,
                    "creada_en": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def get(self, plantilla_id: str, version: int | None = None) -> dict[str, Any] | None:
        if version is not None:
            return await self.collection.find_one({"_id": f"{plantilla_id}@{version}"})
        cursor = self.collection.find({"plantilla_id": plantilla_id}).sort("version", DESCENDING).limit(1)
        found = [doc async for doc in cursor]
        return found[0] if found else None

    async def list_latest(self, *, include_retired: bool = False) -> list[dict[str, Any]]:
        """The latest version of each template (without its data)."""
        cursor = self.collection.find({}, {"datos": 0})
        latest: dict[str, dict[str, Any]] = {}
        async for doc in cursor:
            current = latest.get(doc["plantilla_id"])
            if current is None or doc["version"] > current["version"]:
                latest[doc["plantilla_id"]] = doc
        found = [d for d in latest.values() if include_retired or not d.get("retirada")]
        return sorted(found, key=lambda d: d["plantilla_id"])

    async def retire(self, plantilla_id: str) -> bool:
        result = await self.collection.update_many(
            {"plantilla_id": plantilla_id}, {"$set": {"retirada": True}}
        )
        return result.matched_count > 0


def template_of(doc: dict[str, Any]) -> Template:
    return Template.model_validate(doc["datos"])


# --- documents ---------------------------------------------------------------------------------


def _folio_doc(folio: FolioAssignment) -> dict[str, Any]:
    return {"folio": folio.folio, "consecutivo": folio.consecutivo, "anio": folio.anio}


def _review_doc(r: Review) -> dict[str, Any]:
    return {
        "revisor_id": r.revisor_id,
        "estado": r.estado,
        "version": r.version,
        "comentario": r.comentario,
        "solicitada_en": r.solicitada_en,
        "respondida_en": r.respondida_en,
    }


def _mutable_fields(draft: Draft) -> dict[str, Any]:
    return {
        "kind": draft.kind,
        "asunto": draft.asunto,
        "colaboradores": [{"funcionario_id": o, "rol": r} for o, r in draft.colaboradores],
        "participantes": sorted(draft.participantes),
        "confidencialidad": draft.confidencialidad,
        "status": draft.status,
        "version": draft.version,
        "rev": draft.rev,
        "contenido": _storable(draft.contenido.model_dump(mode="json")),
        "prioridad": draft.prioridad,
        "fecha_limite_respuesta": None
        if draft.fecha_limite_respuesta is None
        else draft.fecha_limite_respuesta.isoformat(),
        "clasificacion": None if draft.clasificacion is None else draft.clasificacion.model_dump(),
        "en_respuesta_a": draft.en_respuesta_a,
        "revisiones": [_review_doc(r) for r in draft.revisiones],
        "updated_at": datetime.now(UTC),
    }


def _to_document(draft: Draft) -> dict[str, Any]:
    return {
        "_id": draft.id,
        "office_id": draft.office_id,
        "author_id": draft.author_id,
        "created_at": draft.created_at,
        "plantilla_id": draft.plantilla_id,
        "plantilla_version": draft.plantilla_version,
        "folio": None,
        "documento": None,
        "finalizacion": None,
        **_mutable_fields(draft),
    }


def _snapshot(draft: Draft, saved_by: str) -> dict[str, Any]:
    return {
        "oficio_id": draft.id,
        "n": draft.version,
        "asunto": draft.asunto,
        "contenido": _storable(draft.contenido.model_dump(mode="json")),
        "colaboradores": [{"funcionario_id": o, "rol": r} for o, r in draft.colaboradores],
        "guardada_por": saved_by,
        "guardada_en": datetime.now(UTC),
    }


def _from_document(doc: dict[str, Any]) -> Draft:
    """The draft of a stored document. Reading never fails on what is stored: a field missing,
    null or of an unexpected value (an older version, a hand edit) reads as its default."""
    folio = doc.get("folio")
    limit = doc.get("fecha_limite_respuesta")
    created = doc.get("created_at")
    updated = doc.get("updated_at")
    return Draft(
        id=doc["_id"],
        kind=_choice(doc.get("kind"), OficioKind, "oficio"),
        asunto=_text(doc.get("asunto")),
        office_id=_text(doc.get("office_id")),
        author_id=_text(doc.get("author_id")),
        colaboradores=tuple(
            (c["funcionario_id"], c["rol"])
            for c in _list(doc.get("colaboradores"))
            if isinstance(c, dict)
            and isinstance(c.get("funcionario_id"), str)
            and c.get("rol") in get_args(CollaboratorRole)
        ),
        confidencialidad=_choice(doc.get("confidencialidad"), Confidencialidad, "publica"),
        status=_choice(doc.get("status"), Status, "borrador"),
        created_at=_aware(created) if isinstance(created, datetime) else datetime.fromtimestamp(0, UTC),
        version=_positive(doc.get("version")),
        contenido=_content(doc.get("contenido")),
        prioridad=_choice(doc.get("prioridad"), Prioridad, "ordinaria"),
        fecha_limite_respuesta=_date(limit),
        clasificacion=_classification(doc.get("clasificacion")),
        en_respuesta_a=doc.get("en_respuesta_a") if isinstance(doc.get("en_respuesta_a"), str) else None,
        plantilla_id=_text(doc.get("plantilla_id")),
        plantilla_version=_positive(doc.get("plantilla_version")),
        revisiones=tuple(
            Review(
                revisor_id=r["revisor_id"],
                estado=_choice(r.get("estado"), ReviewState, "pendiente"),
                version=_positive(r.get("version"), default=0),
                comentario=_text(r.get("comentario")),
                solicitada_en=_aware(r["solicitada_en"])
                if isinstance(r.get("solicitada_en"), datetime)
                else datetime.fromtimestamp(0, UTC),
                respondida_en=_aware(r["respondida_en"])
                if isinstance(r.get("respondida_en"), datetime)
                else None,
            )
            for r in _list(doc.get("revisiones"))
            if isinstance(r, dict) and isinstance(r.get("revisor_id"), str)
        ),
        rev=_positive(doc.get("rev")),
        updated_at=_aware(updated) if isinstance(updated, datetime) else None,
        folio=FolioAssignment(folio["folio"], folio["consecutivo"], folio["anio"])
        if isinstance(folio, dict) and {"folio", "consecutivo", "anio"} <= folio.keys()
        else None,
        documento=doc.get("documento") if isinstance(doc.get("documento"), dict) else None,
        finalizacion=doc.get("finalizacion") if isinstance(doc.get("finalizacion"), dict) else None,
    )


def _choice(value: Any, allowed: Any, default: str) -> Any:
    return value if value in get_args(allowed) else default


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _positive(value: Any, default: int = 1) -> int:
    """A stored version number (1 onwards; a review not answered yet keeps 0)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= default else default


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _classification(value: Any) -> Clasificacion | None:
    try:
        return None if not isinstance(value, dict) else Clasificacion.model_validate(value)
    except ValidationError:
        return None


def _content(value: Any) -> DraftContent:
    try:
        return DraftContent.model_validate(_loaded(value) if isinstance(value, dict) else {})
    except ValidationError:
        log.warning("stored content unreadable, shown empty")
        return DraftContent()


# FerretDB 1.x refuses arrays directly inside arrays ("nested arrays are not supported"), which a
# body's lists (items: [[block, ...], ...]) and tables (rows: [[[inline, ...], ...], ...]) are. Such
# an inner array is stored wrapped as {"_l": [...]} and unwrapped when read.
_WRAPPED = "_l"


def _storable(value: Any, *, in_array: bool = False) -> Any:
    if isinstance(value, list):
        items = [_storable(v, in_array=True) for v in value]
        return {_WRAPPED: items} if in_array else items
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    return value


def _loaded(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_WRAPPED} and isinstance(value[_WRAPPED], list):
            return [_loaded(v) for v in value[_WRAPPED]]
        return {k: _loaded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_loaded(v) for v in value]
    return value


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
