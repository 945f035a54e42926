"""Journeys (a) and (b) of an official's day, in the browser, on the Monterrey demo directory (loaded
as `make up` loads it), several people at once, each in a browser context of their own:

(a) Mariana, funcionaria of the Dirección General de Tecnologías de la Información, drafts for her
    director Jorge (the signer, picked from the directory) to the office of the Secretario del
    Ayuntamiento (another dependencia), with a C.c.p. to the Presidente Municipal. Jorge comments,
    gives his visto bueno, finalizes and signs in the browser with his e.firma. The Secretario and
    the Secretaría's oficialía de partes (Claudia, whose unit sits under the Secretario's office) see
    it arrive live, read it in the page, and download the signed PDF and the sealed acuse, both
    checked with poppler's pdfsig. Mariana's Enviados shows each recipient's receipt time.
(b) The Secretario turns it to his Director Jurídico with a deadline in working days; the director
    drafts the answer, the Secretario signs it; Jorge, the original sender, receives and reads the
    answer; the first delivery shows «Respondido».
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from signum.testing.people import PASSWORD, World
from signum.testing.pki import Issued
from tests.e2e.test_oficialia_demo import _load_demo, _nombre
from tests.ui.conftest import wait_until
from tests.ui.journeys.screens import screenshot_path
from tests.ui.test_redaccion import _notice
from tests.ui.test_signing import KEY_PASSWORD, file_payload, sat_key_file

pytestmark = pytest.mark.stack

MARIANA, JORGE = "10005", "10002"  # SIGA-DGTI: analista, and her director (titular)
EDUARDO, CLAUDIA, SERGIO = "10101", "10104", "10102"  # SAY's titular, its oficialía, SAY-DJ's director
RAMIRO = "10001"  # Presidente Municipal, in C.c.p.


async def _open(browser: Browser, gateway: str, correo: str, path: str) -> Page:
    """A person's own browser (context), logged in through the log-in page, on `path`."""
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="es-MX")
    page = await context.new_page()
    page.set_default_timeout(60_000)
    await page.goto(gateway + "/")
    await page.fill("#usuario", correo.split("@")[0])  # the user part of the e-mail is enough
    await page.fill("#contrasena", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#salir")
    await page.goto(gateway + path)
    return page


async def _inbox(browser: Browser, gateway: str, correo: str, *, buzon: str = "personal") -> Page:
    page = await _open(browser, gateway, correo, "/bandeja")
    if buzon != "personal":
        await page.select_option("#buzon", buzon)
    # The page has its live stream open (routing said so with `conectado`).
    await page.wait_for_selector("body[data-escuchando='1']", state="attached")
    return page


def _pdfsig(pdf: bytes, roots: list[Path], folder: Path) -> str:
    """poppler's verdict on `pdf`, trusting `roots` (PEM or DER) in an NSS database of its own."""
    pdfsig, certutil = shutil.which("pdfsig"), shutil.which("certutil")
    assert pdfsig, "pdfsig comes with `make system-deps` (poppler-utils)"
    assert certutil, "certutil comes with `make system-deps` (libnss3-tools)"
    nss = folder / "nss"
    nss.mkdir(parents=True, exist_ok=True)
    subprocess.run([certutil, "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    for n, root in enumerate(roots):
        ascii_armour = ["-a"] if root.read_bytes().startswith(b"-----") else []
        trust = ["-n", f"raiz-{n}", "-t", "C,C,C", *ascii_armour, "-i", str(root)]
        subprocess.run([certutil, "-A", "-d", f"sql:{nss}", *trust], check=True)
    path = folder / "documento.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        [pdfsig, "-nssdir", f"sql:{nss}", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout + done.stderr


async def _download(page: Page, link_text: str) -> bytes:
    """What a click on the detail's link downloads (the route redirects to the object store)."""
    link = page.locator("#documentos-lista a", has_text=link_text)
    await link.wait_for()
    href = await link.get_attribute("href")
    assert href
    origin = page.url.split("/bandeja")[0]
    response = await page.request.get(href if href.startswith("http") else origin + href)
    assert response.status == 200, await response.text()
    return await response.body()


async def _sign_in_browser(page: Page, oficio_id: str, fiel: Issued, folder: Path) -> None:
    """The signer opens Por firmar, picks the oficio, gives the .cer, the .key and the password."""
    row = page.locator(f"tr[data-oficio='{oficio_id}']")
    await row.wait_for()  # signing learns of the oficio from oficio.finalized
    await page.check(f"input.elegir[value='{oficio_id}']")
    await page.set_input_files("#cer", file_payload("firma.cer", fiel.cer))
    await page.set_input_files("#key", file_payload("firma.key", sat_key_file(fiel, KEY_PASSWORD, folder)))
    await page.fill("#contrasena", KEY_PASSWORD)
    await page.click("#boton-firmar")
    await wait_until(page, "document.getElementById('estado').textContent.startsWith('Se firmaron')")
    assert await page.inner_text("#estado") == "Se firmaron 1 de 1 oficios."
    assert await page.inner_text("#error") == ""


async def _find_person(page: Page, text: str, numero: str, as_: str) -> None:
    await page.select_option("#d-tipo", "funcionario")
    await page.fill("#d-texto", text)
    await page.click("#d-buscar")
    await page.click(f"#d-resultados li[data-id='{numero}'] >> text={as_}")


async def _arrives(page: Page, folio: str) -> Any:
    row = page.locator("#elementos tbody tr", has_text=folio)
    await row.wait_for()  # live: nobody reloads the page
    return row


async def _reads(page: Page, folio: str) -> None:
    """Open the delivery and read the oficio in the page: every page drawn, not blank."""
    await (await _arrives(page, folio)).click()
    await page.wait_for_selector("#detalle:not([hidden])")
    assert folio in await page.inner_text("#detalle-titulo")
    await page.wait_for_selector("#visor-paginas canvas[data-dibujada='1']")
    inked = await page.evaluate(
        """() => {
          const c = document.querySelector('#visor-paginas canvas');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let dark = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i] < 128) dark += 1;
          return dark;
        }"""
    )
    assert inked > 1000, "the first page is drawn blank"
    assert await page.inner_text("#error") == ""


def _sat_name(row: dict[str, str]) -> str:
    """The name as SAT writes it in the certificate: capitals, no accents."""
    return unicodedata.normalize("NFKD", _nombre(row)).encode("ascii", "ignore").decode().upper()


def _fiel(pki: Any, row: dict[str, str]) -> Issued:
    fiel: Issued = pki.fiel_for(_sat_name(row), row["rfc"], row["curp"])
    return fiel


async def test_an_oficio_is_drafted_signed_received_turned_and_answered(
    browser: Browser,
    world: World,
    stack_env: dict[str, str],
    signing_env: dict[str, str],
    signing_pki: Any,
    tmp_path: Path,
) -> None:
    pki = signing_pki[0]
    rows = await _load_demo(stack_env, [MARIANA, JORGE, EDUARDO, CLAUDIA, SERGIO, RAMIRO])
    correo = {numero: rows[numero]["correo"] for numero in rows}
    gw = world.gateway
    test_root = tmp_path / "raiz-pruebas.der"
    test_root.write_bytes(pki.roots_der[0])
    seal_root = Path(signing_env["SIGNUM_SIGNING_LOCAL_SEAL_DIR"]) / "ca.pem"
    pages: list[Page] = []
    try:
        # (a) Mariana drafts for her director, to an office of another dependencia, with a C.c.p.
        mariana = await _open(browser, gw, correo[MARIANA], "/redaccion")
        pages.append(mariana)
        await mariana.wait_for_selector("#n-plantilla option[value=municipal-homologado]", state="attached")
        await mariana.fill("#n-asunto", "Solicitud de espacio en la sesión de Cabildo")
        await mariana.click("#crear")
        await _notice(mariana, "Se creó el borrador")
        oficio_id = mariana.url.split("oficio=")[1]
        await _find_person(mariana, "Treviño", JORGE, "Firmante")
        await _notice(mariana, "firmará el oficio (firmante 1)")
        await _find_person(mariana, "Treviño", JORGE, "Revisor(a)")
        await mariana.select_option("#d-tipo", "unidad")
        await mariana.fill("#d-texto", "SAY")
        await mariana.click("#d-buscar")
        await mariana.click("#d-resultados li[data-id='SAY'] >> text=Destinatario")
        await _find_person(mariana, correo[RAMIRO], RAMIRO, "C.c.p.")
        await mariana.click("#cuerpo")
        await mariana.keyboard.type(
            "Solicito un espacio en la próxima sesión de Cabildo para presentar el programa de "
            "oficios digitales de la administración municipal."
        )
        await mariana.fill("#e-iniciales", "JATG/mgsl")
        await mariana.click("#solicitar-revision")  # saves what she typed first
        await _notice(mariana, "Se solicitó la revisión")

        # Jorge comments, gives his visto bueno and finalizes.
        jorge = await _open(browser, gw, correo[JORGE], f"/redaccion?oficio={oficio_id}")
        pages.append(jorge)
        await jorge.wait_for_selector("#visto-bueno", state="visible")
        assert "programa de oficios digitales" in await jorge.inner_text("#cuerpo")
        await jorge.fill("#nuevo-comentario", "Mencionemos que el piloto ya opera en la Dirección.")
        await jorge.click("#comentar")
        await _notice(jorge, "Se agregó el comentario")
        await jorge.fill("#dictamen-comentario", "Adelante.")
        await jorge.click("#visto-bueno")
        await _notice(jorge, "Dio su visto bueno")
        await jorge.click("#finalizar")
        folio_text = await _notice(jorge, "Oficio listo para firma con el folio")
        folio = folio_text.split("folio", 1)[1].strip().split()[0].rstrip(".")
        assert folio.startswith("SIGA/DGTI/")

        # The receiving side has its inboxes open before it is signed.
        eduardo = await _inbox(browser, gw, correo[EDUARDO])
        claudia = await _inbox(browser, gw, correo[CLAUDIA], buzon="oficialia")
        pages += [eduardo, claudia]

        await jorge.goto(gw + "/firmar")
        await _sign_in_browser(jorge, oficio_id, _fiel(pki, rows[JORGE]), tmp_path)

        # It arrives live; each reads it in the page and downloads the signed PDF and the acuse.
        for who, page in (("secretario", eduardo), ("oficialia", claudia)):
            await _reads(page, folio)
            signed = await _download(page, "Descargar el oficio firmado (PDF)")
            verdict = _pdfsig(signed, [test_root], tmp_path / f"{who}-oficio")
            assert "Signature is Valid." in verdict, verdict
            assert _sat_name(rows[JORGE]) in verdict, verdict  # the signer's certificate
            acuse = await _download(page, "Acuse de recibo sellado (PDF)")  # appears once sealed
            verdict = _pdfsig(acuse, [seal_root], tmp_path / f"{who}-acuse")
            assert "Signature is Valid." in verdict, verdict
            await page.screenshot(path=screenshot_path(f"jornada-recibido-{who}-1366"), full_page=True)

        # Mariana's Enviados: each recipient with the time of receipt.
        await mariana.goto(gw + "/bandeja")
        await mariana.click("#carpetas button[data-carpeta=enviados]")
        await (await _arrives(mariana, folio)).click()
        await mariana.wait_for_selector("#envio:not([hidden])")
        secretario_row = mariana.locator("#envio-destinatarios tbody tr", has_text=_nombre(rows[EDUARDO]))
        await secretario_row.wait_for()
        cells = await secretario_row.locator("td").all_inner_texts()
        assert cells[1].startswith("Recibido"), cells
        assert cells[2] not in ("", "—"), cells  # the time of receipt
        oficialia_row = mariana.locator("#envio-destinatarios tbody tr", has_text="Oficialía")
        assert "—" not in (await oficialia_row.locator("td").all_inner_texts())[2]
        ccp_row = mariana.locator("#envio-destinatarios tbody tr", has_text="(C.c.p.)")
        assert (await ccp_row.locator("td").all_inner_texts())[1] == "Sin abrir"
        await mariana.wait_for_selector("#visor-paginas canvas[data-dibujada='1']")  # she reads it too
        await mariana.screenshot(path=screenshot_path("jornada-enviados-1366"), full_page=True)

        # (b) The Secretario turns it to his Director Jurídico, five working days to answer.
        await eduardo.fill("#turnar-buscar", "Zambrano")
        choice = eduardo.locator(f"#turnar-personas button[data-funcionario='{SERGIO}']")
        await choice.click()
        await eduardo.select_option("#turnar-instruccion", "para_tramite_procedente")
        await eduardo.fill("#turnar-nota", "Prepare la respuesta para mi firma.")
        await eduardo.fill("#turnar-dias", "5")
        await eduardo.click("#boton-turnar")
        await wait_until(eduardo, "document.querySelector('#aviso').textContent === 'Turnado.'")

        sergio = await _inbox(browser, gw, correo[SERGIO])
        pages.append(sergio)
        await sergio.click("#carpetas button[data-carpeta=turnados]")
        await _reads(sergio, folio)
        details = await sergio.inner_text("#detalle-datos")
        assert "Prepare la respuesta para mi firma." in details
        assert "Plazo" in details
        await sergio.click("#accion-responder")
        await sergio.wait_for_url("**/redaccion?oficio=*")
        answer_id = sergio.url.split("oficio=")[1]
        await sergio.wait_for_selector("#cuerpo")
        await _find_person(sergio, "Cavazos", EDUARDO, "Firmante")
        await _notice(sergio, "firmará el oficio (firmante 1)")
        assert _nombre(rows[JORGE]).split()[0] in await sergio.inner_text("#destinatarios")
        await sergio.click("#cuerpo")
        await sergio.keyboard.type("Con gusto se le asigna un espacio en la sesión ordinaria del jueves.")
        await sergio.fill("#e-iniciales", "EJCB/szc")
        await sergio.click("#finalizar")
        answer_text = await _notice(sergio, "Oficio listo para firma con el folio")
        answer_folio = answer_text.split("folio", 1)[1].strip().split()[0].rstrip(".")

        jorge_inbox = await _inbox(browser, gw, correo[JORGE])
        pages.append(jorge_inbox)
        await eduardo.goto(gw + "/firmar")
        await _sign_in_browser(eduardo, answer_id, _fiel(pki, rows[EDUARDO]), tmp_path)

        # Jorge, who sent the first one, receives and reads the answer; his dependencia's seal (a
        # name longer than a certificate's CN may be) seals his acuse.
        await _reads(jorge_inbox, answer_folio)
        acuse = await _download(jorge_inbox, "Acuse de recibo sellado (PDF)")
        verdict = _pdfsig(acuse, [seal_root], tmp_path / "respuesta-acuse")
        assert "Signature is Valid." in verdict, verdict
        await jorge_inbox.screenshot(path=screenshot_path("jornada-respuesta-1366"), full_page=True)

        # The first delivery shows it was answered, on the sender's view.
        await mariana.click("#carpetas button[data-carpeta=enviados]")
        await (await _arrives(mariana, folio)).click()
        await mariana.wait_for_selector("#envio-destinatarios tr[data-estado='respondido']")
        answered = await mariana.inner_text("#envio-destinatarios tr[data-estado='respondido']")
        assert "Respondido" in answered, answered
        assert answer_folio in answered, answered
    finally:
        for page in pages:
            await page.context.close()
