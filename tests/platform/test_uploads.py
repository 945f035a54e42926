"""Issue 13, class 2, the pieces: a body is refused past its route's limit whether it declares its
length or not, whatever the route does with it; a form's fields each have a cap checked as they
stream; a spool refuses past its limit. The real processes are measured in
tests/e2e/test_upload_limits.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.responses import PlainTextResponse, Response

from signum.platform.errors import SignumError
from signum.platform.http import install_error_handlers
from signum.platform.uploads import (
    KIB,
    MIB,
    BodyLimit,
    BodyRule,
    BodyTooLargeError,
    Limit,
    MultipartBody,
    field_limit,
    format_size,
    read_form,
    spool,
)


async def _chunks(size: int, piece: int = 16 * KIB) -> AsyncIterator[bytes]:
    sent = 0
    while sent < size:
        yield b"x" * min(piece, size - sent)
        sent += piece


class Nombre(BaseModel):
    nombre: str


@pytest.fixture
def seen() -> list[str]:
    return []


@pytest.fixture
def app(seen: list[str]) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    pdf = Limit(64 * KIB, "pdf_too_large", "El PDF excede el máximo de {maximo}.")
    app.add_middleware(
        BodyLimit,
        default=8 * KIB,
        rules=[BodyRule("POST", "/oficios/{oficio_id}/pdf", pdf)],
    )

    @app.post("/oficios/{oficio_id}/pdf")
    async def raw(oficio_id: str, request: Request) -> dict[str, Any]:
        seen.append("raw")
        return {"tamano": len(await request.body())}

    @app.post("/json")
    async def model(body: Nombre) -> dict[str, Any]:
        seen.append("json")
        return {"ok": True}

    @app.post("/formulario")
    async def form(request: Request) -> dict[str, Any]:
        caps = {"cer": 4 * KIB, "archivo": Limit(3 * MIB, "pdf_too_large", "El PDF excede {maximo}.")}
        form = await read_form(request, caps, default=KIB)
        try:
            archivo = form.get("archivo")
            return {
                "password": form.get("password"),
                "oficio_ids": form.getlist("oficio_ids"),
                "archivo": len(await archivo.read()) if isinstance(archivo, UploadFile) else None,
            }
        finally:
            await form.close()

    return app


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def test_a_rule_matches_its_route_template_only() -> None:
    rule = BodyRule("POST", "/api/v1/oficios/{oficio_id}/anexos", Limit(10))
    assert rule.matches("POST", "/api/v1/oficios/OF-1/anexos")
    assert not rule.matches("PUT", "/api/v1/oficios/OF-1/anexos")
    assert not rule.matches("POST", "/api/v1/oficios/OF-1/x/anexos")
    assert not rule.matches("POST", "/api/v1/oficios/OF-1/anexos/extra")
    assert not rule.matches("POST", "/api/v1/oficios.x/OF-1/anexos".replace(".x", "X"))
    assert (format_size(30 * MIB), format_size(32 * KIB), format_size(512)) == ("30 MB", "32 KB", "512 bytes")


async def test_a_declared_length_past_the_limit_is_refused_before_the_route_runs(
    app: FastAPI, seen: list[str]
) -> None:
    async with _client(app) as client:
        refused = await client.post("/oficios/OF-1/pdf", content=b"x" * (64 * KIB + 1))
        assert refused.status_code == 413
        assert refused.json() == {
            "code": "pdf_too_large",
            "message": "El PDF excede el máximo de 64 KB.",
            "details": {"maximo_bytes": 64 * KIB},
        }
        # Other routes have the default limit.
        other = await client.post("/json", content=b'{"nombre": "' + b"a" * 8 * KIB + b'"}')
        assert (other.status_code, other.json()["code"]) == (413, "body_too_large")
        assert other.json()["message"] == "El contenido enviado excede el máximo permitido de 8 KB."
        assert seen == []
        accepted = await client.post("/oficios/OF-1/pdf", content=b"x" * 64 * KIB)
        assert accepted.json() == {"tamano": 64 * KIB}


async def test_a_chunked_body_is_refused_when_it_passes_the_limit(app: FastAPI, seen: list[str]) -> None:
    async with _client(app) as client:
        refused = await client.post("/oficios/OF-1/pdf", content=_chunks(10 * MIB))
        assert (refused.status_code, refused.json()["code"]) == (413, "pdf_too_large")
        # FastAPI turns a failed read of a model's body into a 400: the client still gets the 413.
        model = await client.post(
            "/json", content=_chunks(20 * KIB), headers={"content-type": "application/json"}
        )
        assert (model.status_code, model.json()["code"]) == (413, "body_too_large")
        accepted = await client.post("/oficios/OF-1/pdf", content=_chunks(60 * KIB))
        assert accepted.json() == {"tamano": 60 * KIB}
    assert seen == ["raw", "raw"]


async def test_a_field_cap_passed_before_the_body_limit_answers_in_one_read(app: FastAPI) -> None:
    """However the server groups the bytes into reads, the limit passed first in the body answers:
    a field over its cap inside the first 8 KB is `field_too_large` even when the read that holds
    it also passes the route's limit (a loaded server hands over what piled up at once)."""
    boundary = "b0undary"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="cer"; filename="f.cer"\r\n\r\n'.encode()
    body = head + b"x" * (20 * KIB) + f"\r\n--{boundary}--\r\n".encode()

    async def one_read(data: bytes) -> AsyncIterator[bytes]:
        yield data

    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    async with _client(app) as client:
        field = await client.post("/formulario", content=one_read(body), headers=headers)
        assert (field.status_code, field.json()["code"]) == (413, "field_too_large")
        assert field.json()["details"] == {"maximo_bytes": 4 * KIB, "campo": "cer"}
        # A field within its cap up to the limit: the body's limit answers.
        archivo = f'--{boundary}\r\nContent-Disposition: form-data; name="archivo"; filename="a.pdf"\r\n\r\n'
        whole = await client.post(
            "/formulario",
            content=one_read(archivo.encode() + b"x" * (20 * KIB)),
            headers=headers,
        )
        assert (whole.status_code, whole.json()["code"]) == (413, "body_too_large")


async def test_each_field_of_a_form_has_its_cap(app: FastAPI) -> None:
    app.user_middleware.clear()  # only the form's caps here
    app.middleware_stack = None
    async with _client(app) as client:
        files = {"archivo": ("a.pdf", b"%PDF" + b"x" * (2 * MIB), "application/pdf")}
        data = {"password": "secreto", "oficio_ids": ["OF-1", "OF-2"]}
        ok = await client.post("/formulario", data=data, files=files)
        assert ok.json() == {"password": "secreto", "oficio_ids": ["OF-1", "OF-2"], "archivo": 2 * MIB + 4}

        cer = await client.post("/formulario", data=data, files={"cer": ("f.cer", b"x" * (4 * KIB + 1))})
        assert cer.status_code == 413
        assert cer.json() == {
            "code": "field_too_large",
            "message": "El campo «cer» excede el máximo de 4 KB.",
            "details": {"maximo_bytes": 4 * KIB, "campo": "cer"},
        }
        big = await client.post("/formulario", files={"archivo": ("a.pdf", b"x" * (3 * MIB + 1))})
        assert (big.status_code, big.json()["code"]) == (413, "pdf_too_large")
        # A field without a cap of its own has the default one, text or file.
        other = await client.post(
            "/formulario", data={"password": "x" * (KIB + 1)}, files={"archivo": ("a.pdf", b"%PDF")}
        )
        assert other.json()["details"] == {"maximo_bytes": KIB, "campo": "password"}
        broken = await client.post(
            "/formulario", content=b"--b\r\nnada", headers={"content-type": "multipart/form-data"}
        )
        assert (broken.status_code, broken.json()["code"]) == (422, "form_invalid")


async def test_the_413_can_be_rendered_as_a_page() -> None:
    async def endpoint(scope: Any, receive: Any, send: Any) -> None:
        await PlainTextResponse("nunca")(scope, receive, send)

    def page(_: Any, error: SignumError) -> Response:
        return PlainTextResponse(f"Página: {error.message}", status_code=error.status_code)

    limited = BodyLimit(endpoint, default=KIB, render=page)
    async with _client(limited) as client:
        refused = await client.post("/x", content=b"x" * (KIB + 1))
    assert (refused.status_code, refused.text) == (
        413,
        "Página: El contenido enviado excede el máximo permitido de 1 KB.",
    )


async def test_a_spool_refuses_past_its_limit_and_keeps_what_fits() -> None:
    limit = field_limit(2 * MIB)
    with await spool(_chunks(2 * MIB), limit) as kept:
        assert len(kept.read()) == 2 * MIB
    with pytest.raises(BodyTooLargeError) as refused:
        await spool(_chunks(3 * MIB), limit)
    assert refused.value.status_code == 413


async def test_a_form_made_on_the_fly_reads_back_field_by_field(app: FastAPI) -> None:
    app.user_middleware.clear()
    app.middleware_stack = None
    fields = {"password": "contraseña «segura»\r\n--no es un separador", "oficio_ids": "OF-1"}
    body = MultipartBody(fields, "archivo", "escaneo del día.pdf", _chunks(2 * MIB + 3), "application/pdf")
    async with _client(app) as client:
        answer = await client.post(
            "/formulario", content=body.stream(), headers={"content-type": body.content_type}
        )
    assert answer.json() == {"password": fields["password"], "oficio_ids": ["OF-1"], "archivo": 2 * MIB + 3}
