"""When the seal cannot be made (signing down), the recipient's page says the receipt was recorded
and the sealed acuse is pending, instead of "se está emitiendo" forever; once signing is back the
retry job seals it and the page links it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser

from signum.testing.people import World
from signum.testing.processes import ServiceProcess
from tests.routing.helpers import content, efirma, new_draft, review_finalize_sign, save_content
from tests.ui.conftest import logged_in, wait_until

pytestmark = pytest.mark.stack


async def test_the_page_says_the_sealed_acuse_is_pending_while_signing_is_down(
    browser: Browser, world: World, platform: dict[str, ServiceProcess], signing_pki: Any
) -> None:
    oficio_id = await new_draft(world, "autor@A", "Solicitud de información del padrón de proveedores")
    recipient = {"tipo": "funcionario", "id": world.people["funcionario@B"].numero_empleado}
    body = content(world, "autor@A", ["autor@A"], destinatarios=[recipient])
    await save_content(world, "autor@A", oficio_id, body)
    pki = signing_pki[0]
    final = await review_finalize_sign(
        world, oficio_id, "autor@A", None, [("autor@A", efirma(world, pki, "autor@A"))]
    )
    page = await logged_in(browser, world, "funcionario@B")
    signing = platform["signing"]
    try:
        await page.goto(world.gateway + "/bandeja")
        row = page.locator("#elementos tbody tr", has_text=final["folio"])
        await row.wait_for(timeout=60_000)
        signing.stop()  # the seal cannot be made from now on
        await row.click()
        await page.wait_for_selector("#detalle:not([hidden])")

        pending = "el acuse sellado está pendiente porque el servicio de sellado no está disponible"

        async def reopen() -> str:
            await page.reload()
            await page.locator("#elementos tbody tr", has_text=final["folio"]).click()
            await page.wait_for_selector("#detalle:not([hidden])")
            await wait_until(page, "document.querySelector('#detalle-enlaces').textContent.length > 0")
            return await page.inner_text("#detalle-enlaces")

        links = await reopen()
        for _ in range(20):  # routing's first attempt runs in the background right after opening
            if pending in links:
                break
            await page.wait_for_timeout(500)
            links = await reopen()
        assert pending in links
        assert "Recepción registrada el" in links
        assert "se está emitiendo" not in links
    finally:
        signing.start()
        signing.wait_healthy("/readyz", timeout=120)

    # Signing is back: routing's retry (every 2 s here) seals it, and the open page lists the sealed
    # acuse among the documents as it happens (routing tells the page; nobody reloads it).
    sealed = page.locator("#documentos-lista a", has_text="Acuse de recibo sellado")
    await sealed.wait_for(timeout=120_000)
    assert pending not in await page.inner_text("#detalle-enlaces")
    await page.context.close()
