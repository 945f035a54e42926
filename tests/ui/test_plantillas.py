"""The template designer in a real browser (Debian's Chromium, driven by Playwright) on the real stack."""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid
from pathlib import Path

import PIL.Image
import pytest
from playwright.async_api import Browser, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from signum.testing.people import World
from tests.ui.conftest import logged_in, wait_until

pytestmark = pytest.mark.stack


def _letterhead(tmp_path: Path) -> Path:
    image = PIL.Image.new("RGB", (240, 90), (31, 59, 99))
    for x in range(20, 220):
        image.putpixel((x, 45), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    path = tmp_path / "escudo.png"
    path.write_bytes(out.getvalue())
    return path


def pdf_text(pdf: bytes) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext (poppler-utils) is needed"
    return subprocess.run([tool, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


async def _block_kinds(page: Page) -> list[str]:
    return list(await page.eval_on_selector_all("#bloques > li", "items => items.map(i => i.dataset.tipo)"))


async def _move(page: Page, kind: str, steps: int) -> None:
    for _ in range(steps):
        await page.click(f"#bloques > li[data-tipo={kind}] button[title=Subir]")


async def _notice(page: Page, text: str) -> str:
    try:
        await wait_until(
            page, "t => document.getElementById('aviso').textContent.includes(t)", arg=text, timeout=20_000
        )
    except PlaywrightTimeout:
        raise AssertionError(
            f"no notice {text!r}; the page shows: {await page.inner_text('#error')!r}"
        ) from None
    return await page.inner_text("#aviso")


async def _error(page: Page, text: str) -> str:
    await wait_until(
        page, "t => document.getElementById('error').textContent.includes(t)", arg=text, timeout=20_000
    )
    return await page.inner_text("#error")


async def test_an_admin_designs_saves_previews_and_retires_a_template(
    browser: Browser, world: World, tmp_path: Path
) -> None:
    template_id = f"prueba-ui-{uuid.uuid4().hex[:8]}"
    page = await logged_in(browser, world, "administrador@A")
    await page.goto(world.gateway + "/plantillas")
    assert await page.inner_text("h2") == "Diseñador de plantillas"
    await page.wait_for_selector("#lista tbody tr[data-plantilla=municipal-homologado]")

    # From scratch: a blank template that only has the required blocks.
    await page.click("#nueva")
    assert await _block_kinds(page) == [
        "folio",
        "lugar_fecha",
        "asunto",
        "destinatarios",
        "cuerpo",
        "firmas",
        "qr",
    ]
    await page.fill("#p-id", template_id)
    await page.fill("#p-nombre", "Oficio de la Dirección de Pruebas")
    await page.select_option("#p-tamano", "oficio")
    await page.select_option("#p-fuente", "Noto Serif")
    await page.fill("#p-margen-superior", "40")

    # A letterhead image, uploaded and shown on a new letterhead block.
    await page.fill("#imagen-id", "escudo")
    await page.set_input_files("#imagen-archivo", str(_letterhead(tmp_path)))
    await page.wait_for_selector("#imagenes li[data-imagen=escudo] img")
    await page.select_option("#nuevo-bloque", "membrete")
    await page.click("#agregar-bloque")
    membrete = "#bloques > li[data-tipo=membrete]"
    await page.locator(membrete).get_by_label("Imagen", exact=True).select_option("escudo")
    await page.locator(membrete).get_by_label("Ancho de la imagen (mm)").fill("35")

    # A fixed text with a placeholder inserted from the catalogue.
    await page.select_option("#nuevo-bloque", "texto_fijo")
    await page.click("#agregar-bloque")
    lines = page.locator("#bloques > li[data-tipo=texto_fijo] textarea")
    await lines.fill("Expediente relacionado: ")
    await lines.press("End")
    await page.select_option("#marcador", "referencia.folio")
    assert "oficio que se contesta" in await page.inner_text("#marcador-descripcion")
    await page.click("#insertar-marcador")
    assert await lines.input_value() == "Expediente relacionado: {{referencia.folio}}"

    # Two blocks reordered: the letterhead first, the fixed text right before the body.
    await _move(page, "membrete", 7)
    await _move(page, "texto_fijo", 3)
    order = ["membrete", "folio", "lugar_fecha", "asunto", "destinatarios", "texto_fijo", "cuerpo"]
    assert await _block_kinds(page) == [*order, "firmas", "qr"]

    await page.click("#guardar")
    assert "Se guardó la versión 1" in await _notice(page, "Se guardó")

    admin = await world.as_("administrador@A")
    saved = (await admin.get(f"/api/v1/plantillas/{template_id}")).json()
    datos = saved["datos"]
    assert saved["version"] == 1
    assert [b["kind"] for b in datos["blocks"]] == [*order, "firmas", "qr"]
    assert (datos["page_size"], datos["font"], datos["margins"]["top"]) == ("oficio", "Noto Serif", 40)
    assert datos["images"][0]["id"] == "escudo"
    assert datos["blocks"][0]["image"] == {
        "image_id": "escudo",
        "escudo": False,
        "width": 35,
        "position": "left",
    }
    assert datos["blocks"][5]["lines"] == ["Expediente relacionado: {{referencia.folio}}"]

    # Previews: the PNG is shown as an image, the PDF comes back as a PDF.
    await page.click("#vista-png")
    await wait_until(
        page,
        "() => { const i = document.getElementById('vista-imagen');"
        " return i && i.complete && i.naturalWidth > 0; }",
    )
    assert await page.get_attribute("#vista-previa", "data-tipo") == "image/png"
    width = await page.eval_on_selector("#vista-imagen", "i => i.naturalWidth")
    height = await page.eval_on_selector("#vista-imagen", "i => i.naturalHeight")
    assert height / width == pytest.approx(340 / 216, rel=0.02)  # the Mexican oficio sheet
    await page.click("#vista-pdf")
    await page.wait_for_selector("#vista-documento")
    assert await page.get_attribute("#vista-previa", "data-tipo") == "application/pdf"
    head = await page.eval_on_selector(
        "#vista-documento",
        "async f => { const b = new Uint8Array(await (await fetch(f.src)).arrayBuffer());"
        " return String.fromCharCode(...b.slice(0, 5)); }",
    )
    assert head == "%PDF-"

    # An unknown placeholder: the server's Spanish message is shown, nothing is saved.
    await lines.fill("Expediente: {{expediente.numero}}")
    await page.click("#guardar")
    message = await _error(page, "no existe")
    assert "La plantilla no es válida." in message
    assert "el marcador «{{expediente.numero}}» no existe" in message
    await lines.fill("Expediente: {{referencia.folio}}")

    # Someone else saves version 2 first: this save is refused with 409, in Spanish.
    other = await world.fresh("administrador@A")
    try:
        raced = await other.put(
            f"/api/v1/plantillas/{template_id}",
            json={"version": 1, "plantilla": {**datos, "name": "Cambiada por otra persona"}},
        )
        assert raced.status_code == 200, raced.text
    finally:
        await other.aclose()
    await page.click("#guardar")
    conflict = await _error(page, "cambió")
    assert "La plantilla cambió: la última versión es la 2, no la 1." in conflict
    latest = (await admin.get(f"/api/v1/plantillas/{template_id}")).json()
    assert (latest["version"], latest["nombre"]) == (2, "Cambiada por otra persona")

    # Reopened at the latest version, saved again, then retired.
    await page.click("#cerrar")
    await page.click(f"#lista button[data-plantilla='{template_id}']")
    await wait_until(page, "() => document.getElementById('editor-titulo').textContent.includes('versión 2')")
    await page.fill("#p-nombre", "Oficio de la Dirección de Pruebas (revisado)")
    await page.click("#guardar")
    assert "Se guardó la versión 3" in await _notice(page, "Se guardó")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.click("#retirar")
    await _notice(page, "La plantilla se retiró.")
    assert await page.locator(f"#lista tbody tr[data-plantilla='{template_id}']").count() == 0
    listed = (await admin.get("/api/v1/plantillas")).json()
    assert template_id not in [t["plantilla_id"] for t in listed]
    await page.context.close()


async def test_an_official_who_is_not_an_administrator_cannot_reach_the_designer(
    browser: Browser, world: World
) -> None:
    page = await logged_in(browser, world, "funcionario@A")
    response = await page.goto(world.gateway + "/plantillas")
    assert response is not None
    assert response.status == 403
    assert await page.inner_text("h2") == "Acceso denegado"
    assert await page.inner_text("[role=alert]") == "Solo el personal administrador puede diseñar plantillas."
    # The API under the page refuses too, whatever a page does.
    refused = await page.evaluate(
        """async () => {
          const csrf = document.cookie.split('; ').find(c => c.startsWith('signum_csrf=')).split('=')[1];
          const r = await fetch('/api/v1/plantillas', {method: 'POST',
            headers: {'content-type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf)},
            body: '{}'});
          return [r.status, (await r.json()).message];
        }"""
    )
    assert refused[0] == 403
    await page.context.close()

    anonymous = await browser.new_page()
    await anonymous.goto(world.gateway + "/plantillas")
    assert await anonymous.inner_text("h2") == "Iniciar sesión"  # sent to log in
    await anonymous.close()


async def test_an_admin_sets_the_legend_and_escudo_of_a_dependencia_without_redeploying(
    browser: Browser, world: World
) -> None:
    page = await logged_in(browser, world, "administrador@A")
    await page.goto(world.gateway + "/plantillas")
    await page.click("#lista button[data-plantilla='municipal-homologado']")
    general = page.locator("#identidades > li").first
    await general.get_by_label("Leyenda del año").wait_for()
    # The demo's values are there, and say they are the demo's.
    assert "demostración" in await general.get_by_label("Nota (no se imprime)").input_value()
    assert await general.get_by_label("Escudo").input_value() == "escudo-demo"

    await general.get_by_label("Leyenda del año").fill("2026, Año de la Prueba General")
    await page.click("#agregar-identidad")
    own = page.locator("#identidades > li").nth(1)
    await own.get_by_label("Dependencia (id; vacío: todas)").fill("SAY")
    await own.get_by_label("Leyenda del año").fill("Leyenda propia de la Secretaría del Ayuntamiento")
    await own.get_by_label("Escudo").select_option("")
    assert await own.get_by_label("Escudo").locator("option").first.inner_text() == "El general"
    shots = Path(__file__).parent / "screenshots"
    shots.mkdir(exist_ok=True)
    await page.locator("#identidades").screenshot(path=str(shots / "plantillas-identidades.png"))
    await page.click("#guardar")
    assert "Se guardó la versión" in await _notice(page, "Se guardó")

    admin = await world.as_("administrador@A")
    saved = (await admin.get("/api/v1/plantillas/municipal-homologado")).json()
    assert [(i["dependencia"], i["leyenda"], i["escudo"]) for i in saved["datos"]["identidades"]] == [
        ("", "2026, Año de la Prueba General", "escudo-demo"),
        ("SAY", "Leyenda propia de la Secretaría del Ayuntamiento", None),
    ]
    preview = await admin.get(
        "/api/v1/plantillas/municipal-homologado/vista-previa", params={"formato": "pdf"}
    )
    assert preview.status_code == 200, preview.text
    assert b"%PDF" in preview.content[:8]
    text = pdf_text(preview.content)
    assert "2026, Año de la Prueba General" in text  # the sample oficio belongs to no listed dependencia
    await page.context.close()
