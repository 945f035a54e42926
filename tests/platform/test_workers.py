"""`Workers`: CPU work in a few threads at a lower priority, refused at once past its queue."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from signum.platform.workers import Workers, WorkersBusyError


async def test_work_runs_in_the_pool_at_the_priority_asked() -> None:
    workers = Workers("prueba", threads=1, queue=0, nice=5)
    try:

        def where() -> tuple[str, int]:
            return threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

        name, nice = await workers.run(where)
    finally:
        workers.close()
    assert name.startswith("prueba")
    assert nice == 5  # a thread of its own nice value (Linux)


async def test_past_the_queue_work_is_refused_at_once() -> None:
    workers = Workers("prueba", threads=1, queue=1)
    release, started = threading.Event(), threading.Event()

    def job() -> bool:
        started.set()
        return release.wait(10)

    try:
        running = asyncio.ensure_future(workers.run(job))
        waiting = asyncio.ensure_future(workers.run(job))
        # The first job runs in the thread; both tasks took their places in the same loop turn.
        assert await asyncio.to_thread(started.wait, 10)
        assert workers.full
        with pytest.raises(WorkersBusyError) as info:
            await workers.run(release.wait, 10)
        assert (info.value.status_code, info.value.code, info.value.retryable) == (503, "server_busy", True)
        assert info.value.headers == {"Retry-After": "2"}
        release.set()
        assert await running is True
        assert await waiting is True
        assert await workers.run(release.wait, 10) is True  # places free again
    finally:
        release.set()
        workers.close()


async def test_a_pool_names_its_own_refusal() -> None:
    """The gateway's password threads refuse a login with 429 `login_busy`, not storage's 503."""
    from signum.gateway.identity.errors import LoginBusyError
    from signum.gateway.identity.passwords import PasswordWorkers

    workers = PasswordWorkers(threads=1, queue=0)
    release = threading.Event()
    try:
        running = asyncio.ensure_future(workers._run(release.wait, 10))
        await asyncio.sleep(0)  # the running job takes its place in this loop turn
        with pytest.raises(LoginBusyError) as info:
            await workers.verify(None, "cualquiera")
        assert (info.value.status_code, info.value.code) == (429, "login_busy")
        release.set()
        assert await running is True
    finally:
        release.set()
        workers.close()
