"""The gateway keeps the contract its OpenAPI document states, whoever calls and whatever they send.

Schemathesis generates requests from the document the running gateway serves (`/openapi.json`) and
sends them as every role of the test directory, as an API key and anonymously. Every answer must be
below 500, carry a status the document lists for that operation, with the documented content type
and a body that matches the documented schema (the shared `ErrorBody` for errors).

Each operation runs with generated path ids (mostly unknown ones: 404) and again with real ones (an
oficio of unit A with every role of A taking part, the units, officials and the homologated
template), so the routes are also reached past the look-up. Bounded: a few examples per operation
and identity, positive (valid per the schema) and negative (invalid) data.
"""

from __future__ import annotations

import asyncio
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
EXAMPLES = 3  # per operation, identity, generation mode and set of path ids
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
    seconds: Counter[str] = field(default_factory=Counter)  # per identity
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


def _fuzz(base_url: str, identities: list[Identity], real: dict[str, str]) -> Tally:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    tally = Tally()
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue
        names = {p.name for p in operation.path_parameters}
        fixed = {k: v for k, v in real.items() if k in names}
        variants: list[dict[str, Any] | None] = [None, fixed] if fixed else [None]
        for identity in identities:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for path_parameters in variants:
                    started = time.monotonic()
                    strategy = operation.as_strategy(mode, path_parameters=path_parameters)
                    _run(strategy, session, base_url, identity, operation.label, tally)
                    tally.seconds[identity.name] += time.monotonic() - started
    return tally


def _run(strategy: Any, session: requests.Session, base_url: str, who: Identity, label: str, tally: Tally) -> None:
    @given(case=strategy)
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def send(case: Any) -> None:
        response = case.call(
            base_url=base_url, session=session, headers=dict(who.headers), cookies=dict(who.cookies), timeout=30
        )
        tally.cases += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (FailureGroup, Failure) as found:  # every check that failed; keep going, report them all
            for failure in found.exceptions if isinstance(found, FailureGroup) else (found,):
                key = (who.name, label, failure.title)
                tally.failures.setdefault(
                    key, f"{response.status_code} {response.text[:300]!r}\n    {case.as_curl_command()}"
                )

    try:
        send()
    except hypothesis.errors.Unsatisfiable:
        # Negative data for an operation with nothing to make invalid (no parameters, no body).
        tally.unsatisfiable += 1


async def test_the_gateway_keeps_its_openapi_contract(world: World) -> None:
    identities = await _identities(world)
    real = await _real_ids(world)
    async with httpx.AsyncClient(base_url=world.gateway) as client:
        assert (await client.get("/openapi.json")).status_code == 200
    started = time.monotonic()
    tally = await asyncio.to_thread(_fuzz, world.gateway, identities, real)
    elapsed = time.monotonic() - started
    print(f"\nschemathesis: {tally.cases} cases in {elapsed:.0f} s; statuses {dict(sorted(tally.statuses.items()))}")
    print(f"seconds per identity: { {k: round(v) for k, v in tally.seconds.items()} }")
    assert tally.cases > 1000
    problems = [f"{who} {op} [{kind}]: {detail}" for (who, op, kind), detail in sorted(tally.failures.items())]
    assert not problems, f"{len(problems)} contract failures:\n" + "\n".join(problems[:60])
