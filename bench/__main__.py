"""`make bench`: run every benchmark against the test stack and write bench/results.json."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path

from bench import folios, outbox, render, signing
from signum.localstack import PROFILES, endpoints

RESULTS = Path(__file__).parent / "results.json"
BENCHMARKS = [outbox.run, render.run, signing.run, folios.run]


async def main() -> None:
    from signum.platform.settings import InfraSettings

    ns = f"bench{uuid.uuid4().hex[:6]}"
    os.environ.update(endpoints(PROFILES["test"]).env())
    os.environ.update({"SIGNUM_KAFKA_NAMESPACE": f"{ns}.", "SIGNUM_MONGO_DB_PREFIX": f"{ns}_"})
    infra = InfraSettings()
    results = []
    for bench in BENCHMARKS:
        for result in await bench(infra):
            print(
                f"{result.name}: {result.value:.6f} {result.unit} (baseline {result.baseline:.6f}, "
                f"ratio {result.ratio:.2f})"
            )
            results.append(result.as_dict())
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    asyncio.run(main())
