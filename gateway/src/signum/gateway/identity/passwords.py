"""Password hashing (argon2id) and the minimum password rule.

Hashing and verifying cost about 0.1-0.3 s of CPU each: request handlers use `PasswordWorkers`,
which runs them in a small pool of threads (argon2 releases the GIL), so a storm of logins waits
its turn there instead of stopping the event loop, and is refused once too many wait.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from signum.gateway.identity.errors import LoginBusyError, WeakPasswordError
from signum.platform.workers import Workers

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


# Read aloud or copied by hand: no letters and digits that look alike (0/O, 1/I/l, 5/S, 2/Z, 8/B).
_HANDED_OVER = "ACDEFGHJKLMNPQRTUVWXY34679"


def temporary_password() -> str:
    """A one-time password an administrator hands over (said on the phone, typed from a note);
    the official must change it. Four groups of five: about 94 bits, letters and digits."""
    while True:
        chars = "".join(secrets.choice(_HANDED_OVER) for _ in range(20))
        if any(c.isdigit() for c in chars) and any(c.isalpha() for c in chars):
            return "-".join(chars[i : i + 5] for i in range(0, 20, 5))


class PasswordWorkers:
    """Hash and verify off the event loop: `threads` at a time, at most `queue` waiting, in threads
    of lower priority (the event loop comes first when the CPU is short, so a login storm does not
    slow other requests). Past the queue a login is refused at once (`LoginBusyError`): waiting
    longer helps nobody, and each verification holds 64 MiB while it runs."""

    def __init__(self, threads: int = 1, queue: int = 64) -> None:
        self._workers = Workers("argon2", threads=threads, queue=queue, busy=LoginBusyError)

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await self._workers.run(fn, *args)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """`verify_password` in a worker thread."""
        return await self._run(verify_password, stored_hash, password)

    async def hash(self, password: str) -> str:
        """`hash_password` (strength checked first, on the loop: it is cheap) in a worker thread."""
        check_strength(password)
        return await self._run(_hasher.hash, password)

    def close(self) -> None:
        self._workers.close()
