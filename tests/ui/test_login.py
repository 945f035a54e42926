"""Logging in and out in a real browser (Chromium from Debian, driven by Playwright)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from signum.testing.people import PASSWORD, World
from tests.ui.conftest import wait_until

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

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


async def test_every_page_has_its_icon(browser: Browser, world: World) -> None:
    # Without an icon of its own a page makes the browser ask for /favicon.ico: a 404 in the
    # console of every page.
    page = await browser.new_page()
    missing: list[str] = []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    for path in ("/", "/verificar"):
        await page.goto(world.gateway + path)
        href = await page.get_attribute("link[rel=icon]", "href")
        assert href == "/static/favicon.svg", (path, href)
    icon = await page.request.get(world.gateway + "/static/favicon.svg")
    assert icon.status == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    await page.reload()
    await page.wait_for_load_state("networkidle")
    assert missing == [], missing
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


async def test_a_temporary_password_asks_for_a_new_one_before_anything_else(
    browser: Browser, world: World
) -> None:
    key = "auditor@B"
    person = world.people[key]
    admin = await world.fresh("administrador@A")
    try:
        reset = await admin.post(f"/api/v1/admin/cuentas/{person.numero_empleado}/restablecer")
        assert reset.status_code == 200, reset.text
    finally:
        await admin.aclose()
    stale = world.clients.pop(key, None)  # the reset ended that session
    if stale is not None:
        await stale.aclose()
    temporary = reset.json()["contrasena_temporal"]
    new_password = "ClaveNuevaDePrueba2027"

    page = await (await browser.new_context()).new_page()
    page.set_default_timeout(20_000)
    try:
        await page.goto(world.gateway + "/")
        await page.fill("#usuario", person.correo)
        await page.fill("#contrasena", temporary)
        await page.click("#entrar button[type=submit]")
        await page.wait_for_selector("#cambiar-caja:not([hidden])")
        assert await page.is_hidden("#entrar")
        assert "contraseña temporal" in await page.inner_text("#cambiar-caja")
        SCREENSHOTS.mkdir(exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / "cambiar-contrasena.png", full_page=True)
        # Until it is changed, the start page is the login page again (the API refuses the rest).
        other = await page.context.new_page()
        await other.goto(world.gateway + "/")
        assert await other.inner_text("h2") == "Iniciar sesión"
        refused = await other.evaluate("fetch('/api/v1/sesion').then(r => r.json())")
        assert refused["code"] == "password_change_required"
        await other.close()

        await page.fill("#nueva", new_password)
        await page.fill("#confirmar", new_password + "x")
        await page.click("#cambiar button[type=submit]")
        await wait_until(page, "document.getElementById('error-cambiar').textContent.length > 0")
        assert await page.inner_text("#error-cambiar") == "Las dos contraseñas no coinciden."
        await page.fill("#confirmar", new_password)
        await page.click("#cambiar button[type=submit]")
        await page.wait_for_selector("#salir")
        assert person.nombre in await page.inner_text("h2")
    finally:
        await page.context.close()
    # Back to the test password, for the tests that log in as this person later.
    async with httpx.AsyncClient(base_url=world.gateway, timeout=30) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"usuario": person.correo, "contrasena": new_password}
        )
        assert (login.status_code, login.json()["debe_cambiar_contrasena"]) == (200, False)
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        back = await client.post("/api/v1/auth/contrasena", json={"actual": new_password, "nueva": PASSWORD})
        assert back.status_code == 204, back.text
