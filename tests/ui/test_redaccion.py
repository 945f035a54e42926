"""Drafting an oficio in a real browser (Debian's Chromium, driven by Playwright) on the real stack:
the author writes and saves twice, sees the tracked changes, a concurrent save is refused, a
reviewer comments and gives visto bueno, the titular finalizes and the folio is shown."""

from __future__ import annotations

import io
import re

import pytest
from playwright.async_api import Browser, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout
from pypdf import PdfReader

from signum.testing.kafka import eventually
from signum.testing.people import World
from tests.ui.conftest import logged_in, wait_until

pytestmark = pytest.mark.stack


async def _notice(page: Page, text: str) -> str:
    try:
        await wait_until(
            page, "t => document.getElementById('aviso').textContent.includes(t)", arg=text, timeout=30_000
        )
    except PlaywrightTimeout:
        raise AssertionError(
            f"no notice {text!r}; the page shows: {await page.inner_text('#error')!r}"
        ) from None
    return await page.inner_text("#aviso")


async def _error(page: Page, text: str) -> str:
    await wait_until(
        page, "t => document.getElementById('error').textContent.includes(t)", arg=text, timeout=30_000
    )
    return await page.inner_text("#error")


async def _select_word(page: Page, word: str) -> None:
    """Select `word` in the body, as a person double-clicking it would."""
    await page.evaluate(
        """w => {
          const walker = document.createTreeWalker(document.getElementById('cuerpo'), NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const at = n.textContent.indexOf(w);
            if (at >= 0) {
              const range = document.createRange();
              range.setStart(n, at);
              range.setEnd(n, at + w.length);
              const selection = window.getSelection();
              selection.removeAllRanges();
              selection.addRange(range);
              return;
            }
          }
          throw new Error('not in the body: ' + w);
        }""",
        word,
    )


async def test_author_writes_reviewer_approves_titular_finalizes(browser: Browser, world: World) -> None:
    author_key, reviewer_key = "autor@A", "funcionario@A"
    reviewer = world.people[reviewer_key]
    recipient = world.people["titular@B"]

    # The gateway's directory reaches drafting's read model through Kafka (seeded at start).
    async def directory_in_drafting() -> bool:
        client = await world.as_(author_key)
        found = await client.get("/api/v1/directorio/funcionarios", params={"q": recipient.correo})
        return found.status_code == 200 and bool(found.json()["funcionarios"])

    await eventually(directory_in_drafting, within=20)

    page = await logged_in(browser, world, author_key)
    await page.goto(world.gateway + "/redaccion")
    await page.wait_for_selector("#n-plantilla option[value=municipal-homologado]", state="attached")
    await page.fill("#n-asunto", "Solicitud de información de obra pública")
    await page.click("#crear")
    await _notice(page, "Se creó el borrador")
    assert await page.inner_text("#version") == "1"
    assert await page.inner_text("#estado") == "Borrador"
    await wait_until(
        page,  # the template by its name, not its id
        "document.querySelector('#plantilla').textContent.startsWith('Oficio homologado')",
    )
    oficio_id = page.url.split("oficio=")[1]

    # The author signs herself (the sender is then her too); recipients: a person, a position in
    # C.c.p., an external.
    await page.click("#firmante-yo")
    await _notice(page, "firmará el oficio (firmante 1); también es el remitente")
    author_person = world.people[author_key]
    assert (
        await page.input_value("#r-nombre")
        == f"{author_person.nombre} {author_person.paterno} {author_person.materno}"
    )
    await page.fill("#d-texto", recipient.correo)
    await page.click("#d-buscar")
    await page.click(f"#d-resultados li[data-id='{recipient.numero_empleado}'] >> text=Destinatario")
    await page.select_option("#d-tipo", "puesto")
    await page.fill("#d-texto", "PRU-B")
    await page.click("#d-buscar")
    await page.click("#d-resultados li[data-id='PRU-B-TIT'] >> text=C.c.p.")
    await page.fill("#x-nombre", "Mtra. Sofía Leal Garza")
    await page.fill("#x-cargo", "Directora de Vinculación")
    await page.fill("#x-organizacion", "Universidad Regional del Norte")
    await page.fill("#x-correo", "sofia.leal@universidad.mx")
    await page.click("#x-agregar")

    # The body, with the editor's formatting: a paragraph, bold text and a list.
    await page.click("#cuerpo")
    await page.keyboard.type("Solicito el informe trimestral de obra pública.")
    await page.keyboard.press("Enter")
    await page.click("button[data-cmd=bold]")
    await page.keyboard.type("Plazo:")
    await page.click("button[data-cmd=bold]")
    await page.keyboard.type(" diez días hábiles.")
    # A simple table, then a paragraph with a line break, italics and underline.
    await page.click("#tabla")
    cells = page.locator("#cuerpo table td")
    for n, text in enumerate(["Obra", "Monto", "Puente Morelos", "$1,250,000.00"]):
        await cells.nth(n).click()
        await page.keyboard.type(text)
    await page.click("#cuerpo > p:last-child")
    await page.click("button[data-cmd=italic]")
    await page.keyboard.type("Sin más por el momento,")
    await page.click("button[data-cmd=italic]")
    await page.click("#salto")
    await page.click("button[data-cmd=underline]")
    await page.keyboard.type("quedo a sus órdenes.")
    await page.click("button[data-cmd=underline]")
    await page.keyboard.press("Enter")
    await page.click("button[data-cmd=insertUnorderedList]")
    await page.keyboard.type("Avance físico")
    await page.keyboard.press("Enter")
    await page.keyboard.type("Avance financiero")
    await page.fill("#e-iniciales", "ALG/pru")
    # The reviewer, picked from the directory.
    await page.select_option("#d-tipo", "funcionario")
    await page.fill("#d-texto", reviewer.correo)
    await page.click("#d-buscar")
    await page.click(f"#d-resultados li[data-id='{reviewer.numero_empleado}'] >> text=Revisor(a)")
    reviewer_name = f"{reviewer.nombre} {reviewer.paterno}"
    assert reviewer_name in await page.inner_text("#colaboradores")

    await page.click("#guardar")
    await _notice(page, "Se guardó la versión 2")
    recipients = await page.inner_text("#destinatarios")
    assert f"{recipient.nombre} {recipient.paterno}" in recipients  # as the directory has it
    assert "Director de Pruebas B" in recipients
    assert "Mtra. Sofía Leal Garza" in recipients
    author = await world.as_(author_key)
    saved = (await author.get(f"/api/v1/oficios/{oficio_id}")).json()
    cuerpo = saved["contenido"]["cuerpo"]["blocks"]
    assert [b["type"] for b in cuerpo] == ["paragraph", "paragraph", "table", "paragraph", "bullet_list"]
    plain = {"bold": False, "italic": False, "underline": False}
    assert cuerpo[1]["children"][0] == {"type": "text", "text": "Plazo:", **plain, "bold": True}
    assert [[[i["text"] for i in cell] for cell in row] for row in cuerpo[2]["rows"]] == [
        [["Obra"], ["Monto"]],
        [["Puente Morelos"], ["$1,250,000.00"]],
    ]
    assert cuerpo[3]["children"] == [
        {"type": "text", "text": "Sin más por el momento,", **plain, "italic": True},
        {"type": "break"},
        {"type": "text", "text": "quedo a sus órdenes.", **plain, "underline": True},
    ]
    assert [item[0]["children"][0]["text"] for item in cuerpo[4]["items"]] == [
        "Avance físico",
        "Avance financiero",
    ]
    assert [(c["tipo"], c["id"]) for c in saved["contenido"]["ccp"]] == [("puesto", "PRU-B-TIT")]

    # Second save: one word changed; the tracked changes show it.
    await _select_word(page, "trimestral")
    await page.keyboard.type("anual")
    await page.click("#guardar")
    await _notice(page, "Se guardó la versión 3")
    await page.select_option("#v-desde", "2")
    await page.select_option("#v-hasta", "3")
    await page.click("#comparar")
    changes = page.locator("#diferencias [data-bloque=cuerpo]")
    await changes.wait_for()
    assert await changes.locator("del").all_inner_texts() == ["trimestral"]
    assert await changes.locator("ins").all_inner_texts() == ["anual"]
    assert await page.locator("#diferencias [data-bloque=asunto]").count() == 0

    # Someone else saves first: this save is refused with 409, shown in Spanish, nothing overwritten.
    other = await world.fresh(author_key)
    try:
        raced = await other.patch(
            f"/api/v1/oficios/{oficio_id}",
            json={"version": 3, "asunto": "Solicitud de información de obra pública 2026"},
        )
        assert raced.status_code == 200, raced.text
    finally:
        await other.aclose()
    await page.fill("#e-asunto", "Un asunto que pisaría el otro cambio")
    await page.click("#guardar")
    await _error(page, "Otra persona guardó cambios")
    kept = (await author.get(f"/api/v1/oficios/{oficio_id}")).json()
    assert (kept["version"], kept["asunto"]) == (4, "Solicitud de información de obra pública 2026")
    # The editor now shows version 4; this person's asunto is kept in the conflict box, as a diff.
    await wait_until(page, "() => document.getElementById('version').textContent === '4'")
    assert await page.input_value("#e-asunto") == "Solicitud de información de obra pública 2026"
    box = page.locator("#conflicto [data-bloque=asunto]")
    await box.wait_for()
    inserted = " ".join(await box.locator("ins").all_inner_texts())
    assert all(word in inserted for word in ("pisaría", "otro", "cambio")), inserted
    assert "2026" in " ".join(await box.locator("del").all_inner_texts())
    await page.click("#descartar-mio")  # this person chooses the other version
    assert await page.locator("#conflicto").is_hidden()
    assert await page.locator("#sin-guardar").is_hidden()

    await page.click("#solicitar-revision")
    await _notice(page, "Se solicitó la revisión")
    assert await page.inner_text("#estado") == "En revisión"

    # The reviewer comments, the author answers, the reviewer gives visto bueno.
    review_page = await logged_in(browser, world, reviewer_key)
    await review_page.goto(f"{world.gateway}/redaccion?oficio={oficio_id}")
    await wait_until(review_page, "() => document.getElementById('version').textContent === '4'")
    # A reviewer is offered what a reviewer may do: no save, no fields to change, no sender button.
    for control in (
        "#guardar",
        "#solicitar-revision",
        "#finalizar",
        "#remitente-yo",
        "#firmante-yo",
        "#d-buscar",
    ):
        assert await review_page.locator(control).is_hidden(), control
    assert await review_page.locator("#e-asunto").is_disabled()
    assert await review_page.get_attribute("#cuerpo", "contenteditable") == "false"
    assert await review_page.locator("#visto-bueno").is_visible()
    await review_page.fill("#nuevo-comentario", "¿El informe es anual o trimestral?")
    await review_page.click("#comentar")
    await _notice(review_page, "Se agregó el comentario")
    await page.reload()
    thread = page.locator("#comentarios .comentario").first
    await thread.wait_for()
    assert "¿El informe es anual o trimestral?" in await thread.inner_text()
    await thread.locator("input").fill("Anual, como pide el Ayuntamiento.")
    await thread.locator("text=Responder").click()
    await wait_until(
        page, "() => document.getElementById('comentarios').textContent.includes('Anual, como pide')"
    )
    await review_page.fill("#dictamen-comentario", "Correcto.")
    await review_page.click("#visto-bueno")
    await _notice(review_page, "Dio su visto bueno")
    await wait_until(
        review_page, "n => document.getElementById('revisiones').textContent.includes(n)", arg=reviewer_name
    )
    assert "visto bueno (versión 4)" in await review_page.inner_text("#revisiones")

    # The titular of the unit finalizes: the folio is shown; the preview is the PDF.
    titular_page = await logged_in(browser, world, "titular@A")
    await titular_page.goto(f"{world.gateway}/redaccion?oficio={oficio_id}")
    await wait_until(titular_page, "() => document.getElementById('version').textContent === '4'")
    await titular_page.click("#finalizar")
    notice = await _notice(titular_page, "Oficio listo para firma con el folio")
    folio = await titular_page.inner_text("#folio")
    assert re.fullmatch(r"PRU/A/\d{4}/20\d\d", folio), folio
    assert folio in notice
    assert await titular_page.inner_text("#estado") == "Listo para firma"
    await titular_page.click("#vista-previa-pdf")
    await titular_page.wait_for_selector("#vista-documento")
    assert await titular_page.get_attribute("#vista-previa", "data-tipo") == "application/pdf"

    await page.reload()
    await wait_until(page, "() => document.getElementById('folio').textContent.length > 0")
    assert await page.inner_text("#folio") == folio

    pdf = await author.get(f"/api/v1/oficios/{oficio_id}/vista-previa")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    text = " ".join(text.split())
    assert folio in text
    assert f"{recipient.nombre} {recipient.paterno}" in text
    assert "Universidad Regional del Norte" in text
    assert "informe anual de obra pública" in text
    for p in (page, review_page, titular_page):
        await p.context.close()


async def test_an_unknown_directory_recipient_is_refused_in_spanish(browser: Browser, world: World) -> None:
    page = await logged_in(browser, world, "autor@A")
    await page.goto(world.gateway + "/redaccion")
    await page.wait_for_selector("#n-plantilla option[value=municipal-homologado]", state="attached")
    await page.fill("#n-asunto", "Oficio con un destinatario que ya no existe")
    await page.click("#crear")
    await _notice(page, "Se creó el borrador")
    await page.select_option("#d-tipo", "unidad")
    await page.fill("#d-texto", "PRU-A")
    await page.click("#d-buscar")
    await page.click("#d-resultados li[data-id='PRU-A'] >> text=Destinatario")
    # The page was open while the unit was removed: the id it sends no longer exists.
    await page.route(
        "**/api/v1/oficios/*",
        lambda route: (
            route.continue_(
                post_data=(route.request.post_data or "").replace('"id":"PRU-A"', '"id":"PRU-BAJA"')
            )
            if route.request.method == "PATCH"
            else route.continue_()
        ),
    )
    await page.click("#guardar")
    message = await _error(page, "no existen en el directorio")
    assert "el destinatario 1 (unidad administrativa «PRU-BAJA»)" in message
    await page.context.close()
