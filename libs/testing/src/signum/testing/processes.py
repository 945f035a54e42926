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
    """Polls a process's `/healthz` back to back and samples its resident memory, from a process of
    its own (`python -m signum.testing.processes URL PID`): `with HealthWatch(...) as w:`.

    A thread of the test's own process measured the test too: while its event loop was busy sending
    a bombardment it held the GIL, and each poll waited for it (a worst "latency" of 378 ms that was
    the test's, and a client that took about 350 ms to make, so that once a whole bombardment was
    over before the first poll). Entering returns once the first poll has been answered (or has
    failed), so what runs in the block is watched from its start."""

    url: str
    pid: int
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    max_rss_kb: int = 0
    _watching: threading.Event = field(default_factory=threading.Event)
    _proc: subprocess.Popen[str] | None = None
    _reader: threading.Thread | None = None

    def _read(self) -> None:
        """Collect what the watching process reports, one line per poll."""
        assert self._proc is not None
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            kind, _, rest = line.rstrip("\n").partition(" ")
            if kind == "L":
                latency, rss = rest.split()
                self.latencies.append(float(latency))
                self.max_rss_kb = max(self.max_rss_kb, int(rss))
            elif kind == "F":
                self.failures.append(rest)
            self._watching.set()

    def __enter__(self) -> HealthWatch:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "signum.testing.processes", self.url, str(self.pid)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._watching.wait(timeout=30):
            self.__exit__()
            raise TimeoutError(f"{self.url} was not polled within 30 s")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=15)


def _watch(url: str, pid: int) -> None:
    """The watching process: poll `url` back to back until terminated; print `L <seconds> <rss KiB>`
    per answer and `F <what>` per failure."""
    with httpx.Client(timeout=10) as http:
        while True:
            started = time.monotonic()
            try:
                response = http.get(url)
            except httpx.HTTPError as exc:
                print("F", repr(exc), flush=True)
                continue
            latency = time.monotonic() - started
            if response.status_code != 200:
                print("F", response.status_code, response.text[:200].replace("\n", " "), flush=True)
            print("L", latency, status_kb(pid, "VmRSS"), flush=True)


if __name__ == "__main__":
    _watch(sys.argv[1], int(sys.argv[2]))
