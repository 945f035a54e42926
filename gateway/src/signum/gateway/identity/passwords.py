"""Password hashing (argon2id) and the minimum password rule.

Hashing and verifying cost about 0.1-0.3 s of CPU each: request handlers use `PasswordWorkers`,
which runs them in a small pool of threads (argon2 releases the GIL), so a storm of logins waits
its turn there instead of stopping the event loop, and is refused once too many wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from signum.gateway.identity.errors import LoginBusyError, WeakPasswordError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the account does not exist, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_LENGTH = 12
T = TypeVar("T")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; a missing hash still costs one verification."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def check_strength(password: str) -> None:
    if (
        len(password) < MIN_LENGTH
        or not any(c.isalpha() for c in password)
        or not any(c.isdigit() for c in password)
    ):
        raise WeakPasswordError


def temporary_password() -> str:
    """A one-time password an administrator hands over; the official must change it."""
    return f"{secrets.token_urlsafe(12)}9a"


def _lower_priority() -> None:
    """On Linux a thread has its own nice value (inherited by the threads argon2 starts): the event
    loop thread comes first when the CPU is short, so a login storm does not slow other requests."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class PasswordWorkers:
    """Hash and verify off the event loop: `threads` at a time, at most `queue` waiting."""

    def __init__(self, threads: int = 1, queue: int = 64) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="argon2", initializer=_lower_priority
        )
        self._slots = asyncio.Semaphore(threads + queue)
        self._capacity = threads + queue

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        # Past the queue's bound a login is refused at once: waiting longer helps nobody, and
        # each verification holds 64 MiB while it runs.
        if self._slots.locked():
            raise LoginBusyError
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, fn, *args)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """`verify_password` in a worker thread."""
        return await self._run(verify_password, stored_hash, password)

    async def hash(self, password: str) -> str:
        """`hash_password` (strength checked first, on the loop: it is cheap) in a worker thread."""
        check_strength(password)
        return await self._run(_hasher.hash, password)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
