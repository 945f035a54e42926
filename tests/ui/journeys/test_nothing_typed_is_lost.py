"""Journey (c): nothing typed on the drafting page is lost, in a real browser on the real stack.

Text typed and not saved survives "Solicitar revisión" (the page saves first); leaving the page with
it asks first (and staying keeps it); two people editing the same draft at once in separate browser
contexts: the second saver gets the conflict, keeps their text with the word diff and re-applies it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Browser, Dialog, Page

from signum.testing.people import World
from tests.ui.conftest import logged_in, wait_until
from tests.ui.journeys.screens import screenshot_path
from tests.ui.test_redaccion import _error, _notice

pytestmark = pytest.mark.stack

AUTHOR, EDITOR, REVIEWER = "autor@A", "funcionario@A", "oficialia@A"


async def _draft(world: World, asunto: str, colaboradores: list[dict[str, str]]) -> str:
    author = await world.as_(AUTHOR)
    created = await author.post("/api/v1/oficios", json={"asunto": asunto, "colaboradores": colaboradores})
    assert created.status_code == 201, created.text
    oficio_id: str = created.json()["id"]
    return oficio_id


async def _open(page: Page, world: World, oficio_id: str, version: int) -> None:
    await page.goto(f"{world.gateway}/redaccion?oficio={oficio_id}")
    await wait_until(page, "v => document.getElementById('version').textContent === v", arg=str(version))


async def _type_in_body(page: Page, text: str) -> None:
    await page.click("#cuerpo")
    await page.keyboard.press("Control+End")
    await page.keyboard.type(text)


async def _saved(world: World, oficio_id: str) -> dict[str, Any]:
    found = await (await world.as_(AUTHOR)).get(f"/api/v1/oficios/{oficio_id}")
    assert found.status_code == 200, found.text
    saved: dict[str, Any] = found.json()
    return saved


def _body_text(oficio: dict[str, Any]) -> str:
    return " ".join(
        child.get("text", "")
        for block in oficio["contenido"]["cuerpo"]["blocks"]
        for child in block.get("children", [])
    )


async def test_text_typed_before_asking_for_review_is_saved_first(browser: Browser, world: World) -> None:
    reviewer = world.people[REVIEWER].numero_empleado
    oficio_id = await _draft(
        world, "Revisión sin guardar antes", [{"funcionario_id": reviewer, "rol": "revisor"}]
    )
    page = await logged_in(browser, world, AUTHOR)
    try:
        await _open(page, world, oficio_id, 1)
        await _type_in_body(page, "Párrafo escrito justo antes de pedir la revisión.")
        await page.wait_for_selector("#sin-guardar", state="visible")
        await page.click("#solicitar-revision")  # no "Guardar" first
        await _notice(page, "Se solicitó la revisión")
        saved = await _saved(world, oficio_id)
        assert (saved["status"], saved["version"]) == ("en_revision", 2)
        assert "Párrafo escrito justo antes de pedir la revisión." in _body_text(saved)
        assert [(r["revisor_id"], r["estado"]) for r in saved["revisiones"]] == [(reviewer, "pendiente")]
        assert "Párrafo escrito justo antes" in await page.inner_text("#cuerpo")
        assert await page.locator("#sin-guardar").is_hidden()
    finally:
        await page.context.close()


async def test_leaving_with_unsaved_text_asks_first_and_staying_keeps_it(
    browser: Browser, world: World
) -> None:
    oficio_id = await _draft(world, "Salir sin guardar", [])
    page = await logged_in(browser, world, AUTHOR)
    asked: list[str] = []
    dialog_seen = asyncio.Event()

    async def stay(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog_seen.set()
        await dialog.dismiss()  # "Quedarse en la página"

    try:
        await _open(page, world, oficio_id, 1)
        # Saved and untouched: leaving asks nothing.
        await page.click("header nav a[href='/']")
        await page.wait_for_url(world.gateway + "/")
        await _open(page, world, oficio_id, 1)

        await _type_in_body(page, "Texto que no quiero perder.")
        page.on("dialog", stay)
        await page.click("header nav a[href='/']", no_wait_after=True)
        await asyncio.wait_for(dialog_seen.wait(), timeout=20)
        assert asked == ["beforeunload"]
        assert "/redaccion?oficio=" in page.url
        assert "Texto que no quiero perder." in await page.inner_text("#cuerpo")
        assert await page.locator("#sin-guardar").is_visible()
        page.remove_listener("dialog", stay)

        # Once saved, the person leaves without being asked.
        await page.click("#guardar")
        await _notice(page, "Se guardó la versión 2")
        await page.click("header nav a[href='/']")
        await page.wait_for_url(world.gateway + "/")
        assert asked == ["beforeunload"]
        assert "Texto que no quiero perder." in _body_text(await _saved(world, oficio_id))
    finally:
        await page.context.close()


async def test_the_second_saver_keeps_their_text_sees_the_diff_and_reapplies_it(
    browser: Browser, world: World
) -> None:
    editor = world.people[EDITOR].numero_empleado
    oficio_id = await _draft(world, "Dos personas a la vez", [{"funcionario_id": editor, "rol": "editor"}])
    first = await logged_in(browser, world, AUTHOR)
    second = await logged_in(browser, world, EDITOR)
    try:
        await asyncio.gather(_open(first, world, oficio_id, 1), _open(second, world, oficio_id, 1))
        # Both write at once, in separate browsers; the editor also fills the initials.
        await _type_in_body(first, "La autora pide el informe anual.")
        await _type_in_body(second, "El editor pide el informe mensual.")
        await second.fill("#e-iniciales", "ALG/ed")

        await first.click("#guardar")
        await _notice(first, "Se guardó la versión 2")
        await second.click("#guardar")
        await _error(second, "Otra persona guardó cambios")

        # Nothing was overwritten; the editor's page shows version 2 and keeps the editor's text.
        saved = await _saved(world, oficio_id)
        assert saved["version"] == 2
        assert _body_text(saved) == "La autora pide el informe anual."
        await wait_until(second, "() => document.getElementById('version').textContent === '2'")
        assert "La autora pide el informe anual." in await second.inner_text("#cuerpo")
        assert await second.input_value("#e-iniciales") == "ALG/ed"  # only the editor changed it: kept
        box = second.locator("#conflicto")
        await box.wait_for()
        assert "Cuerpo" in await box.inner_text()
        diff = box.locator("[data-bloque=cuerpo]")
        await diff.wait_for()
        assert "mensual" in " ".join(await diff.locator("ins").all_inner_texts())
        assert "anual" in " ".join(await diff.locator("del").all_inner_texts())
        for width in (1366, 390):
            await second.set_viewport_size({"width": width, "height": 900})
            scroll = await second.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert scroll <= 0, f"the page scrolls sideways by {scroll} px at {width} px"
            await second.screenshot(path=screenshot_path(f"redaccion-conflicto-{width}"), full_page=True)

        await second.click("#reaplicar")
        await _notice(second, "Se reaplicó su texto sobre la versión 2")
        assert "El editor pide el informe mensual." in await second.inner_text("#cuerpo")
        assert await box.is_hidden()
        await second.click("#guardar")
        await _notice(second, "Se guardó la versión 3")
        saved = await _saved(world, oficio_id)
        assert _body_text(saved) == "El editor pide el informe mensual."
        assert saved["contenido"]["iniciales"] == "ALG/ed"
        # The author's text is in version 2, seen word by word in the tracked changes.
        await second.select_option("#v-desde", "2")
        await second.select_option("#v-hasta", "3")
        await second.click("#comparar")
        changes = second.locator("#diferencias [data-bloque=cuerpo]")
        await changes.wait_for()
        assert "anual" in " ".join(await changes.locator("del").all_inner_texts())
    finally:
        await first.context.close()
        await second.context.close()
