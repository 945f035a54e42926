"""The Spanish descriptions of events that routing and storage show in an oficio's history."""

from __future__ import annotations

from signum.contracts.registry import EVENT_TYPES
from signum.platform.event_descriptions import EVENT_DESCRIPTIONS, PAPER_REGISTRATION, describe_event


def test_every_event_has_a_spanish_description_and_paper_is_told_apart() -> None:
    assert {t for t, _ in EVENT_TYPES} == set(EVENT_DESCRIPTIONS)
    sent = {"entregas": [{"entrega_id": "e1", "motivo": "destinatario"}]}
    registered = {"entregas": [{"entrega_id": "e1", "motivo": "registro"}]}
    assert describe_event("oficio.dispatched", sent) == "Se envió a sus destinatarios"
    assert describe_event("oficio.dispatched", registered) == PAPER_REGISTRATION
    assert describe_event("algo.nuevo") == "Evento del sistema"  # never an English type on screen
