"""Issue 13, class 7: odd input answers 4xx, never 500, and no request body reaches a log.

Against the real gateway and services: control characters in a path id, `?` or `#` inside an id
(it once reached another internal route and the oficio was written to the log), a correlation id
that is not short printable ASCII (not echoed, replaced), and JSON nested 255 levels in an oficio's
`contenido` or a template (refused with 422 before anything recurses or is stored)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from signum.testing.processes import ServiceProcess
from tests.e2e.conftest import World
from tests.routing.helpers import new_draft, ok

pytestmark = pytest.mark.stack


def _logs(platform: dict[str, ServiceProcess]) -> str:
    return "\n".join(
        Path(p.log_path).read_text(errors="replace") for p in platform.values() if Path(p.log_path).exists()
    )


def _nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"x": value}
    return value


async def test_odd_ids_headers_and_deep_json_answer_4xx_and_stay_out_of_the_log(
    world: World, platform: dict[str, ServiceProcess]
) -> None:
    marker = f"Marcador-{uuid.uuid4().hex}"
    oficio_id = await new_draft(world, "autor@A", f"Asunto {marker}")
    author = await world.as_("autor@A")
    unhandled_before = _logs(platform).count("unhandled error")
    admin = await world.as_("administrador@A")
    ok(await author.get(f"/api/v1/oficios/{oficio_id}"))

    statuses: dict[str, int] = {}

    async def probe(label: str, client: Any, method: str, path: str, **kwargs: Any) -> Any:
        response = await client.request(method, path, **kwargs)
        statuses[label] = response.status_code
        return response

    # Control characters in a path id (a page and the JSON API).
    await probe("page control", author, "GET", "/verificar/a%0Bb")
    await probe("api control", author, "GET", "/api/v1/verificar/a%0Bb")
    await probe("oficio control", author, "GET", "/api/v1/oficios/a%0Bb")
    # `?` and `#` inside an id: an id, not the start of a query or a fragment of the internal call.
    for sign in ("%3F", "%23", "%2F"):
        await probe(f"oficio {sign}", author, "GET", f"/api/v1/oficios/{oficio_id}{sign}x")
        await probe(f"versiones {sign}", author, "GET", f"/api/v1/oficios/{oficio_id}{sign}x/versiones")
        await probe(f"plantilla {sign}", admin, "GET", f"/api/v1/plantillas/{oficio_id}{sign}x")
        await probe(f"verificar {sign}", author, "GET", f"/api/v1/verificar/{oficio_id}{sign}x")
    await probe("entrega ?", author, "GET", "/api/v1/entregas/E%3Fx")

    # A correlation id that is not short printable ASCII is replaced by a fresh one, not echoed.
    for label, value in (("utf-8", "ñandú-€".encode()), ("tab and space", b"a\tb c"), ("long", b"a" * 500)):
        response = await author.get(f"/api/v1/oficios/{oficio_id}", headers={"X-Correlation-ID": value})
        assert response.status_code == 200, (label, response.text[:200])
        echoed = response.headers["X-Correlation-ID"]
        assert echoed.encode() != value
        assert echoed.isascii()
        assert 0 < len(echoed) <= 128
    kept = await author.get(f"/api/v1/oficios/{oficio_id}", headers={"X-Correlation-ID": "traza-123"})
    assert kept.headers["X-Correlation-ID"] == "traza-123"

    # JSON nested 255 levels: in an oficio's contenido, in a template, without a content type.
    deep = _nested(255, marker)
    version = ok(await author.get(f"/api/v1/oficios/{oficio_id}"))["version"]
    too_deep = await probe(
        "contenido",
        author,
        "PATCH",
        f"/api/v1/oficios/{oficio_id}",
        json={"version": version, "contenido": deep},
    )
    assert too_deep.json()["code"] == "json_too_deep"
    template = await probe(
        "plantilla", admin, "POST", "/api/v1/plantillas", json={"nombre": marker, "x": deep}
    )
    assert template.json()["code"] == "json_too_deep"
    raw = json.dumps({"version": version, "contenido": deep}).encode()
    bare = await probe("sin tipo", author, "PATCH", f"/api/v1/oficios/{oficio_id}", content=raw)
    assert bare.status_code == 422
    # Nothing was saved: the oficio reads as before.
    assert ok(await author.get(f"/api/v1/oficios/{oficio_id}"))["version"] == version

    failed = {label: status for label, status in statuses.items() if not 400 <= status < 500}
    assert not failed, failed
    logs = _logs(platform)
    assert marker not in logs
    assert logs.count("unhandled error") == unhandled_before
