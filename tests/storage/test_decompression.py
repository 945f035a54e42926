"""A decompression bomb sent as an anexo, to the real storage process alone and through the gateway:
refused with its code while storage's `/healthz` keeps answering at once and its memory stays flat;
an ordinary Word document still goes through."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from signum.platform.http import CALLER_HEADER, INTERNAL_TOKEN_HEADER
from signum.platform.settings import InfraSettings
from signum.testing.kafka import eventually
from signum.testing.people import World
from signum.testing.processes import HealthWatch, ServiceProcess, status_kb
from tests.storage.zips import DOCX, GiB, MiB, docx, docx_bomb

pytestmark = pytest.mark.stack

BOMBS = 6  # sent at once: more than one inspection thread and its queue's first places
HEALTH_LIMIT = 0.2  # seconds
RSS_LIMIT = 64 * MiB


@dataclass
class Figures:
    worst_ms: float
    median_ms: float
    answers: int
    rss_before_mib: int
    rss_max_mib: int
    rss_after_mib: int


async def _bombard(
    storage: ServiceProcess,
    tmp_path: Path,
    upload: Callable[[str, bytes], Awaitable[httpx.Response]],
) -> Figures:
    """Send the 1 GiB bomb `BOMBS` times at once, then an ordinary Word document, while storage's
    `/healthz` is polled; check the answers and return the figures."""
    assert storage.proc is not None
    pid = storage.proc.pid
    bomb_path = tmp_path / "informe.docx"
    docx_bomb(bomb_path, GiB)  # written as it is deflated: the test never holds the gibibyte
    bomb = bomb_path.read_bytes()
    assert len(bomb) < 2 * MiB

    warm = await upload("previo.docx", docx(5))
    assert warm.status_code == 201, warm.text
    rss_before = status_kb(pid, "VmRSS")
    with HealthWatch(storage.url + "/healthz", pid) as watch:
        refusals = await asyncio.gather(*(upload(f"informe{n}.docx", bomb) for n in range(BOMBS)))
        ordinary = docx(300)
        accepted = await upload("informe.docx", ordinary)
    rss_after = status_kb(pid, "VmRSS")

    for refused in refusals:
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert body["code"] == "archive_limits_exceeded"
        assert body["message"].startswith("El archivo comprimido crece de forma anómala al descomprimirse")
        assert body["details"] == {"motivo": "proporcion", "limite": 200.0}
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["media_type"] == DOCX
    assert accepted.json()["tamano"] == len(ordinary)

    assert not watch.failures, watch.failures
    assert len(watch.latencies) >= 5, watch.latencies
    figures = Figures(
        worst_ms=max(watch.latencies) * 1000,
        median_ms=statistics.median(watch.latencies) * 1000,
        answers=len(watch.latencies),
        rss_before_mib=rss_before // 1024,
        rss_max_mib=watch.max_rss_kb // 1024,
        rss_after_mib=rss_after // 1024,
    )
    print(f"\n{figures}")  # the figures for the report (pytest -s)
    assert figures.worst_ms < HEALTH_LIMIT * 1000, figures
    assert (watch.max_rss_kb - rss_before) * 1024 < RSS_LIMIT, figures
    assert (rss_after - rss_before) * 1024 < RSS_LIMIT, figures
    return figures


@pytest.fixture
def storage(infra: InfraSettings, tmp_path: Path) -> Iterator[ServiceProcess]:
    """Storage alone, as a real process (the gateway streams an anexo's body to this same route)."""
    env = {k: v for k, v in os.environ.items() if k.startswith("SIGNUM_")}
    env["SIGNUM_STORAGE_SPOOL_DIR"] = str(tmp_path)
    proc = ServiceProcess("storage", env, tmp_path / "logs").start()
    try:
        proc.wait_healthy("/readyz", timeout=120)
        yield proc
    finally:
        proc.stop()


async def test_storage_refuses_the_bomb_and_keeps_answering(storage: ServiceProcess, tmp_path: Path) -> None:
    token = InfraSettings().internal_token.get_secret_value()
    caller = json.dumps({"kind": "system", "id": "drafting"})
    headers = {INTERNAL_TOKEN_HEADER: token, CALLER_HEADER: caller, "content-type": DOCX}
    async with httpx.AsyncClient(base_url=storage.url, timeout=120, headers=headers) as http:

        async def upload(nombre: str, data: bytes) -> httpx.Response:
            params = {"oficio_id": "OF-BOMBA", "bucket": "attachments", "nombre": nombre}
            return await http.post("/internal/objetos", params=params, content=data)

        await _bombard(storage, tmp_path, upload)


async def _oficio(client: httpx.AsyncClient) -> str:
    created = await client.post("/api/v1/oficios", json={"asunto": "Oficio con anexo comprimido"})
    assert created.status_code == 201, created.text
    oficio_id: str = created.json()["id"]

    async def known_to_storage() -> bool:
        probe = await client.get(f"/api/v1/oficios/{oficio_id}/linea-de-tiempo")
        return probe.status_code == 200 and bool(probe.json().get("eventos"))

    await eventually(known_to_storage, within=30)
    return oficio_id


async def test_an_anexo_bomb_through_the_gateway_is_refused_while_storage_keeps_answering(
    world: World, platform: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    author = await world.as_("funcionario@A")
    oficio_id = await _oficio(author)

    async def upload(nombre: str, data: bytes) -> httpx.Response:
        return await author.post(
            f"/api/v1/oficios/{oficio_id}/anexos",
            params={"nombre": nombre},
            content=data,
            headers={"content-type": DOCX},
        )

    await _bombard(platform["storage"], tmp_path, upload)
