"""The delivery's state machine (domain.Delivery): routing's rules without servers."""

from __future__ import annotations

import pytest

from signum.platform.errors import ValidationFailedError
from signum.routing.domain import (
    TRANSITIONS,
    CopyNeedsNoActionError,
    Delivery,
    DeliveryClosedError,
    ReasonRequiredError,
)

OPEN = ("enviado", "recibido", "turnado", "en_atencion")
CLOSED = ("respondido", "concluido")


def test_the_acuse_turns_an_unopened_delivery_into_recibido_and_keeps_a_later_state() -> None:
    assert Delivery("destinatario").receive() == Delivery("destinatario", "recibido", recibido=True)
    assert Delivery("turno", "turnado").receive().estado == "turnado"
    assert Delivery("copia").receive().estado == "recibido"  # a copy is received too


@pytest.mark.parametrize("estado", OPEN)
def test_an_open_delivery_is_turned_answered_or_concluded(estado: str) -> None:
    d = Delivery("destinatario", estado)
    assert d.turn().estado == "turnado"
    assert d.start_attention().estado == "en_atencion"
    assert d.answer().estado == "respondido"
    assert d.conclude("Atendido por teléfono").estado == "concluido"
    d.check_answerable()


@pytest.mark.parametrize("estado", CLOSED)
def test_a_closed_delivery_admits_no_action_but_archiving(estado: str) -> None:
    d = Delivery("destinatario", estado, recibido=True)
    for act in (d.turn, d.start_attention, d.answer, d.check_answerable, lambda: d.conclude("x")):
        with pytest.raises(DeliveryClosedError):
            act()
    archived = d.archive()
    assert archived == Delivery("destinatario", estado, recibido=True, archivado=True)
    assert archived.archive() == archived  # again: nothing changes


def test_a_copy_is_for_knowledge_only() -> None:
    copy = Delivery("copia")
    for act in (
        copy.turn,
        copy.start_attention,
        copy.answer,
        copy.check_answerable,
        lambda: copy.conclude("x"),
    ):
        with pytest.raises(CopyNeedsNoActionError):
            act()
    assert copy.archive().archivado  # archived while still open


def test_an_open_delivery_is_not_archived_and_an_archived_one_is_not_turned() -> None:
    with pytest.raises(ValidationFailedError) as refused:
        Delivery("destinatario", "recibido").archive()
    assert refused.value.code == "delivery_open"
    with pytest.raises(DeliveryClosedError):
        Delivery("destinatario", "turnado", archivado=True).turn()


def test_concluding_needs_a_reason() -> None:
    with pytest.raises(ReasonRequiredError):
        Delivery("destinatario", "recibido").conclude("   ")


def test_every_state_the_machine_reaches_is_one_it_knows() -> None:
    reached = {t for targets in TRANSITIONS.values() for t in targets}
    assert reached <= set(TRANSITIONS)
    assert {s for s, targets in TRANSITIONS.items() if not targets} == set(CLOSED)


def test_a_stored_delivery_reads_as_its_state() -> None:
    stored = {
        "motivo": "turno",
        "estado": "en_atencion",
        "recibido_en": "2026-12-01T10:00:00Z",
        "archivado": None,
    }
    assert Delivery.of(stored) == Delivery("turno", "en_atencion", recibido=True, archivado=False)
    assert Delivery.of({}) == Delivery("destinatario")  # an odd document reads as a new delivery
