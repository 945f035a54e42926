"""The server cache: built once, never half-built, and one builder at a time."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from signum.localstack.cache import provision, run_build
from signum.localstack.errors import ProvisioningFailed


def test_an_entry_is_built_once_and_then_reused(tmp_path: Path) -> None:
    builds: list[Path] = []
    inodes: list[int] = []

    def build(folder: Path, build_log: Path) -> None:
        builds.append(folder)
        (folder / "server").write_text("binary")
        inodes.append((folder / "server").stat().st_ino)

    first = provision("srv-1", build, label="srv", progress=lambda _: None, root=tmp_path)
    second = provision("srv-1", build, label="srv", progress=lambda _: None, root=tmp_path)

    assert first == second == tmp_path / "srv-1"
    assert (first / "server").read_text() == "binary"
    assert len(builds) == 1
    # Built elsewhere and renamed into place (atomic), not copied (a copy can be cut halfway).
    assert builds[0] != first
    assert (first / "server").stat().st_ino == inodes[0]


def test_a_failed_build_leaves_neither_an_entry_nor_its_temporary_folder(tmp_path: Path) -> None:
    def build(folder: Path, build_log: Path) -> None:
        (folder / "half").write_text("written before the failure")
        raise ProvisioningFailed("go build failed")

    with pytest.raises(ProvisioningFailed, match="go build failed"):
        provision("srv-1", build, label="srv", progress=lambda _: None, root=tmp_path)

    assert not (tmp_path / "srv-1").exists()
    assert list(tmp_path.glob(".tmp-*")) == []


def test_a_temporary_folder_left_by_a_killed_build_is_cleared_by_the_next(tmp_path: Path) -> None:
    leftover = tmp_path / ".tmp-srv-1-deadbeef"
    leftover.mkdir()
    (leftover / "half").write_text("x")

    provision("srv-1", lambda folder, log: None, label="srv", progress=print, root=tmp_path)

    assert not leftover.exists()
    assert (tmp_path / "srv-1").is_dir()


def test_two_callers_at_once_build_once_and_the_second_says_it_waits(tmp_path: Path) -> None:
    builds = 0
    messages: list[str] = []
    results: list[Path] = []

    def slow_build(folder: Path, build_log: Path) -> None:
        nonlocal builds
        builds += 1
        time.sleep(1.0)

    def call() -> None:
        results.append(provision("srv-1", slow_build, label="srv", progress=messages.append, root=tmp_path))

    workers = [threading.Thread(target=call) for _ in range(2)]
    for worker in workers:
        worker.start()
        time.sleep(0.2)
    for worker in workers:
        worker.join()

    assert builds == 1
    assert results == [tmp_path / "srv-1"] * 2
    assert any("waiting for another process" in m for m in messages)


def test_a_failing_build_step_shows_the_tail_of_its_output(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    script = "import sys; print('compiling minio'); print('undefined: foo', file=sys.stderr); sys.exit(3)"

    with pytest.raises(ProvisioningFailed) as failure:
        run_build(
            [sys.executable, "-c", script],
            cwd=tmp_path,
            log_path=log,
            label="s3: MinIO",
            progress=lambda _: None,
        )

    message = str(failure.value)
    assert "exit 3" in message
    assert "compiling minio" in message
    assert "undefined: foo" in message


def test_a_long_build_step_says_every_heartbeat_that_it_still_runs(tmp_path: Path) -> None:
    messages: list[str] = []

    run_build(
        [sys.executable, "-c", "import time; time.sleep(1.3)"],
        cwd=tmp_path,
        log_path=tmp_path / "build.log",
        label="mongo: SecantusDB",
        progress=messages.append,
        heartbeat=0.5,
    )

    assert len(messages) == 2  # at 0.5 s and 1.0 s
    assert all(m.startswith("mongo: SecantusDB: still working (") for m in messages)
