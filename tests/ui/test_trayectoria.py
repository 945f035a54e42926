"""An oficio sent to two offices and copied to a third person, in a real browser (Debian chromium,
Playwright): each office turns it inside itself and reads, in the trajectory, its own steps by whose
inbox they happened in, never the other office's; the sender reads the deliveries it made, not the
turnos inside each office. The sender is a real-looking one (a long name, position and unit): it is
read whole in the inbox's rows, the received detail and the sender's view, on a laptop and a phone.
An English browser shows date fields its own way; the page writes the chosen date out in Spanish.
Screenshots go to tests/ui/screenshots/ (git-ignored)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from signum.testing.people import World
from tests.metrics.helpers import Seat, seed_dependencia
from tests.routing.helpers import (
    content,
    efirma,
    name_of,
    new_draft,
    ok,
    review_finalize_sign,
    save_content,
    seed_unit_c,
    wait_item,
)
from tests.ui.conftest import log_in, wait_until, watch_csp
from tests.ui.test_bandeja_envio import DESKTOP, PHONE, no_horizontal_scroll, person, shot

pytestmark = pytest.mark.stack

LONG_UNIT = "Dirección de Planeación Urbana y Desarrollo Sustentable del Municipio de Monterrey"
LONG_CARGO = "Directora General de Planeación Urbana y Desarrollo Sustentable del Municipio de Monterrey"
SENDER = "titular@PU"


@pytest.fixture(scope="module")
async def long_sender(world: World, stack_env: dict[str, str]) -> str:
    """The titular of a unit with a long name, with a long name of her own."""
    seat = Seat(
        SENDER,
        "97301",
        "DPU-PLANEACION",
        "titular",
        # A long name, within the 64 characters an e.firma's name may have.
        ("María de los Ángeles", "Villarreal", "de la Garza Quintanilla"),
        dt.date(1972, 5, 19),
    )
    await seed_dependencia(
        stack_env,
        world,
        "DPU",
        "Secretaría de Desarrollo Urbano Sustentable y Movilidad Metropolitana",
        {seat.unidad: LONG_UNIT},
        [seat],
    )
    return SENDER


async def _steps(page: Page) -> list[str]:
    return [s.strip() for s in await page.locator("#trayectoria li").all_inner_texts()]


async def _open(page: Page, world: World, folio: str, carpeta: str = "recibidos") -> None:
    await page.goto(world.gateway + f"/bandeja?carpeta={carpeta}")
    row = page.locator("#elementos tbody tr", has_text=folio)
    await row.wait_for(timeout=60_000)
    await row.click()
    await page.wait_for_selector("#detalle:not([hidden])")
    await wait_until(page, "document.querySelectorAll('#trayectoria li').length > 0")


async def test_each_office_reads_its_own_turnos_and_the_sender_its_deliveries(
    browser: Browser, world: World, signing_pki: Any, stack_env: dict[str, str], long_sender: str
) -> None:
    pki = signing_pki[0]
    unit_c = await seed_unit_c(stack_env, world)
    asunto = "Dictamen de factibilidad de uso de suelo para el parque lineal del Río Santa Catarina"
    oficio_id = await new_draft(world, long_sender, asunto)
    body = content(
        world,
        long_sender,
        [long_sender],
        destinatarios=[{"tipo": "unidad", "id": "PRU-B"}, {"tipo": "unidad", "id": "PRU-C"}],
        ccp=[{"tipo": "funcionario", "id": world.people["funcionario@A"].numero_empleado}],
    )
    body["remitente"] |= {"cargo": LONG_CARGO, "unidad": LONG_UNIT}
    body["firmantes"][0]["cargo"] = LONG_CARGO
    await save_content(world, long_sender, oficio_id, body)
    final = await review_finalize_sign(
        world, oficio_id, long_sender, None, [(long_sender, efirma(world, pki, long_sender))]
    )
    folio = str(final["folio"])

    # Each office turns it inside itself (through the API: the inbox's turnar is tested elsewhere).
    b_item = await wait_item(world, "titular@B", oficio_id)
    c_item = await wait_item(world, "titular@C", oficio_id)
    for key, item, to in (
        ("titular@B", b_item, "funcionario@B"),
        ("titular@C", c_item, "subdirector@C"),
    ):
        client = await world.as_(key)
        ok(await client.post(f"/api/v1/entregas/{item['entrega_id']}/acuse", json={}))
        turno = {"destinatarios": [world.people[to].numero_empleado], "instruccion": "para_su_atencion"}
        ok(await client.post(f"/api/v1/entregas/{item['entrega_id']}/turnos", json=turno))

    sender_name = name_of(world.people[long_sender])
    turned = "Llegó turnado a la bandeja de"
    b_turned = f"{turned} {name_of(world.people['funcionario@B'])} (Dirección de Pruebas B)"
    c_turned = f"{turned} {name_of(unit_c['subdirector@C'])} (Dirección de Pruebas C)"
    to_b = f"Llegó a la bandeja de {name_of(world.people['titular@B'])} (Dirección de Pruebas B)"
    to_c = f"Llegó a la bandeja de {name_of(unit_c['titular@C'])} (Dirección de Pruebas C)"
    copied = f"Llegó con copia (C.c.p.) a la bandeja de {name_of(world.people['funcionario@A'])}"

    # --- office B, on a laptop: its own turno, by name, and nothing of office C -----------------
    b = await person(browser, world, "titular@B", DESKTOP)
    await _open(b, world, folio)
    await wait_until(b, f"document.querySelector('#trayectoria').textContent.includes({b_turned!r})")
    seen = "\n".join(await _steps(b))
    assert to_b in seen
    assert "Llegó a la bandeja de la Oficialía de partes de Dirección de Pruebas B" in seen
    for other in (c_turned, to_c, copied, "Dirección de Pruebas C"):
        assert other not in seen, other
    # The sender, whole: name, position and unit, in the row and in the detail.
    row = b.locator("#elementos tbody tr", has_text=folio)
    assert sender_name in await row.inner_text()
    remitente = await b.inner_text("#detalle-datos")
    assert sender_name in remitente
    assert LONG_CARGO in remitente
    assert LONG_UNIT in remitente
    assert LONG_UNIT in await row.inner_text()  # the row says from which office, too
    await _whole(b, "#elementos tbody tr td, #detalle-datos dd")
    await no_horizontal_scroll(b)
    await shot(b, "trayectoria-oficina-b-1366")

    # --- office C, on a phone: its own, nothing of office B -------------------------------------
    c = await person(browser, world, "titular@C", PHONE)
    await c.goto(world.gateway + "/bandeja")
    row = c.locator("#elementos tbody tr", has_text=folio)
    await row.wait_for(timeout=60_000)
    assert sender_name in await row.inner_text()
    await _whole(c, "#elementos tbody tr td")
    await no_horizontal_scroll(c)
    await shot(c, "trayectoria-lista-390")
    await row.click()
    await wait_until(c, f"document.querySelector('#trayectoria').textContent.includes({c_turned!r})")
    seen = "\n".join(await _steps(c))
    assert to_c in seen
    for other in (b_turned, to_b, copied, "Dirección de Pruebas B"):
        assert other not in seen, other
    assert LONG_UNIT in await c.inner_text("#detalle-datos")
    await _whole(c, "#detalle-datos dd, #detalle-titulo, #trayectoria li")
    await no_horizontal_scroll(c)
    await shot(c, "trayectoria-oficina-c-390")

    # --- the sender: every delivery it made and how far it got, not the turnos inside ------------
    sender = await person(browser, world, long_sender, DESKTOP)
    await sender.goto(world.gateway + f"/bandeja?oficio={oficio_id}")
    await sender.wait_for_selector("#envio-destinatarios tbody tr")
    await wait_until(sender, "document.querySelector('#trayectoria').textContent.includes('Se turnó')")
    seen = "\n".join(await _steps(sender))
    for mine in (to_b, to_c, copied, "Se turnó con instrucciones desde la bandeja de"):
        assert mine in seen, mine
    for inside in (b_turned, c_turned):
        assert inside not in seen, inside
    assert LONG_CARGO in await sender.inner_text("#detalle-datos")  # each signer with their position
    await no_horizontal_scroll(sender)
    await shot(sender, "trayectoria-remitente-1366")

    # --- the oficio's remitente fields, on a phone: each long value read whole -------------------
    writer = await person(browser, world, long_sender, PHONE)
    await writer.goto(world.gateway + f"/redaccion?oficio={oficio_id}")
    await wait_until(writer, f"document.querySelector('#r-unidad').value === {LONG_UNIT!r}")
    assert await writer.input_value("#r-cargo") == LONG_CARGO
    await _whole(writer, "#e-asunto, #r-nombre, #r-cargo, #r-dependencia, #r-unidad")
    await writer.locator("#r-unidad").scroll_into_view_if_needed()
    await no_horizontal_scroll(writer)
    await shot(writer, "trayectoria-redaccion-remitente-390")
    for page in (b, c, sender, writer):
        await page.context.close()


async def _whole(page: Page, selector: str) -> None:
    """Every element matched shows all of its text: nothing cut by an ellipsis or hidden overflow."""
    cut = await page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
          .filter((e) => e.offsetParent !== null
            && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1))
          .map((e) => e.textContent.slice(0, 80))""",
        selector,
    )
    assert not cut, f"text cut off: {cut}"


async def test_dates_are_also_written_out_in_spanish_in_an_english_browser(
    browser: Browser, world: World
) -> None:
    """An en-US browser draws a date field as mm/dd/yyyy whatever the page says: beside it the
    chosen date is written out in Spanish, so 04/12 is never read as the wrong day."""
    context = await browser.new_context(locale="en-US", viewport=DESKTOP)  # type: ignore[arg-type]
    page = watch_csp(await context.new_page())
    page.set_default_timeout(20_000)
    await log_in(page, world, "oficialia@A")
    await page.goto(world.gateway + "/bandeja")
    assert await page.evaluate("navigator.language") == "en-US"
    await page.fill("#desde", "2026-12-04")
    await wait_until(page, "document.querySelector('#desde + .fecha-escrita').textContent !== ''")
    assert await page.inner_text("#desde + .fecha-escrita") == "viernes, 4 de diciembre de 2026"
    # The paper document's dates, in the oficialía de partes' form.
    await page.click("#registrar-abrir")
    await page.fill("#r-fecha-limite", "2027-01-08")
    assert await page.inner_text("#r-fecha-limite + .fecha-escrita") == "viernes, 8 de enero de 2027"
    assert await page.inner_text("#r-fecha-documento + .fecha-escrita") == ""  # nothing chosen: nothing said
    await no_horizontal_scroll(page)
    await shot(page, "fechas-en-ingles-1366")
    await context.close()
