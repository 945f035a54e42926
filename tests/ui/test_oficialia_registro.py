"""The oficialía de partes registers a document received on paper in the inbox page (Debian chromium,
Playwright): it attaches the scan, types the sender's data, picks the recipient from the directory
and sends it; its Enviados view shows the recipient and draws the scan it registered; the recipient
finds it in Recibidos, opens it (acuse de recibo) and reads the scan. Only the oficialía sees the
form. Screenshots at 1,366 and 390 px go to tests/ui/screenshots/ (git-ignored)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject

from signum.testing.people import World
from tests.ui.conftest import wait_until
from tests.ui.test_bandeja_envio import DESKTOP, PHONE, no_horizontal_scroll, pdf_drawn, person, shot

pytestmark = pytest.mark.stack


def _scan(path: Path) -> Path:
    """A one-page PDF with ink on it, as a scanner would give (a page of black bars)."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    ink = DecodedStreamObject()
    ink.set_data(b"0 g " + b" ".join(b"72 %d 468 14 re f" % y for y in range(120, 700, 28)))
    page.replace_contents(ink)
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())
    return path


async def _register(page: Page) -> str:
    """Send the filled form; answer the notice. Routing learns the directory from Kafka a moment
    after the world is seeded: until it knows the recipient it refuses them by name, and the
    oficialía sends again (nothing was registered)."""
    deadline = time.monotonic() + 60
    while True:
        await page.click("#r-registrar")
        await wait_until(
            page,
            "document.querySelector('#aviso').textContent.startsWith('Se registró')"
            " || document.querySelector('#error').textContent !== ''",
        )
        error = await page.inner_text("#error")
        if not error:
            return await page.inner_text("#aviso")
        assert "no existe en el directorio" in error, error
        assert time.monotonic() < deadline, error
        await page.evaluate("document.querySelector('#error').textContent = ''")


async def test_the_oficialia_registers_a_paper_document_and_its_recipient_reads_it(
    browser: Browser, world: World, tmp_path: Path
) -> None:
    recipient = world.people["titular@B"]
    oficialia = await person(browser, world, "oficialia@B", DESKTOP)
    titular = await person(browser, world, "titular@B", DESKTOP)
    # A paper document was never drafted: the pages do not ask drafting for it (a 404 each time).
    asked_for_nothing: list[str] = []
    for page in (oficialia, titular):
        page.on("response", lambda r: r.status == 404 and asked_for_nothing.append(r.url))
    try:
        # Only the oficialía de partes is offered the form.
        await titular.goto(world.gateway + "/bandeja")
        await titular.wait_for_selector("body[data-escuchando='1']", state="attached")
        assert await titular.is_hidden("#registrar-abrir")

        await oficialia.goto(world.gateway + "/bandeja")
        await oficialia.click("#registrar-abrir")
        await oficialia.wait_for_selector("#registro:not([hidden])")
        assert await oficialia.is_hidden("#detalle")
        await oficialia.set_input_files("#r-archivo", str(_scan(tmp_path / "escaneo.pdf")))
        await oficialia.fill("#r-asunto", "Solicitud de poda de árboles en la colonia Centro")
        await oficialia.fill("#r-remitente-nombre", "María López Garza")
        await oficialia.fill("#r-remitente-cargo", "Presidenta")
        await oficialia.fill("#r-remitente-organizacion", "Junta de Vecinos de la Colonia Centro")
        await oficialia.fill("#r-folio", "JV-CENTRO-2026-031")
        await oficialia.fill("#r-fecha-documento", "2026-11-27")
        await oficialia.fill("#r-dest-buscar", recipient.nombre)
        await oficialia.click(f"#r-dest-opciones button[data-id='{recipient.numero_empleado}']")
        assert recipient.nombre in await oficialia.inner_text("#r-dest-elegido")
        await no_horizontal_scroll(oficialia)
        await shot(oficialia, "oficialia-registro-1366")

        said = await _register(oficialia)
        assert said.startswith("Se registró el documento JV-CENTRO-2026-031 y se envió a"), said
        assert recipient.nombre in said

        # What it registered, as its sender sees it: the recipient not yet opened, and the scan it
        # registered drawn in the page (the oficialía reads what it registered).
        await oficialia.wait_for_selector("#detalle:not([hidden])")
        assert await oficialia.is_hidden("#registro")
        assert "JV-CENTRO-2026-031" in await oficialia.inner_text("#detalle-titulo")
        row = oficialia.locator("#envio-destinatarios tbody tr", has_text=recipient.nombre)
        assert "Sin abrir" in await row.inner_text()
        assert await pdf_drawn(oficialia) == 1
        scan_link = "#documentos-lista a:has-text('Descargar el documento escaneado (PDF)')"
        await oficialia.wait_for_selector(scan_link)
        assert await oficialia.inner_text("#error") == ""
        await shot(oficialia, "oficialia-registrado-1366")

        # The form fits a phone.
        await oficialia.set_viewport_size(PHONE)
        await oficialia.click("#volver")
        await oficialia.click("#registrar-abrir")
        await oficialia.wait_for_selector("#registro:not([hidden])")
        assert await oficialia.inner_text("#r-dest-elegido") == "Nadie elegido todavía."  # a fresh form
        await no_horizontal_scroll(oficialia)
        await shot(oficialia, "oficialia-registro-390")

        # The recipient finds it in Recibidos, opens it (acuse de recibo) and reads the scan.
        arrived = titular.locator("#elementos tbody tr", has_text="JV-CENTRO-2026-031")
        await arrived.wait_for(timeout=60_000)
        assert "María López Garza" in await arrived.inner_text()  # who sent it on paper
        await arrived.click()
        acuse = "document.querySelector('#aviso').textContent === 'Acuse de recibo registrado.'"
        await wait_until(titular, acuse)
        assert await pdf_drawn(titular) == 1
        await titular.wait_for_selector(scan_link)
        # Who sent it on paper, and from where.
        datos = await titular.inner_text("#detalle-datos")
        assert "María López Garza, Presidenta" in datos, datos
        assert "Organización\nJunta de Vecinos de la Colonia Centro" in datos, datos
        await shot(titular, "oficialia-registro-recibido-1366")
        assert asked_for_nothing == [], asked_for_nothing
    finally:
        await oficialia.context.close()
        await titular.context.close()
