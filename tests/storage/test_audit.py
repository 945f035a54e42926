"""The audit log: a hash chain of every event, sealed in S3, verified by `signumctl audit verify`."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest

from signum.contracts import Event
from signum.platform.settings import InfraSettings
from signum.storage.app import Components, components
from signum.storage.domain import new_record
from signum.storage.settings import Settings
from tests.storage.conftest import oficio_created

pytestmark = pytest.mark.stack


async def _chain(parts: Components, n: int) -> list[Event]:
    events: list[Event] = [oficio_created(author=f"autor{i}") for i in range(n)]
    for event in events:
        await parts.audit.append(event)
    return events


def signumctl_audit_verify() -> subprocess.CompletedProcess[str]:
    """`signumctl audit verify`, as a process, with this test's environment (its namespace)."""
    return subprocess.run(
        [sys.executable, "-m", "signum.cli.audit", "verify"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _verify_cli() -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(signumctl_audit_verify)


@pytest.fixture
async def sealed(parts: Components) -> Components:
    """A chain of 6 records whose head was sealed in the audit bucket."""
    await _chain(parts, 6)
    assert await parts.audit.seal() == 6
    return parts


async def test_a_duplicate_delivery_appends_nothing(parts: Components) -> None:
    event = oficio_created()
    assert await parts.audit.append(event) is not None
    assert await parts.audit.append(event) is None
    assert await parts.audit.repo.count() == 1


async def test_two_replicas_appending_at_once_keep_one_consecutive_chain(
    parts: Components, infra: InfraSettings
) -> None:
    other = components(Settings())
    try:
        events = [oficio_created() for _ in range(40)]
        await asyncio.gather(
            *(
                (parts if i % 2 else other).audit.append(e)
                for i, e in enumerate(events + events[:10])  # and some duplicate deliveries
            )
        )
    finally:
        other.runtime.mongo.close()
    seqs = [r["seq"] async for r in parts.audit.repo.walk()]
    assert seqs == list(range(1, 41))
    assert (await parts.audit.verify()).intact


async def test_an_intact_chain_verifies(sealed: Components) -> None:
    result = await _verify_cli()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "La bitácora está íntegra." in result.stdout
    assert "Registros verificados: 6" in result.stdout


async def test_an_edited_record_is_reported(sealed: Components) -> None:
    await sealed.audit.repo.collection.update_one({"seq": 3}, {"$set": {"payload.asunto": "Otro asunto"}})
    result = await _verify_cli()
    assert result.returncode == 1
    assert "Primer quiebre en el registro 3 (alterado)" in result.stdout


async def test_an_edited_actor_is_reported(sealed: Components) -> None:
    await sealed.audit.repo.collection.update_one({"seq": 2}, {"$set": {"actor.id": "otra-persona"}})
    result = await _verify_cli()
    assert result.returncode == 1
    assert "registro 2 (alterado)" in result.stdout


async def test_an_edited_record_with_a_recomputed_hash_is_reported(sealed: Components) -> None:
    coll = sealed.audit.repo.collection
    record = await coll.find_one({"seq": 4}, {"_id": 0})
    assert record is not None
    forged = new_record(
        seq=4,
        prev_hash=record["prev_hash"],
        event={**record, "actor": {"kind": "official", "id": "otra-persona"}},
        payload=record["payload"],
        topic=record["topic"],
    )
    await coll.replace_one({"seq": 4}, forged)
    result = await _verify_cli()
    assert result.returncode == 1
    assert "registro 4 (alterado)" in result.stdout


async def test_a_deleted_record_is_reported(sealed: Components) -> None:
    await sealed.audit.repo.collection.delete_one({"seq": 3})
    result = await _verify_cli()
    assert result.returncode == 1
    assert "Primer quiebre en el registro 3 (eliminado)" in result.stdout


async def test_a_deleted_last_record_is_reported_through_the_sealed_head(sealed: Components) -> None:
    await sealed.audit.repo.collection.delete_one({"seq": 6})
    result = await _verify_cli()
    assert result.returncode == 1
    assert "registro 6 (eliminado)" in result.stdout


async def test_an_inserted_record_is_reported(sealed: Components) -> None:
    coll = sealed.audit.repo.collection
    for seq in (6, 5, 4, 3):  # make room at 3, as a forger would
        await coll.update_one({"seq": seq}, {"$set": {"seq": seq + 1}})
    second = await coll.find_one({"seq": 2})
    assert second is not None
    fake = oficio_created(author="falsificador").to_document()
    await coll.insert_one(
        new_record(seq=3, prev_hash=second["hash"], event=fake, payload=fake["payload"], topic="x")
    )
    result = await _verify_cli()
    assert result.returncode == 1
    assert "Primer quiebre en el registro 3 (insertado)" in result.stdout


async def test_the_internal_api_reports_the_same(sealed: Components) -> None:
    await sealed.audit.repo.collection.delete_one({"seq": 2})
    report: dict[str, Any] = (await sealed.audit.verify()).report()
    assert report["integra"] is False
    assert report["primer_quiebre"]["seq"] == 2
    assert report["primer_quiebre"]["tipo"] == "eliminado"


async def test_the_timeline_of_an_oficio_comes_from_the_chain(parts: Components) -> None:
    event = oficio_created(author="mgarza")
    await parts.audit.append(oficio_created())
    await parts.audit.append(event)
    timeline = await parts.audit.timeline(event.oficio_id)
    assert [(e["tipo"], e["quien"]["id"]) for e in timeline] == [("oficio.created", "mgarza")]
    assert timeline[0]["descripcion"] == "Se creó el borrador del oficio"
