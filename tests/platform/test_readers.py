"""Who reads an oficio because of a delivery (`signum.platform.readers.readers_of`)."""

from __future__ import annotations

from typing import Any

from signum.contracts.routing import DeliveryCreatedPayload
from signum.platform.readers import readers_of


def delivery(**fields: Any) -> DeliveryCreatedPayload:
    return DeliveryCreatedPayload.model_validate(
        {"entrega_id": "o_1", "motivo": "destinatario", "folio": "F/1", "asunto": "A", **fields}
    )


def test_an_official_reads_what_they_received_and_so_does_the_holder_they_stood_in_for() -> None:
    assert readers_of(delivery(funcionario_id="10", unidad_id="U")) == ["10"]
    assert readers_of(delivery(funcionario_id="11", unidad_id="U", en_lugar_de="10")) == ["11", "10"]


def test_an_office_mailbox_is_the_oficialia_that_keeps_it_else_the_unit_own() -> None:
    kept = delivery(motivo="oficialia", unidad_id="SAY", buzon_unidad_id="SAY-OP")
    assert readers_of(kept) == ["unidad:SAY-OP"]
    assert readers_of(delivery(motivo="oficialia", unidad_id="SAY")) == ["unidad:SAY"]
    assert readers_of(delivery(motivo="oficialia")) == []
