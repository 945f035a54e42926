"""Helpers for the local stack's tests: an isolated checkout, cache and PATH per test."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from signum.localstack.profiles import KAFKA_URL_ENV, MONGO_URL_ENV, S3_URL_ENV

FakeProgram = Callable[[str, str], Path]


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway SIGNUM_HOME and SIGNUM_CACHE_DIR; no SIGNUM_*_URL from the caller's shell."""
    home = tmp_path / "checkout"
    home.mkdir()
    monkeypatch.setenv("SIGNUM_HOME", str(home))
    monkeypatch.setenv("SIGNUM_CACHE_DIR", str(tmp_path / "cache"))
    for name in (KAFKA_URL_ENV, MONGO_URL_ENV, S3_URL_ENV):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def fake_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeProgram:
    """PATH becomes an empty folder; `fake_program(name, sh_body)` puts a script there."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv("JAVA_HOME", raising=False)

    def make(name: str, body: str) -> Path:
        script = folder / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return script

    return make
