"""Service processes started by tests: the real `python -m signum.<name>` entry points."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES = ("drafting", "routing", "signing", "storage", "metrics")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServiceProcess:
    """One service process with its port, environment and log file."""

    name: str
    env: dict[str, str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self, extra_env: dict[str, str] | None = None) -> ServiceProcess:
        env = os.environ | self.env | (extra_env or {})
        prefix = f"SIGNUM_{self.name.upper()}_"
        env[prefix + "PORT"] = str(self.port)
        env[prefix + "HOST"] = "127.0.0.1"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"signum.{self.name}"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    def wait_healthy(self, path: str = "/healthz", timeout: float = 30.0) -> None:
        """Block until `path` answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.url + path, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} did not answer {path} within {timeout:.0f} s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: the process dies wherever it is, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM and wait; SIGKILL if it does not stop."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


def status_kb(pid: int, field_name: str) -> int:
    """A figure of `/proc/<pid>/status` in KiB (e.g. `VmRSS`, `VmHWM`)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field_name} for process {pid}")


@dataclass
class HealthWatch:
    """Polls a process's `/healthz` back to back and samples its resident memory, in a thread of
    its own (so the test's event loop cannot slow the measurements): `with HealthWatch(...) as w:`.
    Entering returns once the first poll has been answered (or has failed): what runs in the block
    is watched from its start. Before, the thread made its HTTP client while the test's busy
    event loop held the GIL (about 350 ms for a busy main thread), and once a whole bombardment
    was over before the first poll, leaving one answer to judge by."""

    url: str
    pid: int
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    max_rss_kb: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _watching: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    response = http.get(self.url)
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                    self._watching.set()
                    continue
                self.latencies.append(time.monotonic() - started)
                self._watching.set()
                if response.status_code != 200:
                    self.failures.append(f"{response.status_code} {response.text[:200]}")
                self.max_rss_kb = max(self.max_rss_kb, status_kb(self.pid, "VmRSS"))

    def __enter__(self) -> HealthWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._watching.wait(timeout=30):
            self._stop.set()
            raise TimeoutError(f"{self.url} was not polled within 30 s")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
