"""Signing in a real browser (Chromium from Debian, driven by Playwright): the signer opens
"Por firmar", picks their pending oficios, chooses the SAT-format .cer/.key and types the password;
the page decrypts the key (PBES2 / PBKDF2 / DES-EDE3-CBC, as SAT issues it) and signs in the
browser. Every request the page sent is inspected: the key and the password never reached the server."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.async_api import Browser, Request

from signum.testing.people import World
from signum.testing.pki import Issued, PkiServer, SigningPki
from tests.e2e.test_signing_flow import SIGNER_1, SIGNER_2, _name, efirma, finalized_oficio, rfc_of, sat_name
from tests.ui.conftest import log_in, wait_until, watch_csp

pytestmark = pytest.mark.stack

KEY_PASSWORD = "Clave-De-Prueba-2026"


def sat_key_file(issued: Issued, password: str, tmp_path: Path) -> bytes:
    """The key as SAT ships it: PKCS#8 DER encrypted with PBES2 (PBKDF2-HMAC-SHA1, DES-EDE3-CBC)."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to write a SAT-format key"
    plain = tmp_path / "plain.pem"
    plain.write_bytes(issued.key_pem_unencrypted)
    try:
        command = [openssl, "pkcs8", "-topk8", "-v2", "des3", "-v2prf", "hmacWithSHA1", "-in", str(plain)]
        return subprocess.run(
            [*command, "-outform", "DER", "-passout", f"pass:{password}"],
            capture_output=True,
            check=True,
        ).stdout
    finally:
        plain.unlink()


def the_secrets(issued: Issued, key_file: bytes) -> dict[str, bytes]:
    """What must never appear in a request, raw or base64-encoded."""
    der = issued.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    found: dict[str, bytes] = {"password": KEY_PASSWORD.encode()}
    for name, blob in {"key file": key_file, "key DER": der, "key PEM": issued.key_pem_unencrypted}.items():
        found[name] = blob[40:80]  # any 40 bytes from inside it
        found[name + " (base64)"] = base64.b64encode(blob)[60:120]
    found["private exponent"] = format(issued.key.private_numbers().d, "x")[:64].encode()
    return found


def file_payload(name: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/octet-stream", "buffer": data}


async def test_a_signer_signs_two_oficios_in_the_browser_with_one_unlock(
    browser: Browser, world: World, signing_pki: tuple[SigningPki, PkiServer], tmp_path: Path
) -> None:
    pki = signing_pki[0]
    first = await finalized_oficio(world, "Firma en el navegador uno")
    second = await finalized_oficio(world, "Firma en el navegador dos")
    mine = efirma(world, pki, SIGNER_1)
    key_file = sat_key_file(mine, KEY_PASSWORD, tmp_path)

    page = watch_csp(await browser.new_page())
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))
    await log_in(page, world, SIGNER_1)
    await page.click("a[href='/firmar']")
    await page.wait_for_selector(f"tr[data-oficio='{second['id']}']")
    assert await page.inner_text("h2") == "Por firmar"
    assert first["folio"] in await page.inner_text(f"tr[data-oficio='{first['id']}']")

    # The folio opens the exact PDF to be signed, to read it first.
    href = await page.get_attribute(f"tr[data-oficio='{first['id']}'] a", "href")
    assert href == f"/api/v1/oficios/{first['id']}/firmas/documento"
    document = await page.request.get(world.gateway + href)
    assert document.status == 200
    assert document.headers["content-type"] == "application/pdf"

    for oficio in (first, second):
        await page.check(f"input.elegir[value='{oficio['id']}']")
    await page.set_input_files("#cer", file_payload("firma.cer", mine.cer))
    await page.set_input_files("#key", file_payload("firma.key", key_file))
    # In Spanish whatever the browser's language: our button and the chosen file's name.
    chooser = await page.locator("#cer").locator("xpath=..").inner_text()
    assert "Elegir archivo…" in chooser
    assert "firma.cer" in chooser

    # A wrong password is caught in the page; nothing is prepared on the server.
    await page.fill("#contrasena", "no-es-la-contrasena")
    await page.click("#boton-firmar")
    await wait_until(page, "document.getElementById('error').textContent.length > 0")
    assert (await page.inner_text("#error")).startswith("La contraseña de la clave privada es incorrecta.")

    # The .key of another e.firma does not match the certificate.
    other_key = sat_key_file(efirma(world, pki, SIGNER_2), KEY_PASSWORD, tmp_path)
    await page.set_input_files("#key", file_payload("otra.key", other_key))
    await page.fill("#contrasena", KEY_PASSWORD)
    await page.click("#boton-firmar")
    await wait_until(page, "document.getElementById('error').textContent.includes('no corresponde')")
    assert "no corresponde al certificado" in await page.inner_text("#error")
    assert not [r for r in sent if "/firmas/" in r.url and r.method == "POST"]

    # The right pair: one unlock, both oficios signed in the browser.
    await page.set_input_files("#key", file_payload("firma.key", key_file))
    await page.fill("#contrasena", KEY_PASSWORD)
    await page.click("#boton-firmar")
    await wait_until(
        page, "document.getElementById('estado').textContent.startsWith('Se firmaron')", timeout=60_000
    )
    assert await page.inner_text("#estado") == "Se firmaron 2 de 2 oficios."
    holder = await page.inner_text("#titular")
    assert holder.startswith(
        f"e.firma de {sat_name(_name(world, SIGNER_1))} (RFC {rfc_of(mine)}), vigente hasta el"
    )
    assert await page.inner_text("#error") == ""
    results = await page.inner_text("#resultados")
    # What the signature is, in words; the PAdES level only inside the closed "Detalles".
    for oficio in (first, second):
        assert f"{oficio['folio']}: firmado con su e.firma, con fecha y hora certificadas" in results
    assert "B-T" not in results
    assert "B-LT" not in results
    await page.locator("#resultados details summary").first.click()
    assert "Nivel de firma PAdES B-" in await page.inner_text("#resultados details")
    assert await page.input_value("#contrasena") == ""
    await page.wait_for_selector(f"tr[data-oficio='{first['id']}']", state="detached")  # no longer pending

    # What the page sent: the certificate and two signatures per oficio, never the key or password.
    posts = [r for r in sent if r.method == "POST" and "/firmas/" in r.url]
    assert sorted(r.url.rsplit("/", 1)[-1] for r in posts) == ["completar"] * 2 + ["preparacion"] * 2
    leaks = [
        (name, r.url)
        for r in sent
        for name, secret in the_secrets(mine, key_file).items()
        if secret in (r.post_data_buffer or b"") or secret.decode("latin-1") in r.url
    ]
    assert not leaks, leaks
    for r in posts:
        assert set((r.post_data_json or {}).keys()) <= {"cer", "firma"}
    await page.close()

    # Each signed PDF verifies: the first signature is the browser's, valid and timestamped.
    # (Asked by an official: visitors get the RFC masked, see tests/ui/journeys/test_public_verification.py.)
    official = await world.as_(SIGNER_2)
    for oficio in (first, second):
        qr = (await official.get(f"/api/v1/verificar/{oficio['id']}")).json()
        assert (qr["firmas_realizadas"], qr["reporte"]["valida"]) == (1, True), qr
        (firma,) = qr["reporte"]["firmas"]
        assert (firma["nombre"], firma["rfc"]) == (sat_name(_name(world, SIGNER_1)), rfc_of(mine))
        assert firma["nivel_pades"] in {"B-T", "B-LT"}


async def test_the_page_opens_sat_s_own_test_fiel_and_shows_the_refusal_in_spanish(
    browser: Browser, world: World
) -> None:
    """SAT's published FIEL (its real key format) opens in the browser; signing refuses it (expired)."""
    sat = Path(__file__).parents[1] / "signing" / "fixtures" / "sat-efirma-pruebas" / "FIEL_AAA010101AAA"
    oficio = await finalized_oficio(world, "Firma con la e.firma de pruebas del SAT")
    page = watch_csp(await browser.new_page())
    await log_in(page, world, SIGNER_1)
    await page.goto(world.gateway + "/firmar")
    await page.check(f"input.elegir[value='{oficio['id']}']")
    await page.set_input_files("#cer", str(sat / "certificate.cer"))
    await page.set_input_files("#key", str(sat / "private_key.key"))
    await page.fill("#contrasena", (sat / "password.txt").read_text(encoding="ascii"))
    await page.click("#boton-firmar")
    await wait_until(
        page, "document.getElementById('estado').textContent.startsWith('Se firmaron')", timeout=60_000
    )
    assert await page.inner_text("#error") == ""  # the key was decrypted and matched its certificate
    assert await page.inner_text("#estado") == "Se firmaron 0 de 1 oficios."
    result = await page.inner_text(f"#resultados li[data-oficio='{oficio['id']}']")
    assert "El certificado de la e.firma venció el" in result
    await page.close()
