"""A recipient who opens a delivery the moment it arrives is not refused.

Routing shows a delivery in the inbox a moment before its `delivery.created` reaches drafting's and
storage's read models of the oficio's readers. A service that would refuse a caller on its model
asks routing, the owner of deliveries, once more (`OficioReaders.confirm`). Here a read model that
has heard nothing (a database of its own) learns the readers from the running routing; an
unreachable routing leaves it as it was, so the caller is refused, never let in by an error.
"""

from __future__ import annotations

from typing import Any

import pytest

from signum.platform.http import InternalClient
from signum.platform.mongo import build_mongo_client
from signum.platform.policy import office_mailbox
from signum.platform.readers import OficioReaders
from signum.platform.settings import InfraSettings
from signum.testing.kafka import eventually
from signum.testing.people import World
from signum.testing.processes import ServiceProcess, free_port
from tests.routing.helpers import sent_oficio

pytestmark = pytest.mark.stack


async def test_a_read_model_that_has_not_heard_yet_asks_routing(
    world: World, platform: dict[str, ServiceProcess], infra: InfraSettings, signing_pki: Any
) -> None:
    office = {"tipo": "unidad", "id": "PRU-B"}
    oficio_id, _ = await sent_oficio(
        world, signing_pki[0], "Consulta sobre el padrón de proveedores", [office]
    )
    recipient = world.people["titular@B"].numero_empleado

    client = build_mongo_client(infra)
    routing = InternalClient("routing", platform["routing"].url, infra.internal_token, timeout=5)
    gone = InternalClient("routing", f"http://127.0.0.1:{free_port()}", infra.internal_token, timeout=2)
    try:
        asks = OficioReaders(client[infra.database_name("lectores_a")], routing)
        cut_off = OficioReaders(client[infra.database_name("lectores_b")], gone)
        assert await asks.of(oficio_id) == frozenset()  # it has heard nothing

        # Routing writes the deliveries when it handles oficio.signed: ask until it has.
        async def confirmed() -> frozenset[str] | None:
            found = await asks.confirm(oficio_id)
            return found if recipient in found else None

        readers: frozenset[str] = await eventually(confirmed, within=60, interval=0.5)
        assert recipient in readers  # the office's titular
        assert office_mailbox("PRU-B") in readers  # and its mailbox, kept by its oficialía
        assert await asks.of(oficio_id) == readers  # kept: the next read needs no call

        assert await cut_off.confirm(oficio_id) == frozenset()  # refused as before, not let in
    finally:
        await routing.aclose()
        await gone.aclose()
        client.close()
