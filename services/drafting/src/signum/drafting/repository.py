"""The only module of drafting that talks to MongoDB.

An oficio is one document of `oficios` with its pending events (outbox) inside, so a change and the
events it causes land in one update. Writes are optimistic: a use case reads the oficio, decides,
and the write names the revision it read in its filter (`{_id, rev}`) and adds one to it
(`$inc: {rev: 1}`); a write that matches nothing lost to another one, and the use case answers 409
or reads again. `rev` counts every write of the document; `version` is the content's version, the
number people save, compare and review.

Folios come from one counter per unit and year (`folios_contadores`, `_id` "<unidad_id>:<anio>"),
taken with `find_one_and_update` by `_id` with `$inc` (upsert, the document after), in one
transaction with the write that gives the number to its oficio (`FolioCounters.take`): a number is
never handed out without an oficio keeping it, so a unit's series has no gaps even when a
finalization fails or its process dies in between. A partial unique index on the oficios' own folios
(unit, year, consecutive) is the backstop: no two oficios ever hold the same folio, whatever a
counter says.

A body's lists and tables (arrays inside arrays) are stored as they are. `migrate` brings documents
written before (inner arrays wrapped as `{"_l": [...]}`, one document per folio) to this design,
once, at start.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, get_args

from motor.motor_asyncio import AsyncIOMotorClientSession, AsyncIOMotorDatabase
from pydantic import ValidationError
from pymongo import ASCENDING, DESCENDING, ReturnDocument
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
from signum.platform.errors import ConflictError
from signum.platform.logging import get_logger
from signum.platform.outbox import insert_with_events, update_with_events

log = get_logger(__name__)


T = TypeVar("T")


class FolioInUseError(ConflictError):
    """The folio handed out is held by another oficio: its counter is behind (restored, edited)."""

    code = "folio_in_use"
    message = "El folio asignado ya lo tiene otro oficio. Intente finalizar de nuevo."


class OficioRepository:
    """Drafts, one document per oficio, with their pending events (outbox) inside."""

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection = db["oficios"]
        self.versions = db["versiones"]
        self.comments = db["comentarios"]
        self.migrations = db["migraciones"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("office_id", 1), ("created_at", -1)])
        await self.collection.create_index([("participantes", 1)])
        await self.collection.create_index(
            [("office_id", ASCENDING), ("folio.anio", ASCENDING), ("folio.consecutivo", ASCENDING)],
            unique=True,
            partialFilterExpression={"folio.consecutivo": {"$exists": True}},
            name="folio_unico",
        )
        await self.versions.create_index([("oficio_id", ASCENDING), ("n", ASCENDING)], unique=True)
        await self.comments.create_index([("oficio_id", ASCENDING), ("creado_en", ASCENDING)])

    async def migrate(self) -> None:
        """Store the inner arrays of contents written wrapped (`{"_l": [...]}`) plainly (once)."""
        await _once(self.migrations, "contenido_sin_envolturas", self._unwrap_contents)

    async def _unwrap_contents(self) -> None:
        changed = 0
        async for doc in self.collection.find({}, {"contenido": 1}):
            plain = _unwrapped(doc.get("contenido"))
            if plain != doc.get("contenido"):
                # Filtered on what was read: a save in between already wrote its content plainly.
                await self.collection.update_one(
                    {"_id": doc["_id"], "contenido": doc["contenido"]}, {"$set": {"contenido": plain}}
                )
                changed += 1
        async for doc in self.versions.find({}, {"contenido": 1}):
            plain = _unwrapped(doc.get("contenido"))
            if plain != doc.get("contenido"):
                await self.versions.update_one({"_id": doc["_id"]}, {"$set": {"contenido": plain}})
                changed += 1
        log.info("stored contents unwrapped", documents=changed)

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

    async def _write(
        self,
        read: Draft,
        fields: dict[str, Any],
        events: list[Event] | None = None,
        *,
        lease: str | None = None,
        session: AsyncIOMotorClientSession | None = None,
    ) -> Draft | None:
        """Set `fields` (and add `events`) if the oficio is still as `read` (its `rev`), and, with
        `lease`, still held by that finalization. The draft as stored then, or None if another
        write came first."""
        now = _bson_time(datetime.now(UTC))
        filter: dict[str, Any] = {"_id": read.id, "rev": read.rev}
        if lease is not None:
            filter["finalizacion.owner"] = lease
        result = await update_with_events(
            self.collection,
            filter,
            {"$set": {**fields, "updated_at": now}, "$inc": {"rev": 1}},
            events or [],
            session=session,
        )
        if result.matched_count != 1:
            return None
        return dataclasses.replace(read, rev=read.rev + 1, updated_at=now)  # what `$inc` made of it

    async def write(self, before: Draft, after: Draft, events: list[Event]) -> Draft | None:
        """Store `after` (a change of `before`) if nobody wrote the oficio since `before` was read;
        the draft as stored, or None (the caller answers 409 or reads again)."""
        stored = await self._write(before, _mutable_fields(after), events)
        if stored is None:
            return None
        return dataclasses.replace(after, rev=stored.rev, updated_at=stored.updated_at)

    async def follow_state(self, draft: Draft, status: Status, fields: dict[str, Any]) -> bool:
        """Move the oficio to `status` (signed, sent: other services' events), with the times they
        give, if it is still as read; False if another write came first."""
        return await self._write(draft, {**fields, "status": status}) is not None

    # --- finalization (a lease held in the document while the folio and PDF are produced) -------

    async def claim_finalization(self, draft: Draft, owner: str) -> Draft | None:
        """Hold the oficio for `owner`'s finalization; None if it changed since it was read."""
        lease = {"owner": owner, "since": datetime.now(UTC)}
        stored = await self._write(draft, {"finalizacion": lease})
        return None if stored is None else dataclasses.replace(stored, finalizacion=lease)

    async def keep_folio(
        self,
        draft: Draft,
        owner: str,
        folio: FolioAssignment,
        *,
        session: AsyncIOMotorClientSession | None = None,
    ) -> Draft | None:
        """The folio taken for the oficio, kept by it (a later attempt reuses it); None if the lease
        was lost. `FolioInUseError` if another oficio of the unit holds it (the unique index)."""
        try:
            stored = await self._write(draft, {"folio": _folio_doc(folio)}, lease=owner, session=session)
        except DuplicateKeyError as error:
            raise FolioInUseError(details={"folio": folio.folio}) from error
        return None if stored is None else dataclasses.replace(stored, folio=folio)

    async def complete_finalization(
        self,
        draft: Draft,
        owner: str,
        *,
        documento: dict[str, Any],
        firmantes: list[dict[str, Any]],
        fecha: dt.date,
        paginas: int,
        event: Event,
    ) -> bool:
        """Ready to sign: the final PDF, the fixed signers and the date, with `oficio.finalized`;
        the lease is let go. False if the lease was lost."""
        fields = {
            "status": "listo_para_firma",
            "documento": documento,
            "firmantes_fijos": firmantes,
            "fecha": fecha.isoformat(),
            "paginas": paginas,
            "finalizacion": None,
        }
        return await self._write(draft, fields, [event], lease=owner) is not None

    async def release_finalization(self, oficio_id: str, owner: str) -> None:
        """Let go of `owner`'s lease, if it still holds it (the folio, if taken, stays)."""
        await self.collection.update_one(
            {"_id": oficio_id, "finalizacion.owner": owner},
            {"$set": {"finalizacion": None, "updated_at": datetime.now(UTC)}, "$inc": {"rev": 1}},
        )

    # --- versions ---------------------------------------------------------------------------

    async def put_version(self, draft: Draft, *, saved_by: str) -> None:
        """The snapshot of the draft's current version (idempotent: keyed by oficio and number)."""
        await self.versions.replace_one(
            {"_id": f"{draft.id}:{draft.version}"}, _snapshot(draft, saved_by), upsert=True
        )

    async def get_version(self, oficio_id: str, n: int) -> dict[str, Any] | None:
        return await self.versions.find_one({"_id": f"{oficio_id}:{n}"})

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
    """One counter per unit and year: the last consecutive handed out.

    `next` is one `find_one_and_update` with `$inc` (atomic on the server, whatever the number of
    replicas); the first folio of a unit's year creates the counter (upsert). The counter's `_id` is
    its unit and year ("<unidad_id>:<anio>"), so the `_id` index is the unique index that keeps
    concurrent first folios on one counter (`unidad_id` and `anio` are also kept, to be read).
    """

    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection = db["folios_contadores"]
        self._db = db

    async def ensure_indexes(self) -> None:
        """None beyond `_id` (kept so that a service's start-up reads the same for every repository)."""

    async def migrate(self) -> None:
        """Counters from the folios handed out before them (once): none is handed out again."""
        await _once(self._db["migraciones"], "contadores_de_folios", self._count_old_folios)

    async def _count_old_folios(self) -> None:
        last: dict[tuple[str, int], int] = {}

        def saw(unidad_id: Any, anio: Any, consecutivo: Any) -> None:
            if isinstance(unidad_id, str) and isinstance(anio, int) and isinstance(consecutivo, int):
                last[(unidad_id, anio)] = max(consecutivo, last.get((unidad_id, anio), 0))

        # One document per folio handed out (`folios`), and the oficios' own folios.
        async for doc in self._db["folios"].find({}, {"unidad_id": 1, "anio": 1, "consecutivo": 1}):
            saw(doc.get("unidad_id"), doc.get("anio"), doc.get("consecutivo"))
        with_folio = {"folio.consecutivo": {"$exists": True}}
        async for doc in self._db["oficios"].find(with_folio, {"office_id": 1, "folio": 1}):
            saw(doc.get("office_id"), doc["folio"].get("anio"), doc["folio"].get("consecutivo"))
        for (unidad_id, anio), n in last.items():
            await self.collection.update_one(
                {"_id": _counter_id(unidad_id, anio)},
                {"$max": {"consecutivo": n}, "$setOnInsert": {"unidad_id": unidad_id, "anio": anio}},
                upsert=True,
            )
        log.info("folio counters set from folios handed out", counters=len(last))

    async def next(
        self, unidad_id: str, anio: int, *, session: AsyncIOMotorClientSession | None = None
    ) -> int:
        """The next consecutive of the unit in the year; never the same twice."""
        doc = await self.collection.find_one_and_update(
            {"_id": _counter_id(unidad_id, anio)},
            {"$inc": {"consecutivo": 1}, "$setOnInsert": {"unidad_id": unidad_id, "anio": anio}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            projection={"_id": False, "consecutivo": True},
            session=session,
        )
        return int(doc["consecutivo"])

    async def take(
        self, unidad_id: str, anio: int, keep: Callable[[int, AsyncIOMotorClientSession], Awaitable[T]]
    ) -> T:
        """The next consecutive, given to `keep` (which writes it where it belongs, with the session)
        in one transaction with the counter's `$inc`: if `keep` raises, or the process dies before
        the commit, the counter is as it was and the number goes to the next oficio. Retried whole
        on a transient conflict (two finalizations of one unit at once)."""

        async def body(session: AsyncIOMotorClientSession) -> T:
            return await keep(await self.next(unidad_id, anio, session=session), session)

        async with await self._db.client.start_session() as session:
            result: T = await session.with_transaction(body)
        return result

    async def pass_over(self, unidad_id: str, anio: int, consecutivo: int) -> None:
        """Move the counter to at least `consecutivo` (held by an oficio already: a restored backup,
        a hand edit), so that the next number handed out is past it."""
        await self.collection.update_one(
            {"_id": _counter_id(unidad_id, anio)},
            {"$max": {"consecutivo": consecutivo}, "$setOnInsert": {"unidad_id": unidad_id, "anio": anio}},
            upsert=True,
        )

    async def last(self, unidad_id: str, anio: int) -> int:
        """The last consecutive handed out (0 before the first)."""
        doc = await self.collection.find_one({"_id": _counter_id(unidad_id, anio)})
        return 0 if doc is None else int(doc["consecutivo"])


def _counter_id(unidad_id: str, anio: int) -> str:
    return f"{unidad_id}:{anio}"


async def _once(migrations: Any, name: str, step: Callable[[], Awaitable[None]]) -> None:
    """Run `step` unless the migration `name` is recorded as done; record it after. A step is
    idempotent, so two replicas starting at once may both run it."""
    if await migrations.find_one({"_id": name}) is not None:
        return
    await step()
    await migrations.replace_one({"_id": name}, {"en": datetime.now(UTC)}, upsert=True)


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
        "contenido": draft.contenido.model_dump(mode="json"),
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
        "rev": draft.rev,
        **_mutable_fields(draft),
    }


def _snapshot(draft: Draft, saved_by: str) -> dict[str, Any]:
    return {
        "oficio_id": draft.id,
        "n": draft.version,
        "asunto": draft.asunto,
        "contenido": draft.contenido.model_dump(mode="json"),
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
        return DraftContent.model_validate(value if isinstance(value, dict) else {})
    except ValidationError:
        log.warning("stored content unreadable, shown empty")
        return DraftContent()


# Before arrays inside arrays were stored as they are, each inner one was wrapped as {"_l": [...]}
# (FerretDB, the earlier local server, refused them); `migrate` unwraps what was stored so.
_WRAPPED = "_l"


def _unwrapped(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_WRAPPED} and isinstance(value[_WRAPPED], list):
            return [_unwrapped(v) for v in value[_WRAPPED]]
        return {k: _unwrapped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrapped(v) for v in value]
    return value


def _bson_time(value: datetime) -> datetime:
    """`value` as MongoDB keeps it (milliseconds), so what a write returns equals what is read back."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
