"""In Chromium against the real platform: the indicators page as a titular (their unit only), as an
auditor (every unit) and as an official (their own figures), on a laptop and a phone.

An auditor sees every unit of a session's directory: a unit and an official with names as long as
real ones are seeded, so the phone check meets what a whole session (or a city) gives the page."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page

from signum.testing.kafka import eventually
from signum.testing.people import World
from tests.metrics.helpers import Seat, seed_dependencia
from tests.routing.helpers import (
    content,
    efirma,
    new_draft,
    ok,
    review_finalize_sign,
    save_content,
    wait_item,
)
from tests.ui.conftest import logged_in
from tests.ui.journeys.test_responsive import OVERFLOW_JS

pytestmark = pytest.mark.stack

SCREENSHOTS = Path(__file__).parent / "screenshots"
MESES = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip
LONG_UNIT = (
    "Dirección General de Planeación, Evaluación y Seguimiento de los Programas Prioritarios "
    "del Desarrollo Urbano Sustentable"
)


@pytest.fixture(scope="module")
async def long_names(world: World, stack_env: dict[str, str]) -> None:
    """A unit and its titular with long names, as the Monterrey directory has them."""
    seat = Seat(
        "titular@L",
        "97101",
        "LRG-PLANEACION-EVALUACION",
        "titular",
        ("María de los Ángeles Guadalupe", "Villarreal-Santos", "de la Garza Quintanilla"),
        dt.date(1970, 2, 14),
    )
    await seed_dependencia(
        stack_env,
        world,
        "LRG",
        "Secretaría de Desarrollo Urbano Sustentable y Movilidad Metropolitana",
        {seat.unidad: LONG_UNIT},
        [seat],
        services=("metrics",),
    )


@pytest.fixture(scope="module")
async def overdue(world: World, signing_pki: Any) -> str:
    """An oficio from PRU-A to titular@B, acknowledged, with a deadline a week ago (overdue)."""
    oficio_id = await new_draft(world, "autor@A", "Indicadores en pantalla: solicitud vencida")
    body = content(
        world,
        "autor@A",
        ["autor@A"],
        destinatarios=[{"tipo": "funcionario", "id": world.people["titular@B"].numero_empleado}],
    )
    await save_content(world, "autor@A", oficio_id, body)
    author = await world.as_("autor@A")
    version = ok(await author.get(f"/api/v1/oficios/{oficio_id}"))["version"]
    past = dt.datetime.now(ZoneInfo("America/Monterrey")).date() - dt.timedelta(days=7)
    ok(
        await author.patch(
            f"/api/v1/oficios/{oficio_id}",
            json={"version": version, "fecha_limite_respuesta": past.isoformat()},
        )
    )
    await review_finalize_sign(
        world, oficio_id, "autor@A", None, [("autor@A", efirma(world, signing_pki[0], "autor@A"))]
    )
    item = await wait_item(world, "titular@B", oficio_id)
    titular = await world.as_("titular@B")
    ok(await titular.post(f"/api/v1/entregas/{item['entrega_id']}/acuse", json={"forma": "explicita"}))

    async def counted() -> bool:
        body = ok(await titular.get("/api/v1/indicadores"))
        c = body["totales"]["contadores"]
        return c["vencidos"] >= 1 and body["totales"].get("etapas", {}).get("entrega_a_acuse") is not None

    await eventually(counted, within=90, interval=1.0)
    return oficio_id


async def _open(page: Page) -> None:
    await page.click("header a[href='/indicadores']")
    await page.wait_for_selector("body[data-cargado='1']")


async def _fits(page: Page, name: str) -> None:
    """Nothing sticks out sideways on the laptop or on a 390 px phone, measured as the responsive
    journey measures every page (the document and every visible element)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(SCREENSHOTS / f"indicadores-{name}-{width}.png"), full_page=True)
        fit = await page.evaluate(OVERFLOW_JS)
        assert fit["scrollWidth"] <= fit["innerWidth"], (width, fit)
        assert not fit["wide"], (width, fit)


async def test_a_titular_sees_their_unit_overdue_and_times(
    browser: Browser, world: World, overdue: str
) -> None:
    page = await logged_in(browser, world, "titular@B")
    await page.set_viewport_size({"width": 1366, "height": 900})
    await _open(page)
    assert await page.inner_text("h2") == "Indicadores"
    alcance = await page.inner_text("#alcance")
    assert "Sus unidades" in alcance
    # Periods read as months, in Spanish ("de enero de 2026 a ..."), never "2026-01".
    assert not re.search(r"\d{4}-\d{2}", alcance), alcance
    assert re.search(rf"de ({'|'.join(MESES)}) de \d{{4}} a ({'|'.join(MESES)}) de \d{{4}}", alcance), alcance
    periods = await page.locator("#tendencia .periodo").all_inner_texts()
    assert periods, "the trend shows no period"
    short = rf"^({'|'.join(m[:3] for m in MESES)})[a-z]*\.? \d{{4}}$"
    assert all(re.match(short, p) for p in periods), periods
    vencidos = page.locator("#cifras li", has_text="Vencidos")
    assert int(await vencidos.locator(".cifra").inner_text()) >= 1
    units = await page.locator("#por-unidad tbody tr").all_inner_texts()
    assert len(units) == 1
    assert "Dirección de Pruebas B" in units[0]
    stages = await page.inner_text("#etapas")
    assert "De la entrega al acuse de recibo" in stages
    # The acknowledged, unanswered oficio waits on the titular's desk, overdue.
    me = world.people["titular@B"]
    desks = await page.locator("#escritorios tbody tr").all_inner_texts()
    mine = [d for d in desks if f"{me.nombre} {me.paterno} {me.materno}" in d]
    assert mine, desks
    assert "Director de Pruebas B" in mine[0]
    assert await page.locator("#etapas-lentas li").count() >= 1
    positions = await page.locator("#por-puesto tbody tr td:first-child").all_inner_texts()
    assert positions[0] == "Director de Pruebas B"  # the titular's position first
    assert await page.locator("#ahorros li").count() >= 6
    await page.locator("#ahorros details").first.click()
    assert "Hojas por página: 1" in await page.locator("#ahorros details").first.inner_text()
    assert "formato=csv" in (await page.get_attribute("#csv", "href") or "")
    await _fits(page, "titular")
    await page.context.close()


async def test_an_auditor_sees_every_unit_and_can_choose_one(
    browser: Browser, world: World, overdue: str, long_names: None
) -> None:
    page = await logged_in(browser, world, "auditor@A")
    await page.set_viewport_size({"width": 1366, "height": 900})
    await _open(page)
    assert "Todas las unidades" in await page.inner_text("#alcance")
    names = await page.locator("#por-unidad tbody tr td:first-child").all_inner_texts()
    assert {"Dirección de Pruebas A", "Dirección de Pruebas B", LONG_UNIT} <= set(names)
    people = await page.locator("#por-puesto tbody tr td:nth-child(2)").all_inner_texts()
    assert "María de los Ángeles Guadalupe Villarreal-Santos de la Garza Quintanilla" in people
    await _fits(page, "auditor-todas")
    await page.set_viewport_size({"width": 1366, "height": 900})
    await page.select_option("select[name=unidad_id]", "PRU-B")
    await page.evaluate("document.body.dataset.cargado = ''")
    await page.click("#filtros button[type=submit]")
    await page.wait_for_selector("body[data-cargado='1']")
    names = await page.locator("#por-unidad tbody tr td:first-child").all_inner_texts()
    assert names == ["Dirección de Pruebas B"]
    assert "Una unidad" in await page.inner_text("#alcance")
    await _fits(page, "auditor-una")
    await page.context.close()


async def test_an_official_sees_only_their_own_figures(browser: Browser, world: World, overdue: str) -> None:
    page = await logged_in(browser, world, "funcionario@B")
    await _open(page)
    assert "Sus propias cifras" in await page.inner_text("#alcance")
    assert await page.locator("#unidades-seccion").is_hidden()
    assert await page.locator("#unidad-campo").is_hidden()
    assert await page.locator("#espera-seccion").is_hidden()
    await page.context.close()
