"""`make bench`: run every benchmark against the test stack and write bench/results.json.

SIGNUM_BENCH_PROFILE names another stack profile to run against (e.g. `alt`, a second stack beside
the test one)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

from bench import folios, metrics, outbox, render, routing, signing, verify
from signum.localstack import PROFILES, endpoints

RESULTS = Path(__file__).parent / "results.json"
BENCHMARKS = [outbox.run, render.run, signing.run, verify.run, folios.run, routing.run, metrics.run]


async def main() -> None:
    from signum.platform.settings import InfraSettings

    ns = f"bench{uuid.uuid4().hex[:6]}"
    os.environ.update(endpoints(PROFILES[os.environ.get("SIGNUM_BENCH_PROFILE", "test")]).env())
    os.environ.update({"SIGNUM_KAFKA_NAMESPACE": f"{ns}.", "SIGNUM_MONGO_DB_PREFIX": f"{ns}_"})
    infra = InfraSettings()
    results = []
    # `python -m bench routing signing` runs only those; results of the others are kept as they were.
    only = set(sys.argv[1:])
    if only:
        kept = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else []
        chosen = [b for b in BENCHMARKS if b.__module__.rsplit(".", 1)[-1] in only]
    else:
        kept, chosen = [], BENCHMARKS
    for bench in chosen:
        for result in await bench(infra):
            print(
                f"{result.name}: {result.value:.6f} {result.unit} (baseline {result.baseline:.6f}, "
                f"ratio {result.ratio:.2f})"
            )
            results.append(result.as_dict())
    names = {r["name"] for r in results}
    results = [r for r in kept if r["name"] not in names] + results
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    asyncio.run(main())
