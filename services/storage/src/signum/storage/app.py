"""Composition root of the storage service."""

from __future__ import annotations

import functools

from fastapi import FastAPI

from signum.platform.service import ServiceRuntime, create_app, serve
from signum.storage.repository import ensure_buckets
from signum.storage.settings import Settings


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, uses_s3=True)
    assert runtime.s3 is not None
    runtime.on_startup(functools.partial(ensure_buckets, runtime.s3, settings.infra))
    return create_app(runtime, title="Signum — almacenamiento")


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
