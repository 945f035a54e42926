"""The gateway keeps the contract its OpenAPI document states, whoever calls and whatever they send.

Schemathesis generates requests from the document the running gateway serves (`/openapi.json`) and
sends them as every role of the test directory, as an API key and anonymously. Every answer must be
below 500, carry a status the document lists for that operation, with the documented content type
and a body that matches the documented schema (the shared `ErrorBody` for errors).

Each operation runs with generated path ids (mostly unknown ones: 404) and again with real ones (an
oficio of unit A with every role of A taking part; for reads, also a unit, an official and the
homologated template), so the routes are also reached past the look-up. Bounded: a few examples per operation
and identity, positive (valid per the schema) and negative (invalid) data.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from signum.testing.people import ROLES, UNITS
from tests.e2e.conftest import World

pytestmark = pytest.mark.stack

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Not fuzzed, and why:
EXCLUDED = {
    # A server-sent-events stream never ends: a request waits for the client's timeout.
    ("GET", "/api/v1/notificaciones"),
    # Ends the session under test; its answers are checked in tests/identity.
    ("POST", "/api/v1/auth/logout"),
}
# Examples per operation, identity and set of path ids: valid data, then invalid data.
EXAMPLES = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 2}
KEY_SCOPES = ["oficio.crear", "oficio.leer", "directorio.leer"]


@dataclass
class Identity:
    name: str
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)


@dataclass
class Tally:
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    unsatisfiable: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per identity
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (identity, op, check) -> detail


async def _identities(world: World) -> list[Identity]:
    found = [Identity("anónimo")]
    for role in ROLES:
        client = await world.as_(f"{role}@A")
        found.append(
            Identity(
                role,
                headers={"X-CSRF-Token": client.headers["X-CSRF-Token"]},
                cookies={"signum_sesion": client.cookies["signum_sesion"]},
            )
        )
    admin = await world.as_("administrador@A")
    created = await admin.post(
        "/api/v1/admin/api-keys",
        json={"nombre": "Contrato", "permisos": KEY_SCOPES, "oficinas": [UNITS["A"]]},
    )
    assert created.status_code == 201, created.text
    found.append(Identity("clave_api", headers={"Authorization": f"Bearer {created.json()['clave']}"}))
    return found


async def _real_ids(world: World) -> dict[str, str]:
    """Ids of things that exist: an oficio of unit A where every role of A takes part, ..."""
    author = await world.as_("autor@A")
    collaborators = [
        {"funcionario_id": world.people[f"{role}@A"].numero_empleado, "rol": "revisor"}
        for role in ROLES
        if role != "titular"
    ]
    created = await author.post(
        "/api/v1/oficios", json={"asunto": "Contrato de la API", "colaboradores": collaborators}
    )
    assert created.status_code == 201, created.text
    templates = await author.get("/api/v1/plantillas")
    assert templates.status_code == 200, templates.text
    return {
        "oficio_id": created.json()["id"],
        "unidad_id": UNITS["A"],
        "funcionario_id": world.people["funcionario@A"].numero_empleado,
        "plantilla_id": templates.json()[0]["id"],
    }


async def _unlock(world: World) -> None:
    """Wrong current passwords sent to `POST /api/v1/auth/contrasena` count as failed logins and
    lock the accounts under test: unlock them for the tests that log in after this one."""
    admin = await world.as_("administrador@A")
    for role in ROLES:
        who = world.people[f"{role}@A"].numero_empleado
        response = await admin.post(f"/api/v1/admin/cuentas/{who}/desbloquear")
        assert response.status_code == 204, response.text
        await (await world.fresh(f"{role}@A")).aclose()  # logs in again


def _fuzz(base_url: str, identities: list[Identity], real: dict[str, str]) -> Tally:
    """Every operation as every identity, one request at a time (Hypothesis and schemathesis'
    generators are not thread-safe)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    plans = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue
        names = {p.name for p in operation.path_parameters}
        # The real oficio takes any call; the officials, units and templates only reads (a
        # deactivation, a password reset or a deleted template would change the later tests' world).
        reads = operation.method.upper() == "GET"
        fixed = {k: v for k, v in real.items() if k in names and (k == "oficio_id" or reads)}
        plans.append((operation, [None, fixed] if fixed else [None]))
    tally = Tally()

    def fuzz_as(identity: Identity) -> None:
        session = requests.Session()
        started = time.monotonic()
        for operation, variants in plans:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for path_parameters in variants:
                    strategy = operation.as_strategy(mode, path_parameters=path_parameters)
                    _run(strategy, EXAMPLES[mode], session, base_url, identity, operation.label, tally)
        tally.seconds[identity.name] = time.monotonic() - started

    for identity in identities:
        fuzz_as(identity)
    return tally


def _run(
    strategy: Any,
    examples: int,
    session: requests.Session,
    base_url: str,
    who: Identity,
    label: str,
    tally: Tally,
) -> None:
    @given(case=strategy)
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def send(case: Any) -> None:
        response = case.call(
            base_url=base_url,
            session=session,
            headers=dict(who.headers),
            cookies=dict(who.cookies),
            timeout=30,
        )
        failures: tuple[Failure, ...] = ()
        # `/readyz` answers 503 when a service is slow or down: that is what it is for (documented,
        # with the readiness report); every other check still applies to it.
        checks = CHECKS[1:] if label == "GET /readyz" else CHECKS
        try:
            case.validate_response(response, checks=checks)
        except (FailureGroup, Failure) as found:  # every check that failed; keep going, report them all
            failures = found.exceptions if isinstance(found, FailureGroup) else (found,)
        with tally.lock:
            tally.cases += 1
            tally.statuses[response.status_code] += 1
            for failure in failures:
                tally.failures.setdefault(
                    (who.name, label, failure.title),
                    f"{response.status_code} {response.text[:300]!r}\n    {case.as_curl_command()}",
                )

    try:
        send()
    except hypothesis.errors.Unsatisfiable:
        # Negative data for an operation with nothing to make invalid (no parameters, no body).
        with tally.lock:
            tally.unsatisfiable += 1


@pytest.mark.timeout(600)  # about 2-3 minutes on two cores; more while other suites share them
async def test_the_gateway_keeps_its_openapi_contract(world: World) -> None:
    identities = await _identities(world)
    real = await _real_ids(world)
    async with httpx.AsyncClient(base_url=world.gateway) as client:
        assert (await client.get("/openapi.json")).status_code == 200
    started = time.monotonic()
    try:
        tally = await asyncio.to_thread(_fuzz, world.gateway, identities, real)
    finally:
        await _unlock(world)
    elapsed = time.monotonic() - started
    statuses = dict(sorted(tally.statuses.items()))
    print(f"\nschemathesis: {tally.cases} cases in {elapsed:.0f} s; statuses {statuses}")
    print(f"seconds per identity: { {k: round(v) for k, v in tally.seconds.items()} }")
    assert tally.cases > 1000
    problems = [
        f"{who} {op} [{kind}]: {detail}" for (who, op, kind), detail in sorted(tally.failures.items())
    ]
    assert not problems, f"{len(problems)} contract failures:\n" + "\n".join(problems[:60])
