"""The gateway's OpenAPI document: every operation says how to authenticate, what it answers on
success (typed) and which errors it can answer, each with the shared error body."""

from __future__ import annotations

import json
from typing import Any

from signum.gateway.app import build
from signum.gateway.deps import route_action
from signum.gateway.openapi import EXTRA, RESPONSES
from tests.e2e.test_access_matrix import gateway_routes

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in document["paths"].items() for m, op in ops.items()]


def test_every_error_answer_is_the_shared_error_body() -> None:
    document = build().openapi()
    assert set(document["components"]["schemas"]["ErrorBody"]["required"]) == {"code", "message"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, op in _operations(document):
        errors = {s: r for s, r in op["responses"].items() if int(s) >= 400}
        assert "503" in errors, (method, path)
        if path == "/readyz":  # not ready: the readiness report, check by check
            assert errors["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/Readiness")
            continue
        assert all(r["content"] == ERROR for r in errors.values()), (method, path)


def test_errors_follow_what_each_route_declares() -> None:
    app = build()
    document = app.openapi()
    routes = gateway_routes()
    for method, path, op in _operations(document):
        statuses = set(op["responses"])
        public = route_action(routes[(method, path)].dependant) == "publico"
        if not public:
            assert {"401", "403"} <= statuses, (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in statuses, (method, path)
    login = document["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"401", "423", "429"} <= set(login)
    assert "413" in document["paths"]["/api/v1/verificar"]["post"]["responses"]


def test_every_success_answer_is_typed() -> None:
    document = build().openapi()
    for method, path, op in _operations(document):
        for status, response in op["responses"].items():
            if int(status) >= 400 or status in {"204", "302"}:
                continue
            content = response.get("content")
            assert content, (method, path, status)
            for media_type, body in content.items():
                schema = json.dumps(body.get("schema", {}))
                typed = "$ref" in schema or '"format": "binary"' in schema or media_type != "application/json"
                typed = typed or '"additionalProperties": {"type"' in schema  # dict[str, int]
                assert typed, (method, path, status, schema)


def test_security_schemes_and_each_operations_security() -> None:
    document = build().openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes["sesion"] == schemes["sesion"] | {
        "type": "apiKey",
        "in": "cookie",
        "name": "signum_sesion",
    }
    assert schemes["csrf"] == schemes["csrf"] | {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}
    assert schemes["clave_api"] == schemes["clave_api"] | {"type": "http", "scheme": "bearer"}
    routes = gateway_routes()
    for method, path, op in _operations(document):
        if route_action(routes[(method, path)].dependant) == "publico":
            assert op["security"] == [], (method, path)
        elif method in {"POST", "PUT", "PATCH", "DELETE"}:
            assert op["security"] == [{"sesion": [], "csrf": []}, {"clave_api": []}], (method, path)
        else:
            assert op["security"] == [{"sesion": []}, {"clave_api": []}], (method, path)


def test_every_listed_route_exists() -> None:
    routes = gateway_routes()
    assert not set(EXTRA) - set(routes)
    assert not set(RESPONSES) - set(routes)
