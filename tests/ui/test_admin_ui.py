"""In Chromium against the real platform: the administration pages as an administrator walks them
(an account for a new official who then logs in with the temporary password; the directory's CSV
simulated with errors, fixed and applied; a suplencia registered and cancelled; an API key created,
used and revoked), and refused to whoever is not one. Each step is photographed on a laptop and a
phone (`tests/ui/screenshots/admin-*.png`), and nothing may scroll sideways on either."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from signum.gateway.directory.demo import curp_for, rfc_for, to_csv
from signum.testing.people import World
from tests.ui.conftest import logged_in, wait_until, watch_csp
from tests.ui.journeys.test_responsive import BLOCKING, OVERFLOW_JS

pytestmark = pytest.mark.stack

SCREENSHOTS = Path(__file__).parent / "screenshots"
LAPTOP, PHONE = (1280, 800), (390, 844)
NEW_PASSWORD = "MiClavePropia2027"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _row(
    dependencia: str,
    unidad: str,
    puesto: str,
    titulo: str,
    numero: str,
    name: tuple[str, str, str],
    **extra: str,
) -> dict[str, str]:
    nombre, paterno, materno = name
    born = dt.date(1980 + int(numero) % 20, 1 + int(numero) % 12, 1 + int(numero) % 27)
    es_titular = puesto.endswith("-TIT")
    row = {
        "dependencia_clave": dependencia,
        "dependencia_nombre": f"Secretaría de Administración de Pruebas {dependencia}",
        "unidad_clave": unidad,
        "unidad_nombre": f"Dirección de Recursos Humanos {unidad}",
        "unidad_padre": "",
        "prefijo_folio": unidad.replace("-", "/"),
        "puesto_clave": puesto,
        "puesto_titulo": titulo,
        "reporta_a": "" if es_titular else f"{unidad}-TIT",
        "es_titular": "sí" if es_titular else "no",
        "numero_empleado": numero,
        "nombre": nombre,
        "apellido_paterno": paterno,
        "apellido_materno": materno,
        "correo": f"{_ascii(nombre.split()[0].lower())}.{numero}@pruebas.monterrey.gob.mx",
        "rfc": rfc_for(nombre, paterno, materno, born, "B2"),
        "curp": curp_for(nombre, paterno, materno, born, "H", "NL"),
        "roles": "",
    }
    return row | extra


# The unit the account, suplencia and key journeys use (imported through the API by the fixture).
ADM = [
    _row(
        "ADM", "ADM-RH", "ADM-RH-TIT", "Directora de Recursos Humanos", "93001", ("Rocío", "Treviño", "Garza")
    ),
    _row("ADM", "ADM-RH", "ADM-RH-ANA", "Analista de nómina", "93002", ("Mauricio", "Leal", "Cantú")),
]
# The unit the directory journey imports through the page.
IMP = [
    _row("IMP", "IMP-RH", "IMP-RH-TIT", "Director de Personal", "94001", ("Ulises", "Garza", "Salinas")),
    _row("IMP", "IMP-RH", "IMP-RH-ANA", "Analista de personal", "94002", ("Valeria", "Cantú", "Rocha")),
    _row("IMP", "IMP-RH", "IMP-RH-AUX", "Auxiliar administrativo", "94003", ("Wendy", "Zambrano", "Leal")),
]


@pytest.fixture(scope="module")
async def adm(world: World) -> dict[str, dict[str, str]]:
    """Two officials with no account yet, in a unit of their own, imported as HR would."""
    admin = await world.as_("administrador@A")
    response = await admin.post(
        "/api/v1/directorio/importaciones",
        files={"archivo": ("adm.csv", to_csv(ADM), "text/csv")},
    )
    assert response.status_code == 201, response.text
    return {row["numero_empleado"]: row for row in ADM}


async def shoot(page: Page, name: str) -> None:
    """Photograph the page on a laptop and on a phone; on neither may anything scroll sideways, and
    axe-core finds no serious or critical accessibility violation."""
    SCREENSHOTS.mkdir(exist_ok=True)
    results = await Axe().run(page)
    blocking = [
        f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"{name}: " + "; ".join(blocking)
    for width, height in (LAPTOP, PHONE):
        await page.set_viewport_size({"width": width, "height": height})
        fit = await page.evaluate(OVERFLOW_JS)
        await page.screenshot(path=str(SCREENSHOTS / f"admin-{name}-{width}.png"), full_page=True)
        assert fit["scrollWidth"] <= fit["innerWidth"], f"{name} scrolls sideways at {width} px: {fit}"
        assert not fit["wide"], f"{name} has something wider than the screen at {width} px: {fit}"
    await page.set_viewport_size({"width": LAPTOP[0], "height": LAPTOP[1]})


async def text_of(page: Page, selector: str) -> str:
    return (await page.inner_text(selector)).strip()


async def wait_text(page: Page, selector: str, text: str) -> str:
    """Wait until the element shows `text`; a wrong message fails with what the page said."""
    try:
        await wait_until(
            page,
            "([s, t]) => { const e = document.querySelector(s); return e && e.textContent.includes(t); }",
            [selector, text],
        )
    except TimeoutError:
        errors = await page.eval_on_selector_all(".error", "es => es.map(e => e.textContent).join(' | ')")
        raise AssertionError(f"{selector} never showed {text!r}; errors on the page: {errors!r}") from None
    return await text_of(page, selector)


async def search(page: Page, text: str) -> None:
    await page.fill("#q", text)
    await page.click("#buscar button[type=submit]")
    await wait_text(page, "#resultado", "funcionario(s)")


async def test_an_account_for_a_new_official_whose_temporary_password_is_changed_at_first_login(
    browser: Browser, world: World, adm: dict[str, dict[str, str]]
) -> None:
    rocio = adm["93001"]
    page = await logged_in(browser, world, "administrador@A")
    try:
        await page.click("header nav >> text=Administración")
        await page.wait_for_selector(".secciones")
        assert await page.eval_on_selector_all(".secciones .titulo", "ts => ts.map(t => t.textContent)") == [
            "Cuentas",
            "Directorio",
            "Suplencias",
            "Claves de API",
        ]
        await shoot(page, "inicio")
        await page.click(".secciones >> text=Cuentas")
        await page.wait_for_selector("#buscar")
        await search(page, "Rocío Treviño")
        row = 'tr[data-funcionario="93001"]'
        assert "Sin cuenta" in await text_of(page, row)
        await page.click(f"{row} button[data-accion='Crear cuenta']")
        assert await page.input_value("#crear-usuario") == rocio["correo"]
        await page.click("#crear-confirmar")
        await page.wait_for_selector("#temporal:not([hidden])")
        temporary = await text_of(page, "#temporal-valor")
        assert len(temporary) >= 12
        box = await text_of(page, "#temporal")
        assert "solo esta vez" in box
        assert "pedirá cambiarla" in box
        assert rocio["correo"] in box
        assert "Con contraseña temporal" in await text_of(page, row)
        assert not await page.is_visible(f"{row} button[data-accion='Crear cuenta']")
        await shoot(page, "cuentas-temporal")
        await page.click("#temporal-listo")
        assert await page.is_hidden("#temporal")
        assert await text_of(page, "#temporal-valor") == ""

        # Rocío logs in with it: Signum asks for her own password first, then lets her in.
        person = watch_csp(await (await browser.new_context()).new_page())
        person.set_default_timeout(20_000)
        await person.goto(world.gateway + "/")
        await person.fill("#usuario", rocio["correo"])
        await person.fill("#contrasena", temporary)
        await person.click("#entrar button[type=submit]")
        await person.wait_for_selector("#cambiar-caja:not([hidden])")
        await person.fill("#nueva", NEW_PASSWORD)
        await person.fill("#confirmar", NEW_PASSWORD)
        await person.click("#cambiar button[type=submit]")
        await person.wait_for_selector("#salir")
        assert "Rocío" in await text_of(person, "h2")
        assert "Administración" not in await text_of(person, "header nav")
        await person.context.close()

        # Five wrong passwords lock her account; the administrator sees it and unlocks it.
        async with httpx.AsyncClient(base_url=world.gateway, timeout=60) as client:
            for _ in range(5):
                await client.post(
                    "/api/v1/auth/login", json={"usuario": rocio["correo"], "contrasena": "x" * 12}
                )
            locked = await client.post(
                "/api/v1/auth/login", json={"usuario": rocio["correo"], "contrasena": NEW_PASSWORD}
            )
            assert locked.status_code == 423, locked.text
        await search(page, "Rocío Treviño")
        assert "Bloqueada hasta" in await text_of(page, row)
        await shoot(page, "cuentas-bloqueada")
        await page.click(f"{row} button[data-accion='Desbloquear']")
        await wait_text(page, "#aviso", "Se desbloqueó la cuenta de Rocío Treviño Garza")
        assert "Activa" in await text_of(page, row)
        assert "Bloqueada" not in await text_of(page, row)
        async with httpx.AsyncClient(base_url=world.gateway, timeout=30) as client:
            again = await client.post(
                "/api/v1/auth/login", json={"usuario": rocio["correo"], "contrasena": NEW_PASSWORD}
            )
            assert again.status_code == 200, again.text

        # A reset gives a new temporary password (after a confirmation) and ends the old one.
        await page.click(f"{row} button[data-accion='Restablecer contraseña']")
        await page.wait_for_selector("#confirmar[open]")
        assert "Rocío Treviño Garza" in await text_of(page, "#confirmar-titulo")
        await page.click("#confirmar-si")
        await wait_text(page, "#aviso", "Se restableció la contraseña")
        second = await text_of(page, "#temporal-valor")
        assert second
        assert second != temporary
        assert "Con contraseña temporal" in await text_of(page, row)
        async with httpx.AsyncClient(base_url=world.gateway, timeout=30) as client:
            old = await client.post(
                "/api/v1/auth/login", json={"usuario": rocio["correo"], "contrasena": NEW_PASSWORD}
            )
            assert old.status_code == 401
            new = await client.post(
                "/api/v1/auth/login", json={"usuario": rocio["correo"], "contrasena": second}
            )
            assert (new.status_code, new.json()["debe_cambiar_contrasena"]) == (200, True)

        # The API's Spanish refusal shows as it is: a user name another account has.
        await search(page, "Mauricio Leal")
        await page.click("tr[data-funcionario='93002'] button[data-accion='Crear cuenta']")
        await page.fill("#crear-usuario", rocio["correo"])
        await page.click("#crear-confirmar")
        message = await wait_text(page, "#crear-error", "ya es de la cuenta de otro funcionario")
        assert message == "Ese nombre de usuario ya es de la cuenta de otro funcionario; elija otro."
        await page.fill("#crear-usuario", "ml")
        await page.click("#crear-confirmar")
        message = await wait_text(page, "#crear-error", "Campos: usuario.")
        assert message == "Los datos enviados no son válidos. Revise los campos indicados. Campos: usuario."
        await shoot(page, "cuentas-error")
        await page.click("#crear-cancelar")
        assert "Sin cuenta" in await text_of(page, "tr[data-funcionario='93002']")
    finally:
        await page.context.close()


async def test_the_directory_is_simulated_with_every_error_then_fixed_and_applied(
    browser: Browser, world: World, tmp_path: Path
) -> None:
    admin = await world.as_("administrador@A")
    bad = [dict(r) for r in IMP]
    bad[1]["rfc"] = "CARV-NO-VALIDO"
    bad[2]["correo"] = "wendy.sin.arroba"
    (tmp_path / "directorio-con-errores.csv").write_bytes(to_csv(bad))
    (tmp_path / "directorio.csv").write_bytes(to_csv(IMP))
    page = await logged_in(browser, world, "administrador@A")
    try:
        await page.goto(world.gateway + "/administracion/directorio")
        await page.set_input_files("#archivo", str(tmp_path / "directorio-con-errores.csv"))
        await page.click("#simular")
        await wait_text(page, "#reporte", "El archivo tiene errores: no se escribió nada")
        rows = await page.eval_on_selector_all(
            "#errores tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))"
        )
        assert [(r[0], r[1], r[2]) for r in rows] == [
            ("3", "RFC", "CARV-NO-VALIDO"),
            ("4", "Correo", "wendy.sin.arroba"),
        ], rows
        assert all(r[3] for r in rows)
        assert "2 error(es) en 2 fila(s); no se aplicó ningún cambio" in await text_of(page, "#reporte")
        assert await page.query_selector("#aplicar") is None
        await shoot(page, "directorio-errores")
        for numero in ("94001", "94002", "94003"):
            assert (await admin.get(f"/api/v1/directorio/funcionarios/{numero}")).status_code == 404

        # The fixed file: its simulation says what would change and still writes nothing.
        await page.set_input_files("#archivo", str(tmp_path / "directorio.csv"))
        assert await page.is_hidden("#reporte")
        await page.click("#simular")
        await wait_text(page, "#reporte", "Simulación: esto cambiaría")
        summary = await page.eval_on_selector_all(
            ".resumen tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))"
        )
        assert summary == [
            ["Dependencias", "1", "0", "0"],
            ["Unidades", "1", "0", "0"],
            ["Puestos", "3", "0", "0"],
            ["Funcionarios", "3", "0", "0"],
        ], summary
        detail = await page.eval_on_selector_all(
            "#cambios tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))"
        )
        assert ["Funcionario", "94002", "Valeria Cantú Rocha", "Nuevo"] in detail
        assert len(detail) == 8
        await shoot(page, "directorio-simulacion")
        assert (await admin.get("/api/v1/directorio/funcionarios/94001")).status_code == 404
        await page.click("#aplicar")
        await wait_text(page, "#reporte", "Importación aplicada")
        await wait_text(page, "#aviso", "Se aplicó la importación del directorio.")
        assert await page.query_selector("#aplicar") is None
        found = await admin.get("/api/v1/directorio/funcionarios/94002")
        assert found.status_code == 200
        assert found.json()["puesto"]["titulo"] == "Analista de personal"

        # A later file that changes one e-mail: the simulation names who and what.
        changed = [dict(r) for r in IMP]
        changed[1]["correo"] = "valeria.cantu@pruebas.monterrey.gob.mx"
        (tmp_path / "directorio-2.csv").write_bytes(to_csv(changed))
        await page.set_input_files("#archivo", str(tmp_path / "directorio-2.csv"))
        await page.click("#simular")
        await wait_text(page, "#reporte", "Simulación: esto cambiaría")
        detail = await page.eval_on_selector_all(
            "#cambios tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))"
        )
        assert detail == [["Funcionario", "94002", "Valeria Cantú Rocha", "Cambia: correo"]]

        # Search by unit, then one official leaves: a confirmation, then the position is vacant.
        await page.select_option("#unidad", label="Dirección de Recursos Humanos IMP-RH")
        await search(page, "")
        names = await page.eval_on_selector_all(
            "#funcionarios tbody tr strong", "ns => ns.map(n => n.textContent)"
        )
        assert sorted(names) == ["Ulises Garza Salinas", "Valeria Cantú Rocha", "Wendy Zambrano Leal"]
        await search(page, "Wendy")
        row = 'tr[data-funcionario="94003"]'
        await page.click(f"{row} >> text=Dar de baja")
        await page.wait_for_selector("#confirmar[open]")
        question = await text_of(page, "#confirmar")
        assert "Wendy Zambrano Leal" in question
        assert "«Auxiliar administrativo» quedará vacante" in question
        await shoot(page, "directorio-baja")
        await page.click("#confirmar button[value=no]")
        assert (await admin.get("/api/v1/directorio/funcionarios/94003")).json()["activo"] is True
        await page.click(f"{row} >> text=Dar de baja")
        await page.click("#confirmar-si")
        await wait_text(page, "#aviso", "quedó dado(a) de baja")
        assert "Dado de baja" in await text_of(page, row)
        assert await page.query_selector(f"{row} button") is None
        gone = (await admin.get("/api/v1/directorio/funcionarios/94003")).json()
        assert (gone["activo"], gone["puesto"]) == (False, None)
    finally:
        await page.context.close()


async def test_a_suplencia_is_registered_refused_when_it_overlaps_and_cancelled(
    browser: Browser, world: World, adm: dict[str, dict[str, str]]
) -> None:
    admin = await world.as_("administrador@A")
    today = dt.date.today()
    page = await logged_in(browser, world, "administrador@A")
    try:
        await page.goto(world.gateway + "/administracion/suplencias")
        await page.wait_for_selector("#unidad option[value='ADM-RH']", state="attached")
        await page.select_option("#unidad", "ADM-RH")
        await page.wait_for_selector("#puesto:not([disabled])")
        await page.select_option("#puesto", "ADM-RH-TIT")
        await page.fill("#suplente-buscar", "Mauricio Leal")
        await page.click("#suplente-boton")
        await page.wait_for_selector("#suplente:not([disabled])")
        assert await page.input_value("#suplente") == "93002"
        await page.fill("#hasta", (today + dt.timedelta(days=7)).isoformat())
        await page.fill("#motivo", "Vacaciones")
        await page.click("#registrar")
        notice = await wait_text(page, "#nueva-aviso", "Se registró la suplencia")
        assert "Mauricio Leal Cantú suple a Rocío Treviño Garza" in notice
        [registered] = (
            await admin.get("/api/v1/directorio/suplencias", params={"puesto": "ADM-RH-TIT"})
        ).json()
        row = f'#suplencias tbody tr[data-suplencia="{registered["id"]}"]'
        await page.wait_for_selector(row)
        cells = await page.eval_on_selector_all(f"{row} td", "cs => cs.map(c => c.innerText)")
        assert cells[:3] == [
            "Directora de Recursos Humanos\nDirección de Recursos Humanos ADM-RH",
            "Rocío Treviño Garza",
            "Mauricio Leal Cantú",
        ], cells
        assert (cells[4], cells[5]) == ("Vacaciones", "Vigente")
        await shoot(page, "suplencias")

        # The same position on overlapping days: the API's Spanish refusal, by the form.
        await page.select_option("#unidad", "ADM-RH")
        await page.wait_for_selector("#puesto:not([disabled])")
        await page.select_option("#puesto", "ADM-RH-TIT")
        await page.fill("#suplente-buscar", "93002")
        await page.click("#suplente-boton")
        await page.wait_for_selector("#suplente:not([disabled])")
        await page.fill("#hasta", (today + dt.timedelta(days=3)).isoformat())
        await page.click("#registrar")
        refusal = await wait_text(page, "#nueva-error", "El puesto ya tiene una suplencia")
        assert "cancélela o elija otras fechas" in refusal
        await shoot(page, "suplencias-traslape")

        listed = (await admin.get("/api/v1/directorio/suplencias", params={"puesto": "ADM-RH-TIT"})).json()
        assert [(s["suplente_id"], s["cancelada"]) for s in listed] == [("93002", False)]
        await page.click(f"{row} >> text=Cancelar")
        await page.wait_for_selector("#confirmar[open]")
        assert "Rocío Treviño Garza" in await text_of(page, "#confirmar-titulo")
        await page.click("#confirmar-si")
        await wait_text(page, "#aviso", "Se canceló la suplencia.")
        await wait_until(page, "s => !document.querySelector(s)", row)  # no longer current
        await page.check("#todas")
        await wait_text(page, row, "Cancelada")
        listed = (await admin.get("/api/v1/directorio/suplencias", params={"puesto": "ADM-RH-TIT"})).json()
        assert [s["cancelada"] for s in listed] == [True]
    finally:
        await page.context.close()


async def test_an_api_key_is_shown_once_works_and_stops_working_when_revoked(
    browser: Browser, world: World, adm: dict[str, dict[str, str]]
) -> None:
    page = await logged_in(browser, world, "administrador@A")
    try:
        await page.goto(world.gateway + "/administracion/claves-api")
        await page.wait_for_selector("#oficina option[value='ADM-RH']", state="attached")
        await page.fill("#nombre", "Sistema de Nómina")
        await page.check("#permisos input[value='directorio.leer']")
        # Without an office the form says so before asking the API.
        await page.click("#crear-boton")
        assert await wait_text(page, "#crear-error", "Agregue al menos una oficina")
        await page.select_option("#oficina", "ADM-RH")
        await page.click("#agregar-oficina")
        assert "Dirección de Recursos Humanos ADM-RH" in await text_of(page, "#oficinas")
        await page.click("#crear-boton")
        await page.wait_for_selector("#nueva-clave:not([hidden])")
        key = await text_of(page, "#nueva-clave-valor")
        assert "solo esta vez" in await text_of(page, "#nueva-clave")
        row = await page.wait_for_selector("#claves tbody tr:has-text('Sistema de Nómina')")
        listed = await row.inner_text()
        assert "Consultar el directorio" in listed
        assert "Dirección de Recursos Humanos ADM-RH" in listed
        assert "Activa" in listed
        assert "Nunca" in listed
        await shoot(page, "claves-nueva")
        await page.click("#nueva-clave-listo")
        assert await text_of(page, "#nueva-clave-valor") == ""

        async with httpx.AsyncClient(base_url=world.gateway, timeout=30) as client:
            bearer = {"Authorization": f"Bearer {key}"}
            works = await client.get("/api/v1/directorio/unidades", headers=bearer)
            assert works.status_code == 200, works.text
            await page.reload()
            used = await page.wait_for_selector("#claves tbody tr:has-text('Sistema de Nómina')")
            assert "Nunca" not in await used.inner_text()

            await page.click("#claves tbody tr:has-text('Sistema de Nómina') >> text=Revocar")
            await page.wait_for_selector("#confirmar[open]")
            assert "Sistema de Nómina" in await text_of(page, "#confirmar-titulo")
            await page.click("#confirmar-si")
            await wait_text(page, "#aviso", "Se revocó la clave «Sistema de Nómina».")
            revoked = await page.wait_for_selector(
                "#claves tbody tr:has-text('Sistema de Nómina'):has-text('Revocada')"
            )
            assert await revoked.query_selector("button") is None
            refused = await client.get("/api/v1/directorio/unidades", headers=bearer)
            assert (refused.status_code, refused.json()["code"]) == (401, "api_key_invalid")
        await shoot(page, "claves-revocada")
    finally:
        await page.context.close()


@pytest.mark.parametrize("key", ["funcionario@A", "titular@B", "auditor@A"])
async def test_whoever_is_not_an_administrator_sees_no_administration_and_is_refused(
    browser: Browser, world: World, key: str
) -> None:
    page = await logged_in(browser, world, key)
    try:
        assert "Administración" not in await text_of(page, "header nav")
        for path in ("", "/cuentas", "/directorio", "/suplencias", "/claves-api"):
            response = await page.goto(world.gateway + "/administracion" + path)
            assert response is not None
            assert response.status == 403, path
            assert await text_of(page, "h2") == "Acceso denegado"
            assert "Solo el personal administrador" in await text_of(page, "main")
        if key == "funcionario@A":
            await shoot(page, "denegado")
        answer: Any = await page.evaluate(
            "fetch('/api/v1/admin/cuentas?funcionario=93001')"
            ".then(async r => [r.status, (await r.json()).code])"
        )
        assert answer == [403, "forbidden"]
    finally:
        await page.context.close()
