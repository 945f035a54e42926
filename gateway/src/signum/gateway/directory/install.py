"""Wiring of the directory into the gateway's runtime (called from the gateway's `app.py`)."""

from __future__ import annotations

from typing import Any

from signum.gateway.directory.repository import DirectoryRepository
from signum.gateway.directory.service import DirectoryService
from signum.platform.service import ServiceRuntime


def install_directory(runtime: ServiceRuntime, app_state: Any = None) -> DirectoryService:
    """Create the directory's indexes at start-up, relay its outbox, and return its service
    (also stored as `app_state.directory` when `app_state` is given)."""
    repository = DirectoryRepository(runtime.db)
    runtime.on_startup(repository.ensure_indexes)
    runtime.outbox(*repository.collections)

    def notify() -> None:
        # Asked at call time: a later `runtime.outbox(...)` replaces the relay object.
        if runtime.relay is not None:
            runtime.relay.notify()

    service = DirectoryService(repository, notify)
    if app_state is not None:
        app_state.directory = service
    return service
