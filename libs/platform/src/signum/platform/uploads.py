"""Request bodies with bounded memory.

Every request body is refused past its route's limit while it streams (`BodyLimit`: a declared
`Content-Length` over the limit is answered before a byte is read; otherwise the bytes are counted
as they arrive). A multipart form is read with a cap per field (`read_form`) and its files go to a
spool that rolls to disk; a raw body that must be held goes to the same kind of spool (`spool`).
Nothing an attacker sends is kept whole in memory: past the limit the rest of the body is read
and dropped by the server, never buffered.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from tempfile import SpooledTemporaryFile
from typing import Any, BinaryIO
from urllib.parse import quote
from uuid import uuid4

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from signum.platform.errors import SignumError, ValidationFailedError
from signum.platform.logging import get_logger

logger = get_logger(__name__)

KIB = 1024
MIB = 1024 * 1024
SPOOL_IN_MEMORY = MIB  # a spooled body or file past this size lives on disk
CHUNK = 64 * KIB
MULTIPART_ENVELOPE = 64 * KIB  # room for a form's boundaries, part headers and small fields

BODY_TOO_LARGE = "body_too_large"
FIELD_TOO_LARGE = "field_too_large"


class BodyTooLargeError(SignumError):
    """A request body (or one field of a form) is past its limit: 413, refused while it streams."""

    code = BODY_TOO_LARGE
    status_code = 413
    message = "El contenido enviado es demasiado grande."


def format_size(n: int) -> str:
    """A limit for a Spanish message: `30 MB`, `32 KB`, `512 bytes`."""
    if n >= MIB:
        return f"{n / MIB:.0f} MB"
    if n >= KIB:
        return f"{n / KIB:.0f} KB"
    return f"{n} bytes"


@dataclass(frozen=True)
class Limit:
    """A size limit and how passing it is told: a stable code and a Spanish message, where
    `{maximo}` is the limit in words and `{campo}` the form field."""

    bytes: int
    code: str = BODY_TOO_LARGE
    message: str = "El contenido enviado excede el máximo permitido de {maximo}."

    def error(self, campo: str | None = None) -> BodyTooLargeError:
        """The 413 to raise or send."""
        details: dict[str, Any] = {"maximo_bytes": self.bytes}
        if campo is not None:
            details["campo"] = campo
        message = self.message.format(maximo=format_size(self.bytes), campo=campo or "")
        return BodyTooLargeError(message, code=self.code, details=details)


def field_limit(limit: int) -> Limit:
    """The usual limit of one form field (`field_too_large`, naming the field)."""
    return Limit(limit, FIELD_TOO_LARGE, "El campo «{campo}» excede el máximo de {maximo}.")


_PARAM = re.compile(r"\{[^}/]+\}")


@dataclass(frozen=True)
class BodyRule:
    """The body limit of one route: its method and path as declared (`/api/v1/oficios/{id}/anexos`)."""

    method: str
    path: str
    limit: Limit
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = _PARAM.split(self.path)
        regex = "[^/]+".join(re.escape(p) for p in parts)
        object.__setattr__(self, "pattern", re.compile(regex))

    def matches(self, method: str, path: str) -> bool:
        """Whether a request to `method path` falls under this rule."""
        return method == self.method and self.pattern.fullmatch(path) is not None


ErrorRenderer = Callable[[Scope, SignumError], Response]


def render_json(_: Scope, error: SignumError) -> Response:
    """The platform's JSON error body, `{code, message, details}`."""
    from signum.platform.http import error_response  # http imports this module

    return error_response(error)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = bytes(value).strip()
            return int(text) if text.isdigit() else None
    return None


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


class BodyLimit:
    """ASGI middleware: each request's body is limited by its route's `BodyRule`, or `default`.

    A `Content-Length` over the limit is answered 413 at once; a body without one (chunked) or
    lying about it is counted as it arrives. The read that would pass the limit gets the bytes up
    to it (a cap the application checks within them, e.g. a form field's, was passed first and
    its refusal stands, however the server grouped the bytes into reads); the next read raises the
    413. Whatever the application answers after that (the error rendered by its handlers, a 400
    from a form parser, a 500), or a success without reading on, the client gets the 413. The
    server drops the rest of the body as it arrives (uvicorn discards a body the application did
    not read), so nothing past the limit is buffered."""

    def __init__(
        self,
        app: Any,
        *,
        default: int,
        rules: Sequence[BodyRule] = (),
        render: ErrorRenderer = render_json,
    ) -> None:
        self.app = app
        self.default = Limit(default)
        self.rules = tuple(rules)
        self.render = render

    def limit_for(self, method: str, path: str) -> Limit:
        """The limit of a request to `method path`."""
        for rule in self.rules:
            if rule.matches(method, path):
                return rule.limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit.bytes:
            await self.render(scope, limit.error())(scope, _nothing, send)
            return
        received = 0
        at_limit = False  # the bytes up to the limit were handed over; more followed
        exceeded = False  # the application asked for more after that
        started = False
        replaced = False

        async def counted() -> Message:
            nonlocal received, at_limit, exceeded
            if exceeded or at_limit:
                exceeded = True
                raise limit.error()
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                if received + len(body) > limit.bytes:
                    at_limit = True
                    fits = body[: limit.bytes - received]
                    received = limit.bytes
                    return {"type": "http.request", "body": fits, "more_body": True}
                received += len(body)
            return message

        async def answer() -> None:
            nonlocal started, replaced
            started = replaced = True
            await self.render(scope, limit.error())(scope, _nothing, send)

        async def guarded(message: Message) -> None:
            nonlocal started
            if replaced:
                return  # the application's own answer to the overflow: the 413 went instead
            # A refusal of the bytes before the limit stands; anything else gets the 413.
            overflowed = exceeded or (at_limit and message.get("status", 200) < 400)
            if message["type"] == "http.response.start" and not started and overflowed:
                await answer()
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception as exc:
            if not exceeded:
                raise
            # The route failed on the body cut at its limit: the client gets the 413, the log the why.
            logger.info("request failed after its body passed the limit", error=type(exc).__name__)
            if not started:
                await answer()


async def spool(chunks: AsyncIterable[bytes], limit: Limit) -> SpooledTemporaryFile[bytes]:
    """The bytes of `chunks` in a temporary file (in memory up to 1 MiB, then on disk), rewound;
    raises `limit`'s 413 as soon as they pass it."""
    # Closed here on failure, by the caller otherwise.
    sink: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    size = 0
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit.bytes:
                raise limit.error()
            if size > SPOOL_IN_MEMORY:
                await asyncio.to_thread(sink.write, chunk)
            else:
                sink.write(chunk)
        sink.seek(0)
    except BaseException:
        sink.close()
        raise
    return sink


async def file_chunks(
    file: BinaryIO | SpooledTemporaryFile[bytes], size: int = CHUNK
) -> AsyncIterator[bytes]:
    """The content of an open file, chunk by chunk, read off the event loop."""
    while chunk := await asyncio.to_thread(file.read, size):
        yield chunk


class _CappedParser(MultiPartParser):
    """Starlette's multipart parser (files spooled to disk past 1 MiB) with a cap per field, checked
    as each part's bytes arrive. It relies on the parser's `_current_part` (Starlette is pinned in
    uv.lock; `tests/platform/test_uploads.py` fails if an upgrade changes it)."""

    def __init__(self, request: Request, caps: Mapping[str, Limit], default: Limit, max_fields: int) -> None:
        super().__init__(
            request.headers,
            request.stream(),
            max_files=max_fields,
            max_fields=max_fields,
            max_part_size=max(default.bytes, *(c.bytes for c in caps.values())) + 1,
        )
        self.caps = caps
        self.default = default
        self.part_size = 0

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self.part_size = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.part_size += end - start
        name = self._current_part.field_name
        cap = self.caps.get(name, self.default)
        if self.part_size > cap.bytes:
            raise cap.error(name)
        super().on_part_data(data, start, end)


async def read_form(
    request: Request,
    caps: Mapping[str, int | Limit],
    *,
    default: int = 16 * KIB,
    max_fields: int = 1000,
) -> FormData:
    """A multipart/form-data request's fields, each refused (413 `field_too_large`, or its own
    `Limit`) as soon as its bytes pass its cap in `caps` (`default` for the others). Files are
    `UploadFile`s spooled to disk past 1 MiB; close them with `form.close()`."""
    limits = {name: cap if isinstance(cap, Limit) else field_limit(cap) for name, cap in caps.items()}
    parser = _CappedParser(request, limits, field_limit(default), max_fields)
    try:
        return await parser.parse()
    except MultiPartException:
        raise ValidationFailedError("El formulario enviado no se pudo leer.", code="form_invalid") from None


def is_multipart(request: Request) -> bool:
    """Whether the request's body is a multipart/form-data form."""
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


async def upload_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    """An uploaded file's content from its start, chunk by chunk."""
    await upload.seek(0)
    while chunk := await upload.read(CHUNK):
        yield chunk


@dataclass(frozen=True)
class MultipartBody:
    """A multipart/form-data body to send: text fields, then one file streamed from `chunks`."""

    fields: Mapping[str, str]
    file_field: str
    filename: str
    chunks: AsyncIterable[bytes]
    file_type: str = "application/octet-stream"
    boundary: str = field(default_factory=lambda: uuid4().hex)

    @property
    def content_type(self) -> str:
        """The request's `Content-Type`, with the boundary."""
        return f"multipart/form-data; boundary={self.boundary}"

    def _disposition(self, name: str, filename: str | None = None) -> str:
        quoted = quote(name, safe="")
        text = f'--{self.boundary}\r\nContent-Disposition: form-data; name="{quoted}"'
        if filename is not None:
            text += f'; filename="{quote(filename, safe="")}"\r\nContent-Type: {self.file_type}'
        return text + "\r\n\r\n"

    async def stream(self) -> AsyncIterator[bytes]:
        """The body, chunk by chunk (the file is never held whole)."""
        head = "".join(self._disposition(n, None) + f"{v}\r\n" for n, v in self.fields.items())
        yield (head + self._disposition(self.file_field, self.filename)).encode("utf-8")
        async for chunk in self.chunks:
            yield chunk
        yield f"\r\n--{self.boundary}--\r\n".encode()
