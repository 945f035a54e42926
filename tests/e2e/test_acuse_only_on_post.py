"""Issue 13, class 6: reading a delivery changes nothing. The legal acuse de recibo is recorded only
by `POST /api/v1/entregas/{id}/acuse` with the CSRF check, so a cross-site link (a top-level GET with
the recipient's cookie) or a cross-site form (a POST without the CSRF header) cannot record it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import World
from tests.routing.helpers import ok, sent_oficio, wait_item

pytestmark = pytest.mark.stack


async def _recipient(world: World, oficio_id: str) -> tuple[dict[str, Any], list[str]]:
    """The addressee's state and the oficio's events, as the sender follows them."""
    view = ok(await (await world.as_("autor@A")).get(f"/api/v1/oficios/{oficio_id}/seguimiento"))
    recipient = next(d for d in view["destinatarios"] if d["motivo"] == "destinatario")
    return recipient, [e["tipo"] for e in view["eventos"]]


async def test_only_a_post_with_the_csrf_token_records_the_acuse(world: World, signing_pki: Any) -> None:
    recipient = {"tipo": "funcionario", "id": world.people["titular@B"].numero_empleado}
    oficio_id, _ = await sent_oficio(world, signing_pki[0], "Padrón de proveedores 2027", [recipient])
    entrega_id = (await wait_item(world, "titular@B", oficio_id))["entrega_id"]
    path = f"/api/v1/entregas/{entrega_id}"

    # The recipient's own cookie session, as a cross-site page would use it: no CSRF header.
    browser = await world.fresh("titular@B")
    try:
        del browser.headers["X-CSRF-Token"]
        for _ in range(2):  # a link followed twice: read, nothing recorded
            read = ok(await browser.get(path))
            assert (read["estado"], read["recibido_en"], read["puede_acusar"]) == ("enviado", None, True)
        forged = await browser.post(f"{path}/acuse", json={"forma": "apertura"})
        assert (forged.status_code, forged.json()["code"]) == (403, "csrf_failed")
        recipient, events = await _recipient(world, oficio_id)
        assert (recipient["estado"], recipient["recibido_en"]) == ("enviado", None)
        assert "delivery.acknowledged" not in events

        # The page: it reads the delivery, then posts the receipt with the token.
        page = await world.fresh("titular@B")
        try:
            received = ok(await page.post(f"{path}/acuse", json={"forma": "apertura"}))
            again = ok(await page.get(path))
        finally:
            await page.aclose()
    finally:
        await browser.aclose()
    assert received["estado"] == "recibido"
    assert received["recibido_en"]
    assert again["recibido_en"] == received["recibido_en"]
    assert again["puede_acusar"] is False
    recipient, events = await _recipient(world, oficio_id)
    assert recipient["estado"] == "recibido"
    assert events.count("delivery.acknowledged") == 1
