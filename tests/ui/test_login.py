"""Logging in and out in a real browser (Chromium from Debian, driven by Playwright)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from signum.testing.people import PASSWORD, World
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.stack


async def test_an_official_logs_in_sees_their_page_and_logs_out(browser: Browser, world: World) -> None:
    person = world.people["titular@A"]
    page = await browser.new_page()
    await page.goto(world.gateway + "/")
    assert await page.inner_text("h2") == "Iniciar sesión"
    assert await page.get_attribute("html", "lang") == "es-MX"

    await page.fill("#usuario", person.correo)
    await page.fill("#contrasena", "no-es-la-contraseña")
    await page.click("button[type=submit]")
    await wait_until(page, "document.getElementById('error').textContent.length > 0")
    assert await page.inner_text("#error") == "Usuario o contraseña incorrectos."

    await page.fill("#contrasena", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#salir")
    assert person.nombre in await page.inner_text("h2")
    assert "titular" in await page.inner_text("main")
    # The session cookie is HttpOnly: page scripts cannot read it; the CSRF cookie they can.
    cookies = await page.evaluate("document.cookie")
    assert "signum_sesion" not in cookies
    assert "signum_csrf=" in cookies

    await page.click("#salir")
    await page.wait_for_selector("#entrar")
    await page.goto(world.gateway + "/")
    assert await page.inner_text("h2") == "Iniciar sesión"
    await page.close()


async def test_the_user_part_of_the_email_is_enough_and_the_unit_shows_by_name(
    browser: Browser, world: World
) -> None:
    person = world.people["titular@A"]
    page = await (await browser.new_context()).new_page()
    await page.goto(world.gateway + "/")
    assert await page.inner_text("label[for=usuario]") == "Correo institucional o usuario"
    await page.fill("#usuario", person.correo.split("@")[0].upper())  # "titular.a", any case
    await page.fill("#contrasena", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#salir")
    assert person.nombre in await page.inner_text("h2")
    main = await page.inner_text("main")
    assert "Dirección de Pruebas A" in main
    assert person.unidad not in main  # the name, not the code
    await page.context.close()
