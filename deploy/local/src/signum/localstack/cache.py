"""The cache of downloaded and built servers, outside the checkout.

Each entry is a folder named by a key that holds the server's version and a hash of what it is
built from, so changing the pom or go.sum builds a new entry. An entry is built in a temporary
folder and renamed into place: an interrupted build never leaves a half entry. A file lock per key
makes a second process (another pytest worker, `make up` beside `make test`) wait for the first
one's build instead of doing it again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from filelock import FileLock, Timeout

from signum.localstack.errors import ProvisioningFailed
from signum.localstack.paths import cache_dir
from signum.localstack.processes import log_tail

Progress = Callable[[str], object]

HEARTBEAT_SECONDS = 10.0
BUILD_TIMEOUT_SECONDS = 30 * 60.0


def content_hash(*paths: Path, length: int = 10) -> str:
    """A short hash of the files' names and contents, for cache keys."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:length]


def provision(
    key: str,
    build: Callable[[Path, Path], None],
    *,
    label: str,
    progress: Progress,
    root: Path | None = None,
) -> Path:
    """The cache entry `key`, built first if missing by `build(folder, build_log)`.

    `build` fills `folder` (a temporary one, renamed to the entry when `build` returns) and may
    write its tools' output to `build_log`.
    """
    root = root or cache_dir()
    entry = root / key
    if entry.is_dir():
        return entry
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(root / f".{key}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        progress(f"{label}: waiting for another process that is provisioning it…")
        lock.acquire(timeout=BUILD_TIMEOUT_SECONDS)
    try:
        if entry.is_dir():  # built by the process we waited for
            return entry
        for leftover in root.glob(f".tmp-{key}-*"):  # from an interrupted run; we hold the lock
            shutil.rmtree(leftover, ignore_errors=True)
        tmp = root / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        build_log = root / "build-logs" / f"{key}.log"
        build_log.parent.mkdir(exist_ok=True)
        build_log.unlink(missing_ok=True)
        started = time.monotonic()
        try:
            build(tmp, build_log)
            tmp.rename(entry)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        progress(f"{label}: provisioned in {time.monotonic() - started:.1f} s → {entry}")
        return entry
    finally:
        lock.release()


def run_build(
    argv: Sequence[str],
    *,
    cwd: Path,
    log_path: Path,
    label: str,
    progress: Progress,
    env: Mapping[str, str] | None = None,
    heartbeat: float = HEARTBEAT_SECONDS,
    timeout: float = BUILD_TIMEOUT_SECONDS,
) -> None:
    """Run one build step, output appended to `log_path`, saying every `heartbeat` s it still runs.

    On failure raises ProvisioningFailed with the log's tail, so the cause is on the screen.
    """
    started = time.monotonic()
    next_beat = started + heartbeat
    with log_path.open("ab") as log:
        log.write(f"$ {' '.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else None,
        )
        try:
            while proc.poll() is None:
                now = time.monotonic()
                if now - started > timeout:
                    proc.kill()
                    proc.wait()
                    raise ProvisioningFailed(
                        f"{label}: `{argv[0]}` took more than {timeout:.0f} s; "
                        f"last lines of {log_path}:\n{log_tail(log_path)}"
                    )
                if now >= next_beat:
                    progress(f"{label}: still working ({now - started:.0f} s)…")
                    next_beat += heartbeat
                time.sleep(0.2)
        finally:
            if proc.poll() is None:  # interrupted (Ctrl-C): do not leave the build running
                proc.kill()
                proc.wait()
    if proc.returncode != 0:
        raise ProvisioningFailed(
            f"{label}: `{' '.join(argv)}` failed (exit {proc.returncode}); "
            f"last lines of {log_path}:\n{log_tail(log_path)}"
        )


def build_env(**extra: str) -> dict[str, str]:
    """This process's environment with `extra` variables set, for a build step."""
    return {**os.environ, **extra}
