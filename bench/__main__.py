"""`make bench`: run every benchmark against the test stack and write bench/results.json.

SIGNUM_BENCH_PROFILE names another stack profile to run against (e.g. `alt`, a second stack beside
the test one). Arguments choose what runs: a module's name runs all of it (`python -m bench routing`),
a result's name only the function of that name (`python -m bench metrics_replay`: the replay without
the half hour of loading that indicators_query takes)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import folios, metrics, outbox, render, routing, signing, verify
from bench.harness import Result
from signum.localstack import PROFILES, endpoints
from signum.platform.settings import InfraSettings

RESULTS = Path(__file__).parent / "results.json"
MODULES = [outbox, render, signing, verify, folios, routing, metrics]
BENCHMARKS = [m.run for m in MODULES]


def _chosen(names: set[str]) -> list[Callable[[InfraSettings], Awaitable[list[Result]]]]:
    """The benchmarks `names` ask for: whole modules, or single results by their function's name."""
    chosen = []
    for module in MODULES:
        if module.__name__.rsplit(".", 1)[-1] in names:
            chosen.append(module.run)
            continue
        for name in sorted(names):
            one = getattr(module, name, None)
            if callable(one) and not name.startswith("_"):
                chosen.append(_single(one))
    unknown = names - {m.__name__.rsplit(".", 1)[-1] for m in MODULES}
    unknown -= {n for n in names for m in MODULES if callable(getattr(m, n, None))}
    if unknown:
        raise SystemExit(f"no benchmark named {', '.join(sorted(unknown))}")
    return chosen


def _single(
    bench: Callable[[InfraSettings], Awaitable[Result]],
) -> Callable[[InfraSettings], Awaitable[list[Result]]]:
    async def run(infra: InfraSettings) -> list[Result]:
        return [await bench(infra)]

    return run


async def main() -> None:
    ns = f"bench{uuid.uuid4().hex[:6]}"
    os.environ.update(endpoints(PROFILES[os.environ.get("SIGNUM_BENCH_PROFILE", "test")]).env())
    os.environ.update({"SIGNUM_KAFKA_NAMESPACE": f"{ns}.", "SIGNUM_MONGO_DB_PREFIX": f"{ns}_"})
    infra = InfraSettings()
    results = []
    # `python -m bench routing metrics_replay` runs only those; results of the others are kept as they were.
    only = set(sys.argv[1:])
    if only:
        kept = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else []
        chosen = _chosen(only)
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
