"""Idle connections: a server of ours keeps them open longer than any of its clients does.

Equal limits on both ends (httpx and uvicorn both default to 5 s) make a client reuse a connection
in the instant the server closes it; the request then fails with no answer (seen as a ReadError
on a POST in CI). The server's limit must outlast the clients'.
"""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from fastapi import FastAPI

from signum.platform.http import INTERNAL_KEEPALIVE_SECONDS, internal_limits
from signum.platform.service import server_config
from signum.platform.settings import ServiceSettings

HTTPX_DEFAULT_KEEPALIVE = 5.0  # what a plain httpx client (tests, integrators) keeps idle
INGRESS_KEEPALIVE = 60.0  # ingress-nginx's upstream keep-alive timeout


def test_the_server_outlasts_every_client() -> None:
    server = ServiceSettings().http_keep_alive_seconds
    assert server > max(HTTPX_DEFAULT_KEEPALIVE, INGRESS_KEEPALIVE, INTERNAL_KEEPALIVE_SECONDS)
    assert internal_limits().keepalive_expiry == INTERNAL_KEEPALIVE_SECONDS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_connection_idle_past_five_seconds_still_answers() -> None:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    settings = ServiceSettings(port=_free_port())
    server = uvicorn.Server(server_config(app, settings))
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
                await asyncio.sleep(0.02)
        reader, writer = await asyncio.open_connection(settings.host, settings.port)
        request = b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n"
        for attempt in range(2):
            if attempt:
                await asyncio.sleep(HTTPX_DEFAULT_KEEPALIVE + 1.5)  # idle past a 5 s server limit
            writer.write(request)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"HTTP/1.1 200"), head
            await reader.readexactly(len(b'{"ok":true}'))
        writer.close()
    finally:
        server.should_exit = True
        await serving
