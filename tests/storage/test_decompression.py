"""A decompression bomb sent as an anexo through the gateway, against the real storage process:
refused with its code while storage's `/healthz` keeps answering at once and its memory stays flat;
an ordinary Word document still goes through."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from signum.testing.kafka import eventually
from signum.testing.people import World
from signum.testing.processes import ServiceProcess
from tests.storage.zips import DOCX, GiB, MiB, docx, docx_bomb

pytestmark = pytest.mark.stack

BOMBS = 6  # sent at once: more than one inspection thread and its queue's first places
HEALTH_LIMIT = 0.2  # seconds
RSS_LIMIT = 64 * MiB


def _status_kb(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field_name}")


@dataclass
class Watch:
    """Polls a process's `/healthz` back to back and samples its resident memory, in a thread of
    its own (so the test's event loop cannot slow the measurements)."""

    url: str
    pid: int
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    max_rss_kb: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    response = http.get(self.url)
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                    continue
                self.latencies.append(time.monotonic() - started)
                if response.status_code != 200:
                    self.failures.append(f"{response.status_code} {response.text[:200]}")
                self.max_rss_kb = max(self.max_rss_kb, _status_kb(self.pid, "VmRSS"))


async def _oficio(client: httpx.AsyncClient) -> str:
    created = await client.post("/api/v1/oficios", json={"asunto": "Oficio con anexo comprimido"})
    assert created.status_code == 201, created.text
    oficio_id: str = created.json()["id"]

    async def known_to_storage() -> bool:
        probe = await client.get(f"/api/v1/oficios/{oficio_id}/linea-de-tiempo")
        return probe.status_code == 200 and bool(probe.json().get("eventos"))

    await eventually(known_to_storage, within=30)
    return oficio_id


async def test_a_decompression_bomb_is_refused_while_storage_keeps_answering(
    world: World, platform: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    storage = platform["storage"]
    assert storage.proc is not None
    pid = storage.proc.pid
    bomb_path = tmp_path / "informe.docx"
    docx_bomb(bomb_path, GiB)  # written as it is deflated: the test never holds the gibibyte
    bomb = bomb_path.read_bytes()
    assert len(bomb) < 2 * MiB

    author = await world.as_("funcionario@A")
    oficio_id = await _oficio(author)
    url = f"/api/v1/oficios/{oficio_id}/anexos"
    headers = {"content-type": DOCX}
    warm = await author.post(url, params={"nombre": "previo.docx"}, content=docx(5), headers=headers)
    assert warm.status_code == 201, warm.text

    rss_before = _status_kb(pid, "VmRSS")
    watch = Watch(storage.url + "/healthz", pid)
    poller = threading.Thread(target=watch.run, daemon=True)
    poller.start()
    try:
        refusals = await asyncio.gather(
            *(
                author.post(url, params={"nombre": f"informe{n}.docx"}, content=bomb, headers=headers)
                for n in range(BOMBS)
            )
        )
        ordinary = docx(300, embedded=None)
        accepted = await author.post(url, params={"nombre": "informe.docx"}, content=ordinary, headers=headers)
    finally:
        watch.stop.set()
        poller.join(timeout=15)
    rss_after = _status_kb(pid, "VmRSS")
    peak = _status_kb(pid, "VmHWM")

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
    worst = max(watch.latencies)
    growth = (watch.max_rss_kb - rss_before) * 1024
    print(  # the figures for the report (pytest -s)
        f"\nstorage /healthz: {len(watch.latencies)} answers, max {worst * 1000:.1f} ms; "
        f"VmRSS before {rss_before // 1024} MiB, max during {watch.max_rss_kb // 1024} MiB, "
        f"after {rss_after // 1024} MiB, VmHWM {peak // 1024} MiB"
    )
    assert worst < HEALTH_LIMIT, worst
    assert growth < RSS_LIMIT, growth
    assert (rss_after - rss_before) * 1024 < RSS_LIMIT
