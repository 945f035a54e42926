"""The policy's rule for adding documents to an oficio (`documento.subir`)."""

from __future__ import annotations

from signum.platform.identity import Caller
from signum.platform.policy import Action, OficioAccess, decide, may_attempt

OFICIO_A = OficioAccess(unidad_id="A", participantes=frozenset({"autor"}))


def official(*roles: str, id: str = "u1", ambito: frozenset[str] = frozenset()) -> Caller:
    return Caller(
        kind="official", id=id, roles=frozenset({"funcionario", *roles}), unidad_id="A", ambito=ambito
    )


def test_participants_add_documents_to_their_oficios() -> None:
    assert decide(official(id="autor"), Action.DOCUMENTO_SUBIR, OFICIO_A)


def test_others_do_not_even_if_they_may_read_the_oficio() -> None:
    titular = official("titular", ambito=frozenset({"A"}))
    assert decide(titular, Action.OFICIO_LEER, OFICIO_A)
    assert not decide(titular, Action.DOCUMENTO_SUBIR, OFICIO_A)
    assert not decide(official("auditor"), Action.DOCUMENTO_SUBIR, OFICIO_A)
    assert not decide(official(id="autor"), Action.DOCUMENTO_SUBIR)  # no oficio given


def test_api_keys_do_not_upload_documents() -> None:
    key = Caller(kind="api_key", id="k1", scopes=frozenset({"documento.subir"}), oficinas=frozenset({"A"}))
    assert not decide(key, Action.DOCUMENTO_SUBIR, OFICIO_A)


def test_officials_may_attempt_it_and_the_oficio_decides() -> None:
    assert may_attempt(official(), Action.DOCUMENTO_SUBIR)
