"""Real-time notifications: what changed in whose inbox, for the browser's server-sent events.

One process keeps one queue per open stream; the gateway relays a stream per browser. A stream that
was not listening misses nothing important: the inbox itself is the record, notifications only say
"look again".
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

QUEUE_SIZE = 100


class Notifier:
    """Fan-out of notifications to the streams open for each owner."""

    def __init__(self) -> None:
        self._streams: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def notify(self, owner: str, kind: str, data: dict[str, Any]) -> None:
        for queue in list(self._streams.get(owner, ())):
            if queue.full():
                continue  # a stalled reader loses notifications, never blocks routing
            queue.put_nowait({"tipo": kind, **data})

    def listeners(self, owner: str) -> int:
        return len(self._streams.get(owner, ()))

    async def stream(self, owners: list[str], heartbeat: float = 15.0) -> AsyncIterator[str]:
        """Server-sent events for `owners` until the client goes away (comments keep it open)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        for owner in owners:
            self._streams[owner].add(queue)
        try:
            # An event too (a comment is invisible to EventSource): the page knows it is listening,
            # the queue being registered already.
            yield ": conectado\n\nevent: conectado\ndata: {}\n\n"
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=heartbeat)
                except TimeoutError:
                    yield ": latido\n\n"
                    continue
                yield f"event: {item['tipo']}\ndata: {json.dumps(item, ensure_ascii=False, default=str)}\n\n"
        finally:
            for owner in owners:
                self._streams[owner].discard(queue)
                if not self._streams[owner]:
                    self._streams.pop(owner, None)
