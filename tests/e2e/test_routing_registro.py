"""Oficialía de partes registers a paper document (scanned PDF + data): it enters the same flow."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfWriter

from signum.testing.kafka import eventually
from tests.e2e.conftest import World
from tests.routing.helpers import ok, wait_item

pytestmark = pytest.mark.stack


def _scan() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_a_registered_paper_document_reaches_its_recipient(world: World) -> None:
    oficialia = await world.as_("oficialia@B")
    titular_id = world.people["titular@B"].numero_empleado
    data: dict[str, Any] = {
        "asunto": "Solicitud ciudadana de bacheo en la colonia Mitras Centro",
        "remitente_nombre": "Juan Pérez Leal",
        "remitente_organizacion": "Junta de vecinos Mitras Centro",
        "folio_externo": "JV-MC-2026-014",
        "fecha_documento": "2026-11-20",
        "destinatario_tipo": "funcionario",
        "destinatario_id": titular_id,
        "prioridad": "urgente",
    }

    async def register() -> Any:
        r = await oficialia.post(
            "/api/v1/oficialia/registros",
            data=data,
            files={"archivo": ("escaneo.pdf", _scan(), "application/pdf")},
        )
        if r.status_code == 422 and r.json()["code"] == "recipient_not_in_directory":
            return None  # routing has not heard of the freshly seeded directory yet (Kafka)
        return ok(r, 201)

    registered = await eventually(register, within=60, interval=1.0)
    assert registered["folio"] == "JV-MC-2026-014"
    assert len(registered["documento"]["sha256"]) == 64
    item = await wait_item(world, "titular@B", registered["oficio_id"])
    assert item["motivo"] == "registro"
    assert item["prioridad"] == "urgente"
    assert item["remitente_unidad_nombre"] == "Junta de vecinos Mitras Centro"
    found = ok(await (await world.as_("titular@B")).get("/api/v1/bandeja", params={"q": "mitras"}))
    assert registered["oficio_id"] in [i["oficio_id"] for i in found["elementos"]]
    # Its trajectory (storage has no draft of a paper document): registered by the oficialía.
    historial = ok(
        await (await world.as_("titular@B")).get(f"/api/v1/entregas/{item['entrega_id']}/historial")
    )
    first = historial["eventos"][0]
    assert first["tipo"] == "oficio.dispatched"
    assert first["descripcion"] == "Se registró en oficialía de partes (documento recibido en papel)"
    assert first["quien"]["id"] == world.people["oficialia@B"].numero_empleado
    stranger = await (await world.as_("funcionario@A")).get(
        f"/api/v1/entregas/{item['entrega_id']}/historial"
    )
    assert stranger.status_code == 404
    # The recipient reads the scan (storage learnt its readers from routing's delivery events);
    # nobody else does.
    digest = registered["documento"]["sha256"]
    scan = f"/api/v1/oficios/{registered['oficio_id']}/documentos/sha256/{digest}/descarga"

    async def readable() -> bool:
        r = await (await world.as_("titular@B")).get(scan, follow_redirects=False)
        return r.status_code == 302

    await eventually(readable, within=30, interval=0.5)
    # So does the oficialía that registered it, from its Enviados (it keeps no delivery of its own).
    registrar = await oficialia.get(scan, follow_redirects=False)
    assert registrar.status_code == 302, registrar.text
    outsider = await (await world.as_("funcionario@B")).get(scan, follow_redirects=False)
    assert outsider.status_code == 403, outsider.text

    # The answer to it refers to the paper document by its folio and its own date.
    answer = ok(
        await (await world.as_("titular@B")).post(
            f"/api/v1/entregas/{item['entrega_id']}/respuesta", json={}
        ),
        201,
    )
    referencia = answer["contenido"]["referencia"]
    assert (referencia["folio"], referencia["fecha"]) == ("JV-MC-2026-014", "2026-11-20")

    # A paper document stays one for whoever it is turned to (the page offers "the scanned document",
    # not "the signed oficio").
    titular = await world.as_("titular@B")
    assert ok(await titular.get(f"/api/v1/entregas/{item['entrega_id']}"))["oficio"]["kind"] == "registro"
    ok(
        await titular.post(
            f"/api/v1/entregas/{item['entrega_id']}/turnos",
            json={
                "destinatarios": [world.people["auditor@B"].numero_empleado],
                "instruccion": "para_su_atencion",
            },
        )
    )
    turned = await wait_item(world, "auditor@B", registered["oficio_id"], carpeta="turnados")
    detail = ok(await (await world.as_("auditor@B")).get(f"/api/v1/entregas/{turned['entrega_id']}"))
    assert (detail["motivo"], detail["oficio"]["kind"]) == ("turno", "registro")

    # Only the oficialía de partes registers; a scan must be a PDF; the recipient must exist.
    clerk = await world.as_("funcionario@B")
    refused = await clerk.post(
        "/api/v1/oficialia/registros",
        data=data,
        files={"archivo": ("escaneo.pdf", _scan(), "application/pdf")},
    )
    assert refused.status_code == 403, refused.text
    not_pdf = await oficialia.post(
        "/api/v1/oficialia/registros", data=data, files={"archivo": ("foto.png", b"\x89PNG....", "image/png")}
    )
    assert (not_pdf.status_code, not_pdf.json()["code"]) == (422, "scan_not_pdf")
    unknown = await oficialia.post(
        "/api/v1/oficialia/registros",
        data=data | {"destinatario_id": "no-existe"},
        files={"archivo": ("escaneo.pdf", _scan(), "application/pdf")},
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "recipient_not_in_directory")
    assert "directorio" in unknown.json()["message"]


async def test_the_recipients_browser_is_told_at_once_by_server_sent_events(world: World) -> None:
    import asyncio
    import json

    titular = await world.as_("titular@B")
    oficialia = await world.as_("oficialia@B")
    heard: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    connected = asyncio.Event()

    async def listen() -> None:
        async with titular.stream(
            "GET", "/api/v1/notificaciones", params={"max_segundos": "60"}, timeout=90
        ) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            async for line in stream.aiter_lines():
                if line.startswith(": conectado"):
                    connected.set()
                if line.startswith("data: "):
                    await heard.put(json.loads(line[6:]))

    listener = asyncio.create_task(listen())
    try:
        await asyncio.wait_for(connected.wait(), timeout=30)
        data = {
            "asunto": "Aviso de corte de agua",
            "remitente_nombre": "Servicios de Agua y Drenaje",
            "remitente_organizacion": "SADM",
            "destinatario_tipo": "funcionario",
            "destinatario_id": world.people["titular@B"].numero_empleado,
        }

        async def register() -> Any:
            r = await oficialia.post(
                "/api/v1/oficialia/registros",
                data=data,
                files={"archivo": ("a.pdf", _scan(), "application/pdf")},
            )
            if r.status_code == 422 and r.json()["code"] == "recipient_not_in_directory":
                return None
            return ok(r, 201)

        registered = await eventually(register, within=60, interval=1.0)
        while True:
            note = await asyncio.wait_for(heard.get(), timeout=30)
            if note.get("oficio_id") == registered["oficio_id"]:
                assert note["tipo"] == "bandeja"
                assert note["nuevos"] == 1  # a delivery that just arrived: the page announces it
                break
    finally:
        listener.cancel()
        with __import__("contextlib").suppress(asyncio.CancelledError, Exception):
            await listener
