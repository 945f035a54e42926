"""Detached server processes tracked by pid files.

A process started by `spawn` runs in its own session, so it outlives the command that started it
and a Ctrl-C in that terminal does not reach it. Its pid file records the pid and the process's
start time, so a pid the kernel has since given to another program is not taken for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from signum.localstack.errors import ServerFailed

# Popen objects of the processes spawned by this interpreter: kept so that an exited child is
# reaped (poll) instead of lingering as a zombie that still looks alive.
_children: dict[int, subprocess.Popen[bytes]] = {}

MAX_LOG_BYTES = 20 * 2**20  # at a start, a longer log is moved to <log>.1


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None,
    cwd: Path,
    log_path: Path,
    pid_path: Path,
) -> int:
    """Start `argv` detached, stdout and stderr appended to `log_path`; write `pid_path`.

    `env` is the whole environment of the process (None: inherit this one's). A log longer than
    MAX_LOG_BYTES is first moved to `<log>.1`, so one previous log is kept. Returns the pid.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    pid_path.parent.mkdir(parents=True, exist_ok=True)
    if log_path.is_file() and log_path.stat().st_size > MAX_LOG_BYTES:
        log_path.replace(log_path.with_name(log_path.name + ".1"))  # keep one previous log
    with log_path.open("ab") as log:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        log.write(f"\n--- {stamp} starting {name}: {' '.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
    _children[proc.pid] = proc
    record = {"pid": proc.pid, "start": _start_time(proc.pid), "name": name, "argv": list(argv)}
    tmp = pid_path.with_name(pid_path.name + ".tmp")
    tmp.write_text(json.dumps(record) + "\n")
    tmp.replace(pid_path)
    return proc.pid


def is_running(pid_path: Path) -> int | None:
    """The pid recorded in `pid_path` if that process is still alive, else None."""
    record = _read(pid_path)
    if record is None:
        return None
    pid, start = record
    if _alive(pid) and (start is None or _start_time(pid) in (None, start)):
        return pid
    return None


def terminate(pid_path: Path, timeout: float = 15.0) -> None:
    """Stop the process of `pid_path`: SIGTERM, then SIGKILL after `timeout` s; remove the file.

    The signals go to the process group, so helpers the server started stop with it.
    """
    pid = is_running(pid_path)
    if pid is not None:
        _signal(pid, signal.SIGTERM)
        if not _wait_gone(pid_path, timeout):
            _signal(pid, signal.SIGKILL)
            if not _wait_gone(pid_path, 5.0):
                raise ServerFailed(f"process {pid} ({pid_path.stem}) survived SIGKILL")
        _children.pop(pid, None)
    pid_path.unlink(missing_ok=True)


def log_tail(log_path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log file, or a note that there is none."""
    try:
        with log_path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode(errors="replace")
    except FileNotFoundError:
        return f"(no log at {log_path})"
    return "\n".join(text.splitlines()[-lines:])


def rss_bytes(pid: int) -> int | None:
    """Resident memory of a process (Linux only), for reports and benchmarks."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


def _read(pid_path: Path) -> tuple[int, int | None] | None:
    try:
        text = pid_path.read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        if text.isdigit():  # a plain pid, as other tools write them
            return int(text), None
        record = json.loads(text)
        return int(record["pid"]), record.get("start")
    except (ValueError, KeyError, TypeError):
        return None  # a half-written or foreign file: nothing we started


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    state = _stat_fields(pid)
    # A zombie (exited, not yet reaped by a parent other than us) no longer serves anything.
    return state is None or state[0] not in ("Z", "X")


def _start_time(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields is not None else None


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat from the state on (None where there is no /proc)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    return stat[stat.rindex(")") + 2 :].split()


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _wait_gone(pid_path: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while is_running(pid_path) is not None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True
