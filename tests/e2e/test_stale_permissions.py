"""No stale permissions: once a draft's participants or confidentiality change, every service decides
on the new ones, on every route that takes an oficio.

An oficio of unit A has an editor. The author then removes the editor, changes a collaborator's role
(editor to reviewer), adds a reviewer of another unit and makes the oficio confidential, in one save.
Drafting owns the draft and decides on it at once; storage and routing follow `oficio.updated`
(storage also asks drafting before adding a document, so a removed editor adds nothing even before
the event arrives). Then every gateway route that takes the oficio's id (found from the probes of
the access matrix, so a new route is covered) is called as the removed editor, an auditor and an API
key of the same unit (refused), and as the remaining participants (what their role gives).
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx
import pytest

from signum.gateway.deps import route_action
from signum.testing.kafka import eventually
from signum.testing.people import UNITS, World
from tests.e2e.access_requests import PROBES, Ctx
from tests.e2e.test_access_matrix import KEY_SCOPES, Case, _refused, _send, gateway_routes
from tests.routing.helpers import inbox, new_draft, ok, wait_item

pytestmark = pytest.mark.stack

AUTHOR = "autor@A"
REMOVED = "funcionario@A"  # the editor who is removed
DEMOTED = "oficialia@A"  # an editor who becomes a reviewer
ADDED = "funcionario@B"  # a reviewer of another unit, added with the removal
OUTSIDERS = (REMOVED, "auditor@A", "api_key@A")
REVIEWER_ACTIONS = {"oficio.leer", "oficio.historial", "oficio.comentar", "oficio.revisar", "documento.subir"}
ALLOWED = {
    AUTHOR: {
        "oficio.leer",
        "oficio.historial",
        "oficio.editar",
        "oficio.comentar",
        "oficio.finalizar",
        "oficio.cancelar",
        "documento.subir",
    },
    DEMOTED: REVIEWER_ACTIONS,
    ADDED: REVIEWER_ACTIONS,
    **{outsider: set() for outsider in OUTSIDERS},  # confidential, and none of them takes part
}
SENTINEL = "oficio-de-la-prueba-0000"


def pdf(width: int) -> bytes:
    """A one-page PDF; each width gives other bytes (another anexo: storage keys by content)."""
    assert 100 <= width <= 999  # three digits: the cross-reference offsets stay right
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 WWW 792]>>endobj\n"
        b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
        b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
    ).replace(b"WWW", str(width).encode())


def oficio_routes() -> list[tuple[tuple[str, str], str]]:
    """Every gateway route whose probe names the oficio (in its path, query or body), with its action."""
    routes = gateway_routes()
    found = []
    for route, probe in PROBES.items():
        request = probe(Ctx(oficio_id=SENTINEL, unidad_id=UNITS["A"], funcionario_id="x"))
        if SENTINEL in repr((request.path_params, request.params, request.json)):
            found.append((route, str(route_action(routes[route].dependant))))
    return found


def test_the_routes_that_take_an_oficio_are_found() -> None:
    found = {route for route, _ in oficio_routes()}
    assert ("GET", "/api/v1/oficios/{oficio_id}/linea-de-tiempo") in found
    assert ("POST", "/api/v1/oficios/{oficio_id}/anexos") in found
    assert ("POST", "/api/v1/firmas/lote") in found  # the oficio in the body
    assert ("GET", "/api/v1/bandeja") not in found
    assert len(found) > 20


class Callers:
    """Clients of the people of the test, and the same-unit API key."""

    def __init__(self, world: World, key: str) -> None:
        self.world = world
        self.key = key

    async def __call__(self, who: str) -> httpx.AsyncClient:
        if who == "api_key@A":
            return httpx.AsyncClient(
                base_url=self.world.gateway, timeout=15, headers={"Authorization": f"Bearer {self.key}"}
            )
        return await self.world.as_(who)


async def _call(callers: Callers, who: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    client = await callers(who)
    try:
        return await client.request(method, url, **kwargs)
    finally:
        if who == "api_key@A":
            await client.aclose()


async def _upload(callers: Callers, who: str, oficio_id: str, data: bytes) -> httpx.Response:
    return await _call(
        callers,
        who,
        "POST",
        f"/api/v1/oficios/{oficio_id}/anexos",
        params={"nombre": "anexo.pdf"},
        content=data,
        headers={"content-type": "application/pdf"},
    )


def _download(oficio_id: str, data: bytes) -> str:
    return f"/api/v1/oficios/{oficio_id}/documentos/sha256/{hashlib.sha256(data).hexdigest()}/descarga"


def _refused_in_spanish(response: httpx.Response) -> bool:
    return response.status_code == 403 and (
        response.json()["message"] == "No tiene permiso para realizar esta acción."
    )


async def test_a_removed_editor_and_a_now_confidential_oficio_are_refused_on_every_route(
    world: World,
) -> None:
    admin = await world.as_("administrador@A")
    created_key = await admin.post(
        "/api/v1/admin/api-keys",
        json={"nombre": "Integración de la unidad A", "permisos": KEY_SCOPES, "oficinas": [UNITS["A"]]},
    )
    callers = Callers(world, ok(created_key, 201)["clave"])
    oficio_id = await new_draft(
        world, AUTHOR, "Padrón de proveedores: datos personales", [(REMOVED, "editor"), (DEMOTED, "editor")]
    )
    author = await world.as_(AUTHOR)
    timeline = f"/api/v1/oficios/{oficio_id}/linea-de-tiempo"

    # Before: the editor adds an anexo and reads it; the auditor and the unit's API key read the oficio.
    first = pdf(611)
    uploaded = await _upload(callers, REMOVED, oficio_id, first)  # decided on drafting's word
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["sha256"] == hashlib.sha256(first).hexdigest()
    assert (await _call(callers, REMOVED, "GET", _download(oficio_id, first))).status_code == 302
    for who in ("auditor@A", "api_key@A"):
        assert (await _call(callers, who, "GET", timeline)).status_code == 200, who
        assert (await _call(callers, who, "GET", f"/api/v1/oficios/{oficio_id}")).status_code == 200, who
    await wait_item(world, REMOVED, oficio_id, carpeta="borradores")  # routing knows the editor

    # The change: editor removed, another demoted to reviewer, a reviewer of unit B added, confidential.
    current = ok(await author.get(f"/api/v1/oficios/{oficio_id}"))["version"]
    changed = ok(
        await author.patch(
            f"/api/v1/oficios/{oficio_id}",
            json={
                "version": current,
                "confidencialidad": "confidencial",
                "colaboradores": [
                    {"funcionario_id": world.people[DEMOTED].numero_empleado, "rol": "revisor"},
                    {"funcionario_id": world.people[ADDED].numero_empleado, "rol": "revisor"},
                ],
            },
        )
    )
    version = changed["version"]

    # At once, before any event reaches storage: adding a document is decided on what drafting says.
    late = await _upload(callers, REMOVED, oficio_id, pdf(612))
    assert _refused_in_spanish(late), (late.status_code, late.text)
    added_at_once = await _upload(callers, ADDED, oficio_id, pdf(613))
    assert added_at_once.status_code == 201, added_at_once.text

    # Wait for the save's event: storage puts it on the timeline right after applying it, and
    # routing drops the draft from the removed editor's inbox when it applies it.
    async def storage_applied() -> bool:
        eventos = ok(await author.get(timeline))["eventos"]
        return any(
            e["tipo"] == "oficio.updated" and (e.get("detalle") or {}).get("version") == version
            for e in eventos
        )

    async def routing_applied() -> bool:
        page = await inbox(world, REMOVED, "borradores")
        return all(item["oficio_id"] != oficio_id for item in page["elementos"])

    await eventually(storage_applied, within=30, interval=0.3)
    await eventually(routing_applied, within=30, interval=0.3)

    # An anexo added after the removal.
    second = pdf(614)
    assert (await _upload(callers, AUTHOR, oficio_id, second)).status_code == 201
    digests = [hashlib.sha256(data).hexdigest() for data in (first, second)]

    async def both_on_the_timeline() -> bool:  # `object.stored` comes back through Kafka
        text = (await author.get(timeline)).text
        return all(d in text for d in digests)

    await eventually(both_on_the_timeline, within=30, interval=0.3)

    remaining = (AUTHOR, DEMOTED, ADDED)
    for who in remaining:
        read = await _call(callers, who, "GET", timeline)
        assert read.status_code == 200, (who, read.text)
        assert all(d in read.text for d in digests), who  # every anexo's sha256 is on it
        for data in (first, second):
            fetched = await _call(callers, who, "GET", _download(oficio_id, data))
            assert fetched.status_code == 302, (who, fetched.text)
        async with httpx.AsyncClient() as s3:
            assert (await s3.get(fetched.headers["location"])).content == second
    assert (await _upload(callers, DEMOTED, oficio_id, pdf(615))).status_code == 201

    for who in OUTSIDERS:
        read = await _call(callers, who, "GET", timeline)
        assert _refused_in_spanish(read), (who, read.status_code, read.text)
        assert not any(d in read.text for d in digests)
        for data in (first, second):
            download = await _call(callers, who, "GET", _download(oficio_id, data))
            assert _refused_in_spanish(download), (who, download.status_code, download.text)
        upload = await _upload(callers, who, oficio_id, pdf(616))
        assert _refused_in_spanish(upload), (who, upload.status_code, upload.text)

    # Every route that takes the oficio, as each of them. Last: the author's probe of the
    # cancellation really cancels the draft (later probes then meet a state refusal, not a 403).
    keys = {"api_key@A": callers.key}
    cases = [
        Case(
            route,
            action,
            who.split("@")[0],
            who,
            True,
            who not in OUTSIDERS,
            Ctx(
                oficio_id=oficio_id,
                unidad_id=UNITS["A"],
                funcionario_id=world.people[who if who != "api_key@A" else REMOVED].numero_empleado,
            ),
        )
        for route, action in oficio_routes()
        for who in ALLOWED
    ]
    semaphore = asyncio.Semaphore(6)

    async def check(case: Case) -> str | None:
        async with semaphore:
            response = await _send(world, case, keys)
        if response.status_code >= 500:
            return f"{case.route} {case.caller} -> {response.status_code} {response.text[:200]}"
        allowed = not _refused(response)
        want = case.action in ALLOWED[case.caller]
        if allowed != want or (not allowed and not _refused_in_spanish(response)):
            return (
                f"{case.route[0]} {case.route[1]} [{case.action}] {case.caller}: "
                f"{response.status_code} {response.text[:120]}, expected {'allowed' if want else 'refused'}"
            )
        return None

    problems = [p for p in await asyncio.gather(*(check(c) for c in cases)) if p]
    assert {c.action for c in cases} >= {
        "oficio.leer",
        "oficio.historial",
        "documento.subir",
        "oficio.editar",
    }
    assert not problems, f"{len(problems)} of {len(cases)} cases differ:\n" + "\n".join(problems)
