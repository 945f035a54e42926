"""Issue 13, class 7, the pieces: internal path segments are percent-encoded, correlation ids are
short printable ASCII or replaced, JSON nested past the limit is refused with 422 by the middleware
(in one chunk or spread over many), and an unexpected error is logged without its message."""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Body, FastAPI

from signum.platform.http import (
    MAX_JSON_DEPTH,
    JsonDepthLimit,
    JsonDepthScanner,
    install_error_handlers,
    segment,
    valid_correlation_id,
)


def test_a_segment_keeps_every_character_inside_it() -> None:
    assert segment("019a-OID") == "019a-OID"
    assert segment("OID?x") == "OID%3Fx"
    assert segment("OID#x") == "OID%23x"
    assert segment("sha256/abc") == "sha256%2Fabc"
    assert segment("a\x0bb") == "a%0Bb"
    assert segment("unidad:7") == "unidad%3A7"
    assert segment("..") == "%2E%2E"
    assert segment(".") == "%2E"
    assert segment(3) == "3"
    # URL normalisation would resolve a bare `..`: the encoded one stays a segment.
    assert httpx.URL("http://x/internal/oficios/../versiones").raw_path == b"/internal/versiones"
    url = httpx.URL(f"http://x/internal/oficios/{segment('..')}/versiones")
    assert url.raw_path == b"/internal/oficios/%2E%2E/versiones"


def test_a_correlation_id_is_short_printable_ascii_or_a_new_one() -> None:
    assert valid_correlation_id("traza-123") == "traza-123"
    for odd in ("ñandú", "a\x0bb", "a b", "a" * 129, "", None):
        fresh = valid_correlation_id(odd)
        assert fresh != odd
        assert len(fresh) == 32
        assert fresh.isalnum()


def _nested(depth: int) -> Any:
    value: Any = "hoja"
    for _ in range(depth):
        value = [value]
    return value


def test_the_scanner_counts_brackets_outside_strings_across_chunks() -> None:
    deep = json.dumps(_nested(MAX_JSON_DEPTH + 1)).encode()
    assert JsonDepthScanner().too_deep(deep)
    assert not JsonDepthScanner().too_deep(json.dumps(_nested(MAX_JSON_DEPTH)).encode())
    scanner = JsonDepthScanner()
    assert not any(scanner.too_deep(deep[i : i + 1]) for i in range(MAX_JSON_DEPTH))
    assert any(scanner.too_deep(deep[i : i + 1]) for i in range(MAX_JSON_DEPTH, len(deep)))
    # Brackets inside strings (escaped quotes included) do not count.
    text = json.dumps({"texto": "[" * 100 + '\\"{' * 100}).encode()
    assert not JsonDepthScanner().too_deep(text)


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(JsonDepthLimit)

    @app.post("/eco")
    async def eco(body: Annotated[Any, Body()]) -> Any:
        return {"ok": True}

    return app


async def test_a_too_deep_body_is_refused_with_422_whatever_its_content_type(app: FastAPI) -> None:
    deep = json.dumps({"contenido": _nested(255)}).encode()
    shallow = json.dumps({"contenido": _nested(10)}).encode()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for headers in (
            {"Content-Type": "application/json"},
            {"Content-Type": "application/merge-patch+json"},
            {},
        ):
            refused = await client.post("/eco", content=deep, headers=headers)
            assert refused.status_code == 422, headers
            assert refused.json()["code"] == "json_too_deep"
            assert (await client.post("/eco", content=shallow, headers=headers)).status_code == 200

        async def chunks() -> Any:
            for i in range(0, len(deep), 7):
                yield deep[i : i + 7]

        streamed = await client.post("/eco", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 422
        other = await client.post("/eco", content=deep, headers={"Content-Type": "text/plain"})
        assert other.status_code != 500


def test_a_body_without_content_type_is_scanned_only_if_it_looks_like_json() -> None:
    binary = b"%PDF-1.7\n" + b"[{" * 500  # a raw PDF posted without a content type
    assert not JsonDepthScanner(sniff=True).too_deep(binary)
    scanner = JsonDepthScanner(sniff=True)
    assert not scanner.too_deep(b"  \n")
    assert scanner.too_deep(b" " + b"[" * (MAX_JSON_DEPTH + 1))
