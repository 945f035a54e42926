"""The access matrix: every public route × every role × own office / other office × participant /
non-participant, against the real platform, compared with the rules written out below; and every
oficio route × every role × recipient / non-recipient of a sent oficio (both directions: a recipient
reads it and does nothing else, a non-recipient gets what their role alone gives).

The rules here are the specification, written independently of `signum.platform.policy`. Routes come
from the gateway's route table: a route without a probe in access_requests.py, or without a declared
action, fails `test_every_route_has_a_rule`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import fastapi.routing
import httpx
import pytest

from signum.gateway.app import build
from signum.gateway.deps import route_action
from signum.testing.kafka import eventually
from signum.testing.people import ROLES, UNITS
from tests.e2e.access_requests import OPEN_ROUTES, PROBES, Ctx, Request
from tests.e2e.conftest import World
from tests.routing.helpers import content, efirma, new_draft, review_finalize_sign, save_content

pytestmark = pytest.mark.stack

ADMIN_ACTIONS = {
    "directorio.importar",
    "directorio.administrar",
    "cuentas.administrar",
    "api_keys.administrar",
    "plantilla.administrar",
}
OFICIO_ACTIONS = {
    "oficio.crear",
    "oficio.leer",
    "oficio.historial",
    "oficio.editar",
    "oficio.comentar",
    "oficio.revisar",
    "oficio.finalizar",
    "oficio.cancelar",
    "documento.subir",
}
KEY_SCOPES = ["oficio.crear", "oficio.leer", "directorio.leer"]


def expected(action: str, role: str, own: bool, participant: bool, recipient: bool = False) -> bool:
    """Whether `role` may perform `action` in this context (role "api_key" is an integration).

    A recipient received the oficio (addressee, its office's oficialía de partes, a C.c.p.): it
    grants reading, nothing more."""
    if action == "publico":
        return True
    if role == "api_key":
        read = "oficio.leer" if action == "oficio.historial" else action  # history: as reading
        return read in KEY_SCOPES and (own or read not in OFICIO_ACTIONS)
    if action in ("sesion.leer", "directorio.leer", "plantilla.leer"):
        return True
    if action == "firmas.pendientes":
        return role != "auditor"  # an auditor consults: signs (and drafts) only as a titular
    if action in ADMIN_ACTIONS:
        return role == "administrador"
    if action == "bandeja.leer" or action.startswith("entrega."):
        return True  # one's own inbox; routing decides on each delivery (the probes' do not exist: 404)
    if action == "documento.registrar":
        return role == "oficialia"
    if action == "indicadores.ver":  # the probe asks for a unit's figures
        return role == "auditor" or (role == "titular" and own)
    if action == "oficio.crear":
        return own and role != "auditor"  # in one's own unit only; an auditor consults
    if action == "oficio.leer":
        if participant or recipient:
            return True
        return (role == "titular" and own) or role == "auditor"
    if action == "oficio.historial":  # versions, differences, comments: not for its recipients
        return participant or (role == "titular" and own) or role == "auditor"
    # The matrix's oficios are written by "autor@X", who is not among the callers; a participant
    # here is a collaborator with the reviewer role (not an editor).
    if action == "oficio.editar":
        return False  # the author or an editor only
    if action == "oficio.comentar":
        return participant  # any participant
    if action == "oficio.revisar":
        return participant  # a reviewer
    if action in ("oficio.finalizar", "oficio.cancelar"):
        return role == "titular" and own  # the author, or a titular of the oficio's unit
    if action == "documento.subir":
        return participant  # attachments are added by the oficio's participants
    if action == "oficio.firmar":
        return False  # a signer fixed at finalization only; the matrix's oficios are never finalized
    raise AssertionError(f"the matrix has no rule for {action}")


async def _sent_oficio(world: World, pki: Any) -> str:
    """An oficio of unit A, signed and sent to the office PRU-B (its titular and its oficialía de
    partes' mailbox) with a C.c.p. to funcionario@B; once every service knows its readers."""
    oficio_id = await new_draft(world, "autor@A", "Matriz: oficio enviado")
    await save_content(
        world,
        "autor@A",
        oficio_id,
        content(
            world,
            "autor@A",
            ["autor@A"],
            destinatarios=[{"tipo": "unidad", "id": UNITS["B"]}],
            ccp=[{"tipo": "funcionario", "id": world.people["funcionario@B"].numero_empleado}],
        ),
    )
    await review_finalize_sign(
        world, oficio_id, "autor@A", None, [("autor@A", efirma(world, pki, "autor@A"))]
    )
    for key in RECIPIENTS:
        client = await world.as_(key)

        async def reads(client: httpx.AsyncClient = client) -> bool:
            # Drafting (the oficio) and storage (its documents) learnt the readers from routing's events.
            oficio = await client.get(f"/api/v1/oficios/{oficio_id}")
            descarga = await client.get(
                f"/api/v1/oficios/{oficio_id}/documentos/sha256/{'0' * 64}/descarga", follow_redirects=False
            )
            return oficio.status_code == 200 and descarga.status_code == 404

        await eventually(reads, within=60, interval=0.5)
    return oficio_id


RECIPIENTS = ("titular@B", "oficialia@B", "funcionario@B")


async def test_recipients_read_a_sent_oficio_and_nothing_more(world: World, signing_pki: Any) -> None:
    oficio_id = await _sent_oficio(world, signing_pki[0])
    routes = gateway_routes()
    cases = []
    for route in PROBES:
        action = str(route_action(routes[route].dependant))
        if action not in OFICIO_ACTIONS | {"oficio.firmar"} or action == "oficio.crear":
            continue
        for role in ROLES:
            for office in UNITS:
                caller = f"{role}@{office}"
                ctx = Ctx(
                    oficio_id=oficio_id,
                    unidad_id=UNITS["A"],
                    funcionario_id=world.people[caller].numero_empleado,
                )
                cases.append(
                    (Case(route, action, role, caller, office == "A", False, ctx), caller in RECIPIENTS)
                )
    semaphore = asyncio.Semaphore(8)

    async def check(case: Case, recipient: bool) -> str | None:
        async with semaphore:
            response = await _send(world, case, {})
        if response.status_code >= 500:
            return f"{case} -> {response.status_code} {response.text[:200]}"
        allowed = not _refused(response)
        want = expected(case.action, case.role, case.own, False, recipient)
        if allowed != want:
            return (
                f"{case.route[0]} {case.route[1]} [{case.action}] {case.caller} recipient={recipient}: "
                f"{'allowed' if allowed else 'denied'} ({response.status_code}), expected "
                f"{'allowed' if want else 'denied'}"
            )
        if not allowed:
            assert response.json()["message"] == "No tiene permiso para realizar esta acción.", response.text
        return None

    problems = [p for p in await asyncio.gather(*(check(c, r) for c, r in cases)) if p]
    assert len(cases) > 100
    assert {r for _, r in cases} == {True, False}  # recipients and non-recipients
    assert not problems, f"{len(problems)} of {len(cases)} cases differ:\n" + "\n".join(problems[:40])


def gateway_routes() -> dict[tuple[str, str], Any]:
    """(method, path) -> route, for every route of the gateway's app."""
    app = build()
    iterate = getattr(fastapi.routing, "_iter_included_route_candidates", lambda routes: routes)
    found = {}
    for route in iterate(app.routes):
        if isinstance(route, fastapi.routing.APIRoute):
            for method in route.methods - {"HEAD"}:
                found[(method, route.path)] = route
    return found


def test_every_route_has_a_rule() -> None:
    routes = gateway_routes()
    api = set(routes) - OPEN_ROUTES
    assert not api - set(PROBES), f"routes without a probe in access_requests.py: {sorted(api - set(PROBES))}"
    assert not set(PROBES) - api, f"probes of routes that no longer exist: {sorted(set(PROBES) - api)}"
    undeclared = sorted(key for key in api if route_action(routes[key].dependant) is None)
    assert not undeclared, f"routes that declare no action (require()/public()): {undeclared}"


@dataclass(frozen=True)
class Case:
    route: tuple[str, str]
    action: str
    role: str
    caller: str  # a person key, or "api_key@A"
    own: bool
    participant: bool
    ctx: Ctx


async def _prepare(world: World) -> tuple[list[Case], dict[str, str]]:
    """Oficios for every context and two API keys; then every case to check."""
    oficio_of: dict[tuple[str, str], str] = {}  # (author office, collaborator key or "") -> id

    async def create(office: str, collaborator: str = "") -> None:
        author = await world.as_(f"autor@{office}")
        body: dict[str, Any] = {"asunto": f"Matriz {office} {collaborator or 'sin colaborador'}"}
        if collaborator:
            who = world.people[collaborator].numero_empleado
            body["colaboradores"] = [{"funcionario_id": who, "rol": "revisor"}]
        response = await author.post("/api/v1/oficios", json=body)
        assert response.status_code == 201, response.text
        oficio_of[(office, collaborator)] = response.json()["id"]

    callers = [f"{role}@{office}" for role in ROLES for office in UNITS]
    await asyncio.gather(create("A"), create("B"))
    await asyncio.gather(*(create(office, c) for c in callers for office in UNITS))

    admin = await world.as_("administrador@A")
    keys = {}
    for office, unidad in UNITS.items():
        response = await admin.post(
            "/api/v1/admin/api-keys",
            json={"nombre": f"Integración {office}", "permisos": KEY_SCOPES, "oficinas": [unidad]},
        )
        assert response.status_code == 201, response.text
        keys[f"api_key@{office}"] = response.json()["clave"]

    routes = gateway_routes()
    cases = []
    for route in PROBES:
        action = str(route_action(routes[route].dependant))
        contexts = [(True, False), (True, True), (False, False), (False, True)]
        if action == "indicadores.ver":
            contexts = [(True, False), (False, False)]  # a unit's figures: one's own unit or another
        elif action not in OFICIO_ACTIONS:
            contexts = [(True, False)]  # the decision does not depend on an oficio
        for caller in [*callers, *keys]:
            role, office = caller.split("@")
            other = "B" if office == "A" else "A"
            for own, participant in contexts:
                if role == "api_key" and participant:
                    continue
                place = office if own else other
                oficio = oficio_of[(place, caller if participant else "")]
                person = world.people.get(caller) or world.people[f"funcionario@{office}"]
                ctx = Ctx(oficio_id=oficio, unidad_id=UNITS[place], funcionario_id=person.numero_empleado)
                cases.append(Case(route, action, role, caller, own, participant, ctx))
    return cases, keys


async def _send(world: World, case: Case, keys: dict[str, str]) -> httpx.Response:
    method, path = case.route
    request: Request = PROBES[case.route](case.ctx)
    url = path.format(**request.path_params)
    kwargs: dict[str, Any] = {"params": request.params}
    if request.json is not None:
        kwargs["json"] = request.json
    if request.files is not None:
        kwargs["files"] = request.files
    if case.role == "api_key":
        async with httpx.AsyncClient(base_url=world.gateway, timeout=15) as client:
            headers = {"Authorization": f"Bearer {keys[case.caller]}"}
            return await client.request(method, url, headers=headers, **kwargs)
    if request.fresh_session:
        client = await world.fresh(case.caller)
        try:
            return await client.request(method, url, **kwargs)
        finally:
            await client.aclose()
    client = await world.as_(case.caller)
    return await client.request(method, url, **kwargs)


def _refused(response: httpx.Response) -> bool:
    """Refused for who is asking: a 403, or a 401 that asks for credentials (not a wrong password)."""
    if response.status_code == 403:
        return True
    return response.status_code == 401 and response.json().get("code") in {
        "login_required",
        "api_key_invalid",
    }


async def test_access_matrix(world: World) -> None:
    cases, keys = await _prepare(world)
    semaphore = asyncio.Semaphore(8)

    async def check(case: Case) -> str | None:
        async with semaphore:
            response = await _send(world, case, keys)
        if response.status_code >= 500:
            return f"{case} -> {response.status_code} {response.text[:200]}"
        allowed = not _refused(response)
        want = expected(case.action, case.role, case.own, case.participant)
        if allowed != want:
            verdict = "allowed" if allowed else "denied"
            return (
                f"{case.route[0]} {case.route[1]} [{case.action}] {case.caller} own={case.own} "
                f"participant={case.participant}: {verdict} ({response.status_code}), expected "
                f"{'allowed' if want else 'denied'}"
            )
        return None

    problems = [p for p in await asyncio.gather(*(check(c) for c in cases)) if p]
    assert len(cases) > 300
    assert not problems, f"{len(problems)} of {len(cases)} cases differ:\n" + "\n".join(problems[:40])


async def test_anonymous_callers_get_401_on_every_protected_route(world: World) -> None:
    routes = gateway_routes()
    ctx = Ctx(oficio_id="x", unidad_id=UNITS["A"], funcionario_id="x")
    async with httpx.AsyncClient(base_url=world.gateway, timeout=15) as client:
        for route, probe in PROBES.items():
            if route_action(routes[route].dependant) == "publico":
                continue
            request = probe(ctx)
            response = await client.request(
                route[0], route[1].format(**request.path_params), json=request.json, params=request.params
            )
            assert response.status_code == 401, (route, response.status_code, response.text[:200])
            assert response.json()["code"] == "login_required"


async def test_a_cookie_session_needs_the_csrf_token_to_change_anything(world: World) -> None:
    client = await world.fresh("funcionario@A")
    try:
        del client.headers["X-CSRF-Token"]
        refused = await client.post("/api/v1/oficios", json={"asunto": "Sin token"})
        read = await client.get("/api/v1/sesion")
        client.headers["X-CSRF-Token"] = "inventado"
        forged = await client.post("/api/v1/oficios", json={"asunto": "Token falso"})
    finally:
        await client.aclose()
    assert (refused.status_code, refused.json()["code"]) == (403, "csrf_failed")
    assert (forged.status_code, forged.json()["code"]) == (403, "csrf_failed")
    assert read.status_code == 200


async def test_the_session_cookie_is_httponly_and_the_login_answers_in_spanish(world: World) -> None:
    person = world.people["funcionario@A"]
    async with httpx.AsyncClient(base_url=world.gateway) as client:
        wrong = await client.post("/api/v1/auth/login", json={"usuario": person.correo, "contrasena": "mala"})
        right = await client.post(
            "/api/v1/auth/login", json={"usuario": person.correo, "contrasena": "PruebaSegura2026"}
        )
    assert (wrong.status_code, wrong.json()["message"]) == (401, "Usuario o contraseña incorrectos.")
    cookies = right.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("signum_sesion="))
    assert "HttpOnly" in session
    assert "SameSite=lax" in session or "samesite=lax" in session.lower()
    csrf = next(c for c in cookies if c.startswith("signum_csrf="))
    assert "HttpOnly" not in csrf


async def test_a_revoked_api_key_stops_working_at_once(world: World) -> None:
    admin = await world.as_("administrador@A")
    created = await admin.post(
        "/api/v1/admin/api-keys",
        json={"nombre": "Temporal", "permisos": ["directorio.leer"], "oficinas": [UNITS["A"]]},
    )
    assert created.status_code == 201, created.text
    key = created.json()
    bearer = {"Authorization": f"Bearer {key['clave']}"}
    async with httpx.AsyncClient(base_url=world.gateway) as client:
        assert (await client.get("/api/v1/directorio/dependencias", headers=bearer)).status_code == 200
        listed = {k["id"]: k for k in (await admin.get("/api/v1/admin/api-keys")).json()}
        assert listed[key["id"]]["ultimo_uso"] is not None
        assert "clave" not in listed[key["id"]]
        assert (await admin.delete(f"/api/v1/admin/api-keys/{key['id']}")).status_code == 204
        after = await client.get("/api/v1/directorio/dependencias", headers=bearer)
    assert (after.status_code, after.json()["code"]) == (401, "api_key_invalid")
