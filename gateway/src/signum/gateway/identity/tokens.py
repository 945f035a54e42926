"""Opaque secrets: session tokens and API keys. Only their SHA-256 is stored.

They are 256-bit random values, so a fast hash is enough (no dictionary to attack), and a lookup
by hash is constant-time with respect to the secret.
"""

from __future__ import annotations

import hashlib
import secrets

API_KEY_PREFIX = "sgk"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def format_api_key(key_id: str, secret: str) -> str:
    return f"{API_KEY_PREFIX}_{key_id}_{secret}"


def parse_api_key(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed API key, else None."""
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != API_KEY_PREFIX or not key_id or not secret:
        return None
    return key_id, secret
