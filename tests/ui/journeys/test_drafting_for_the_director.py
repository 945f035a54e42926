"""Item 3's everyday case in a real browser: a funcionaria drafts, her director signs.

She picks him from the directory as the signer (the sender follows), independent of the reviewer
she also picks; the reviewer asks for changes; she then makes the reviewer an editor, and the review
stays in the history. She finalizes; the signer fixed at finalization is the director, and the
oficio waits in his "Por firmar", not hers.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page

from signum.testing.kafka import eventually
from signum.testing.people import World
from tests.ui.conftest import logged_in, wait_until
from tests.ui.journeys.screens import screenshot_path
from tests.ui.test_redaccion import _notice

pytestmark = pytest.mark.stack

DRAFTER, DIRECTOR, RECIPIENT, COLLEAGUE = "funcionario@A", "titular@A", "titular@B", "oficialia@A"


async def _no_horizontal_scroll(page: Page) -> None:
    width = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0, f"the page scrolls sideways by {width} px"


async def test_a_funcionaria_drafts_and_her_director_signs(browser: Browser, world: World) -> None:
    director = world.people[DIRECTOR]
    recipient = world.people[RECIPIENT]
    director_name = f"{director.nombre} {director.paterno} {director.materno}"
    page = await logged_in(browser, world, DRAFTER)
    await page.set_viewport_size({"width": 1366, "height": 900})
    try:
        await page.goto(world.gateway + "/redaccion")
        await page.wait_for_selector("#n-plantilla option[value=municipal-homologado]", state="attached")
        await page.fill("#n-asunto", "Solicitud de apoyo logístico para el informe anual")
        await page.click("#crear")
        await _notice(page, "Se creó el borrador")
        oficio_id = page.url.split("oficio=")[1]

        # The director, found by his name in the directory, signs; the sender follows him.
        await page.fill("#d-texto", director.paterno)
        await page.click("#d-buscar")
        await page.click(f"#d-resultados li[data-id='{director.numero_empleado}'] >> text=Firmante")
        await _notice(page, f"{director_name} firmará el oficio (firmante 1); también es el remitente")
        assert await page.input_value("#r-nombre") == director_name
        assert await page.input_value("#r-cargo") == "Director de Pruebas A"
        signers = page.locator("#firmantes li")
        assert await signers.all_inner_texts() == [f"1. {director_name}, Director de Pruebas A Quitar"]

        await page.fill("#d-texto", recipient.correo)
        await page.click("#d-buscar")
        await page.click(f"#d-resultados li[data-id='{recipient.numero_empleado}'] >> text=Destinatario")
        await page.click("#cuerpo")
        await page.keyboard.type("Solicito su apoyo con el salón de cabildo el próximo lunes.")
        await page.fill("#e-iniciales", "LSR/bsl")
        for width, name in ((1366, "escritorio-1366"), (390, "telefono-390")):
            await page.set_viewport_size({"width": width, "height": 900})
            await _no_horizontal_scroll(page)
            await page.screenshot(path=screenshot_path(f"redaccion-firmante-{name}"), full_page=True)
        await page.set_viewport_size({"width": 1366, "height": 900})

        # The preview says it shows what is not saved yet.
        await page.click("#vista-previa-pdf")
        await page.wait_for_selector("#vista-documento")
        assert await page.get_attribute("#vista-previa", "data-sin-guardar") == "true"
        assert "cambios sin guardar" in await page.inner_text("#vista-previa-nota")

        colleague = world.people[COLLEAGUE]
        await page.fill("#d-texto", colleague.correo)
        await page.click("#d-buscar")
        await page.click(f"#d-resultados li[data-id='{colleague.numero_empleado}'] >> text=Revisor(a)")

        await page.click("#guardar")
        await _notice(page, "Se guardó la versión 2")
        drafter = await world.as_(DRAFTER)
        saved: dict[str, Any] = (await drafter.get(f"/api/v1/oficios/{oficio_id}")).json()
        assert saved["contenido"]["firmantes"] == [
            {
                "funcionario_id": director.numero_empleado,
                "nombre": director_name,
                "cargo": "Director de Pruebas A",
                "en_ausencia_de": None,
            }
        ]
        assert director.numero_empleado in saved["participantes"]
        assert (saved["permisos"]["editar"], saved["permisos"]["finalizar"]) == (True, True)

        await page.click("#vista-previa-pdf")
        await wait_until(
            page,
            "t => document.getElementById('vista-previa-nota').textContent.includes(t)",
            arg="tal como está guardada",
        )

        # The colleague reviews and asks for changes; the director is still the only signer.
        await page.click("#solicitar-revision")
        await _notice(page, "Se solicitó la revisión")
        reviewer = await world.as_(COLLEAGUE)
        asked = await reviewer.post(
            f"/api/v1/oficios/{oficio_id}/dictamenes",
            json={"resultado": "cambios_solicitados", "version": 2, "comentario": "Mencione el horario."},
        )
        assert asked.status_code == 200, asked.text
        # She makes the colleague an editor instead: the review stays, and nobody is awaited.
        await page.reload()
        await wait_until(page, "() => document.getElementById('estado').dataset.status === 'borrador'")
        role = page.locator(f"#colaboradores li[data-funcionario='{colleague.numero_empleado}'] select")
        await role.select_option("editor")
        await page.wait_for_selector("#sin-guardar", state="visible")
        await page.click("#finalizar")  # saves the change of role first
        await _notice(page, "Oficio listo para firma con el folio")
        history = await page.inner_text(f"#revisiones li[data-revisor='{colleague.numero_empleado}']")
        assert "cambios solicitados (versión 2) — «Mencione el horario.» — ya no es revisor(a)" in history
        finalized = (await drafter.get(f"/api/v1/oficios/{oficio_id}")).json()
        assert finalized["status"] == "listo_para_firma"
        assert finalized["colaboradores"] == [{"funcionario_id": colleague.numero_empleado, "rol": "editor"}]
        assert [(r["revisor_id"], r["estado"]) for r in finalized["revisiones"]] == [
            (colleague.numero_empleado, "cambios_solicitados")
        ]

        # Signing learns of the oficio from its event: it waits in the director's "Por firmar" only.
        mine = await world.as_(DRAFTER)

        async def pending_for_director() -> bool:
            found = await (await world.as_(DIRECTOR)).get("/api/v1/firmas/pendientes")
            return found.status_code == 200 and oficio_id in found.text

        await eventually(pending_for_director, within=30)
        assert oficio_id not in (await mine.get("/api/v1/firmas/pendientes")).text
        director_page = await logged_in(browser, world, DIRECTOR)
        try:
            await director_page.goto(world.gateway + "/firmar")
            row = director_page.locator(f"tr[data-oficio='{oficio_id}']")
            await row.wait_for()
            assert finalized["folio"] in await row.inner_text()
        finally:
            await director_page.context.close()
    finally:
        await page.context.close()
