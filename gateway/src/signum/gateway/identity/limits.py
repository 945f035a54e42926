"""Failed logins per client address: a sliding window kept in memory by each gateway replica.

In memory, not in MongoDB: it is a flood brake checked before any other work, so it must cost
nothing (no write per attempt). With several replicas an
address gets the limit on each; the per-account limit, which is in MongoDB, is what protects an
account whatever replica answers.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from signum.gateway.identity.errors import TooManyAttemptsError


class AddressLimiter:
    """At most `limit` failed (or still running) logins per address in the last `window` seconds."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        max_addresses: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._max = max_addresses
        self._clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def begin(self, address: str) -> float:
        """Count an attempt from `address` before it is checked; raises 429 past the limit.

        Counting it first (no `await` between the check and the count) keeps parallel attempts
        from one address within the limit. Returns the mark to give `succeeded`."""
        now = self._clock()
        marks = self._seen.get(address)
        if marks is None:
            marks = self._seen[address] = deque()
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)  # the address seen longest ago
        else:
            self._seen.move_to_end(address)
        while marks and marks[0] <= now - self._window:
            marks.popleft()
        if len(marks) >= self._limit:
            raise TooManyAttemptsError(math.ceil(marks[0] + self._window - now))
        marks.append(now)
        return now

    def succeeded(self, address: str, mark: float) -> None:
        """A successful login does not count against its address."""
        marks = self._seen.get(address)
        if marks is not None and mark in marks:
            marks.remove(mark)
