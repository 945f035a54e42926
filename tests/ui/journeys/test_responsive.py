"""Every page of the UI on a 390 px phone and a 1,366 px laptop: nothing scrolls sideways (measured:
the document and every visible element fit the viewport) and axe-core (axe-playwright-python, which
ships it) finds no serious or critical accessibility violation. Screenshots go to the git-ignored
`tests/ui/screenshots/` for a person to look at."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from signum.testing.people import World
from tests.routing.helpers import content, efirma, new_draft, ok, review_finalize_sign, save_content
from tests.ui.conftest import log_in, wait_until

pytestmark = pytest.mark.stack

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
WIDTHS = {390: 844, 1366: 768}  # a phone and the most common office laptop
BLOCKING = {"serious", "critical"}

# What a person sees sticking out past the viewport's right or left edge: each element's box cut
# by the ancestors that clip it (overflow other than visible, e.g. a visually hidden table head);
# what is left of zero size does not count.
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const classes = (e) => typeof e.className === 'string' && e.className
    ? '.' + e.className.trim().split(/\\s+/).join('.') : '';
  const describe = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + classes(e);
  const shown = (e) => {
    const r = e.getBoundingClientRect();
    let left = r.left, right = r.right, top = r.top, bottom = r.bottom;
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX === 'visible') continue;
      const c = a.getBoundingClientRect();
      left = Math.max(left, c.left); right = Math.min(right, c.right);
      top = Math.max(top, c.top); bottom = Math.min(bottom, c.bottom);
    }
    return {left, right, width: right - left, height: bottom - top};
  };
  const wide = [];
  for (const e of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(e);
    if (style.visibility === 'hidden') continue;
    // A box of its own that scrolls sideways is a horizontal scroll too.
    if ((style.overflowX === 'auto' || style.overflowX === 'scroll') && e.clientWidth > 0
        && e.scrollWidth > e.clientWidth + 1) {
      wide.push(`${describe(e)} scrolls inside (${e.scrollWidth} > ${e.clientWidth} px)`);
    }
    const r = shown(e);
    if (r.width <= 1 || r.height <= 1) continue;
    const where = `${Math.round(r.left)}..${Math.round(r.right)} px`;
    if (r.right > width + 1 || r.left < -1) wide.push(`${describe(e)} (${where})`);
  }
  const scrollWidth = document.documentElement.scrollWidth;
  return {scrollWidth: scrollWidth, innerWidth: width, wide: wide.slice(0, 15)};
}"""


@dataclass(frozen=True)
class Shown:
    """A page as someone sees it: who (None: anonymous), where, and what to wait for."""

    who: str | None
    path: str
    ready: str
    then: Callable[[Page], Awaitable[None]] | None = None


@pytest.fixture(scope="module")
async def sent(world: World, signing_pki: Any) -> dict[str, Any]:
    """One signed oficio from unit A to unit B, so the inbox, its detail and verification show data."""
    asunto = "Solicitud de apoyo logístico para la feria municipal de la ciudad"
    oficio_id = await new_draft(world, "autor@A", asunto)
    body = content(world, "autor@A", ["autor@A"], destinatarios=[{"tipo": "unidad", "id": "PRU-B"}])
    await save_content(world, "autor@A", oficio_id, body)
    pki = signing_pki[0]
    final = await review_finalize_sign(
        world, oficio_id, "autor@A", None, [("autor@A", efirma(world, pki, "autor@A"))]
    )
    # And one waiting for titular@A's signature, so "Por firmar" has a row.
    pending = await new_draft(world, "autor@A", "Informe trimestral de avance del programa de obra")
    body = content(world, "autor@A", ["titular@A"], destinatarios=[{"tipo": "unidad", "id": "PRU-B"}])
    await save_content(world, "autor@A", pending, body)
    author = await world.as_("autor@A")
    ok(await author.post(f"/api/v1/oficios/{pending}/finalizacion"))
    return {"oficio_id": oficio_id, "folio": final["folio"], "por_firmar": pending}


async def _open_first_delivery(page: Page) -> None:
    row = page.locator("#elementos tbody tr").first
    await row.wait_for(timeout=60_000)
    await row.click()
    await page.wait_for_selector("#detalle:not([hidden])")
    await wait_until(page, "document.querySelector('#detalle-datos').textContent.includes('Recibido')")


def pages(sent: dict[str, Any]) -> dict[str, Shown]:
    return {
        "login": Shown(None, "/", "#entrar"),
        "inicio": Shown("titular@B", "/", "#salir"),
        "bandeja": Shown("titular@B", "/bandeja", "#elementos tbody tr"),
        "bandeja-detalle": Shown("titular@B", "/bandeja", "#elementos tbody tr", _open_first_delivery),
        "redaccion": Shown("autor@A", "/redaccion", "main"),
        "redaccion-oficio": Shown("autor@A", f"/redaccion?oficio={sent['oficio_id']}", "main"),
        "plantillas": Shown("administrador@A", "/plantillas", "main"),
        "firmar": Shown("titular@A", "/firmar", "#pendientes tbody tr"),
        "indicadores": Shown("titular@B", "/indicadores", "body[data-cargado='1']"),
        "verificar": Shown(None, "/verificar", "body"),
        "verificar-oficio": Shown(None, f"/verificar/{sent['oficio_id']}", "body"),
    }


PAGE_NAMES = [
    "login",
    "inicio",
    "bandeja",
    "bandeja-detalle",
    "redaccion",
    "redaccion-oficio",
    "plantillas",
    "firmar",
    "indicadores",
    "verificar",
    "verificar-oficio",
]


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", PAGE_NAMES)
async def test_page_fits_the_screen_and_passes_axe(
    browser: Browser, world: World, sent: dict[str, Any], name: str, width: int
) -> None:
    shown = pages(sent)[name]
    context = await browser.new_context(viewport={"width": width, "height": WIDTHS[width]}, locale="es-MX")
    page = await context.new_page()
    page.set_default_timeout(60_000)  # a first page waits for Kafka to bring the seeded oficios
    try:
        if shown.who is not None:
            await log_in(page, world, shown.who)
        await page.goto(world.gateway + shown.path)
        await page.wait_for_selector(shown.ready)
        if shown.then is not None:
            await shown.then(page)
        await page.wait_for_load_state("load")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)

        fit = await page.evaluate(OVERFLOW_JS)
        results = await Axe().run(page)
        blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
        problems = []
        if fit["scrollWidth"] > fit["innerWidth"] or fit["wide"]:
            problems.append(f"scrolls sideways: {fit}")
        for v in blocking:
            targets = [" ".join(map(str, n["target"])) for n in v["nodes"]][:8]
            problems.append(f"axe {v['id']} ({v['impact']}): {v['help']} -> {targets}")
        assert not problems, f"{name} at {width} px:\n" + "\n".join(problems)
    finally:
        await context.close()
