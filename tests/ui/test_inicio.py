"""The start page and the Por revisar folder in a real browser: what waits on the official is
counted (por revisar, por firmar, recibidos sin abrir, turnados a mí sin abrir, vencidos), a review
request reaches the reviewer live (server-sent events), an oficio turned to an official shows on
theirs live, and each count leads to its folder. Screenshots at 390 and
1,366 px in tests/ui/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page

from signum.testing.people import World
from tests.routing.helpers import new_draft, ok, sent_oficio, wait_item
from tests.ui.conftest import wait_until
from tests.ui.test_bandeja_envio import DESKTOP, PHONE, no_horizontal_scroll, person, shot

pytestmark = pytest.mark.stack


async def count(page: Page, key: str) -> int:
    text = await page.inner_text(f"#pendientes a[data-pendiente={key}] .cifra")
    return int(text)


async def test_a_review_request_reaches_the_reviewer_live_and_waits_in_por_revisar(
    browser: Browser, world: World
) -> None:
    reviewer = await person(browser, world, "titular@A", DESKTOP)
    await wait_until(
        reviewer,
        "/^[0-9]+$/.test("
        "document.querySelector('#pendientes a[data-pendiente=vencidos] .cifra').textContent)",
    )
    before = await count(reviewer, "por_revisar")
    for key in ("por_firmar", "recibidos_sin_abrir", "turnados_sin_abrir", "copias_sin_abrir", "vencidos"):
        assert await count(reviewer, key) >= 0
    await reviewer.wait_for_selector("body[data-escuchando='1']")  # its live stream is open

    asunto = "Lineamientos para el uso de vehículos oficiales"
    oficio_id = await new_draft(world, "autor@A", asunto, [("titular@A", "revisor")])
    author = await world.as_("autor@A")
    ok(await author.post(f"/api/v1/oficios/{oficio_id}/revisiones", json={}))

    # Live, without reloading: who asked, for which oficio, and the count grows by one.
    await wait_until(
        reviewer, f"document.querySelector('#aviso').textContent.includes({asunto!r})", timeout=30_000
    )
    assert world.people["autor@A"].nombre in await reviewer.inner_text("#aviso")
    await wait_until(
        reviewer,
        "Number(document.querySelector('#pendientes a[data-pendiente=por_revisar] .cifra').textContent)"
        f" === {before + 1}",
    )
    await no_horizontal_scroll(reviewer)
    await shot(reviewer, "inicio-1366")

    # The count leads to the Por revisar folder, where the oficio waits (bold: not done yet).
    await reviewer.click("#pendientes a[data-pendiente=por_revisar]")
    await wait_until(reviewer, "document.querySelector('#titulo-carpeta').textContent === 'Por revisar'")
    row = reviewer.locator("#elementos tbody tr", has_text=asunto)
    await row.wait_for()
    assert "no-leido" in (await row.get_attribute("class") or "")
    counter = reviewer.locator("#carpetas button[data-carpeta=por_revisar] .contador")
    assert await counter.inner_text() == f"({before + 1})"
    # Opening it leads to the editor, where the review is given.
    await row.click()
    await reviewer.wait_for_url(f"**/redaccion?oficio={oficio_id}")

    # The other counts lead to their folders too.
    phone = await person(browser, world, "titular@A", PHONE)
    await wait_until(
        phone,
        "/^[0-9]+$/.test("
        "document.querySelector('#pendientes a[data-pendiente=por_revisar] .cifra').textContent)",
    )
    await no_horizontal_scroll(phone)
    await shot(phone, "inicio-390")
    for key, folder in (
        ("por_firmar", "Por firmar"),
        ("recibidos_sin_abrir", "Recibidos"),
        ("vencidos", "Recibidos"),
    ):
        await phone.goto(world.gateway + "/")
        await phone.click(f"#pendientes a[data-pendiente={key}]")
        await wait_until(phone, f"document.querySelector('#titulo-carpeta').textContent === {folder!r}")
        await no_horizontal_scroll(phone)
    assert await phone.input_value("#estado") == ""  # the last one: overdue ones, of every state
    assert await phone.is_checked("#vencidos")
    for page in (reviewer, phone):
        await page.context.close()


async def test_an_oficio_turned_to_an_official_waits_on_their_start_page(
    browser: Browser, world: World, signing_pki: Any
) -> None:
    titular_b = world.people["titular@B"]
    oficio_id, _ = await sent_oficio(
        world,
        signing_pki[0],
        "Revisión del padrón de proveedores",
        [{"tipo": "funcionario", "id": titular_b.numero_empleado}],
    )
    item = await wait_item(world, "titular@B", oficio_id)
    titular = await world.as_("titular@B")
    ok(await titular.post(f"/api/v1/entregas/{item['entrega_id']}/acuse", json={}))

    subordinate = await person(browser, world, "funcionario@B", DESKTOP)
    card = "#pendientes a[data-pendiente=turnados_sin_abrir] .cifra"
    await wait_until(subordinate, f"/^[0-9]+$/.test(document.querySelector({card!r}).textContent)")
    await subordinate.wait_for_selector("body[data-escuchando='1']")
    before = await count(subordinate, "turnados_sin_abrir")
    turned = {
        "destinatarios": [world.people["funcionario@B"].numero_empleado],
        "instruccion": "para_su_atencion",
        "dias_habiles": 3,
    }
    ok(await titular.post(f"/api/v1/entregas/{item['entrega_id']}/turnos", json=turned))

    # Live, without reloading: what was turned to them waits on their start page ...
    await wait_until(
        subordinate, f"Number(document.querySelector({card!r}).textContent) === {before + 1}", timeout=30_000
    )
    assert "Turnados a mí sin abrir" in await subordinate.inner_text("#pendientes")
    await no_horizontal_scroll(subordinate)
    await shot(subordinate, "inicio-turnado-1366")
    # ... and leads to Turnados a mí, where it is, unopened.
    await subordinate.click("#pendientes a[data-pendiente=turnados_sin_abrir]")
    await wait_until(subordinate, "document.querySelector('#titulo-carpeta').textContent === 'Turnados a mí'")
    row = subordinate.locator("#elementos tbody tr", has_text="Revisión del padrón de proveedores")
    await row.wait_for()
    assert "no-leido" in (await row.get_attribute("class") or "")
    await subordinate.context.close()
