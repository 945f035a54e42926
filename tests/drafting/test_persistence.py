"""How drafting keeps oficios on the real MongoDB server: bodies stored as they are, writes filtered on
the revision read, folios from one counter per unit and year, and documents stored by earlier code
brought to this design once at start."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from signum.drafting.repository import FolioCounters, OficioRepository
from signum.drafting.service import DraftingService
from signum.platform.errors import ConflictError, SignumError
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings
from tests.drafting.support import UNIT, MemoryStore, content, official

pytestmark = pytest.mark.stack

AUTHOR = official("autor")


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text, "bold": False, "italic": False, "underline": False}


def _rich_body() -> dict[str, Any]:
    return {
        "blocks": [
            {"type": "bullet_list", "items": [[{"type": "paragraph", "children": [_text("Primero")]}]]},
            {"type": "table", "header": True, "rows": [[[_text("Obra")], [_text("Monto")]], [[], []]]},
        ]
    }


def _wrapped(value: Any, *, in_array: bool = False) -> Any:
    """A value as the earlier code stored it: each array directly inside an array as {"_l": [...]}."""
    if isinstance(value, list):
        items = [_wrapped(v, in_array=True) for v in value]
        return {"_l": items} if in_array else items
    if isinstance(value, dict):
        return {k: _wrapped(v) for k, v in value.items()}
    return value


def _has_wrapper(value: Any) -> bool:
    if isinstance(value, dict):
        return "_l" in value or any(_has_wrapper(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_wrapper(v) for v in value)
    return False


async def _rich_draft(drafting: DraftingService) -> Any:
    return await drafting.create_draft(
        caller=AUTHOR,
        kind="oficio",
        asunto="Informe de obras",
        office_id=UNIT,
        correlation_id="c",
        contenido={**content(), "cuerpo": _rich_body()},
    )


async def test_lists_and_tables_are_stored_as_arrays_inside_arrays(drafting: DraftingService) -> None:
    draft = await _rich_draft(drafting)

    stored = await drafting._repo.collection.find_one({"_id": draft.id})
    snapshot = await drafting._repo.versions.find_one({"_id": f"{draft.id}:1"})

    assert stored is not None
    assert snapshot is not None
    for doc in (stored, snapshot):
        blocks = doc["contenido"]["cuerpo"]["blocks"]
        assert blocks[0]["items"] == [[{"type": "paragraph", "children": [_text("Primero")]}]]
        assert blocks[1]["rows"] == [[[_text("Obra")], [_text("Monto")]], [[], []]]
    assert (
        await drafting._repo.collection.count_documents({"contenido.cuerpo.blocks.1.rows.1": [[], []]}) == 1
    )


async def test_every_write_names_the_revision_it_read_and_adds_one(drafting: DraftingService) -> None:
    draft = await _rich_draft(drafting)
    repo = drafting._repo
    raw = await repo.collection.find_one({"_id": draft.id})
    assert raw is not None
    assert raw["rev"] == 1

    saved = await drafting.update_draft(
        caller=AUTHOR, oficio_id=draft.id, expected_version=1, changes={"asunto": "Otro"}, correlation_id="c"
    )
    assert (saved.rev, saved.version) == (2, 2)
    assert (await repo.get(draft.id)) == saved

    # A write from what was read before that save matches nothing and changes nothing.
    assert await repo.write(draft, draft, []) is None
    assert await repo.follow_state(draft, "firmado", {}) is False
    assert await repo.claim_finalization(draft, "alguien") is None
    after = await repo.collection.find_one({"_id": draft.id})
    assert after is not None
    assert (after["rev"], after["asunto"], after["status"], after["finalizacion"]) == (
        2,
        "Otro",
        "borrador",
        None,
    )


async def test_folio_counters_of_several_replicas_hand_out_every_number_once(
    infra: InfraSettings, db: Any
) -> None:
    """Four service replicas (each its own client) take 30 folios each, all at once, from a counter that
    does not exist yet; another unit's counter and another year's are untouched."""
    clients = [build_mongo_client(infra) for _ in range(4)]
    try:
        replicas = [FolioCounters(client[db.name]) for client in clients]
        await replicas[0].ensure_indexes()
        await replicas[0].next("OTRA", 2026)
        await replicas[0].next(UNIT, 2025)

        taken = await asyncio.gather(*(r.next(UNIT, 2026) for r in replicas for _ in range(30)))
    finally:
        for client in clients:
            client.close()

    assert sorted(taken) == list(range(1, 121))
    folios = FolioCounters(db)
    assert (
        await folios.last(UNIT, 2026),
        await folios.last("OTRA", 2026),
        await folios.last(UNIT, 2025),
    ) == (
        120,
        1,
        1,
    )
    assert await folios.collection.count_documents({}) == 3


class FailingOnce(MemoryStore):
    """Storage that refuses the first PDF (as when the storage service is down a moment)."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def put(self, *, bucket: str, oficio_id: str, media_type: str, data: bytes) -> dict[str, Any]:
        if not self.failed:
            self.failed = True
            raise SignumError("El almacenamiento no responde.", code="storage_unavailable", status_code=503)
        return await super().put(bucket=bucket, oficio_id=oficio_id, media_type=media_type, data=data)


async def test_a_failed_finalization_lets_go_of_the_oficio_and_keeps_its_folio_for_the_next(
    drafting: DraftingService,
) -> None:
    store = FailingOnce()
    drafting._store = store
    draft = await _rich_draft(drafting)

    with pytest.raises(SignumError) as info:
        await drafting.finalize(AUTHOR, draft.id, "c")
    assert info.value.code == "storage_unavailable"
    failed = await drafting.get_draft(AUTHOR, draft.id)
    assert failed.status == "borrador"
    assert failed.finalizacion is None  # let go at once: no «se está finalizando» for five minutes
    assert failed.folio is not None
    assert failed.folio.consecutivo == 1

    done = await drafting.finalize(AUTHOR, draft.id, "c")

    assert done.status == "listo_para_firma"
    assert done.folio == failed.folio  # the same folio, none burnt
    assert await drafting._folios.last(UNIT, dt.date.today().year) == 1  # type: ignore[union-attr]


async def test_a_counter_behind_the_oficios_passes_over_the_folios_they_hold(
    drafting: DraftingService,
) -> None:
    """The unique index on the oficios' folios is the backstop: a counter lost or set back (a restored
    backup, a hand edit) never gives an oficio a folio another one holds."""
    first = await drafting.finalize(AUTHOR, (await _rich_draft(drafting)).id, "c")
    await drafting._folios.collection.delete_many({})  # type: ignore[union-attr]

    second = await drafting.finalize(AUTHOR, (await _rich_draft(drafting)).id, "c")

    assert first.folio is not None
    assert second.folio is not None
    assert (first.folio.consecutivo, second.folio.consecutivo) == (1, 2)
    assert second.status == "listo_para_firma"
    assert await drafting._folios.last(UNIT, dt.date.today().year) == 2  # type: ignore[union-attr]


async def test_a_finalization_that_dies_after_taking_its_number_gives_it_back(
    drafting: DraftingService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counter's step and the oficio keeping the folio are one transaction: a failure between
    them (here the write after the oficio's, as a process dying before the commit would) leaves no
    gap in the unit's series."""
    draft = await _rich_draft(drafting)
    keep_folio = drafting._repo.keep_folio

    async def dies_after_writing(*args: Any, **kwargs: Any) -> Any:
        await keep_folio(*args, **kwargs)
        raise ConnectionError("the process died before the commit")

    monkeypatch.setattr(drafting._repo, "keep_folio", dies_after_writing)
    with pytest.raises(ConnectionError):
        await drafting.finalize(AUTHOR, draft.id, "c")
    monkeypatch.undo()

    lost = await drafting.get_draft(AUTHOR, draft.id)
    assert (lost.status, lost.folio, lost.finalizacion) == ("borrador", None, None)
    assert await drafting._folios.last(UNIT, dt.date.today().year) == 0  # type: ignore[union-attr]
    done = await drafting.finalize(AUTHOR, (await _rich_draft(drafting)).id, "c")
    again = await drafting.finalize(AUTHOR, draft.id, "c")
    assert done.folio is not None
    assert again.folio is not None
    assert (done.folio.consecutivo, again.folio.consecutivo) == (1, 2)


async def test_finalizations_of_one_unit_at_once_number_the_series_without_gaps(
    drafting: DraftingService,
) -> None:
    drafts = [await _rich_draft(drafting) for _ in range(8)]

    done = await asyncio.gather(*(drafting.finalize(AUTHOR, d.id, "c") for d in drafts))

    numbers = sorted(d.folio.consecutivo for d in done if d.folio is not None)
    assert numbers == list(range(1, 9))
    assert await drafting._folios.last(UNIT, dt.date.today().year) == 8  # type: ignore[union-attr]


async def test_while_one_finalization_holds_the_oficio_others_are_refused(drafting: DraftingService) -> None:
    draft = await _rich_draft(drafting)
    held = await drafting._repo.claim_finalization(draft, "otra-finalizacion")
    assert held is not None

    with pytest.raises(ConflictError) as finalizing:
        await drafting.finalize(AUTHOR, draft.id, "c")
    with pytest.raises(ConflictError) as saving:
        await drafting.update_draft(
            caller=AUTHOR, oficio_id=draft.id, expected_version=1, changes={"asunto": "X"}, correlation_id="c"
        )

    assert (finalizing.value.code, saving.value.code) == ("finalize_in_progress", "finalize_in_progress")
    # A lease is let go only by its holder.
    await drafting._repo.release_finalization(draft.id, "otra")
    assert (await drafting._repo.get(draft.id)).finalizacion is not None  # type: ignore[union-attr]
    await drafting._repo.release_finalization(draft.id, "otra-finalizacion")
    assert (await drafting.finalize(AUTHOR, draft.id, "c")).status == "listo_para_firma"


async def test_documents_stored_by_the_earlier_code_are_migrated_once(
    drafting: DraftingService, db: Any
) -> None:
    """A developer's `.local/dev` data: contents with wrapped inner arrays, one document per folio."""
    repo: OficioRepository = drafting._repo
    folios = FolioCounters(db)
    year = dt.date.today().year
    draft = await _rich_draft(drafting)
    plain = await repo.collection.find_one({"_id": draft.id})
    assert plain is not None
    await repo.collection.replace_one(
        {"_id": draft.id}, {**plain, "rev": 7, "contenido": _wrapped(plain["contenido"])}
    )
    version = await repo.versions.find_one({"_id": f"{draft.id}:1"})
    assert version is not None
    await repo.versions.replace_one(
        {"_id": version["_id"]}, {**version, "contenido": _wrapped(version["contenido"])}
    )
    await db["folios"].insert_many(
        [
            {
                "_id": f"{UNIT}:{year}:{n}",
                "unidad_id": UNIT,
                "anio": year,
                "consecutivo": n,
                "oficio_id": f"o{n}",
            }
            for n in (1, 2, 3)
        ]
    )
    await db["folios_ultimo"].insert_one({"_id": f"{UNIT}:{year}", "ultimo": 2})  # a hint that lagged
    assert _has_wrapper((await repo.collection.find_one({"_id": draft.id}))["contenido"])  # type: ignore[index]

    for _ in range(2):  # every start runs it; it works once
        await repo.migrate()
        await folios.migrate()

    stored = await repo.collection.find_one({"_id": draft.id})
    snapshot = await repo.versions.find_one({"_id": f"{draft.id}:1"})
    assert stored is not None
    assert snapshot is not None
    assert stored["contenido"] == plain["contenido"]
    assert snapshot["contenido"] == plain["contenido"]
    assert stored["rev"] == 7  # the same oficio, not a change of it
    assert await folios.last(UNIT, year) == 3
    assert {m["_id"] async for m in db["migraciones"].find({})} == {
        "contenido_sin_envolturas",
        "contadores_de_folios",
    }

    # The migrated oficio is read, saved from the revision it has and finalized after the old folios.
    read = await drafting.get_draft(AUTHOR, draft.id)
    assert read.contenido.cuerpo.model_dump(mode="json") == plain["contenido"]["cuerpo"]
    saved = await drafting.update_draft(
        caller=AUTHOR,
        oficio_id=draft.id,
        expected_version=1,
        changes={"asunto": "Migrado"},
        correlation_id="c",
    )
    assert saved.rev == 8
    done = await drafting.finalize(AUTHOR, draft.id, "c")
    assert done.folio is not None
    assert done.folio.consecutivo == 4
