"""Issue 13, class 2: every upload is refused while it streams, past its limit, with bounded memory.

Against the real gateway and signing processes: a 300 MB PDF to the public verification and a
200 MB `cer` to the credential and batch signing routes (each made on the fly, never held by the
test) are refused with 413 while the processes' resident memory (VmRSS, sampled as the body
streams) grows less than 60 MB. Every upload route answers its 413 code and Spanish message for
a body over its limit, declared (`Content-Length`) or not (chunked)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from signum.platform.http import CALLER_HEADER, INTERNAL_TOKEN_HEADER
from signum.platform.settings import InfraSettings
from signum.testing.kafka import eventually
from signum.testing.processes import ServiceProcess
from tests.e2e.conftest import World

pytestmark = pytest.mark.stack

MB = 1024 * 1024
RSS_GROWTH_LIMIT_MB = 60
BLOCK = b"%PDF-1.7\n" + b"\0" * (64 * 1024 - 9)


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


class RssPeak:
    """Samples the resident memory of processes every few milliseconds while a request runs."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.before = {name: _rss_kb(pid) for name, pid in pids.items()}
        self.peak = dict(self.before)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], _rss_kb(pid))

    def growth_mb(self, name: str) -> float:
        return (self.peak[name] - self.before[name]) / 1024


@contextmanager
def rss_peak(pids: dict[str, int]) -> Iterator[RssPeak]:
    sampler = RssPeak(pids)
    sampler._thread.start()
    try:
        yield sampler
    finally:
        sampler._stop.set()
        sampler._thread.join()
        figures = ", ".join(
            f"{n} {sampler.before[n] / 1024:.0f} → peak {sampler.peak[n] / 1024:.0f} MB "
            f"(+{sampler.growth_mb(n):.1f})"
            for n in pids
        )
        print(f"RSS: {figures}")


async def _filler(size: int) -> AsyncIterator[bytes]:
    """`size` bytes made on the fly, 64 KiB at a time."""
    sent = 0
    while sent < size:
        piece = BLOCK[: size - sent]
        sent += len(piece)
        yield piece


class Form:
    """A multipart/form-data body made on the fly: small fields, then one big file field."""

    def __init__(self, fields: dict[str, str | list[str]], big: str, size: int, filename: str) -> None:
        self.boundary = uuid.uuid4().hex
        head = b""
        for name, values in fields.items():
            for value in [values] if isinstance(values, str) else values:
                head += (
                    f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                ).encode()
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{big}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self.head = head
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.size = size
        self.length = len(head) + size + len(self.tail)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self.head
        async for piece in _filler(self.size):
            yield piece
        yield self.tail


async def _json_with(field: str, size: int) -> AsyncIterator[bytes]:
    """`{"<field>": "AAAA…"}` of about `size` bytes, made on the fly."""
    yield f'{{"{field}": "'.encode()
    block = b"A" * (64 * 1024)
    sent = 0
    while sent < size:
        piece = block[: size - sent]
        sent += len(piece)
        yield piece
    yield b'"}'


async def _post(
    client: httpx.AsyncClient,
    url: str,
    body: AsyncIterator[bytes],
    *,
    content_type: str,
    length: int | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a streamed body: chunked, or with `Content-Length: length` declared."""
    sent_headers = {"Content-Type": content_type, **(headers or {})}
    if length is not None:
        sent_headers["Content-Length"] = str(length)
    return await client.post(url, content=body, headers=sent_headers, timeout=300)


def _refused(response: httpx.Response, code: str, words: str) -> dict[str, Any]:
    assert response.status_code == 413, response.text[:500]
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert words in body["message"], body
    return body


def _internal_headers() -> dict[str, str]:
    token = InfraSettings().internal_token.get_secret_value()
    caller = {"kind": "official", "id": "90000", "nombre": "Prueba", "unidad_id": "PRU-A", "roles": []}
    return {INTERNAL_TOKEN_HEADER: token, CALLER_HEADER: json.dumps(caller)}


def _pids(platform: dict[str, ServiceProcess]) -> dict[str, int]:
    pids = {}
    for name in ("gateway", "signing"):
        proc = platform[name].proc
        assert proc is not None
        assert proc.poll() is None
        pids[name] = proc.pid
    return pids


# --- memory while a huge body is refused ------------------------------------------------------


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
async def test_a_300_mb_pdf_to_verify_is_refused_with_flat_memory(
    world: World, platform: dict[str, ServiceProcess], declared: bool
) -> None:
    size = 300 * MB
    async with httpx.AsyncClient(base_url=world.gateway) as anonymous:
        # Warm the route (imports, first spool) so the figure is what the body costs.
        warm = await anonymous.post("/api/v1/verificar", content=b"no es un PDF")
        assert warm.status_code == 422, warm.text
        with rss_peak(_pids(platform)) as rss:
            refused = await _post(
                anonymous,
                "/api/v1/verificar",
                _filler(size),
                content_type="application/pdf",
                length=size if declared else None,
            )
        body = _refused(refused, "pdf_too_large", "El PDF excede el máximo de 30 MB")
        assert body["details"]["maximo_bytes"] >= 30 * MB
        assert rss.growth_mb("gateway") < RSS_GROWTH_LIMIT_MB
        assert rss.growth_mb("signing") < RSS_GROWTH_LIMIT_MB
        # The same connection and process answer the next request at once.
        assert (await anonymous.get("/healthz")).status_code == 200


async def test_a_300_mb_pdf_in_a_form_is_refused_with_flat_memory(
    world: World, platform: dict[str, ServiceProcess]
) -> None:
    form = Form({}, "archivo", 300 * MB, "grande.pdf")
    async with httpx.AsyncClient(base_url=world.gateway) as anonymous:
        with rss_peak(_pids(platform)) as rss:
            refused = await _post(
                anonymous, "/api/v1/verificar", form.chunks(), content_type=form.content_type
            )
        _refused(refused, "pdf_too_large", "El PDF excede el máximo de 30 MB")
        assert rss.growth_mb("gateway") < RSS_GROWTH_LIMIT_MB
        assert rss.growth_mb("signing") < RSS_GROWTH_LIMIT_MB


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/api/v1/oficios/OF-NO-EXISTE/firmas/credencial", {"password": "12345678a"}),
        ("/api/v1/firmas/lote", {"password": "12345678a", "oficio_ids": ["OF-1", "OF-2"]}),
    ],
    ids=["credencial", "lote"],
)
async def test_a_200_mb_cer_is_refused_with_flat_memory(
    world: World, platform: dict[str, ServiceProcess], url: str, fields: dict[str, Any]
) -> None:
    firmante = await world.as_("funcionario@A")
    form = Form(fields, "cer", 200 * MB, "firma.cer")
    with rss_peak(_pids(platform)) as rss:
        refused = await _post(firmante, url, form.chunks(), content_type=form.content_type)
    body = _refused(refused, "field_too_large", "El campo «cer» excede el máximo de 32 KB")
    assert body["details"] == {"campo": "cer", "maximo_bytes": 32 * 1024}
    assert rss.growth_mb("gateway") < RSS_GROWTH_LIMIT_MB
    assert rss.growth_mb("signing") < RSS_GROWTH_LIMIT_MB


@pytest.mark.parametrize("path", ["/internal/firmas/credencial", "/internal/firmas/lote"])
async def test_signing_itself_refuses_a_200_mb_cer_with_flat_memory(
    platform: dict[str, ServiceProcess], path: str
) -> None:
    """The internal hop has its own caps: a caller past the gateway gets the same 413."""
    form = Form({"password": "12345678a", "oficio_id": "OF-1"}, "cer", 200 * MB, "firma.cer")
    async with httpx.AsyncClient(base_url=platform["signing"].url) as internal:
        with rss_peak(_pids(platform)) as rss:
            refused = await _post(
                internal, path, form.chunks(), content_type=form.content_type, headers=_internal_headers()
            )
    _refused(refused, "field_too_large", "El campo «cer» excede el máximo de 32 KB")
    assert rss.growth_mb("signing") < RSS_GROWTH_LIMIT_MB


async def test_signing_itself_refuses_a_300_mb_pdf_to_verify_with_flat_memory(
    platform: dict[str, ServiceProcess],
) -> None:
    async with httpx.AsyncClient(base_url=platform["signing"].url) as internal:
        with rss_peak(_pids(platform)) as rss:
            refused = await _post(
                internal,
                "/internal/verificacion",
                _filler(300 * MB),
                content_type="application/pdf",
                headers=_internal_headers(),
            )
    _refused(refused, "pdf_too_large", "El PDF excede el máximo de 30 MB")
    assert rss.growth_mb("signing") < RSS_GROWTH_LIMIT_MB


async def test_routing_itself_refuses_a_300_mb_scan_with_flat_memory(
    platform: dict[str, ServiceProcess],
) -> None:
    """The oficialía's scan travels gateway → routing as a form: routing caps it as it streams."""
    routing = platform["routing"].proc
    assert routing is not None
    form = Form({"asunto": "Escrito", "remitente_nombre": "Ciudadano"}, "archivo", 300 * MB, "s.pdf")
    async with httpx.AsyncClient(base_url=platform["routing"].url) as internal:
        with rss_peak({"routing": routing.pid}) as rss:
            refused = await _post(
                internal,
                "/internal/registros",
                form.chunks(),
                content_type=form.content_type,
                headers=_internal_headers(),
            )
    _refused(refused, "scan_too_large", "El PDF escaneado excede 30 MB")
    assert rss.growth_mb("routing") < RSS_GROWTH_LIMIT_MB


# --- every upload route: its 413, declared or chunked -----------------------------------------


async def _draft_of(world: World) -> str:
    autor = await world.as_("autor@A")
    created = await autor.post("/api/v1/oficios", json={"asunto": "Oficio con anexo grande"})
    assert created.status_code == 201, created.text
    oficio_id = str(created.json()["id"])

    async def known_to_storage() -> bool:
        # Storage learns of the oficio from oficio.created; until then it refuses attachments.
        probe = await autor.get(f"/api/v1/oficios/{oficio_id}/linea-de-tiempo")
        return probe.status_code == 200 and bool(probe.json().get("eventos"))

    await eventually(known_to_storage, within=30)
    return oficio_id


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
async def test_every_upload_route_answers_its_413(world: World, declared: bool) -> None:
    autor = await world.as_("autor@A")
    oficialia = await world.as_("oficialia@A")
    admin = await world.as_("administrador@A")
    firmante = await world.as_("funcionario@A")
    anonymous = httpx.AsyncClient(base_url=world.gateway)
    oficio_id = await _draft_of(world)
    scan = Form({"asunto": "Escrito recibido", "remitente_nombre": "Ciudadano"}, "archivo", 31 * MB, "s.pdf")
    csv = Form({}, "archivo", 21 * MB, "directorio.csv")
    page_pdf = Form({}, "archivo", 31 * MB, "grande.pdf")
    key = Form({"password": "x", "oficio_ids": "OF-1"}, "key", 1 * MB, "firma.key")
    cases: list[tuple[str, httpx.AsyncClient, str, Any, str, int, str, str]] = [
        # (what, who, url, body, content type, length, code, words of the message)
        (
            "anexo",
            autor,
            f"/api/v1/oficios/{oficio_id}/anexos?nombre=grande.bin",
            lambda: _filler(250 * MB + 1),
            "application/octet-stream",
            250 * MB + 1,
            "file_too_large",
            "El archivo excede el tamaño máximo permitido de 250 MB",
        ),
        (
            "registro de oficialía",
            oficialia,
            "/api/v1/oficialia/registros",
            scan.chunks,
            scan.content_type,
            scan.length,
            "scan_too_large",
            "El PDF escaneado excede 30 MB",
        ),
        (
            "importación del directorio",
            admin,
            "/api/v1/directorio/importaciones?simulacion=true",
            csv.chunks,
            csv.content_type,
            csv.length,
            "directory_import_too_large",
            "El archivo excede el máximo de 20 MB",
        ),
        (
            "plantilla",
            admin,
            "/api/v1/plantillas",
            lambda: _json_with("nombre", 17 * MB),
            "application/json",
            17 * MB + 14,
            "body_too_large",
            "El contenido enviado excede el máximo permitido de 16 MB",
        ),
        (
            "credencial en JSON",
            firmante,
            "/api/v1/oficios/OF-1/firmas/credencial",
            lambda: _json_with("cer", 1 * MB),
            "application/json",
            1 * MB + 11,
            "body_too_large",
            "El contenido enviado excede el máximo permitido de 256 KB",
        ),
        (
            "key en el lote",
            firmante,
            "/api/v1/firmas/lote",
            key.chunks,
            key.content_type,
            key.length,
            # Declared, the whole body is past the route's 256 KB; chunked, the field's cap comes first.
            "body_too_large" if declared else "field_too_large",
            "El contenido enviado excede" if declared else "El campo «key» excede el máximo de 32 KB",
        ),
        (
            "inicio de sesión",
            anonymous,
            "/api/v1/auth/login",
            lambda: _json_with("usuario", 3 * MB),
            "application/json",
            3 * MB + 15,
            "body_too_large",
            "El contenido enviado excede el máximo permitido de 2 MB",
        ),
    ]
    try:
        for what, client, url, body, content_type, length, code, words in cases:
            response = await _post(
                client, url, body(), content_type=content_type, length=length if declared else None
            )
            assert response.status_code == 413, (what, response.status_code, response.text[:300])
            answer = response.json()
            assert (answer["code"], words in answer["message"]) == (code, True), (what, answer)
        # The verification page answers a person with a Spanish page, not JSON.
        page = await _post(
            anonymous,
            "/verificar",
            page_pdf.chunks(),
            content_type=page_pdf.content_type,
            length=page_pdf.length if declared else None,
            headers={"Accept": "text/html"},
        )
        assert page.status_code == 413, page.text[:300]
        assert page.headers["content-type"].startswith("text/html")
        assert "El PDF excede el máximo de 30 MB" in page.text
    finally:
        await anonymous.aclose()
