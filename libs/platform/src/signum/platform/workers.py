"""A small, bounded pool of threads for CPU work a request needs (parsing, inflating, hashing).

Such work must not run on the event loop: while it runs, every other request of the process waits
(health checks included). `Workers` runs it in a few threads at a lower scheduling priority (`nice`),
so the loop comes first when the CPU is short, and refuses at once (503, retryable) once too many
requests wait, instead of queueing without end. The gateway's argon2 pool follows the same pattern.
Work that holds the GIL (parsing in Python) still shares it with the loop, which gets it back every
switch interval (5 ms) while the thread runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from signum.platform.errors import SignumError

T = TypeVar("T")


class WorkersBusyError(SignumError):
    """Too many requests already wait for the process's workers."""

    code = "server_busy"
    status_code = 503
    retryable = True
    message = "El servicio está ocupado procesando otros archivos. Intente de nuevo en unos momentos."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "2"})


def _lower_priority(nice: int) -> None:
    # On Linux a thread has its own nice value: the event loop's thread keeps the higher priority.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


class Workers:
    """Run functions off the event loop: `threads` at a time, at most `queue` more waiting, each
    thread at `nice` (0: the process's own priority)."""

    def __init__(
        self,
        name: str,
        *,
        threads: int = 1,
        queue: int = 16,
        nice: int = 10,
        busy: Callable[[], SignumError] = WorkersBusyError,
    ) -> None:
        self._busy = busy
        self._pool = ThreadPoolExecutor(
            max_workers=threads,
            thread_name_prefix=name,
            initializer=functools.partial(_lower_priority, nice) if nice else None,
        )
        self._slots = asyncio.Semaphore(threads + queue)

    @property
    def full(self) -> bool:
        """Every thread busy and every place in the queue taken: the next `run` is refused."""
        return self._slots.locked()

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` in a worker thread; `WorkersBusyError` if the queue is full."""
        if self.full:
            raise self._busy()
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, fn, *args)

    def close(self) -> None:
        """Stop the threads (work already running finishes; waiting work is dropped)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
