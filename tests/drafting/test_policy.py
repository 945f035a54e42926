"""The policy rules of drafting's actions (signum.platform.policy)."""

from __future__ import annotations

import pytest

from signum.platform.identity import Caller
from signum.platform.policy import Action, OficioAccess, decide, may_attempt

OFICIO = OficioAccess(
    unidad_id="A",
    participantes=frozenset({"autor", "ed", "rev"}),
    autor_id="autor",
    editores=frozenset({"ed"}),
    revisores=frozenset({"rev"}),
)


def who(id_: str, *roles: str, unit: str = "A") -> Caller:
    ambito = frozenset({unit}) if "titular" in roles else frozenset()
    return Caller(
        kind="official", id=id_, roles=frozenset(roles or ("funcionario",)), unidad_id=unit, ambito=ambito
    )


@pytest.mark.parametrize(
    ("caller", "action", "allowed"),
    [
        (who("autor"), Action.OFICIO_EDITAR, True),
        (who("ed"), Action.OFICIO_EDITAR, True),
        (who("rev"), Action.OFICIO_EDITAR, False),
        (who("rev"), Action.OFICIO_REVISAR, True),
        (who("ed"), Action.OFICIO_REVISAR, False),
        (who("rev"), Action.OFICIO_COMENTAR, True),
        (who("otro"), Action.OFICIO_COMENTAR, False),
        (who("autor"), Action.OFICIO_FINALIZAR, True),
        (who("ed"), Action.OFICIO_FINALIZAR, False),
        (who("jefa", "titular"), Action.OFICIO_FINALIZAR, True),
        (who("jefe", "titular", unit="B"), Action.OFICIO_FINALIZAR, False),
        (who("jefa", "titular"), Action.OFICIO_CANCELAR, True),
        (who("admin", "administrador"), Action.OFICIO_EDITAR, False),
    ],
)
def test_draft_actions(caller: Caller, action: Action, allowed: bool) -> None:
    assert bool(decide(caller, action, OFICIO)) is allowed


def test_templates_are_read_by_officials_and_managed_by_administrators() -> None:
    assert decide(who("x"), Action.PLANTILLA_LEER)
    assert not decide(who("x"), Action.PLANTILLA_ADMINISTRAR)
    assert decide(who("a", "administrador"), Action.PLANTILLA_ADMINISTRAR)


def test_draft_actions_need_an_oficio_but_may_be_attempted() -> None:
    assert not decide(who("autor"), Action.OFICIO_EDITAR)
    assert may_attempt(who("autor"), Action.OFICIO_FINALIZAR)
    key = Caller(kind="api_key", id="k", scopes=frozenset({"oficio.leer"}), oficinas=frozenset({"A"}))
    assert not may_attempt(key, Action.OFICIO_EDITAR)
