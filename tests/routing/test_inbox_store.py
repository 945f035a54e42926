"""Local data of an older version (one inbox collection per owner) moves into the one inbox
collection at start, once: running it again, or after a crash half-way, changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from signum.routing import domain
from signum.routing.repository import Store, inbox_key, old_inbox_collection_name
from signum.routing.service import RoutingService
from tests.routing.support import official

pytestmark = pytest.mark.stack

OFICIO = "019a0000-0000-7000-8000-00000000m1g"


def _old_entry(entry_id: str, carpeta: str, **extra: Any) -> dict[str, Any]:
    return {
        "_id": entry_id,
        "tipo": "entrega" if entry_id.startswith("e:") else "oficio",
        "carpeta": carpeta,
        "orden": f"2026-12-01T10:00:00.000000Z|{entry_id}",
        "oficio_id": OFICIO,
        "folio": "TES/EGR/0001/2026",
        "asunto": "Presupuesto",
        "leido": False,
        "texto": "tes/egr/0001/2026 presupuesto",
        **extra,
    }


async def test_old_per_owner_inboxes_move_into_one_collection_once(db: Any, service: RoutingService) -> None:
    entrega = domain.entrega_id(OFICIO, "destinatario", "80001")
    await db["oficios"].insert_one(
        {
            "_id": OFICIO,
            "author_id": "90001",
            "participantes": ["90001"],
            "entregas": {entrega: {"id": entrega, "motivo": "destinatario", "funcionario_id": "80001"}},
        }
    )
    await db[old_inbox_collection_name("80001")].insert_one(
        _old_entry(f"e:{entrega}", "recibidos", entrega_id=entrega, estado="enviado")
    )
    # Summaries were kept as lists then.
    summary = [{"estado": "enviado", "n": 1}]
    await db[old_inbox_collection_name("90001")].insert_one(
        _old_entry(f"o:{OFICIO}", "enviados", estado="enviado", leido=True, destinatarios=summary)
    )
    await db[old_inbox_collection_name("nadie")].insert_one(_old_entry("o:otro", "borradores"))
    store = Store(db)
    assert await store.inbox.migrate_per_owner_collections(store.oficios) == 2
    assert not [n for n in await db.list_collection_names() if n.startswith("bandeja_")]
    moved = await db["bandeja"].find_one({"_id": inbox_key("90001", f"o:{OFICIO}")})
    assert moved is not None
    assert moved["destinatarios"] == {"enviado": 1}
    # The inbox reads them as before.
    page = await service.inbox_page(official("80001", "ING"), "recibidos")
    assert [i["id"] for i in page["elementos"]] == [f"e:{entrega}"]
    assert (await service.unread_counts(official("80001", "ING")))["recibidos"] == 1
    sent = await service.inbox_page(official("90001", "SEC"), "enviados")
    assert sent["elementos"][0]["destinatarios"] == summary
    # Again (a restart): nothing to move, nothing changed.
    await db["bandeja"].update_one({"_id": inbox_key("80001", f"e:{entrega}")}, {"$set": {"leido": True}})
    await db[old_inbox_collection_name("80001")].insert_one(
        _old_entry(f"e:{entrega}", "recibidos", entrega_id=entrega, estado="enviado")
    )  # a crash before the drop left the old collection behind
    assert await store.inbox.migrate_per_owner_collections(store.oficios) == 0
    assert await db["bandeja"].count_documents({}) == 2
    assert (await db["bandeja"].find_one({"_id": inbox_key("80001", f"e:{entrega}")}))["leido"] is True
    assert await store.inbox.migrate_per_owner_collections(store.oficios) == 0


def _stages(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if isinstance(node.get("stage"), str):
            found.append(node)
        for value in node.values():
            found += _stages(value)
    elif isinstance(node, list):
        for item in node:
            found += _stages(item)
    return found


async def test_an_inbox_page_of_one_owner_reads_through_its_compound_index(db: Any) -> None:
    store = Store(db)
    await store.ensure_indexes()
    entries = [
        (
            f"F{i % 10}",
            {"id": f"e:{i}", "carpeta": "copias" if i % 3 == 0 else "recibidos", "orden": f"{i:06d}|e:{i}"},
        )
        for i in range(300)
    ]

    async def write(session: Any) -> None:
        await store.inbox.write(entries, [], session)

    await store.transaction(write)
    query = {"dueno": "F3", "carpeta": "recibidos"}
    explained = await db.command(
        "explain",
        {"find": "bandeja", "filter": query, "sort": {"orden": -1}, "limit": 5},
        verbosity="executionStats",
    )
    stages = _stages(explained["queryPlanner"]["winningPlan"])
    assert {s.get("indexName") for s in stages if s["stage"] == "IXSCAN"} == {"dueno_carpeta_orden"}, stages
    assert not {"COLLSCAN", "SORT"} & {s["stage"] for s in stages}, stages
    assert explained["executionStats"]["totalDocsExamined"] == 5
    page = await store.inbox.page("F3", {"carpeta": "recibidos"}, 5)
    assert [d["entrada"] for d in page] == ["e:293", "e:283", "e:263", "e:253", "e:233"]
