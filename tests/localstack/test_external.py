"""Servers the developer runs elsewhere (SIGNUM_*_URL), and ports someone else holds."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from signum.localstack import PortInUse, Profile, ServerFailed, stack_status, start_server
from tests.localstack.conftest import FakeProgram


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


# Ports free right now, so a stack someone runs on this machine is not in the way.
_ports = _free_ports(5)
PROFILE = Profile("unit", _ports[0], _ports[1], _ports[2], _ports[3], _ports[4])


class _Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/minio/health/ready" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_minio() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ready)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_an_external_s3_is_used_and_reported_not_started(
    sandbox: Path, fake_minio: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNUM_S3_URL", fake_minio)

    url = start_server(PROFILE, "s3", progress=lambda _: None)

    s3 = next(s for s in stack_status(PROFILE) if s.name == "s3")
    assert url == fake_minio
    assert (s3.state, s3.url, s3.pid, s3.healthy) == ("external", fake_minio, None, True)
    assert not (sandbox / ".local" / "unit" / "s3" / "s3.pid").exists()


def test_an_external_server_that_does_not_answer_is_an_error(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("signum.localstack.stack.EXTERNAL_TIMEOUT", 0.5)
    monkeypatch.setenv("SIGNUM_MONGO_URL", "mongodb://127.0.0.1:1/")

    with pytest.raises(ServerFailed, match=r"SIGNUM_MONGO_URL=mongodb://127\.0\.0\.1:1/ does not answer"):
        start_server(PROFILE, "mongo", progress=lambda _: None)


def test_a_port_held_by_another_program_is_named_with_the_way_out(
    sandbox: Path, fake_program: FakeProgram
) -> None:
    fake_program("minio", "sleep 60")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", PROFILE.s3_console_port))
        squatter.listen()

        with pytest.raises(PortInUse) as busy:
            start_server(PROFILE, "s3", progress=lambda _: None)

    assert str(busy.value) == (
        f"s3: port {PROFILE.s3_console_port} is taken by a process this stack did not start; "
        "stop it, or set SIGNUM_S3_URL to use it"
    )
    assert not (sandbox / ".local" / "unit" / "s3" / "s3.pid").exists()


def test_a_server_that_exits_at_once_is_reported_with_its_log(
    sandbox: Path, fake_program: FakeProgram
) -> None:
    fake_program("minio", "echo 'FATAL Unable to use the drive: permission denied'; exit 1")

    with pytest.raises(ServerFailed) as failed:
        start_server(PROFILE, "s3", progress=lambda _: None)

    assert "s3: the process exited before answering" in str(failed.value)
    assert "FATAL Unable to use the drive: permission denied" in str(failed.value)
