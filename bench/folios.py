"""Folio assignments per second on the real FerretDB, against a plain `$inc` counter, same run.

value: folios handed out per second by `FolioCounters.next` (unique insert per consecutive, a lock
per unit and year, a hint document), CONCURRENCY tasks at once, one unit.
baseline: `find_one_and_update({"$inc": 1})` on one counter document per second, same concurrency.
ratio = value / baseline. The baseline is not safe on FerretDB 1.24: concurrent `$inc`s lose
updates and hand out the same number twice; the note says how many duplicates it produced.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pymongo import ReturnDocument

from bench.harness import Result, machine
from signum.drafting.repository import FolioCounters
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings

N = 500
CONCURRENCY = 20


async def _rate(n: int, step: Any) -> tuple[float, list[int]]:
    queue = iter(range(n))
    got: list[int] = []

    async def worker() -> None:
        for _ in queue:
            got.append(await step())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return n / (time.perf_counter() - started), got


async def run(infra: InfraSettings) -> list[Result]:
    client = build_mongo_client(infra)
    db = client[infra.database_name("bench_folios")]
    folios = FolioCounters(db)
    await folios.ensure_indexes()
    counter = db["plain_counter"]
    await counter.insert_one({"_id": "k", "n": 0})
    try:

        async def signum() -> int:
            return await folios.next("BENCH", 2026)

        async def plain() -> int:
            doc = await counter.find_one_and_update(
                {"_id": "k"}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
            )
            return int(doc["n"])

        await _rate(20, plain)  # warm up connections
        baseline, plain_got = await _rate(N, plain)
        value, signum_got = await _rate(N, signum)
    finally:
        await client.drop_database(db.name)
        client.close()
    assert sorted(signum_got) == list(range(1, N + 1)), "folios must be consecutive and unique"
    duplicates = len(plain_got) - len(set(plain_got))
    return [
        Result(
            name="folio_assignments",
            value=value,
            unit="folios/s",
            baseline=baseline,
            ratio=value / baseline,
            machine=machine(),
            note=(
                f"{N} assignments, {CONCURRENCY} concurrent, one unit; Signum's were 1..{N} with no gaps; "
                f"the plain $inc baseline handed out {duplicates} duplicate numbers (FerretDB loses "
                "concurrent $inc updates)"
            ),
        )
    ]
