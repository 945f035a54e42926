"""Journey (d): a citizen holding a signed oficio verifies it, without an account, in Chromium.

Two officials sign an oficio (real e.firmas of the test PKI, real timestamps). A visitor in a
fresh browser context opens the link of the QR printed on the PDF (read back from the rendered
page with zbarimg), types the verification code, chooses the PDF in the file input and drops it
on the page (a DataTransfer). A copy with one changed byte is reported as altered. The visitor
never sees a CURP or a whole RFC. Screenshots at 390 px and 1,366 px go to tests/ui/screenshots/.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, FilePayload, Page, ViewportSize

from signum.gateway.directory.demo import curp_for
from signum.platform.verification_code import short_code
from signum.testing.people import World
from signum.testing.pki import PkiServer, SigningPki
from tests.e2e.test_signing_flow import (
    SIGNER_1,
    SIGNER_2,
    _name,
    _ok,
    credential_files,
    efirma,
    finalized_oficio,
    rfc_of,
    sat_name,
)
from tests.ui.conftest import watch_csp

pytestmark = pytest.mark.stack

SCREENSHOTS = Path(__file__).parents[1] / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1366, "height": 900}


async def signed_oficio(world: World, pki: SigningPki) -> dict[str, Any]:
    """An oficio signed by SIGNER_1 then SIGNER_2, and its signed PDF as its author downloads it."""
    oficio = await finalized_oficio(world, "Verificación pública del oficio firmado")
    base = f"/api/v1/oficios/{oficio['id']}/firmas"
    for key in (SIGNER_1, SIGNER_2):
        signer = await world.as_(key)
        _ok(await signer.post(f"{base}/credencial", **credential_files(efirma(world, pki, key))))
    author = await world.as_("autor@A")
    found = _ok(await author.get(f"/api/v1/verificar/{oficio['id']}"))
    assert found["firmas_realizadas"] == 2, found
    download = await author.get(
        f"/api/v1/oficios/{oficio['id']}/documentos/sha256/{found['documento']['sha256']}/descarga",
        follow_redirects=True,
    )
    assert download.status_code == 200, download.text
    assert download.content.startswith(b"%PDF")
    return oficio | {"pdf": download.content}


def qr_links(pdf: bytes, tmp_path: Path) -> set[str]:
    """What a phone reads from the QR codes on the printed first page."""
    pdftoppm, zbarimg = shutil.which("pdftoppm"), shutil.which("zbarimg")
    assert pdftoppm, "pdftoppm (poppler-utils) is needed"
    assert zbarimg, "zbarimg (zbar-tools) is needed"
    (tmp_path / "oficio.pdf").write_bytes(pdf)
    first_page = ["-r", "200", "-png", "-f", "1", "-l", "1"]
    subprocess.run([pdftoppm, *first_page, str(tmp_path / "oficio.pdf"), str(tmp_path / "p")], check=True)
    (image,) = tmp_path.glob("p-*1.png")
    out = subprocess.run([zbarimg, "-q", "--raw", str(image)], capture_output=True, text=True, check=False)
    return set(out.stdout.split())


def one_byte_changed(pdf: bytes) -> bytes:
    """The same PDF with one byte inside the range the first signature covers changed."""
    tampered = bytearray(pdf)
    at = pdf.index(b"/Contents <") - 200
    tampered[at] = ord("0") if tampered[at] != ord("0") else ord("1")
    return bytes(tampered)


def masked(rfc: str) -> str:
    return rfc[:4] + "******" + rfc[-3:]


async def visitor(browser: Browser, viewport: ViewportSize) -> Page:
    """A fresh browser context: nobody logged in (a touch screen at phone width)."""
    phone = viewport["width"] < 600
    context = await browser.new_context(viewport=viewport, locale="es-MX", is_mobile=phone, has_touch=phone)
    page = watch_csp(await context.new_page())
    page.set_default_timeout(30_000)
    return page


async def no_horizontal_scroll(page: Page) -> None:
    widths = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


async def drop_file(page: Page, name: str, data: bytes) -> None:
    """Drag a file onto the drop zone as a person's file manager would (a DataTransfer)."""
    await page.evaluate(
        """([name, b64]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "application/pdf" }));
            const zone = document.getElementById("zona");
            for (const type of ["dragenter", "dragover", "drop"]) {
                const init = { bubbles: true, cancelable: true, dataTransfer: transfer };
                zone.dispatchEvent(new DragEvent(type, init));
            }
        }""",
        [name, base64.b64encode(data).decode("ascii")],
    )


async def verdict(page: Page) -> str:
    return str(await page.get_attribute("#veredicto", "data-veredicto"))


async def test_a_visitor_verifies_a_signed_oficio_by_its_qr_by_its_code_and_by_uploading_it(
    browser: Browser, world: World, signing_pki: tuple[SigningPki, PkiServer], tmp_path: Path
) -> None:
    pki = signing_pki[0]
    oficio = await signed_oficio(world, pki)
    pdf, oficio_id = oficio["pdf"], oficio["id"]
    people = [world.people[k] for k in (SIGNER_1, SIGNER_2)]
    names = [sat_name(_name(world, k)) for k in (SIGNER_1, SIGNER_2)]
    rfcs = [rfc_of(efirma(world, pki, k)) for k in (SIGNER_1, SIGNER_2)]
    curps = [curp_for(p.nombre, p.paterno, p.materno, p.born, "M", "NL") for p in people]

    links = await asyncio.to_thread(qr_links, pdf, tmp_path)
    assert links == {f"{world.gateway}/verificar/{oficio_id}"}, links

    async def shows_the_valid_report(page: Page) -> None:
        assert await verdict(page) == "valido"
        text = await page.inner_text("main")
        assert "Documento válido" in text
        assert "Las 2 firmas son válidas y el documento no cambió después de firmarse." in text
        for name, rfc, curp in zip(names, rfcs, curps, strict=True):
            assert name in text
            assert masked(rfc) in text
            assert rfc not in text
            assert curp not in text
        html = await page.content()
        assert "CURP" not in html
        assert not any(rfc in html or curp in html for rfc, curp in zip(rfcs, curps, strict=True))
        assert text.count("(hora de la Ciudad de México)") >= 4  # signing and timestamp, per signer
        assert text.count("Firma electrónica avanzada con sello de tiempo") == 2
        assert text.count("Nivel técnico: PAdES B-") == 2

    # By the QR's link, on a desktop.
    desk = await visitor(browser, DESKTOP)
    response = await desk.goto(next(iter(links)))
    assert response is not None
    assert response.status == 200
    assert await desk.title() == "Signum — Verificación del documento"
    await shows_the_valid_report(desk)
    assert oficio["folio"] in await desk.inner_text(".reporte")
    assert "2 de 2 requeridas" in await desk.inner_text(".reporte")
    # The short code printed on the paper copy, to compare with it.
    assert f"Código de verificación\n{short_code(oficio['id'])}" in await desk.inner_text(".reporte")
    await no_horizontal_scroll(desk)
    await shot(desk, "verificacion-qr-1366.png")

    # Through the file input.
    await desk.goto(world.gateway + "/verificar")
    await no_horizontal_scroll(desk)
    await shot(desk, "verificacion-formulario-1366.png")
    chosen: FilePayload = {"name": "oficio.pdf", "mimeType": "application/pdf", "buffer": pdf}
    await desk.set_input_files("#archivo", chosen)
    assert await desk.inner_text("#elegido") == "Archivo elegido: oficio.pdf"
    async with desk.expect_navigation():
        await desk.click("#verificar-pdf")
    await shows_the_valid_report(desk)

    # Dropped on the page: one changed byte is reported as altered.
    async with desk.expect_navigation():
        await drop_file(desk, "oficio-modificado.pdf", one_byte_changed(pdf))
    assert await verdict(desk) == "alterado"
    report = await desk.inner_text(".reporte")
    assert "Documento alterado: no es el que se firmó" in report
    assert "No lo acepte como auténtico" in report
    assert "Firma NO válida" in report
    assert "El contenido no coincide con lo que firmó esta persona" in report
    assert "el contenido no cambió" not in report
    assert "Documento válido" not in report
    await no_horizontal_scroll(desk)
    await shot(desk, "verificacion-alterado-1366.png")

    # On a phone: the code typed by hand, then the PDF dropped (the same form).
    phone = await visitor(browser, PHONE)
    await phone.goto(world.gateway + "/verificar")
    await no_horizontal_scroll(phone)
    await shot(phone, "verificacion-formulario-390.png")
    await phone.fill("#codigo", f"  {oficio_id} ")
    async with phone.expect_navigation():
        await phone.click("#por-codigo button[type=submit]")
    assert phone.url == f"{world.gateway}/verificar/{oficio_id}"
    await shows_the_valid_report(phone)
    await no_horizontal_scroll(phone)
    await shot(phone, "verificacion-qr-390.png")
    async with phone.expect_navigation():
        await drop_file(phone, "oficio.pdf", pdf)
    await shows_the_valid_report(phone)
    async with phone.expect_navigation():
        await drop_file(phone, "oficio-modificado.pdf", one_byte_changed(pdf))
    assert await verdict(phone) == "alterado"
    await no_horizontal_scroll(phone)
    await shot(phone, "verificacion-alterado-390.png")

    # A code that does not exist: a Spanish page, with the form to try again.
    missing = await phone.goto(world.gateway + "/verificar/no-existe-0000")
    assert missing is not None
    assert missing.status == 404
    alert = await phone.inner_text("[role=alert]")
    assert "No hay un documento firmado con el código «no-existe-0000»" in alert
    assert await phone.is_visible("label[for=archivo]")
    await shot(phone, "verificacion-codigo-inexistente-390.png")
    # Any other mistyped address: a Spanish page, not JSON.
    lost = await phone.goto(world.gateway + "/verificacion")
    assert lost is not None
    assert lost.status == 404
    assert lost.headers["content-type"].startswith("text/html")
    assert await phone.inner_text("h2") == "Página no encontrada"
    await no_horizontal_scroll(phone)
    await shot(phone, "pagina-no-encontrada-390.png")

    for page in (desk, phone):
        await page.context.close()

    # Integrations get the same rule from the JSON API: masked RFC and no CURP for visitors.
    async with httpx.AsyncClient(base_url=world.gateway, timeout=60) as anonymous:
        api = _ok(await anonymous.get(f"/api/v1/verificar/{oficio_id}"))
    assert [f["rfc"] for f in api["reporte"]["firmas"]] == [masked(r) for r in rfcs]
    assert [f["curp"] for f in api["reporte"]["firmas"]] == [None, None]
