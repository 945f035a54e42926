"""Starting, stopping and inspecting a profile's servers."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from filelock import FileLock, Timeout

from signum.localstack.errors import LocalStackError, PortInUse, ServerFailed
from signum.localstack.health import port_open
from signum.localstack.kafka import Kafka
from signum.localstack.mongo import Mongo
from signum.localstack.paths import profile_dir
from signum.localstack.processes import is_running, log_tail, spawn, terminate
from signum.localstack.profiles import Endpoints, Profile, s3_credentials
from signum.localstack.s3 import S3
from signum.localstack.server import Launch, Progress, Server

SERVERS: dict[str, Server] = {server.name: server for server in (Kafka(), Mongo(), S3())}

EXTERNAL_TIMEOUT = 15.0  # a server run elsewhere should already be up
LOCK_TIMEOUT = 45 * 60.0  # the holder may be building every server for the first time

State = Literal["running", "stopped", "external"]


@dataclass(frozen=True)
class ServerStatus:
    """One server of a profile as `stack_status` found it."""

    name: str
    state: State
    url: str
    pid: int | None
    implementation: str
    healthy: bool | None  # None when stopped: nothing to ask


def ensure_stack(profile: Profile, *, progress: Progress = print) -> Endpoints:
    """Provision and start whatever of the profile's stack is not running; wait until healthy.

    Idempotent: servers already running (or given by SIGNUM_*_URL) are only health-checked.
    """
    with _profile_lock(profile, progress):
        to_start = []
        for server in SERVERS.values():
            if _external_url(server) is None and is_running(server.home(profile).pid) is None:
                to_start.append(server)
        for server in to_start:  # all checks first: a missing tool fails before minutes of build
            server.check_toolchain()
        # Provision everything before starting anything: a failed build leaves nothing half up.
        launches = {s.name: s.prepare(profile, s.home(profile), progress) for s in to_start}
        for server in to_start:
            _check_ports(server, profile)
        spawned = {}
        for server in to_start:
            spawned[server.name] = _spawn(server, profile, launches[server.name], progress)
        with ThreadPoolExecutor(len(SERVERS)) as pool:
            waits = [
                pool.submit(_await_healthy, s, profile, progress, spawned_at=spawned.get(s.name))
                for s in SERVERS.values()
            ]
            for wait in waits:
                wait.result()
    return endpoints(profile)


def stop_stack(profile: Profile, *, progress: Progress = print) -> None:
    """Stop the profile's servers that this package started; servers run elsewhere are left."""
    with _profile_lock(profile, progress), ThreadPoolExecutor(len(SERVERS)) as pool:
        for result in [pool.submit(_stop, server, profile) for server in SERVERS.values()]:
            result.result()


def start_server(profile: Profile, name: str, *, progress: Progress = print) -> str:
    """Start one server of the profile (same data, same ports) unless it runs; returns its URL."""
    server = _server(name)
    with _profile_lock(profile, progress):
        external = _external_url(server)
        spawned_at = None
        if external is None and is_running(server.home(profile).pid) is None:
            server.check_toolchain()
            launch = server.prepare(profile, server.home(profile), progress)
            _check_ports(server, profile)
            spawned_at = _spawn(server, profile, launch, progress)
        _await_healthy(server, profile, progress, spawned_at=spawned_at)
    return external or server.url(profile)


def stop_server(profile: Profile, name: str, *, progress: Progress = print) -> None:
    """Stop one server of the profile if this package started it."""
    server = _server(name)
    with _profile_lock(profile, progress):
        _stop(server, profile)


def stack_status(profile: Profile) -> list[ServerStatus]:
    """Each server of the profile: running (ours), external (SIGNUM_*_URL) or stopped."""
    statuses = []
    for server in SERVERS.values():
        pid = is_running(server.home(profile).pid)
        external = _external_url(server)
        if pid is not None:
            state: State = "running"
            url = server.url(profile)
        elif external is not None:
            state, url = "external", external
        else:
            state, url = "stopped", server.url(profile)
        healthy = server.probe(url) if state != "stopped" else None
        statuses.append(ServerStatus(server.name, state, url, pid, server.implementation(), healthy))
    return statuses


def endpoints(profile: Profile) -> Endpoints:
    """The URLs of the profile's stack, honouring SIGNUM_*_URL; starts nothing."""
    kafka, mongo, s3 = (_external_url(s) or s.url(profile) for s in SERVERS.values())
    access_key, secret_key = s3_credentials()
    return Endpoints(kafka, mongo, s3, access_key, secret_key)


def _server(name: str) -> Server:
    try:
        return SERVERS[name]
    except KeyError:
        raise LocalStackError(f"no server named {name!r}; the stack has {', '.join(SERVERS)}") from None


def _external_url(server: Server) -> str | None:
    return os.environ.get(server.url_env) or None


@contextmanager
def _profile_lock(profile: Profile, progress: Progress) -> Iterator[None]:
    """One process at a time starts or stops a profile's servers (pytest workers, make up)."""
    folder = profile_dir(profile.name)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / ".lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        progress(f"waiting for another process starting or stopping the {profile.name} stack…")
        lock.acquire(timeout=LOCK_TIMEOUT)
    try:
        yield
    finally:
        lock.release()


def _check_ports(server: Server, profile: Profile) -> None:
    busy = [port for port in server.ports(profile) if port_open("127.0.0.1", port)]
    if busy:
        raise PortInUse(
            f"{server.name}: port {busy[0]} is taken by a process this stack did not start; "
            f"stop it, or set {server.url_env} to use it"
        )


def _spawn(server: Server, profile: Profile, launch: Launch, progress: Progress) -> float:
    """Start the prepared server detached; returns when (monotonic clock)."""
    home = server.home(profile)
    pid = spawn(
        server.name,
        launch.argv,
        env=launch.env,
        cwd=launch.cwd,
        log_path=home.log,
        pid_path=home.pid,
    )
    progress(f"{server.name}: starting {server.implementation()} (pid {pid}), log in {home.log}")
    return time.monotonic()


def _await_healthy(server: Server, profile: Profile, progress: Progress, *, spawned_at: float | None) -> None:
    home = server.home(profile)
    external = _external_url(server)
    url = external or server.url(profile)
    timeout = EXTERNAL_TIMEOUT if external else server.start_timeout
    started = time.monotonic() if spawned_at is None else spawned_at
    while not server.probe(url):
        pid = None if external else is_running(home.pid)
        if not external and pid is None:
            raise ServerFailed(
                f"{server.name}: the process exited before answering; "
                f"last lines of {home.log}:\n{log_tail(home.log)}"
            )
        if time.monotonic() - started > timeout:
            if external:
                raise ServerFailed(
                    f"{server.name}: {server.url_env}={external} does not answer a health check"
                )
            terminate(home.pid, server.stop_timeout)
            raise ServerFailed(
                f"{server.name}: no healthy answer at {url} within {timeout:.0f} s, stopped it; "
                f"last lines of {home.log}:\n{log_tail(home.log)}"
            )
        time.sleep(0.25)
    if spawned_at is not None:
        try:
            server.settle(url)
        except ServerFailed as error:
            terminate(home.pid, server.stop_timeout)
            tail = log_tail(home.log)
            raise ServerFailed(f"{error}; stopped it; last lines of {home.log}:\n{tail}") from None
        progress(f"{server.name}: ready at {url} in {time.monotonic() - started:.1f} s")
    elif external:
        progress(f"{server.name}: using {url} ({server.url_env})")


def _stop(server: Server, profile: Profile) -> None:
    terminate(server.home(profile).pid, server.stop_timeout)
