"""Names of anexos: any name downloads under a Content-Disposition that cannot be broken out of
(RFC 6266: an ASCII fallback and the exact name in `filename*`); control and bidi characters are
refused when the anexo is uploaded."""

from __future__ import annotations

import re
from urllib.parse import unquote

import httpx
import pytest

from signum.platform.errors import ValidationFailedError
from signum.storage.app import Components
from tests.storage.conftest import chunks, official, pdf_bytes, stored_oficio

pytestmark = pytest.mark.stack

TRICKY = 'Informe "final"; filename=malo.exe\nde año\\2026.pdf'


_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAM = re.compile(rf'\s*;\s*({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|{_TOKEN})')


def _parsed(header: str) -> tuple[str, dict[str, str]]:
    """The disposition and its parameters (RFC 6266 grammar: the whole header must parse, and a
    parameter may appear once); `filename*` decoded per RFC 5987."""
    disposition = re.match(_TOKEN, header)
    assert disposition is not None, header
    params: dict[str, str] = {}
    position = disposition.end()
    while position < len(header):
        found = _PARAM.match(header, position)
        assert found is not None, f"unparsable from {position}: {header!r}"
        name, value = found.group(1).lower(), found.group(2)
        assert name not in params, f"{name} twice: {header!r}"
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[name] = value
        position = found.end()
    if "filename*" in params:
        charset, _, encoded = params["filename*"].partition("''")
        assert charset.upper() == "UTF-8"
        params["filename*"] = unquote(encoded, encoding="utf-8", errors="strict")
    return disposition.group(0).lower(), params


async def test_a_name_with_quotes_newlines_and_accents_downloads_as_itself(
    parts: Components,
) -> None:
    oficio_id = await stored_oficio(parts, author="mgarza")
    data = pdf_bytes()
    stored = await parts.service.upload(
        official("mgarza"),
        chunks(data),
        bucket="attachments",
        oficio_id=oficio_id,
        declared_type=None,
        serie=None,
        nombre=TRICKY,
        correlation_id="t",
    )
    signed = await parts.service.presigned_download(official("mgarza"), stored["clave"], None)
    async with httpx.AsyncClient() as http:
        response = await http.get(signed["url"])
    assert response.status_code == 200
    header = response.headers["content-disposition"]
    assert "\n" not in header
    assert "\r" not in header
    assert header.count('"') == 2  # the fallback's own quotes only: nothing breaks out of it
    assert "filename*=UTF-8''" in header
    disposition, params = _parsed(header)
    assert disposition == "attachment"
    assert set(params) == {"filename", "filename*"}
    assert params["filename*"] == TRICKY.replace("\n", " ")  # what a browser saves (RFC 6266)
    assert params["filename"].isascii()
    assert "ano" in params["filename"]


@pytest.mark.parametrize("nombre", ["factura\u202efdp.exe", "anexo\x00.pdf", "a\u2066b.pdf"])
async def test_a_name_with_control_or_bidi_characters_is_refused(parts: Components, nombre: str) -> None:
    oficio_id = await stored_oficio(parts, author="mgarza")
    with pytest.raises(ValidationFailedError) as refused:
        await parts.service.upload(
            official("mgarza"),
            chunks(pdf_bytes()),
            bucket="attachments",
            oficio_id=oficio_id,
            declared_type=None,
            serie=None,
            nombre=nombre,
            correlation_id="t",
        )
    assert refused.value.code == "unsafe_text"
    assert await parts.service.objects.collection.count_documents({"oficio_id": oficio_id}) == 0
