"""The OpenAPI documents say every status a route can answer, with the one error body.

FastAPI documents a route's success and a 422 with its own validation schema; Signum's error
handlers (`signum.platform.http.install_error_handlers`) answer every error as `ErrorBody`. An app
calls `document_errors` once its routes are in, with a rule that says which error statuses each
operation can answer (derived from what the route declares, not listed by hand), and optionally
its security schemes and the security of each operation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fastapi import FastAPI, routing
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Solicitud no válida.",
    401: "Se requiere autenticación, o las credenciales no son válidas.",
    403: "Quien pregunta no puede hacer esto (permisos, token CSRF, contraseña temporal).",
    404: "El recurso no existe, o quien pregunta no puede saber que existe.",
    409: "El recurso cambió o su estado no permite la operación.",
    413: "El contenido enviado pasa del límite.",
    422: "Los datos enviados no son válidos (`details.campos` dice cuáles).",
    423: "La cuenta está bloqueada por intentos fallidos.",
    429: "Demasiadas solicitudes; `Retry-After` dice cuándo intentar de nuevo.",
    502: "Un servicio interno respondió algo que no se pudo usar.",
    503: "Un servicio o la base de datos no está disponible; intente de nuevo.",
}


class ErrorBody(BaseModel):
    """Toda respuesta de error: un código estable (en inglés) para los programas y un mensaje en español."""

    model_config = ConfigDict(extra="forbid", title="ErrorBody")

    code: str = Field(description="Identificador estable en inglés, p. ej. `not_found`, `csrf_failed`.")
    message: str = Field(description="Mensaje en español para la persona.")
    details: dict[str, Any] | None = Field(
        default=None, description="Datos del error, p. ej. `campos` con los campos no válidos."
    )


REF_TEMPLATE = "#/components/schemas/{model}"
ERROR_REF = {"$ref": REF_TEMPLATE.format(model="ErrorBody")}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's `responses=` for these error statuses, each with the shared error body."""
    return {s: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[s]} for s in statuses}


def _document_error(responses: dict[str, Any], status: int) -> None:
    """`status` answers the error body, unless the route documented its own body for it."""
    entry = responses.setdefault(str(status), {})
    content = entry.get("content")
    if not content or "HTTPValidationError" in json.dumps(content):
        entry["content"] = {"application/json": {"schema": ERROR_REF}}
    if entry.get("description") in (None, "", "Validation Error"):
        entry["description"] = ERROR_DESCRIPTIONS.get(status, "Error.")


def _document_success(responses: dict[str, Any], answers: Mapping[int, Any], schemas: dict[str, Any]) -> None:
    for key in [k for k in responses if k.startswith("2")]:
        if int(key) not in answers:
            del responses[key]
    for status, kind in answers.items():
        entry = responses.setdefault(str(status), {})
        entry.setdefault("description", "Respuesta correcta." if status < 300 else "Redirección.")
        if kind is None:
            entry.pop("content", None)
        elif isinstance(kind, dict):  # the content by media type: a schema, or a model to document
            entry["content"] = {
                media: value if isinstance(value, dict) else {"schema": _schema_of(value, schemas)}
                for media, value in kind.items()
            }
        elif kind is bytes:
            entry["content"] = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
        else:
            entry["content"] = {"application/json": {"schema": _schema_of(kind, schemas)}}


def _schema_of(kind: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of `kind`, its models kept in the document's components."""
    schema = TypeAdapter(kind).json_schema(ref_template=REF_TEMPLATE, mode="serialization")
    found = schema.pop("$defs", {})
    if isinstance(kind, type) and issubclass(kind, BaseModel) and "$ref" not in schema:
        found[kind.__name__] = schema
        schema = {"$ref": REF_TEMPLATE.format(model=kind.__name__)}
    for name, definition in found.items():
        schemas.setdefault(name, definition)  # a model a route already declares is documented as is
    return schema


def internal_error_statuses(route: Any, method: str, operation: dict[str, Any]) -> set[int]:
    """What a service's internal route can answer besides success: 403 without the internal token
    (or the caller), 404 for a resource in its path, 409 on a change, 422 on input, 413 on an
    upload, 503."""
    found = {503}
    if route.path_format.startswith("/internal"):
        found.add(403)
    if path_parameters(operation):
        found.add(404)
    if method in MUTATING_METHODS:
        found.add(409)
    if has_parameters(operation):
        found.add(422)
    if takes_body(operation):
        found.add(413)
    return found


StatusRule = Callable[[Any, str, dict[str, Any]], Iterable[int]]
# The success answers of an operation, when its route returns a service's JSON as it comes: status
# -> the type of the body (a model, `list[Model]`, `dict[str, int]`, ...), `bytes` for a PDF, a
# dict for the OpenAPI content itself (by media type), or None for no body (a redirect).
SuccessRule = Callable[[Any, str], Mapping[int, Any] | None]
SecurityRule = Callable[[Any, str], list[dict[str, list[str]]] | None]


def document_errors(
    app: FastAPI,
    statuses: StatusRule,
    *,
    security: SecurityRule | None = None,
    security_schemes: Mapping[str, dict[str, Any]] | None = None,
    success: SuccessRule | None = None,
) -> None:
    """Make `app.openapi()` document, on every operation, the error statuses `statuses(route,
    method, operation)` gives (with `ErrorBody`; FastAPI's own 422 schema is replaced, since the
    handlers never answer it), `security(route, method)` and `success(route, method)` when given
    (the latter replaces the success answers FastAPI inferred)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["ErrorBody"] = ErrorBody.model_json_schema(
            ref_template=REF_TEMPLATE
        )
        if security_schemes:
            components["securitySchemes"] = dict(security_schemes)
        for context in routing.iter_route_contexts(app.routes):
            if not isinstance(context.original_route, routing.APIRoute) or not context.include_in_schema:
                continue
            for method in sorted(context.methods or ()):
                operation = schema["paths"].get(context.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                if success is not None and (answers := success(context, method)):
                    _document_success(responses, answers, components.setdefault("schemas", {}))
                declared = {int(k) for k in responses if k.isdigit() and int(k) >= 400}
                for status in sorted(declared | set(statuses(context, method, operation))):
                    _document_error(responses, status)
                if security is not None and (needed := security(context, method)) is not None:
                    operation["security"] = needed
        _drop_unused(components.get("schemas", {}), schema, ("HTTPValidationError", "ValidationError"))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _drop_unused(schemas: dict[str, Any], document: dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        ref = f'"#/components/schemas/{name}"'
        held = schemas.pop(name, None)
        if held is not None and ref in json.dumps(document):
            schemas[name] = held


def has_parameters(operation: dict[str, Any]) -> bool:
    """Whether the operation takes any parameter or body (so its input can be refused with 422)."""
    return bool(operation.get("parameters") or operation.get("requestBody"))


def path_parameters(operation: dict[str, Any]) -> bool:
    """Whether the operation names a resource in its path (so it can answer 404)."""
    return any(p.get("in") == "path" for p in operation.get("parameters", ()))


def takes_body(operation: dict[str, Any]) -> bool:
    """Whether the operation takes a body: every body has a limit (`signum.platform.uploads`: the
    route's own, else `max_body_bytes`), so it can answer 413."""
    return bool(operation.get("requestBody", {}).get("content"))
