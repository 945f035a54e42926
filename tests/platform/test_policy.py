"""The policy module's rules, one behaviour per test (the HTTP access matrix is in tests/e2e)."""

from __future__ import annotations

import pytest

from signum.platform.errors import ForbiddenError
from signum.platform.identity import Caller
from signum.platform.policy import (
    Action,
    IndicadoresAccess,
    OficioAccess,
    UnitAccess,
    authorize,
    decide,
    may_attempt,
)


def official(*roles: str, unidad: str = "A", ambito: frozenset[str] = frozenset(), id: str = "u1") -> Caller:
    return Caller(
        kind="official", id=id, roles=frozenset({"funcionario", *roles}), unidad_id=unidad, ambito=ambito
    )


def key(scopes: set[str], oficinas: set[str]) -> Caller:
    return Caller(kind="api_key", id="k1", scopes=frozenset(scopes), oficinas=frozenset(oficinas))


OFICIO_A = OficioAccess(unidad_id="A", participantes=frozenset({"autor"}))


@pytest.mark.parametrize(
    "action",
    [
        Action.DIRECTORIO_IMPORTAR,
        Action.DIRECTORIO_ADMINISTRAR,
        Action.CUENTAS_ADMINISTRAR,
        Action.API_KEYS_ADMINISTRAR,
        Action.PLATAFORMA_ESTADO,
    ],
)
def test_administration_needs_the_administrador_role(action: Action) -> None:
    assert decide(official("administrador"), action)
    for role in ("titular", "oficialia", "auditor"):
        assert not decide(official(role), action)


def test_the_signers_personal_data_is_for_officials_not_for_integrations() -> None:
    # Anonymous visitors never get a Caller: the verification page masks the data for them.
    for role in ("funcionario", "titular", "oficialia", "auditor", "administrador"):
        assert decide(official(role), Action.FIRMANTES_DATOS_LEER)
    assert not decide(key({"oficio.leer", "firmantes.datos_personales"}, {"A"}), Action.FIRMANTES_DATOS_LEER)


def test_an_auditor_consults_and_drafts_or_signs_only_as_a_titular() -> None:
    assert not decide(official("auditor"), Action.OFICIO_CREAR, UnitAccess("A"))
    assert not decide(official("auditor"), Action.FIRMAS_PENDIENTES_LEER)
    assert decide(official("auditor"), Action.INDICADORES_VER, IndicadoresAccess(unidades=frozenset({"B"})))
    assert decide(official("auditor"), Action.BANDEJA_LEER)  # what is sent to them, e.g. a C.c.p.
    for working in (official("auditor", "titular"), official("auditor", "oficialia"), official()):
        assert decide(working, Action.OFICIO_CREAR, UnitAccess("A"))
        assert decide(working, Action.FIRMAS_PENDIENTES_LEER)


def test_officials_create_oficios_only_in_their_own_unit() -> None:
    assert decide(official(), Action.OFICIO_CREAR, UnitAccess("A"))
    assert not decide(official(), Action.OFICIO_CREAR, UnitAccess("B"))
    assert not decide(official(unidad="A"), Action.OFICIO_CREAR)


def test_participants_read_their_oficios() -> None:
    assert decide(official(id="autor", unidad="B"), Action.OFICIO_LEER, OFICIO_A)
    assert not decide(official(id="otro", unidad="A"), Action.OFICIO_LEER, OFICIO_A)


def test_a_titular_reads_the_oficios_of_the_units_they_oversee() -> None:
    titular = official("titular", ambito=frozenset({"A", "A1"}))
    assert decide(titular, Action.OFICIO_LEER, OFICIO_A)
    assert not decide(titular, Action.OFICIO_LEER, OficioAccess(unidad_id="B"))


def test_confidential_oficios_are_for_participants_only() -> None:
    secret = OficioAccess(unidad_id="A", participantes=frozenset({"autor"}), confidencialidad="confidencial")
    assert not decide(official("titular", ambito=frozenset({"A"})), Action.OFICIO_LEER, secret)
    assert not decide(official("auditor"), Action.OFICIO_LEER, secret)
    assert decide(official(id="autor"), Action.OFICIO_LEER, secret)


def test_auditors_read_every_non_confidential_oficio_but_administrators_do_not() -> None:
    assert decide(official("auditor", unidad="Z"), Action.OFICIO_LEER, OFICIO_A)
    assert not decide(official("administrador", unidad="Z"), Action.OFICIO_LEER, OFICIO_A)


def test_api_keys_act_within_their_scopes_and_offices() -> None:
    reader = key({"oficio.leer"}, {"A"})
    assert decide(reader, Action.OFICIO_LEER, OFICIO_A)
    assert not decide(reader, Action.OFICIO_LEER, OficioAccess(unidad_id="B"))
    assert not decide(reader, Action.OFICIO_CREAR, UnitAccess("A"))
    assert not may_attempt(reader, Action.OFICIO_CREAR)
    assert may_attempt(reader, Action.OFICIO_LEER)


def test_api_keys_can_never_administer_even_with_the_scope() -> None:
    admin_key = key({"cuentas.administrar", "api_keys.administrar"}, {"A"})
    assert not decide(admin_key, Action.CUENTAS_ADMINISTRAR)
    assert not decide(admin_key, Action.API_KEYS_ADMINISTRAR)


def test_authorize_raises_a_spanish_403_naming_the_action() -> None:
    with pytest.raises(ForbiddenError) as info:
        authorize(official(), Action.CUENTAS_ADMINISTRAR)
    assert info.value.status_code == 403
    assert info.value.message == "No tiene permiso para realizar esta acción."
    assert info.value.details == {"accion": "cuentas.administrar"}


def test_every_action_has_a_rule() -> None:
    """A new action must be given a rule: for some caller the policy must say yes."""
    callers = [
        official(r, ambito=frozenset({"A"}), id="autor")
        for r in ("titular", "administrador", "oficialia", "auditor")
    ]
    everyone = frozenset({"autor"})
    full = OficioAccess(
        unidad_id="A",
        participantes=everyone,
        autor_id="autor",
        editores=everyone,
        revisores=everyone,
        firmantes=everyone,
    )
    resources = [None, UnitAccess("A"), OFICIO_A, full]
    for action in Action:
        assert any(decide(c, action, r) for c in callers for r in resources), action


# A confidential oficio of unit A received by "destinataria" (in person), by the absent "titular_b"
# (a suplente received it) and by the office mailbox of unit OP (its oficialía de partes).
RECEIVED = OficioAccess(
    unidad_id="A",
    participantes=frozenset({"autor"}),
    confidencialidad="confidencial",
    lectores=frozenset({"destinataria", "titular_b", "unidad:OP"}),
)
DRAFT_AND_WRITE_ACTIONS = (
    Action.OFICIO_EDITAR,
    Action.OFICIO_COMENTAR,
    Action.OFICIO_REVISAR,
    Action.OFICIO_FINALIZAR,
    Action.OFICIO_CANCELAR,
    Action.DOCUMENTO_SUBIR,
    Action.OFICIO_FIRMAR,
    Action.OFICIO_HISTORIAL,  # versions, differences and comments: what was sent, not how
)


def test_a_recipient_reads_what_they_received_even_if_confidential_and_nothing_more() -> None:
    reader = official(id="destinataria", unidad="Z")
    assert decide(reader, Action.OFICIO_LEER, RECEIVED).reason == "recipient"
    for action in DRAFT_AND_WRITE_ACTIONS:
        assert not decide(reader, action, RECEIVED), action


def test_a_suplente_reads_what_the_absent_holder_received() -> None:
    suplente = Caller(
        kind="official", id="s1", roles=frozenset({"funcionario"}), suplidos=frozenset({"titular_b"})
    )
    assert decide(suplente, Action.OFICIO_LEER, RECEIVED)
    other = Caller(kind="official", id="s2", roles=frozenset({"funcionario"}), suplidos=frozenset({"nadie"}))
    assert not decide(other, Action.OFICIO_LEER, RECEIVED)


def test_an_office_mailbox_is_read_by_its_oficialia_and_the_titulars_over_it() -> None:
    assert decide(official("oficialia", unidad="OP"), Action.OFICIO_LEER, RECEIVED)
    assert not decide(official("oficialia", unidad="OTRA"), Action.OFICIO_LEER, RECEIVED)
    assert not decide(official(unidad="OP"), Action.OFICIO_LEER, RECEIVED)  # of the unit, not oficialía
    titular = official("titular", unidad="SUP", ambito=frozenset({"SUP", "OP"}))
    assert decide(titular, Action.OFICIO_LEER, RECEIVED)
    assert not decide(official("titular", ambito=frozenset({"X"})), Action.OFICIO_LEER, RECEIVED)


def test_whoever_received_nothing_reads_nothing() -> None:
    for caller in (official(id="otro", unidad="A"), official("auditor"), official(unidad="OP")):
        assert not decide(caller, Action.OFICIO_LEER, RECEIVED)
    # An API key is never a reader by delivery (the reader ids are officials and mailboxes).
    assert not decide(key({"oficio.leer"}, {"B"}), Action.OFICIO_LEER, RECEIVED)


def test_the_draft_s_history_is_for_those_who_read_it_besides_its_recipients() -> None:
    assert decide(official(id="autor", unidad="A"), Action.OFICIO_HISTORIAL, RECEIVED)
    assert not decide(official(id="destinataria", unidad="Z"), Action.OFICIO_HISTORIAL, RECEIVED)
    public = OficioAccess(unidad_id="A", lectores=frozenset({"destinataria"}))
    assert decide(official("auditor"), Action.OFICIO_HISTORIAL, public)
    assert decide(official("titular", ambito=frozenset({"A"})), Action.OFICIO_HISTORIAL, public)
    # An integration that may read the unit's oficios reads their history too.
    assert decide(key({"oficio.leer"}, {"A"}), Action.OFICIO_HISTORIAL, public)
    assert not decide(key({"directorio.leer"}, {"A"}), Action.OFICIO_HISTORIAL, public)


def test_every_office_s_steps_of_a_trajectory_are_for_auditors_alone() -> None:
    public = OficioAccess(
        unidad_id="A", participantes=frozenset({"autor"}), lectores=frozenset({"destinataria"})
    )
    assert decide(official("auditor"), Action.OFICIO_TRAYECTORIA_COMPLETA, public)
    assert not decide(official("auditor"), Action.OFICIO_TRAYECTORIA_COMPLETA, RECEIVED)  # confidential
    for caller in (
        official(id="autor"),
        official(id="destinataria"),
        official("titular", ambito=frozenset({"A"})),
        official("administrador"),
        key({"oficio.leer"}, {"A"}),
    ):
        assert not decide(caller, Action.OFICIO_TRAYECTORIA_COMPLETA, public), caller


def test_indicators_an_auditor_sees_all_a_titular_their_units_an_official_their_own() -> None:
    units_a = IndicadoresAccess(frozenset({"A", "A1"}))
    assert decide(official("auditor"), Action.INDICADORES_VER, units_a)
    assert decide(official("titular", ambito=frozenset({"A", "A1", "A2"})), Action.INDICADORES_VER, units_a)
    # A titular of a subunit does not see the unit above (nor a whole dependencia) through it.
    assert not decide(official("titular", ambito=frozenset({"A1"})), Action.INDICADORES_VER, units_a)
    assert not decide(official("titular", ambito=frozenset({"B"})), Action.INDICADORES_VER, units_a)
    assert not decide(
        official("titular", ambito=frozenset({"A"})), Action.INDICADORES_VER, IndicadoresAccess()
    )
    own = IndicadoresAccess(frozenset({"A"}), funcionario_id="u1")
    assert decide(official(id="u1"), Action.INDICADORES_VER, own)
    assert not decide(official(id="u2"), Action.INDICADORES_VER, own)
    assert not decide(official("oficialia", id="u2"), Action.INDICADORES_VER, units_a)
    # Their superior sees an official's figures; an integration sees none.
    assert decide(official("titular", ambito=frozenset({"A"}), id="jefe"), Action.INDICADORES_VER, own)
    assert not decide(key({"indicadores.ver"}, {"A"}), Action.INDICADORES_VER, units_a)
    assert may_attempt(official(), Action.INDICADORES_VER)
    assert not may_attempt(key({"oficio.leer"}, {"A"}), Action.INDICADORES_VER)
