"""The Monterrey demo directory is valid and has the people demos rely on."""

from __future__ import annotations

from signum.gateway.directory.demo import DEMO_CSV, DEMO_LOGINS, synthetic_csv
from signum.gateway.directory.importer import Snapshot, plan_import, read_csv


def test_demo_csv_is_valid_and_has_the_demo_people() -> None:
    p = plan_import(read_csv(DEMO_CSV.read_bytes()), Snapshot())
    people = {f.id: f for f in p.funcionarios.created}
    seats = {x.funcionario_id: x for x in p.puestos.created if x.funcionario_id}
    assert len(people) >= 40
    assert len(p.dependencias.created) >= 9
    for login in DEMO_LOGINS:
        f = people[login.numero_empleado]
        assert (f.nombre_completo, f.correo) == (login.nombre, login.correo)
        assert seats[f.id].unidad_id == login.unidad
        if login.papel in {"administrador", "auditor", "oficialia"}:
            assert login.papel in f.roles
        if login.papel == "titular":
            assert seats[f.id].es_titular
    assert [f.id for f in people.values() if "administrador" in f.roles] == ["10010"]
    assert all(f.correo.endswith("@monterrey.gob.mx") for f in people.values())


def test_demo_units_carry_folio_prefixes() -> None:
    p = plan_import(read_csv(DEMO_CSV.read_bytes()), Snapshot())
    prefixes = {u.id: u.prefijo_folio for u in p.unidades.created}
    assert prefixes["SIGA-DGTI"] == "SIGA/DGTI"
    assert prefixes["SAY-OP"] == "SAY/OP"


def test_synthetic_csv_is_valid_and_reproducible() -> None:
    data = synthetic_csv(300, seed=3)
    assert data == synthetic_csv(300, seed=3)
    p = plan_import(read_csv(data), Snapshot())
    assert len(p.funcionarios.created) == 300
