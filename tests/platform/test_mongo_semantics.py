"""The MongoDB behaviours Signum's code relies on, checked on whatever server the stack runs.

Switching the MongoDB server (SecantusDB, mongod, a managed MongoDB) is safe when this file passes:
a server that lacks one of these behaviours fails here, by name, instead of a domain test failing
somewhere odd or a workaround creeping into domain code. Concurrency is real (20 clients, each with
its own connection pool, writing at once); "uses the index" is read from the server's own `explain`.
Change streams: no code uses them; only what the oplog behind them must keep is checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorClientSession, AsyncIOMotorDatabase
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings

pytestmark = pytest.mark.stack

CLIENTS = 20
Document = dict[str, Any]

# What an explain plan calls a read through an index: IXSCAN, IDHACK (mongod before 8 for `_id`),
# EXPRESS_IXSCAN / EXPRESS_IDHACK (mongod 8's fast path for equality on a unique index).
INDEX_STAGES = {"IXSCAN", "IDHACK", "EXPRESS_IXSCAN", "EXPRESS_IDHACK"}


@pytest.fixture
async def clients(infra: InfraSettings) -> AsyncIterator[list[AsyncIOMotorClient[Any]]]:
    """CLIENTS clients of their own, as many service replicas would be."""
    made = [build_mongo_client(infra) for _ in range(CLIENTS)]
    yield made
    for client in made:
        client.close()


def _same_db(clients: list[AsyncIOMotorClient[Any]], db: AsyncIOMotorDatabase[Any]) -> list[Any]:
    return [client[db.name] for client in clients]


async def _all_at_once(
    clients: list[AsyncIOMotorClient[Any]],
    db: AsyncIOMotorDatabase[Any],
    work: Callable[[AsyncIOMotorDatabase[Any], int], Awaitable[Any]],
) -> list[Any]:
    """Run `work(database, i)` on every client concurrently; the results in client order."""
    await asyncio.gather(*(client.admin.command("ping") for client in clients))  # all connected first
    return await asyncio.gather(*(work(d, i) for i, d in enumerate(_same_db(clients, db))))


def _stages(node: Any) -> list[Document]:
    """Every stage of an explain plan, however the server nests them (inputStage(s), queryPlan)."""
    found: list[Document] = []
    if isinstance(node, dict):
        if isinstance(node.get("stage"), str):
            found.append(node)
        for value in node.values():
            found += _stages(value)
    elif isinstance(node, list):
        for item in node:
            found += _stages(item)
    return found


async def _explain(db: AsyncIOMotorDatabase[Any], find: Document) -> tuple[list[Document], Document]:
    """The winning plan's stages and the execution statistics of a `find` command."""
    explained = await db.command("explain", find, verbosity="executionStats")
    return _stages(explained["queryPlanner"]["winningPlan"]), explained["executionStats"]


def _index_names(stages: list[Document]) -> set[str]:
    return {s.get("indexName", s["stage"]) for s in stages if s["stage"] in INDEX_STAGES}


# --- Atomic updates under concurrency ------------------------------------------------------------


async def test_inc_from_20_clients_at_once_loses_no_increment(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    await db.contadores.insert_one({"_id": "c", "n": 0})

    async def add(d: AsyncIOMotorDatabase[Any], _: int) -> None:
        for _ in range(50):
            await d.contadores.update_one({"_id": "c"}, {"$inc": {"n": 1}})

    await _all_at_once(clients, db, add)

    assert await db.contadores.find_one({"_id": "c"}) == {"_id": "c", "n": CLIENTS * 50}


async def _take_folios(d: AsyncIOMotorDatabase[Any], _: int) -> list[Document | None]:
    """25 numbers of the counter of a unit and year, created by the first upsert if missing."""
    return [
        await d.folios.find_one_and_update(
            {"unidad": "DGTI", "anio": 2026},
            {"$inc": {"ultimo": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            projection={"_id": False, "ultimo": True},
        )
        for _ in range(25)
    ]


async def test_find_one_and_update_inc_hands_out_every_number_once(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    """How folios are numbered: 20 clients take numbers from one counter at once."""
    await db.folios.create_index([("unidad", ASCENDING), ("anio", ASCENDING)], unique=True)
    await db.folios.insert_one({"unidad": "DGTI", "anio": 2026, "ultimo": 0})

    taken = [doc for docs in await _all_at_once(clients, db, _take_folios) for doc in docs]

    assert [doc for doc in taken if doc is None or set(doc) != {"ultimo"}] == []  # projection holds
    assert sorted(doc["ultimo"] for doc in taken if doc) == list(range(1, CLIENTS * 25 + 1))


async def test_concurrent_upserts_of_a_new_counter_create_it_once_and_answer_every_call(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    """The first folio of a unit's year: 20 clients meet a counter that does not exist yet.

    Whoever loses the race to insert it must get the document it incremented, as from mongod (which
    retries such an upsert as an update), not an empty answer for a number it did take. The race is
    run for 30 units, as a loser's window is short.
    """
    await db.folios.create_index([("unidad", ASCENDING), ("anio", ASCENDING)], unique=True)

    answers: dict[str, list[Document | None]] = {}
    for n in range(30):
        unidad = f"U{n}"

        async def first_folio(d: AsyncIOMotorDatabase[Any], _: int, unidad: str = unidad) -> Document | None:
            return await d.folios.find_one_and_update(
                {"unidad": unidad, "anio": 2026},
                {"$inc": {"ultimo": 1}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
                projection={"_id": False, "ultimo": True},
            )

        answers[unidad] = await _all_at_once(clients, db, first_folio)

    assert await db.folios.count_documents({}) == 30
    unanswered = {unidad: docs.count(None) for unidad, docs in answers.items() if None in docs}
    assert unanswered == {}
    for docs in answers.values():
        assert sorted(doc["ultimo"] for doc in docs if doc) == list(range(1, CLIENTS + 1))


async def test_an_update_filtered_on_a_version_lets_exactly_one_writer_win(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    """Optimistic concurrency: each writer read version 3 and writes only if it is still 3."""
    await db.oficios.insert_one({"_id": "o1", "version": 3, "asunto": "original"})

    async def write(d: AsyncIOMotorDatabase[Any], i: int) -> int:
        result = await d.oficios.update_one(
            {"_id": "o1", "version": 3}, {"$set": {"asunto": f"de {i}"}, "$inc": {"version": 1}}
        )
        return result.modified_count

    won = await _all_at_once(clients, db, write)

    assert sorted(won) == [0] * (CLIENTS - 1) + [1]
    doc = await db.oficios.find_one({"_id": "o1"})
    assert doc == {"_id": "o1", "version": 4, "asunto": f"de {won.index(1)}"}


async def test_an_event_applied_by_20_consumers_at_once_is_applied_once(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    """`apply_once`: the event id is pushed in the same update its filter excludes it by."""

    async def apply(d: AsyncIOMotorDatabase[Any], _: int) -> bool:
        try:
            result = await d.proyeccion.update_one(
                {"_id": "p1", "_applied": {"$ne": "evento-1"}},
                {"$inc": {"entregas": 1}, "$push": {"_applied": "evento-1"}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # the upsert met the document that already holds the event
        return bool(result.modified_count or result.upserted_id is not None)

    applied = await _all_at_once(clients, db, apply)

    assert applied.count(True) == 1
    assert await db.proyeccion.find_one({"_id": "p1"}) == {
        "_id": "p1",
        "entregas": 1,
        "_applied": ["evento-1"],
    }


async def test_a_unique_index_lets_one_of_20_concurrent_inserts_in(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    await db.folios_asignados.create_index([("folio", ASCENDING)], unique=True, name="folio_unico")

    async def insert(d: AsyncIOMotorDatabase[Any], i: int) -> str:
        try:
            await d.folios_asignados.insert_one({"_id": f"o{i}", "folio": "SIGA/DGTI/0001/2026"})
        except DuplicateKeyError as error:
            return f"duplicate {error.code}"
        return "inserted"

    outcomes = await _all_at_once(clients, db, insert)

    assert sorted(outcomes) == ["duplicate 11000"] * (CLIENTS - 1) + ["inserted"]
    assert await db.folios_asignados.count_documents({}) == 1


async def test_a_write_is_read_at_once_by_another_client(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    writer, reader = clients[0][db.name], clients[1][db.name]
    await writer.estado.insert_one({"_id": "e", "n": 0})
    for n in range(1, 51):
        await writer.estado.update_one({"_id": "e"}, {"$set": {"n": n}})
        assert await reader.estado.find_one({"_id": "e"}) == {"_id": "e", "n": n}


async def test_concurrent_upserts_of_a_counter_by_id_create_it_once_with_its_fields(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    """Drafting's folio counters: `_id` "<unit>:<year>", `$inc` and `$setOnInsert`, upsert, the document
    after; the first folios of a unit's year taken by 20 clients at once (for 10 units, as a loser's
    window is short)."""
    for n in range(10):
        key = f"U{n}:2026"

        async def first_folio(d: AsyncIOMotorDatabase[Any], _: int, key: str = key, n: int = n) -> Any:
            doc = await d.folios_contadores.find_one_and_update(
                {"_id": key},
                {"$inc": {"consecutivo": 1}, "$setOnInsert": {"unidad_id": f"U{n}", "anio": 2026}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
                projection={"_id": False, "consecutivo": True},
            )
            return None if doc is None else doc["consecutivo"]

        taken = await _all_at_once(clients, db, first_folio)

        assert sorted(taken) == list(range(1, CLIENTS + 1))
        assert await db.folios_contadores.find_one({"_id": key}) == {
            "_id": key,
            "consecutivo": CLIENTS,
            "unidad_id": f"U{n}",
            "anio": 2026,
        }
    assert await db.folios_contadores.count_documents({}) == 10


async def test_max_with_upsert_creates_a_counter_or_only_raises_it(db: AsyncIOMotorDatabase[Any]) -> None:
    """How drafting's counters are set from the folios handed out before them (a migration run at
    every start until recorded: it must never lower a counter)."""

    async def at_least(n: int) -> None:
        await db.folios_contadores.update_one(
            {"_id": "DGTI:2026"},
            {"$max": {"consecutivo": n}, "$setOnInsert": {"unidad_id": "DGTI", "anio": 2026}},
            upsert=True,
        )

    await at_least(3)
    await at_least(2)
    assert await db.folios_contadores.find_one({"_id": "DGTI:2026"}) == {
        "_id": "DGTI:2026",
        "consecutivo": 3,
        "unidad_id": "DGTI",
        "anio": 2026,
    }
    await at_least(5)
    assert (await db.folios_contadores.find_one({"_id": "DGTI:2026"}) or {}).get("consecutivo") == 5


async def test_a_partial_unique_index_lets_one_of_20_oficios_hold_a_folio_and_ignores_those_without(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    """Drafting's backstop: no two oficios hold the same folio (unit, year, consecutive); the many
    drafts without a folio (`folio: null`, or none at all) are outside the index."""
    await db.oficios.create_index(
        [("office_id", ASCENDING), ("folio.anio", ASCENDING), ("folio.consecutivo", ASCENDING)],
        unique=True,
        partialFilterExpression={"folio.consecutivo": {"$exists": True}},
        name="folio_unico",
    )
    await db.oficios.insert_many(
        [{"_id": f"o{i}", "office_id": "DGTI", "folio": None} for i in range(CLIENTS)]
        + [{"_id": "sin_campo", "office_id": "DGTI"}]
    )

    async def take(d: AsyncIOMotorDatabase[Any], i: int) -> str:
        try:
            await d.oficios.update_one(
                {"_id": f"o{i}"},
                {"$set": {"folio": {"folio": "DGTI/0001/2026", "anio": 2026, "consecutivo": 1}}},
            )
        except DuplicateKeyError as error:
            return f"duplicate {error.code}"
        return "kept"

    outcomes = await _all_at_once(clients, db, take)

    assert sorted(outcomes) == ["duplicate 11000"] * (CLIENTS - 1) + ["kept"]
    assert await db.oficios.count_documents({"folio": None}) == CLIENTS  # the refused kept theirs (null)
    # Another consecutive, or the same one of another unit or year, is another folio.
    loser = next(f"o{i}" for i, outcome in enumerate(outcomes) if outcome != "kept")
    await db.oficios.update_one({"_id": loser}, {"$set": {"folio": {"anio": 2026, "consecutivo": 2}}})
    await db.oficios.insert_one(
        {"_id": "otra", "office_id": "TES", "folio": {"anio": 2026, "consecutivo": 1}}
    )
    await db.oficios.insert_one(
        {"_id": "antes", "office_id": "DGTI", "folio": {"anio": 2025, "consecutivo": 1}}
    )
    assert await db.oficios.count_documents({"folio.consecutivo": {"$exists": True}}) == 4


async def test_a_filter_on_a_whole_embedded_document_matches_only_the_same_document(
    db: AsyncIOMotorDatabase[Any],
) -> None:
    """Drafting's one-time migration rewrites a content only if it is still what it read."""
    contenido = {"asunto": "Informe", "cuerpo": {"items": [[{"t": "Uno"}], []]}}
    await db.oficios.insert_one({"_id": "o1", "contenido": contenido})

    other_order = {"cuerpo": contenido["cuerpo"], "asunto": "Informe"}
    changed = {**contenido, "asunto": "Otro"}
    missed = [
        (
            await db.oficios.update_one({"_id": "o1", "contenido": c}, {"$set": {"contenido": {}}})
        ).matched_count
        for c in (other_order, changed, {"asunto": "Informe"})
    ]
    hit = await db.oficios.update_one({"_id": "o1", "contenido": contenido}, {"$set": {"contenido": changed}})

    assert (missed, hit.matched_count) == ([0, 0, 0], 1)
    assert await db.oficios.find_one({"_id": "o1"}) == {"_id": "o1", "contenido": changed}


# --- Indexes, as the server's explain reports them -----------------------------------------------


async def test_an_inbox_page_reads_only_its_page_through_the_compound_index(
    db: AsyncIOMotorDatabase[Any],
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    entries = [
        {
            "_id": f"e{i}",
            "owner": f"f{i % 20}",
            "folder": "copias" if i // 20 % 3 == 0 else "recibidos",
            "created_at": start + timedelta(minutes=i),
        }
        for i in range(2_000)
    ]
    await db.bandeja.insert_many(entries)
    await db.bandeja.create_index(
        [("owner", ASCENDING), ("folder", ASCENDING), ("created_at", DESCENDING)], name="pagina"
    )
    query = {"owner": "f3", "folder": "recibidos"}

    stages, stats = await _explain(
        db, {"find": "bandeja", "filter": query, "sort": {"created_at": -1}, "limit": 10}
    )

    assert _index_names(stages) == {"pagina"}, stages
    assert not {"COLLSCAN", "SORT"} & {s["stage"] for s in stages}, stages
    assert stats["nReturned"] == 10
    assert stats["totalDocsExamined"] == 10
    page = await db.bandeja.find(query).sort("created_at", DESCENDING).limit(10).to_list(None)
    mine = [e for e in entries if e["owner"] == "f3" and e["folder"] == "recibidos"]
    assert [d["_id"] for d in page] == [e["_id"] for e in reversed(mine)][:10]


async def test_finds_by_a_unique_field_and_by_ids_use_their_index(db: AsyncIOMotorDatabase[Any]) -> None:
    await db.funcionarios.insert_many(
        [{"_id": f"f{i}", "correo": f"f{i}@monterrey.gob.mx"} for i in range(500)]
    )
    await db.funcionarios.create_index([("correo", ASCENDING)], unique=True, name="correo_unico")

    by_mail, mail_stats = await _explain(
        db, {"find": "funcionarios", "filter": {"correo": "f7@monterrey.gob.mx"}}
    )
    by_ids, ids_stats = await _explain(
        db, {"find": "funcionarios", "filter": {"_id": {"$in": ["f7", "f9", "x"]}}}
    )

    assert _index_names(by_mail) == {"correo_unico"}, by_mail
    assert _index_names(by_ids) == {"_id_"}, by_ids
    assert "COLLSCAN" not in {s["stage"] for s in by_mail + by_ids}, (by_mail, by_ids)
    assert (mail_stats["nReturned"], mail_stats["totalDocsExamined"]) == (1, 1)
    assert (ids_stats["nReturned"], ids_stats["totalDocsExamined"]) == (2, 2)


async def test_an_id_under_and_or_or_is_still_read_through_its_index(db: AsyncIOMotorDatabase[Any]) -> None:
    """MongoDB plans `{$and: [{_id: x}, {$or: [...]}]}` as an `_id` look-up, as it does `{_id: x, ...}`."""
    await db.agregados.insert_many([{"_id": f"a{i}", "aportes": {"o1": {"rev": 1}}} for i in range(500)])
    either = {"$or": [{"aportes.o2": {"$exists": False}}, {"aportes.o2.rev": {"$lt": 3}}]}

    stages, stats = await _explain(
        db, {"find": "agregados", "filter": {"$and": [{"_id": "a7"}, {"aportes.o1.rev": 1}, either]}}
    )

    assert _index_names(stages) == {"_id_"}, stages
    assert (stats["nReturned"], stats["totalDocsExamined"]) == (1, 1)


async def test_a_sparse_index_reads_only_the_documents_that_have_the_field(
    db: AsyncIOMotorDatabase[Any],
) -> None:
    """The outbox relay's query: the few documents with pending events, oldest first."""
    now = datetime.now(UTC)
    await db.oficios.insert_many(
        [
            {"_id": f"o{i}", **({"_outbox_since": now + timedelta(seconds=-i)} if i % 50 == 0 else {})}
            for i in range(500)
        ]
    )
    await db.oficios.create_index([("_outbox_since", ASCENDING)], sparse=True, name="outbox_pending")

    find = {
        "find": "oficios",
        "filter": {"_outbox_since": {"$exists": True}},
        "sort": {"_outbox_since": 1},
        "limit": 3,
    }
    stages, stats = await _explain(db, find)
    found = [d["_id"] async for d in db.oficios.find(find["filter"]).sort("_outbox_since", 1).limit(3)]

    assert _index_names(stages) == {"outbox_pending"}, stages
    assert "COLLSCAN" not in {s["stage"] for s in stages}, stages
    assert stats["totalDocsExamined"] <= 10, stats
    assert found == ["o450", "o400", "o350"]


# --- Multi-document transactions -----------------------------------------------------------------


async def test_a_committed_transaction_is_seen_whole_and_only_after_commit(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    await db.create_collection("oficios")
    await db.create_collection("salida")
    await db.oficios.insert_one({"_id": "o1", "estado": "borrador"})
    other = clients[1][db.name]

    async with await clients[0].start_session() as session:
        d = session.client[db.name]
        session.start_transaction()
        await d.oficios.update_one({"_id": "o1"}, {"$set": {"estado": "firmado"}}, session=session)
        await d.salida.insert_one({"_id": "ev1", "type": "oficio.signed"}, session=session)
        # Inside, the transaction sees its writes; outside, nobody does yet.
        assert await d.salida.count_documents({}, session=session) == 1
        assert await other.oficios.find_one({"_id": "o1"}) == {"_id": "o1", "estado": "borrador"}
        assert await other.salida.count_documents({}) == 0
        await session.commit_transaction()

    assert await other.oficios.find_one({"_id": "o1"}) == {"_id": "o1", "estado": "firmado"}
    assert await other.salida.find_one({"_id": "ev1"}) == {"_id": "ev1", "type": "oficio.signed"}


async def test_a_plain_write_waiting_on_a_transaction_lets_its_next_statement_run(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    """A plain `updateMany` that meets a document a transaction wrote waits for it without blocking
    the transaction's next statement on the same collection (mongod yields between write-conflict
    retries); then it applies to the committed document. An outbox relay clearing documents while
    routing's transactions write them does exactly this."""
    await db.create_collection("oficios")
    await db.oficios.insert_many([{"_id": i, "n": 0} for i in range(3)])
    plain = clients[1][db.name]

    async with await clients[0].start_session() as session:
        d = session.client[db.name]
        session.start_transaction()
        await d.oficios.update_one({"_id": 0}, {"$inc": {"n": 1}}, session=session)
        waiting = asyncio.ensure_future(plain.oficios.update_many({}, {"$inc": {"n": 10}}))
        await asyncio.sleep(0.3)  # let the plain write meet the transaction's document
        await asyncio.wait_for(
            d.oficios.update_one({"_id": 1}, {"$inc": {"n": 1}}, session=session), timeout=10
        )
        await session.commit_transaction()
    assert (await asyncio.wait_for(waiting, timeout=10)).modified_count == 3

    assert [doc["n"] async for doc in db.oficios.find().sort("_id", 1)] == [11, 11, 10]


async def test_an_aborted_transaction_leaves_nothing(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    await db.create_collection("salida")
    await db.oficios.insert_one({"_id": "o1", "estado": "borrador", "version": 1})

    class Crash(Exception):
        """Stands for a use case failing half-way."""

    async def half_way(session: AsyncIOMotorClientSession) -> None:
        d = session.client[db.name]
        await d.oficios.update_one({"_id": "o1"}, {"$set": {"estado": "firmado"}}, session=session)
        await d.salida.insert_one({"_id": "ev1"}, session=session)
        raise Crash

    async with await clients[0].start_session() as session:
        with pytest.raises(Crash):
            await session.with_transaction(half_way)

    assert await db.oficios.find_one({"_id": "o1"}) == {"_id": "o1", "estado": "borrador", "version": 1}
    assert await db.salida.count_documents({}) == 0


async def test_transactions_of_20_clients_on_one_document_all_commit_in_turn(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    """Two transactions writing one document conflict; `with_transaction` retries the loser."""
    await db.create_collection("salida")
    await db.oficios.insert_one({"_id": "o1", "n": 0})

    async def one(d: AsyncIOMotorDatabase[Any], i: int) -> None:
        async def body(session: AsyncIOMotorClientSession) -> None:
            doc = await d.oficios.find_one_and_update(
                {"_id": "o1"}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER, session=session
            )
            assert doc is not None
            await d.salida.insert_one({"_id": f"c{i}", "n": doc["n"]}, session=session)

        async with await d.client.start_session() as session:
            await session.with_transaction(body)

    await _all_at_once(clients, db, one)

    assert await db.oficios.find_one({"_id": "o1"}) == {"_id": "o1", "n": CLIENTS}
    written = [d["n"] async for d in db.salida.find({})]
    assert sorted(written) == list(range(1, CLIENTS + 1))  # each saw the others' committed writes


async def test_a_write_conflict_is_reported_as_transient(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    await db.oficios.insert_one({"_id": "o1", "n": 0})
    first, second = clients[0], clients[1]

    async with await first.start_session() as s1, await second.start_session() as s2:
        s1.start_transaction()
        s2.start_transaction()
        await first[db.name].oficios.update_one({"_id": "o1"}, {"$inc": {"n": 1}}, session=s1)
        with pytest.raises(OperationFailure) as conflict:
            await second[db.name].oficios.update_one({"_id": "o1"}, {"$inc": {"n": 10}}, session=s2)
        await s1.commit_transaction()
        if s2.in_transaction:
            await s2.abort_transaction()

    assert conflict.value.code == 112  # WriteConflict
    assert conflict.value.has_error_label("TransientTransactionError")
    assert await db.oficios.find_one({"_id": "o1"}) == {"_id": "o1", "n": 1}


# --- Update operators ----------------------------------------------------------------------------


async def test_pull_with_a_condition_removes_only_the_matching_elements(
    db: AsyncIOMotorDatabase[Any],
) -> None:
    await db.oficios.insert_one(
        {
            "_id": "o1",
            "outbox": [
                {"event_id": "a", "lease": 5},
                {"event_id": "b", "lease": 9},
                {"event_id": "c", "lease": 5},
            ],
            "lectores": ["f1", "f2", "f3", "f2"],
        }
    )

    await db.oficios.update_one(
        {"_id": "o1"}, {"$pull": {"outbox": {"lease": 5, "event_id": {"$in": ["a", "x"]}}}}
    )
    await db.oficios.update_one({"_id": "o1"}, {"$pull": {"lectores": {"$gte": "f3"}}})
    await db.oficios.update_one({"_id": "o1"}, {"$pullAll": {"lectores": ["f2"]}})

    assert await db.oficios.find_one({"_id": "o1"}) == {
        "_id": "o1",
        "outbox": [{"event_id": "b", "lease": 9}, {"event_id": "c", "lease": 5}],
        "lectores": ["f1"],
    }


async def test_min_keeps_the_earliest_date_and_sets_a_missing_one(db: AsyncIOMotorDatabase[Any]) -> None:
    """The outbox keeps a document's oldest pending event time with `$min`."""
    first = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    await db.oficios.insert_one({"_id": "o1"})

    await db.oficios.update_one({"_id": "o1"}, {"$min": {"desde": first + timedelta(hours=1)}})
    await db.oficios.update_one({"_id": "o1"}, {"$min": {"desde": first}})
    await db.oficios.update_one({"_id": "o1"}, {"$min": {"desde": first + timedelta(hours=2)}})
    await db.oficios.update_one({"_id": "o2"}, {"$min": {"desde": first}}, upsert=True)

    assert [d async for d in db.oficios.find({}).sort("_id", 1)] == [
        {"_id": "o1", "desde": first},
        {"_id": "o2", "desde": first},
    ]


async def test_arrays_inside_arrays_are_stored_queried_and_updated(db: AsyncIOMotorDatabase[Any]) -> None:
    """A body's tables: rows of cells, a cell a list of runs."""
    tabla = [[["Concepto"], ["Monto"]], [["Papel"], ["1,200"]]]
    await db.cuerpos.insert_one({"_id": "o1", "tabla": tabla})

    await db.cuerpos.update_one({"_id": "o1"}, {"$push": {"tabla": [["Tóner"], ["800"]]}})
    await db.cuerpos.update_one({"_id": "o1"}, {"$set": {"tabla.1.1": ["1,250"]}})

    doc = await db.cuerpos.find_one({"_id": "o1"})
    assert doc == {
        "_id": "o1",
        "tabla": [[["Concepto"], ["Monto"]], [["Papel"], ["1,250"]], [["Tóner"], ["800"]]],
    }
    assert await db.cuerpos.count_documents({"tabla": [["Papel"], ["1,250"]]}) == 1


async def test_set_of_an_embedded_document_replaces_it(db: AsyncIOMotorDatabase[Any]) -> None:
    await db.bandeja.insert_one({"_id": "e1", "resumen": {"asunto": "Informe", "urgente": True}})

    await db.bandeja.update_one({"_id": "e1"}, {"$set": {"resumen": {"asunto": "Respuesta"}}})

    assert await db.bandeja.find_one({"_id": "e1"}) == {"_id": "e1", "resumen": {"asunto": "Respuesta"}}


# --- The oplog behind change streams ---------------------------------------------------------------


async def test_a_change_stream_reports_an_insert_with_the_document_as_stored(
    db: AsyncIOMotorDatabase[Any], clients: list[AsyncIOMotorClient[Any]]
) -> None:
    """An insert's oplog entry carries the document as stored: fields in order, nested documents,
    arrays and BSON types kept, whether inserted alone, many at once or in a transaction
    (SecantusDB writes the entry from the stored bytes, patch 0007)."""
    await db.create_collection("indicadores")
    document: Document = {
        "_id": "unidad|SEC|mes|2026-12",
        "zeta": 1,
        "alfa": {"b": 2, "a": [1, {"y": "z"}, [3, 4]], "vacio": {}},
        "grande": 2**40,
        "fecha": datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
        "nulo": None,
    }
    many = [{"_id": f"d{i}", "n": i, "anidado": {"i": [i]}} for i in range(3)]
    inside = {"_id": "t1", "z": {"b": 1, "a": 2}}
    async with db.indicadores.watch(full_document="default") as stream:
        await db.indicadores.insert_one(document)
        await db.indicadores.insert_many(many)
        async with await clients[0].start_session() as session:
            session.start_transaction()
            await session.client[db.name].indicadores.insert_one(inside, session=session)
            await session.commit_transaction()
        events = [await asyncio.wait_for(stream.next(), timeout=10) for _ in range(5)]

    assert [e["operationType"] for e in events] == ["insert"] * 5
    stored = {d["_id"]: d async for d in db.indicadores.find()}
    for event in events:
        full = event["fullDocument"]
        assert list(full.items()) == list(stored[full["_id"]].items())
        assert event["documentKey"] == {"_id": full["_id"]}
    assert [e["fullDocument"]["_id"] for e in events] == [document["_id"], "d0", "d1", "d2", "t1"]
    assert list(events[0]["fullDocument"]) == list(document)
    assert events[0]["fullDocument"]["alfa"] == document["alfa"]
    assert events[4]["fullDocument"] == inside


# --- TTL -----------------------------------------------------------------------------------------


@pytest.mark.timeout(180)
async def test_a_ttl_index_removes_what_expired_and_keeps_the_rest(db: AsyncIOMotorDatabase[Any]) -> None:
    """Sessions, OIDC states and counted failed logins expire by an index on `expira`.

    The server's TTL monitor runs every 60 s on mongod (its default) and every 5 s on the test
    stack's SecantusDB (`ttl_sweep_seconds`): wait for it.
    """
    await db.sesiones.create_index([("expira", ASCENDING)], expireAfterSeconds=0, name="expira_ttl")
    now = datetime.now(UTC)
    await db.sesiones.insert_many(
        [
            {"_id": "vencida", "expira": now - timedelta(minutes=1)},
            {"_id": "vigente", "expira": now + timedelta(hours=1)},
            {"_id": "sin_fecha"},
        ]
    )
    indexes = {ix["name"]: ix async for ix in db.sesiones.list_indexes()}
    assert indexes["expira_ttl"]["expireAfterSeconds"] == 0

    deadline = asyncio.get_running_loop().time() + 150
    while await db.sesiones.find_one({"_id": "vencida"}) is not None:
        assert asyncio.get_running_loop().time() < deadline, "the expired document was never removed"
        await asyncio.sleep(1)  # polling the server's TTL monitor, which has no event to wait on

    assert sorted([d["_id"] async for d in db.sesiones.find({})]) == ["sin_fecha", "vigente"]
