"""Password hashing (argon2id) and the minimum password rule."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from signum.gateway.identity.errors import WeakPasswordError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the account does not exist, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_LENGTH = 12


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
