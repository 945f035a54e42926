"""Detached processes and their pid files, including the ones whose process is long gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from signum.localstack import PROFILES, stack_status
from signum.localstack.processes import is_running, spawn, terminate

SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]


@pytest.fixture
def pid_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "srv.pid"
    yield path
    terminate(path, timeout=1.0)  # whatever a failed test left running


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z"


def _wait_for(predicate: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_spawned_process_is_tracked_logged_and_terminated(tmp_path: Path, pid_path: Path) -> None:
    log = tmp_path / "srv.log"
    log.write_text("earlier run\n")

    pid = spawn("srv", SLEEPER, env=None, cwd=tmp_path, log_path=log, pid_path=pid_path)

    assert is_running(pid_path) == pid
    assert os.getsid(pid) == pid  # its own session: a Ctrl-C in our terminal does not reach it
    _wait_for(lambda: "\nup\n" in log.read_text())  # the line, not the argv in the header
    assert log.read_text().startswith("earlier run\n")  # appended, not truncated

    terminate(pid_path)

    assert is_running(pid_path) is None
    assert not pid_path.exists()
    assert _gone(pid)


def test_a_long_log_is_moved_aside_at_the_next_start(
    tmp_path: Path, pid_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("signum.localstack.processes.MAX_LOG_BYTES", 100)
    log = tmp_path / "srv.log"
    log.write_text("old line\n" * 20)

    spawn("srv", SLEEPER, env=None, cwd=tmp_path, log_path=log, pid_path=pid_path)

    assert (tmp_path / "srv.log.1").read_text() == "old line\n" * 20
    assert "old line" not in log.read_text()


def test_a_pid_file_whose_process_has_exited_is_stale(tmp_path: Path, pid_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    pid_path.write_text(json.dumps({"pid": int(done.stdout), "start": 1}))

    assert is_running(pid_path) is None
    terminate(pid_path)  # no error, and the stale file goes
    assert not pid_path.exists()


def test_a_pid_given_to_another_program_since_is_not_taken_for_ours(pid_path: Path) -> None:
    # Our own pid, alive, but with another start time: the kernel reused the number.
    pid_path.write_text(json.dumps({"pid": os.getpid(), "start": 1}))
    assert is_running(pid_path) is None

    start = int(Path(f"/proc/{os.getpid()}/stat").read_text().rsplit(") ", 1)[1].split()[19])
    pid_path.write_text(json.dumps({"pid": os.getpid(), "start": start}))
    assert is_running(pid_path) == os.getpid()
    pid_path.unlink()


@pytest.mark.parametrize("content", ["", "not a pid", '{"name": "srv"}', "{"])
def test_an_empty_or_garbled_pid_file_means_not_running(pid_path: Path, content: str) -> None:
    pid_path.write_text(content)
    assert is_running(pid_path) is None


def test_a_process_that_ignores_sigterm_is_killed_after_the_timeout(tmp_path: Path, pid_path: Path) -> None:
    stubborn = [sys.executable, "-c",
                "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "print('up', flush=True); time.sleep(60)"]  # fmt: skip
    log = tmp_path / "srv.log"
    pid = spawn("srv", stubborn, env=None, cwd=tmp_path, log_path=log, pid_path=pid_path)
    _wait_for(lambda: "\nup\n" in log.read_text())  # the line, not the argv in the header

    started = time.monotonic()
    terminate(pid_path, timeout=0.5)

    assert 0.5 <= time.monotonic() - started < 5
    assert _gone(pid)


def test_terminate_stops_the_helpers_a_server_started_too(tmp_path: Path, pid_path: Path) -> None:
    child_pid = tmp_path / "child.pid"
    parent = [sys.executable, "-c",
              "import subprocess, sys, time; "
              f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
              f"open({str(child_pid)!r}, 'w').write(str(p.pid)); time.sleep(60)"]  # fmt: skip
    spawn("srv", parent, env=None, cwd=tmp_path, log_path=tmp_path / "l", pid_path=pid_path)
    _wait_for(lambda: child_pid.exists() and child_pid.read_text())
    helper = int(child_pid.read_text())

    terminate(pid_path)

    _wait_for(lambda: _gone(helper))


def test_status_says_stopped_for_a_stale_pid_file(sandbox: Path) -> None:
    stale = sandbox / ".local" / "test" / "kafka" / "kafka.pid"
    stale.parent.mkdir(parents=True)
    stale.write_text(json.dumps({"pid": 2**22 + 1, "start": 1}))  # above any pid_max default

    kafka = next(s for s in stack_status(PROFILES["test"]) if s.name == "kafka")

    assert (kafka.state, kafka.pid, kafka.healthy) == ("stopped", None, None)
