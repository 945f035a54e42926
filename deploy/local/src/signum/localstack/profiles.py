"""Profiles (which ports a stack uses) and the endpoints a started stack offers."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_S3_ACCESS_KEY = "signum"
DEFAULT_S3_SECRET_KEY = "signum-dev-secret"  # noqa: S105 - a local development default

KAFKA_URL_ENV = "SIGNUM_KAFKA_URL"
MONGO_URL_ENV = "SIGNUM_MONGO_URL"
S3_URL_ENV = "SIGNUM_S3_URL"
S3_ACCESS_KEY_ENV = "SIGNUM_S3_ACCESS_KEY"
S3_SECRET_KEY_ENV = "SIGNUM_S3_SECRET_KEY"  # noqa: S105 - a variable's name


@dataclass(frozen=True)
class Profile:
    """A named set of loopback ports; each profile keeps its own data under `.local/<name>/`."""

    name: str
    kafka_port: int
    kafka_controller_port: int
    mongo_port: int
    s3_port: int
    s3_console_port: int


PROFILES: dict[str, Profile] = {
    "dev": Profile(
        name="dev",
        kafka_port=9092,
        kafka_controller_port=9093,
        mongo_port=27017,
        s3_port=9000,
        s3_console_port=9001,
    ),
    # Below the kernel's ephemeral range (32768-60999): a client connecting while a server is
    # down must never get the server's port as its own local port (a TCP self-connection).
    "test": Profile(
        name="test",
        kafka_port=29092,
        kafka_controller_port=29093,
        mongo_port=29017,
        s3_port=29000,
        s3_console_port=29001,
    ),
    # A second stack beside those two: another checkout's tests, or a server to compare against
    # (e.g. only its MongoDB, with SIGNUM_KAFKA_URL and SIGNUM_S3_URL naming the test stack's).
    "alt": Profile(
        name="alt",
        kafka_port=19092,
        kafka_controller_port=19093,
        mongo_port=19017,
        s3_port=19000,
        s3_console_port=19001,
    ),
}


@dataclass(frozen=True)
class Endpoints:
    """Where the stack's servers answer, in the form Signum's settings read them."""

    kafka_url: str
    mongo_url: str
    s3_url: str
    s3_access_key: str
    s3_secret_key: str

    def env(self) -> dict[str, str]:
        """The `SIGNUM_*` environment variables that point a service at these servers."""
        return {
            KAFKA_URL_ENV: self.kafka_url,
            MONGO_URL_ENV: self.mongo_url,
            S3_URL_ENV: self.s3_url,
            S3_ACCESS_KEY_ENV: self.s3_access_key,
            S3_SECRET_KEY_ENV: self.s3_secret_key,
        }


def s3_credentials() -> tuple[str, str]:
    """The MinIO root credentials: the `SIGNUM_S3_*_KEY` variables or the local defaults."""
    return (
        os.environ.get(S3_ACCESS_KEY_ENV) or DEFAULT_S3_ACCESS_KEY,
        os.environ.get(S3_SECRET_KEY_ENV) or DEFAULT_S3_SECRET_KEY,
    )
