"""`folio_assignments`: folios handed out per second by drafting's repository against a plain `$inc`.

value: folios per second from `FolioCounters.next` (drafting's repository: one `find_one_and_update`
by `_id` with `$inc` on the counter of a unit and year, upsert, a unique index on (unidad_id, anio)),
CONCURRENCY tasks at once, one unit.
baseline: the same number of `find_one_and_update({"$inc": ...})` calls written by hand with motor on
one counter document of the same server, same concurrency (a folio needs the number, so the
baseline takes it too).
ratio = value / baseline (goal ≥ 0.8). Both run ROUNDS times in the same run, taking turns to go
first; each side keeps its median, so a moment of load on the shared machine does not decide it.
Both must hand out 1..N without a gap or a repeat.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from pymongo import ReturnDocument

from bench.harness import Result, machine
from signum.drafting.repository import FolioCounters
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings

N = 250
CONCURRENCY = 20
ROUNDS = 10


async def _rate(n: int, step: Callable[[], Awaitable[int]]) -> tuple[float, list[int]]:
    """Calls of `step` per second, `n` calls by CONCURRENCY workers; the numbers they returned."""
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
    signum_rates: list[float] = []
    plain_rates: list[float] = []
    try:
        for round_ in range(ROUNDS):
            unidad = f"BENCH{round_}"
            await counter.insert_one({"_id": unidad, "n": 0})

            async def signum(unidad: str = unidad) -> int:
                return await folios.next(unidad, 2026)

            async def plain(unidad: str = unidad) -> int:
                doc = await counter.find_one_and_update(
                    {"_id": unidad}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
                )
                assert doc is not None
                return int(doc["n"])

            if round_ == 0:
                await _rate(CONCURRENCY, plain)  # warm up the connections
                await counter.update_one({"_id": unidad}, {"$set": {"n": 0}})
            if round_ % 2:
                signum_rate, signum_got = await _rate(N, signum)
                plain_rate, plain_got = await _rate(N, plain)
            else:
                plain_rate, plain_got = await _rate(N, plain)
                signum_rate, signum_got = await _rate(N, signum)
            assert sorted(plain_got) == list(range(1, N + 1)), (
                "the plain counter handed out a gap or a repeat"
            )
            assert sorted(signum_got) == list(range(1, N + 1)), "folios must be consecutive and unique"
            plain_rates.append(plain_rate)
            signum_rates.append(signum_rate)
    finally:
        await client.drop_database(db.name)
        client.close()
    value, baseline = statistics.median(signum_rates), statistics.median(plain_rates)
    paired = statistics.median(s / p for s, p in zip(signum_rates, plain_rates, strict=True))
    return [
        Result(
            name="folio_assignments",
            value=value,
            unit="folios/s",
            baseline=baseline,
            ratio=value / baseline,
            machine=machine(),
            note=(
                f"{N} assignments, {CONCURRENCY} concurrent, one unit, median of {ROUNDS} rounds "
                f"taking turns (repository {', '.join(f'{r:.0f}' for r in signum_rates)}; plain $inc "
                f"{', '.join(f'{r:.0f}' for r in plain_rates)} per second; the median of the rounds' "
                f"own ratios {paired:.2f}); "
                f"both handed out 1..{N} with no gap or repeat"
            ),
        )
    ]
