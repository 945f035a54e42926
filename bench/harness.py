"""What every benchmark shares: timing, the result entry and the machine it ran on."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Result:
    """One entry of bench/results.json. `ratio` compares `value` with `baseline` of the same run."""

    name: str
    value: float
    unit: str
    baseline: float
    ratio: float
    machine: dict[str, Any]
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


async def time_async(step: Callable[[], Awaitable[Any]], *, repeat: int, warmup: int = 5) -> float:
    """Median seconds per call of `step` over `repeat` calls, after `warmup` calls."""
    for _ in range(warmup):
        await step()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await step()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)
