"""The sender's and the reader's half of the inbox in a real browser (Debian chromium, Playwright):
the sender follows each recipient from Enviados (sin abrir → recibido at the acuse's time, live)
on a read-only view with the trajectory; the signed PDF is drawn in the page (pdf.js); on a 390 px
phone the list and the detail take turns without horizontal scroll. Screenshots at 390 and 1,366 px
go to tests/ui/screenshots/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from signum.platform.event_descriptions import EVENT_DESCRIPTIONS
from signum.testing.kafka import eventually
from signum.testing.people import World
from tests.routing.helpers import (
    content,
    efirma,
    name_of,
    new_draft,
    review_finalize_sign,
    save_content,
    wait_item,
)
from tests.ui.conftest import log_in, wait_until, watch_csp

pytestmark = pytest.mark.stack

SHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


async def person(browser: Browser, world: World, key: str, viewport: dict[str, int]) -> Page:
    page = watch_csp(await (await browser.new_context(viewport=viewport)).new_page())  # type: ignore[arg-type]
    page.set_default_timeout(20_000)
    await log_in(page, world, key)
    return page


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def no_horizontal_scroll(page: Page) -> None:
    sizes = await page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert sizes[0] <= sizes[1], f"the page is {sizes[0]} px wide in a {sizes[1]} px window"


async def pdf_drawn(page: Page) -> int:
    """Pages drawn by the viewer, after checking the first one is not blank (dark pixels of text)."""
    await wait_until(
        page,
        "/^[0-9]+ páginas?[.]$/.test(document.querySelector('#visor-estado').textContent)",
        timeout=30_000,
    )
    dark = await page.eval_on_selector(
        "#visor-paginas canvas.pagina-pdf",
        """(c) => {
          const { data } = c.getContext("2d").getImageData(0, 0, c.width, c.height);
          let dark = 0;
          for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i] < 100) dark += 1;
          return dark;
        }""",
    )
    assert dark > 500, f"the first page looks blank ({dark} dark pixels)"
    return int(await page.locator("#visor-paginas canvas.pagina-pdf").count())


ANEXO = b"calle,colonia\nRuiz Cortines,Mitras Norte\nAbraham Lincoln,Cumbres\n"


async def _attach(world: World, oficio_id: str) -> dict[str, Any]:
    author = await world.as_("autor@A")

    async def uploaded() -> dict[str, Any] | None:
        # Storage learns of the oficio from oficio.created; until then it refuses attachments.
        r = await author.post(
            f"/api/v1/oficios/{oficio_id}/anexos",
            params={"nombre": "calles-programadas.csv"},
            content=ANEXO,
            headers={"content-type": "text/csv"},
        )
        return r.json() if r.status_code == 201 else None

    stored = await eventually(uploaded, within=30, interval=0.5)
    return {k: stored[k] for k in ("clave", "sha256", "tamano")} | {"nombre": "calles-programadas.csv"}


async def _send(world: World, pki: Any, asunto: str) -> tuple[str, str]:
    oficio_id = await new_draft(world, "autor@A", asunto)
    body = content(
        world,
        "autor@A",
        ["autor@A"],
        destinatarios=[{"tipo": "funcionario", "id": world.people["titular@B"].numero_empleado}],
        ccp=[{"tipo": "funcionario", "id": world.people["auditor@A"].numero_empleado}],
    )
    body["anexos"] = [await _attach(world, oficio_id)]
    await save_content(world, "autor@A", oficio_id, body)
    final = await review_finalize_sign(
        world, oficio_id, "autor@A", None, [("autor@A", efirma(world, pki, "autor@A"))]
    )
    return oficio_id, str(final["folio"])


async def test_the_sender_follows_each_recipient_live_and_reads_the_pdf_in_the_page(
    browser: Browser, world: World, signing_pki: Any
) -> None:
    oficio_id, folio = await _send(world, signing_pki[0], "Programa de bacheo de la zona norte")
    await wait_item(world, "autor@A", oficio_id, carpeta="enviados")

    # --- the sender, on a desktop: Enviados says the recipient has not opened it yet ------------
    sender = await person(browser, world, "autor@A", DESKTOP)
    await sender.goto(world.gateway + "/bandeja?carpeta=enviados")
    row = sender.locator("#elementos tbody tr", has_text=folio)
    await row.wait_for()
    assert "Sin abrir" in await row.inner_text()
    await row.click()
    recipient_row = sender.locator(
        "#envio-destinatarios tbody tr", has_text=name_of(world.people["titular@B"])
    )
    await recipient_row.wait_for()
    assert "Sin abrir" in await recipient_row.inner_text()
    copy_row = sender.locator("#envio-destinatarios tbody tr", has_text="C.c.p.")
    assert name_of(world.people["auditor@A"]) in await copy_row.inner_text()
    # Read-only: none of a recipient's actions, and the editor is not where it opens.
    assert "/bandeja" in sender.url
    for action in ("#acciones", "#turnar", "#concluir"):
        assert await sender.is_hidden(action)
    assert EVENT_DESCRIPTIONS["oficio.dispatched"] in await sender.inner_text("#trayectoria")
    # The signed oficio, drawn in the page, with its download beside it.
    assert await pdf_drawn(sender) >= 1
    assert await sender.locator("#documentos a", has_text="Descargar el oficio firmado (PDF)").count() == 1
    anexo = sender.locator("#documentos a", has_text="Anexo: calles-programadas.csv")
    await anexo.wait_for()
    author = await world.as_("autor@A")
    assert (
        await author.get(await anexo.get_attribute("href") or "", follow_redirects=False)
    ).status_code == 302
    await no_horizontal_scroll(sender)
    await shot(sender, "bandeja-enviado-1366")

    # --- the recipient, on a phone: list, then the detail; no horizontal scroll ------------------
    reader = await person(browser, world, "titular@B", PHONE)
    await reader.goto(world.gateway + "/bandeja")
    mine = reader.locator("#elementos tbody tr", has_text=folio)
    await mine.wait_for(timeout=60_000)
    await no_horizontal_scroll(reader)
    await shot(reader, "bandeja-lista-390")
    await mine.click()
    await reader.wait_for_selector("#detalle:not([hidden])")
    await wait_until(reader, "document.querySelector('#detalle-datos').textContent.includes('Recibido')")
    assert await reader.is_hidden("#lista")  # the detail takes the list's place
    assert await reader.is_visible("#volver")
    # Reading: the PDF in the page once the recipient may read the oficio (issue 12, item 1);
    # until then the page says so in Spanish and keeps the download link.
    client = await world.as_("titular@B")
    item = await wait_item(world, "titular@B", oficio_id)
    entrega = (await client.get(f"/api/v1/entregas/{item['entrega_id']}")).json()
    sha = entrega["oficio"]["documento"]["sha256"]
    allowed = await client.get(
        f"/api/v1/oficios/{oficio_id}/documentos/sha256/{sha}/descarga", follow_redirects=False
    )
    if allowed.status_code == 302:
        assert await pdf_drawn(reader) >= 1
    else:
        assert allowed.status_code == 403, allowed.text
        await wait_until(
            reader,
            "document.querySelector('#visor-estado').textContent.startsWith('No se pudo mostrar')"
            " && document.querySelector('#visor.sin-pdf')",
        )
    await no_horizontal_scroll(reader)
    await shot(reader, "bandeja-detalle-390")
    await reader.click("#volver")
    await reader.wait_for_selector("#lista:visible")
    assert await reader.is_hidden("#detalle")

    # --- the sender's view follows, live: received, at the acuse's time, by whom ----------------
    await wait_until(
        sender,
        "[...document.querySelectorAll('#envio-destinatarios tbody tr')].some("
        "r => r.dataset.estado === 'recibido')",
    )
    received = await recipient_row.inner_text()
    assert "Recibido" in received
    assert f"por {name_of(world.people['titular@B'])}" in received
    shown = await sender.evaluate(
        "(v) => new Date(v).toLocaleString('es-MX', { dateStyle: 'medium', timeStyle: 'short' })",
        entrega["recibido_en"],
    )
    assert shown in received
    # Beside the PDF the recipients' column is narrow (a 1,100 px laptop): each recipient, with its
    # state, time and acuse, stays inside the detail's card.
    await sender.set_viewport_size({"width": 1100, "height": 800})
    spill = await sender.evaluate(
        "() => Math.max(...[...document.querySelectorAll('#envio-destinatarios td')]"
        ".map((td) => td.getBoundingClientRect().right))"
        " - document.querySelector('#detalle .detalle-info').getBoundingClientRect().right"
    )
    assert spill <= 0.5, f"the recipients spill {spill:.0f} px out of the detail"
    await shot(sender, "bandeja-enviado-recibido-1100")
    await sender.set_viewport_size(DESKTOP)
    await wait_until(
        sender,
        f"[...document.querySelectorAll('#elementos tbody tr')].some(r => r.textContent.includes({folio!r})"
        " && r.textContent.includes('Recibido'))",
    )
    # The sealed acuse, once issued, is the sender's to download too.
    acuse = recipient_row.locator("a", has_text="Acuse (PDF)")
    await wait_until(
        sender,
        "[...document.querySelectorAll('#envio-destinatarios tbody tr')].some("
        "r => r.dataset.estado === 'recibido' && r.querySelector('a'))",
        timeout=60_000,
    )
    href = await acuse.get_attribute("href")
    assert href
    assert (await author.get(href, follow_redirects=False)).status_code == 302

    # --- the sender's view on a phone too --------------------------------------------------------
    phone = await person(browser, world, "autor@A", PHONE)
    await phone.goto(world.gateway + f"/bandeja?oficio={oficio_id}")  # a link to the sent oficio
    await phone.wait_for_selector("#envio-destinatarios tbody tr")
    assert await pdf_drawn(phone) >= 1
    assert await phone.is_hidden("#lista")
    await no_horizontal_scroll(phone)
    await shot(phone, "bandeja-enviado-390")
    await phone.click("#volver")
    await phone.locator("#elementos tbody tr", has_text=folio).wait_for()  # Enviados, behind it
    await no_horizontal_scroll(phone)
    for page in (sender, reader, phone):
        await page.context.close()
