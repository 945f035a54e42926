"""HTTP plumbing shared by the gateway and the services' internal APIs: error rendering,
request metrics, correlation ids, the internal-call token and a client for internal calls."""

from __future__ import annotations

import hmac
import json as json_module
import re
import time
import traceback
import unicodedata
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from contextvars import ContextVar
from typing import Any, Literal
from urllib.parse import quote
from uuid import uuid4

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from signum.platform.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    SignumError,
    UnauthorizedError,
    UnavailableError,
    ValidationFailedError,
)
from signum.platform.identity import Caller
from signum.platform.logging import bind_correlation_id, get_logger
from signum.platform.metrics import ServiceMetrics
from signum.platform.text import (
    NULL_NOT_ALLOWED_CODE,
    NULL_NOT_ALLOWED_MESSAGE,
    UNSAFE_TEXT_CODE,
    UNSAFE_TEXT_MESSAGE,
)
from signum.platform.uploads import BodyLimit, BodyRule, ErrorRenderer, render_json

CORRELATION_HEADER = "X-Correlation-ID"
INTERNAL_TOKEN_HEADER = "X-Signum-Internal-Token"  # noqa: S105 - a header name, not a secret
CALLER_HEADER = "X-Signum-Caller"

log = get_logger(__name__)

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current_correlation_id() -> str:
    """The correlation id of the request being served (a new one outside a request)."""
    return _correlation_id.get() or uuid4().hex


def segment(value: str | int) -> str:
    """One path segment of an internal URL, percent-encoded: `?`, `#`, `/`, control characters or
    `..` in an id stay inside that segment instead of reaching another route. Build every internal
    path with it: `f"/internal/oficios/{segment(oficio_id)}/versiones"`."""
    text = str(value)
    if text in {"", ".", ".."}:
        # An empty or dot segment would be dropped or resolved by URL normalisation.
        return text.replace(".", "%2E") or "%20"
    return quote(text, safe="")


_HTTP_STATUS_MESSAGES = {
    404: ("not_found", "No se encontró el recurso solicitado."),
    405: ("method_not_allowed", "Método no permitido para este recurso."),
    401: ("unauthorized", "Se requiere autenticación."),
    403: ("forbidden", "No tiene permiso para realizar esta acción."),
    413: ("payload_too_large", "El contenido enviado es demasiado grande."),
    415: ("unsupported_media_type", "Tipo de contenido no admitido."),
}


# A callee's error is raised again as the same class, so callers can catch e.g. NotFoundError.
_ERROR_CLASSES: dict[int, type[SignumError]] = {
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationFailedError,
}


_BODY_UNREADABLE = "No se pudo leer el cuerpo de la solicitud: envíe JSON (UTF-8) o un formulario válido."

_VALIDATION_RULES = {
    UNSAFE_TEXT_CODE: (UNSAFE_TEXT_CODE, UNSAFE_TEXT_MESSAGE),
    NULL_NOT_ALLOWED_CODE: (NULL_NOT_ALLOWED_CODE, NULL_NOT_ALLOWED_MESSAGE),
}


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """A `Content-Disposition` value for `filename` (RFC 6266): an ASCII fallback and `filename*`.

    Quotes, backslashes and control characters cannot break out of the quoted fallback; the exact
    name travels percent-encoded in UTF-8 (RFC 5987).
    """
    name = "".join(" " if unicodedata.category(c) == "Cc" else c for c in filename).strip() or "archivo"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = "".join("_" if c in '"\\%' else c for c in ascii_name).strip() or "archivo"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def error_response(error: SignumError) -> JSONResponse:
    """Render a SignumError as its JSON body and status."""
    return JSONResponse(error.to_body(), status_code=error.status_code, headers=error.headers or None)


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as `{code, message[, details]}` with a Spanish message; never a bare 500."""

    @app.exception_handler(SignumError)
    async def _signum(_: Request, exc: SignumError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {
                "campo": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                "error": err.get("type", "invalid"),
            }
            for err in exc.errors()
        ]
        # One known rule broken by every field: its own stable code and message.
        kinds = {f["error"] for f in fields}
        code, message = "validation_failed", "Los datos enviados no son válidos. Revise los campos indicados."
        if len(kinds) == 1 and (known := _VALIDATION_RULES.get(next(iter(kinds)))):
            code, message = known
        return error_response(ValidationFailedError(message, code=code, details={"campos": fields}))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI/Starlette could not read the body (not UTF-8, a broken multipart form): it is
            # refused like any other invalid input.
            return error_response(ValidationFailedError(_BODY_UNREADABLE, code="body_unreadable"))
        code, message = _HTTP_STATUS_MESSAGES.get(
            exc.status_code, ("http_error", "La solicitud no se pudo procesar.")
        )
        return JSONResponse({"code": code, "message": message}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log_unexpected(exc)
        return JSONResponse(
            {"code": "internal_error", "message": "Ocurrió un error inesperado. Intente de nuevo."},
            status_code=500,
        )


def log_unexpected(exc: BaseException) -> None:
    """Log an unexpected error by its type and where it happened, never by its message: the
    message of a validation error quotes the data (a request or response body, an oficio)."""
    log.error(
        "unhandled error",
        error=type(exc).__name__,
        where="".join(traceback.format_tb(exc.__traceback__)[-8:]),
    )


# A correlation id we echo and pass on: short printable ASCII (a UUID, a trace id). Anything else
# (non-ASCII, control characters, too long) is replaced by a fresh one, never echoed.
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


def valid_correlation_id(value: str | None) -> str:
    """`value` if it is a usable correlation id, else a new one."""
    if value and _CORRELATION_ID.fullmatch(value):
        return value
    return uuid4().hex


MAX_JSON_DEPTH = 32
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024  # a route without a limit of its own (JSON, small forms)
_JSON_PREFIX = 1 << 20  # bytes held back to answer 422 before the app reads the body


class JsonDepthScanner:
    """Follows the brackets of a JSON text outside strings, chunk by chunk (no parsing): says when
    arrays/objects nest deeper than `limit`."""

    def __init__(self, limit: int = MAX_JSON_DEPTH, *, sniff: bool = False) -> None:
        self.limit = limit
        self.depth = 0
        self.in_string = False
        self.escaped = False
        # `sniff`: the body may not be JSON at all (no content type): it is scanned only if it
        # starts with `{` or `[`; anything else (a PDF, say) is left alone (`off`).
        self.sniff = sniff
        self.off = False

    def too_deep(self, chunk: bytes) -> bool:
        """Feed the next chunk; True once the nesting went past the limit."""
        if self.off:
            return False
        if self.sniff:
            start = chunk.lstrip()
            if not start:
                return False
            self.sniff = False
            if start[:1] not in (b"{", b"["):
                self.off = True
                return False
        depth, in_string, escaped = self.depth, self.in_string, self.escaped
        exceeded = False
        for byte in chunk:
            if in_string:
                if escaped:
                    escaped = False
                elif byte == 0x5C:  # backslash
                    escaped = True
                elif byte == 0x22:  # quote
                    in_string = False
            elif byte == 0x22:
                in_string = True
            elif byte in (0x5B, 0x7B):  # [ {
                depth += 1
                if depth > self.limit:
                    exceeded = True
                    break
            elif byte in (0x5D, 0x7D):  # ] }
                depth -= 1
        self.depth, self.in_string, self.escaped = depth, in_string, escaped
        return exceeded


def _too_deep_error(limit: int) -> ValidationFailedError:
    return ValidationFailedError(
        f"Los datos enviados tienen demasiados niveles anidados (máximo {limit}).", code="json_too_deep"
    )


class JsonDepthLimit:
    """ASGI middleware: a JSON body nested deeper than `MAX_JSON_DEPTH` is refused with 422 before
    the app parses it (deep nesting reached recursion limits and the database's nesting limit). A
    body without a content type is checked too if it starts like JSON (FastAPI reads it as JSON); a
    raw PDF without one is left alone. The first MiB is held back and scanned; past it the body
    streams on, still scanned (a deep tail ends the read with a 4xx)."""

    def __init__(self, app: Any, limit: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kind = _json_kind(scope) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        scanner = JsonDepthScanner(self.limit, sniff=kind == "maybe")
        held: list[dict[str, Any]] = []
        size = 0
        while True:
            message = await receive()
            held.append(message)
            if message["type"] != "http.request":
                break
            body = message.get("body", b"")
            if scanner.too_deep(body):
                await error_response(_too_deep_error(self.limit))(scope, receive, send)
                return
            size += len(body)
            if not message.get("more_body", False) or size > _JSON_PREFIX or scanner.off:
                break
        pending = iter(held)

        async def replay() -> Any:
            message = next(pending, None)
            if message is not None:
                return message
            message = await receive()
            if message["type"] == "http.request" and scanner.too_deep(message.get("body", b"")):
                raise _too_deep_error(self.limit)
            return message

        await self.app(scope, replay, send)


def _json_kind(scope: Any) -> Literal["json", "maybe"] | None:
    """ "json" for a JSON content type, "maybe" without one (FastAPI reads it as JSON), else None."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind = bytes(value).split(b";", 1)[0].strip().lower()
            return "json" if kind == b"application/json" or kind.endswith(b"+json") else None
    return "maybe"


def install_request_middleware(
    app: FastAPI,
    metrics: ServiceMetrics,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    body_rules: Sequence[BodyRule] = (),
    render_error: ErrorRenderer = render_json,
) -> None:
    """Bind a correlation id to each request, record request count and duration by route, refuse
    a body past its route's limit while it streams (`BodyLimit`: `body_rules`, else
    `max_body_bytes`) and JSON bodies nested too deep (`JsonDepthLimit`)."""
    app.add_middleware(JsonDepthLimit)
    app.add_middleware(BodyLimit, default=max_body_bytes, rules=body_rules, render=render_error)

    @app.middleware("http")
    async def _observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.correlation_id = valid_correlation_id(request.headers.get(CORRELATION_HEADER))
        _correlation_id.set(request.state.correlation_id)
        bind_correlation_id(request.state.correlation_id)
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers[CORRELATION_HEADER] = request.state.correlation_id
            return response
        finally:
            route = request.scope.get("route")
            path = getattr(route, "path", "unmatched")
            metrics.http_requests.labels(request.method, path, str(status)).inc()
            metrics.http_duration.labels(request.method, path).observe(time.perf_counter() - started)


InternalGuard = Callable[[Request], Awaitable[None]]


def internal_token_guard(token: SecretStr) -> InternalGuard:
    """A FastAPI dependency refusing internal calls without the shared token."""
    expected = token.get_secret_value().encode()

    async def _guard(request: Request) -> None:
        given = request.headers.get(INTERNAL_TOKEN_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            raise ForbiddenError("Llamada interna no autorizada.", code="internal_token_invalid")

    return _guard


def caller_from_request(request: Request) -> Caller:
    """The caller the gateway authenticated, as stated on an internal call."""
    raw = request.headers.get(CALLER_HEADER)
    if not raw:
        raise ForbiddenError("Falta la identidad de quien realiza la solicitud.", code="caller_missing")
    try:
        return Caller.model_validate_json(raw)
    except ValueError:
        raise ForbiddenError("La identidad de la solicitud no es válida.", code="caller_invalid") from None


# How a person reads each service's name in an error message ("El servicio de redacción no responde").
SERVICE_NAMES = {
    "drafting": "de redacción",
    "signing": "de firma electrónica",
    "routing": "de entregas y bandejas",
    "storage": "de archivo de documentos",
    "metrics": "de indicadores",
    "gateway": "principal",
}


def service_name(service: str) -> str:
    """`drafting` -> `de redacción`, for messages shown to users."""
    return SERVICE_NAMES.get(service, "interno")


# A client drops an idle connection well before any server of ours does (ServiceSettings.
# http_keep_alive_seconds), so it never sends on a connection the server is closing.
INTERNAL_KEEPALIVE_SECONDS = 30.0


def internal_limits() -> httpx.Limits:
    """Connection pool limits of every service-to-service client."""
    return httpx.Limits(keepalive_expiry=INTERNAL_KEEPALIVE_SECONDS)


class InternalClient:
    """Calls another service's internal API with the token, the caller and the correlation id.

    Errors come back as SignumError with the callee's code and message; an unreachable or failing
    callee becomes a retryable 503 so the user sees a Spanish message, not a 500.
    """

    def __init__(self, service: str, base_url: str, token: SecretStr, *, timeout: float = 10.0) -> None:
        self.service = service
        self._token = token
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=internal_limits())

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        caller: Caller | None = None,
        correlation_id: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON body."""
        return await self._send(
            "request",
            path,
            method=method,
            json=json,
            params=params,
            headers=self._headers(caller, correlation_id),
        )

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        """The callee's `/readyz`: whether it is ready and its checks (a 503 is an answer, not an error)."""
        try:
            response = await self._client.get("/readyz")
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise UnavailableError(code=f"{self.service}_unavailable") from exc
        checks = body.get("checks") if isinstance(body, dict) else None
        return response.status_code == 200, checks if isinstance(checks, dict) else {}

    async def stream_upload(
        self,
        path: str,
        content: AsyncIterable[bytes],
        *,
        caller: Caller | None = None,
        correlation_id: str | None = None,
        params: dict[str, Any] | None = None,
        content_type: str = "application/octet-stream",
        upload_timeout: float = 600.0,
    ) -> Any:
        """POST a body streamed from `content` (never held whole in memory); returns the JSON body."""
        headers = self._headers(caller, correlation_id) | {"Content-Type": content_type}
        return await self._send(
            "upload",
            path,
            method="POST",
            content=content,
            params=params,
            headers=headers,
            timeout=upload_timeout,
        )

    def _headers(self, caller: Caller | None, correlation_id: str | None) -> dict[str, str]:
        headers = {INTERNAL_TOKEN_HEADER: self._token.get_secret_value()}
        if caller is not None:
            # Header values are ASCII: names with accents travel as JSON \u escapes.
            headers[CALLER_HEADER] = json_module.dumps(caller.model_dump(mode="json"), ensure_ascii=True)
        if correlation_id:
            headers[CORRELATION_HEADER] = correlation_id
        return headers

    async def _send(self, what: str, path: str, *, method: str, **kwargs: Any) -> Any:
        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise self._unreachable(what, path, exc) from exc
        self._check(response)
        return response.json() if response.content else None

    def _unreachable(self, what: str, path: str, exc: Exception) -> UnavailableError:
        """The error for a callee that could not be reached or broke off (logged, retryable 503)."""
        log.warning(f"internal {what} failed", service=self.service, path=path, error=repr(exc))
        return UnavailableError(
            f"El servicio {service_name(self.service)} no responde. Intente de nuevo en unos minutos.",
            code=f"{self.service}_unavailable",
        )

    def _check(self, response: httpx.Response) -> None:
        """Raise the callee's error for a 4xx (same class, code and message), a 503 for a 5xx.
        A streamed response must have been read (`aread`) before."""
        if response.status_code >= 500:
            raise UnavailableError(
                f"El servicio {service_name(self.service)} no pudo atender la solicitud.",
                code=f"{self.service}_unavailable",
            )
        if response.status_code >= 400:
            try:
                body = response.json() if response.content else None
            except ValueError:
                body = None
            body = body if isinstance(body, dict) else {}
            error_class = _ERROR_CLASSES.get(response.status_code, SignumError)
            raise error_class(
                str(body.get("message") or "La solicitud no se pudo procesar."),
                code=str(body.get("code") or "error"),
                status_code=response.status_code,
                details=body.get("details") if isinstance(body.get("details"), dict) else None,
            )
