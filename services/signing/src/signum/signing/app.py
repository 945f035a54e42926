"""Composition root of the signing service."""

from __future__ import annotations

from fastapi import FastAPI

from signum.platform.service import ServiceRuntime, create_app, serve
from signum.signing.settings import Settings


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, uses_s3=False)
    return create_app(runtime, title="Signum — firma electrónica")


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
