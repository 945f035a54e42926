"""In Chromium against the real platform: the administrators' status page, Spanish pages instead of
JSON for people, and the API documentation that renders with no request leaving the gateway."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Request

from signum.testing.people import World
from tests.ui.conftest import logged_in, watch_csp

pytestmark = pytest.mark.stack

SCREENSHOTS = Path(__file__).parent / "screenshots"
SERVICES = (
    "Redacción de oficios",
    "Entrega de oficios (bandejas y acuses)",
    "Firma electrónica y verificación",
    "Almacenamiento de documentos",
    "Indicadores",
)


async def test_only_administrators_see_the_platform_status_in_spanish(browser: Browser, world: World) -> None:
    admin = await logged_in(browser, world, "administrador@A")
    await admin.click("a[href='/estado']")
    await admin.wait_for_selector("#servicios")
    assert await admin.inner_text("h2") == "Estado de la plataforma"
    assert await admin.inner_text("#resumen") == "Todos los servicios están disponibles."
    table = await admin.inner_text("#servicios")
    for label in SERVICES:
        assert label in table
    assert "No disponible" not in table
    assert table.count("Disponible") >= len(SERVICES)
    SCREENSHOTS.mkdir(exist_ok=True)
    await admin.set_viewport_size({"width": 390, "height": 844})
    widths = await admin.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    await admin.screenshot(path=str(SCREENSHOTS / "estado-plataforma-390.png"), full_page=True)
    await admin.context.close()

    clerk = await logged_in(browser, world, "titular@A")
    assert await clerk.locator("a[href='/estado']").count() == 0
    assert await clerk.locator("a[href='/readyz']").count() == 0
    refused = await clerk.goto(world.gateway + "/estado")
    assert refused is not None
    assert refused.status == 403
    assert await clerk.inner_text("h2") == "Acceso denegado"
    assert "Solo el personal administrador" in await clerk.inner_text("[role=alert]")
    # An address that is no page: a Spanish page, not the API's JSON.
    missing = await clerk.goto(world.gateway + "/bandeja/no-existe")
    assert missing is not None
    assert missing.status == 404
    assert await clerk.inner_text("h2") == "Página no encontrada"
    await clerk.context.close()


async def test_the_api_documentation_renders_from_the_gateway_alone(browser: Browser, world: World) -> None:
    page = watch_csp(await (await browser.new_context()).new_page())
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    await page.goto(world.gateway + "/docs")
    await page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "Signum API" in await page.inner_text(".swagger-ui .info .title")
    await page.wait_for_selector(".opblock-tag-section", timeout=30_000)
    assert await page.locator(".opblock").count() > 20  # every operation of the API is listed
    elsewhere = [r.url for r in sent if not r.url.startswith(world.gateway) and not r.url.startswith("data:")]
    assert not elsewhere, elsewhere
    assert not failed, failed
    await page.context.close()
