"""The inbox in a real browser (Debian chromium, Playwright): a signed oficio appears live (server-sent
events) in the recipient's Recibidos with its unread count, opening it posts the acuse de recibo (a
GET records nothing), turning it to a subordinate shows it in the subordinate's "Turnados a mí", and
filters narrow the list."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route

from signum.platform.event_descriptions import EVENT_DESCRIPTIONS
from signum.testing.kafka import eventually
from signum.testing.people import World
from tests.routing.helpers import content, efirma, new_draft, ok, review_finalize_sign, save_content
from tests.ui.conftest import logged_in, wait_until
from tests.ui.test_bandeja_envio import DESKTOP, no_horizontal_scroll, shot

pytestmark = pytest.mark.stack

# How the history describes the steps this test takes, in the order it takes them.
LABELS = tuple(
    EVENT_DESCRIPTIONS[t]
    for t in (
        "oficio.created",
        "oficio.finalized",
        "oficio.signed",
        "oficio.dispatched",
        "delivery.acknowledged",
        "delivery.forwarded",
    )
)


async def _inbox(browser: Browser, world: World, key: str) -> Page:
    page = await logged_in(browser, world, key)
    await page.goto(world.gateway + "/bandeja")
    await page.wait_for_selector("#carpetas")
    return page


async def _row(page: Page, folio: str) -> Any:
    return page.locator("#elementos tbody tr", has_text=folio)


async def test_an_oficio_arrives_live_is_received_and_turned(
    browser: Browser, world: World, signing_pki: Any
) -> None:
    pki = signing_pki[0]
    titular = await _inbox(browser, world, "titular@B")
    await wait_until(titular, "document.querySelector('#titulo-carpeta').textContent === 'Recibidos'")
    await titular.wait_for_selector("body[data-escuchando='1']")  # its live stream is open

    asunto = "Solicitud de apoyo logístico para la feria municipal"
    oficio_id = await new_draft(world, "autor@A", asunto)
    await save_content(
        world,
        "autor@A",
        oficio_id,
        content(world, "autor@A", ["autor@A"], destinatarios=[{"tipo": "unidad", "id": "PRU-B"}]),
    )
    final = await review_finalize_sign(
        world, oficio_id, "autor@A", None, [("autor@A", efirma(world, pki, "autor@A"))]
    )
    folio = final["folio"]

    # It appears without reloading the page, bold (unread), with the folder's unread count.
    row = await _row(titular, folio)
    await row.wait_for(timeout=60_000)
    assert asunto in await row.inner_text()
    assert "no-leido" in (await row.get_attribute("class") or "")
    counter = titular.locator("#carpetas button[data-carpeta=recibidos] .contador")
    assert (await counter.inner_text()).startswith("(")

    # Opening it shows the delivery and the page posts the receipt (acuse de recibo): a GET alone
    # records nothing (issue 13), the POST with the CSRF token does.
    await row.click()
    await titular.wait_for_selector("#detalle:not([hidden])")
    assert folio in await titular.inner_text("#detalle-titulo")
    await wait_until(titular, "document.querySelector('#detalle-datos').textContent.includes('Recibido')")
    # The list follows once the receipt is posted: the row is no longer unread.
    await wait_until(
        titular,
        "(f) => [...document.querySelectorAll('#elementos tbody tr')]"
        ".some((tr) => tr.textContent.includes(f) && !tr.classList.contains('no-leido'))",
        folio,
    )
    assert await titular.is_hidden("#accion-acuse")
    assert await titular.inner_text("#aviso") == "Acuse de recibo registrado."
    await wait_until(
        titular,  # the PDF drawn, or why not (until recipients may read it)
        "/^([0-9]+ página|No se pudo)/.test(document.querySelector('#visor-estado').textContent)",
    )
    await titular.set_viewport_size(DESKTOP)
    await no_horizontal_scroll(titular)
    await shot(titular, "bandeja-recibido-1366")

    # Turn it to a subordinate of the unit, with an instruction and a deadline in working days.
    subordinate = world.people["funcionario@B"]
    await titular.fill("#turnar-buscar", subordinate.nombre)
    choice = titular.locator(f"#turnar-personas button[data-funcionario='{subordinate.numero_empleado}']")
    await choice.wait_for()
    await choice.click()
    await titular.select_option("#turnar-instruccion", "para_tramite_procedente")
    await titular.fill("#turnar-nota", "Favor de coordinar con Protección Civil.")
    await titular.fill("#turnar-dias", "5")
    await titular.click("#boton-turnar")
    await wait_until(titular, "document.querySelector('#aviso').textContent === 'Turnado.'")
    assert await titular.inner_text("#error") == ""
    # The form starts afresh: nobody chosen, so a second click turns it to nobody again.
    assert await titular.locator("#turnar-personas li").count() == 0
    for field in ("#turnar-buscar", "#turnar-nota", "#turnar-dias"):
        assert await titular.input_value(field) == ""
    await titular.click("#boton-turnar")
    nobody = "document.querySelector('#error').textContent === 'Elija a quién turnar el oficio.'"
    await wait_until(titular, nobody)
    await titular.wait_for_selector("#arbol-turnos li")
    tree = await titular.inner_text("#arbol-turnos")
    assert "Para trámite procedente" in tree
    assert subordinate.nombre in tree  # people by name, not by employee number

    # The oficio's trajectory, oldest first, says what happened and who did it.
    await wait_until(titular, "document.querySelector('#trayectoria').textContent.includes('Se turnó')")
    steps = await titular.locator("#trayectoria li").all_inner_texts()
    said = [label for step in steps for label in LABELS if label in step]
    assert said == [label for label in LABELS if label in said]  # once each, in the order they happened
    assert set(LABELS[3:]) <= set(said)  # sent, received, turned
    received = next(step for step in steps if EVENT_DESCRIPTIONS["delivery.acknowledged"] in step)
    assert world.people["titular@B"].nombre in received

    # The subordinate finds it in "Turnados a mí", with the instruction and the note.
    sub = await _inbox(browser, world, "funcionario@B")
    await sub.click("#carpetas button[data-carpeta=turnados]")

    async def listed() -> bool:
        # Asks for the folder again; a later poll sees the answer (the row is absent until turned).
        await sub.click("#filtros button[type=submit]")
        return await (await _row(sub, folio)).count() == 1

    await eventually(listed, within=30, interval=0.5)
    await (await _row(sub, folio)).click()
    await sub.wait_for_selector("#detalle:not([hidden])")
    details = await sub.inner_text("#detalle-datos")
    assert "Para trámite procedente" in details
    assert "Favor de coordinar con Protección Civil." in details
    assert world.people["titular@B"].nombre in details  # "Turnado por", by name

    # A search that does not match empties the list; the server's Spanish message on a bad filter.
    await sub.fill("#q", "ningún-folio-así")
    await sub.click("#filtros button[type=submit]")
    await sub.wait_for_selector("#vacio:not([hidden])")
    await sub.fill("#q", "")
    await sub.fill("#desde", "2026-12-31")
    await sub.fill("#hasta", "2026-01-01")
    await sub.click("#filtros button[type=submit]")
    await wait_until(sub, "document.querySelector('#error').textContent.includes('anterior')")
    assert "no puede ser anterior" in await sub.inner_text("#error")

    # The API agrees with what the pages showed.
    client = await world.as_("titular@B")
    page = ok(await client.get("/api/v1/bandeja", params={"q": folio}))
    assert [i["estado"] for i in page["elementos"]] == ["turnado"]
    await titular.close()
    await sub.close()


async def test_a_late_answer_to_an_earlier_search_does_not_replace_the_last_one(
    browser: Browser, world: World
) -> None:
    """Answers come back in any order: a list request made before the person's last search (a live
    refresh, an earlier click) that answers after it is dropped. It once blanked the last search's
    error on a loaded machine."""
    page = await _inbox(browser, world, "funcionario@B")
    await wait_until(page, "document.querySelector('#titulo-carpeta').textContent === 'Recibidos'")
    held: asyncio.Queue[Route] = asyncio.Queue()

    async def hold_the_first(route: Route) -> None:
        url = route.request.url
        if "hasta=2026-01-01" in url and "desde=" not in url:
            await held.put(route)  # answered later, after the search that follows it
        else:
            await route.continue_()

    await page.route("**/api/v1/bandeja?*", hold_the_first)
    await page.fill("#hasta", "2026-01-01")
    await page.click("#filtros button[type=submit]")
    earlier = await asyncio.wait_for(held.get(), timeout=20)
    await page.fill("#desde", "2026-12-31")
    await page.click("#filtros button[type=submit]")
    await wait_until(page, "document.querySelector('#error').textContent.includes('anterior')")

    answered = int(await page.evaluate("Number(document.body.dataset.respuestas || 0)"))
    await earlier.continue_()  # a valid request: its answer would clear the error and fill the list
    await wait_until(page, "(n) => Number(document.body.dataset.respuestas || 0) > n", answered)

    assert "anterior" in await page.inner_text("#error")
