"""The importer's rules, one behaviour per test, without a database: a file is refused whole with
every bad row listed (row 1 is the header, as a spreadsheet numbers them)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from signum.gateway.directory.domain import Funcionario, Puesto, Unidad
from signum.gateway.directory.importer import (
    MAX_ROWS,
    ImportFileError,
    ImportRefusedError,
    Issue,
    Snapshot,
    plan_import,
    read_csv,
)
from tests.directory.factories import base_rows, csv_bytes, person, plan, position, unit


def refused(rows: list[dict[str, str]], snapshot: Snapshot | None = None) -> list[Issue]:
    with pytest.raises(ImportRefusedError) as info:
        plan(rows, snapshot)
    return info.value.issues


def snapshot_of(rows: list[dict[str, str]]) -> Snapshot:
    """The directory as it would be stored after importing `rows`."""
    p = plan(rows)
    snap = Snapshot()
    snap.dependencias = {d.id: d for d in p.dependencias.created}
    snap.unidades = {u.id: u for u in p.unidades.created}
    snap.puestos = {x.id: x for x in p.puestos.created}
    snap.funcionarios = {f.id: f for f in p.funcionarios.created}
    snap.puesto_de = dict(p.puesto_de)
    return snap


def only(issues: list[Issue]) -> Issue:
    assert len(issues) == 1, issues
    return issues[0]


# --- a good file ----------------------------------------------------------------------------


def test_a_valid_file_plans_every_entity() -> None:
    p = plan(base_rows())
    assert [len(c.created) for c in (p.dependencias, p.unidades, p.puestos, p.funcionarios)] == [1, 4, 6, 5]
    puesto = {x.id: x for x in p.puestos.created}
    assert puesto["P-DGTI"] == Puesto(
        id="P-DGTI", unidad_id="SIGA-DGTI", titulo="Puesto P-DGTI", es_titular=True, reporta_a="P-SIGA",
        funcionario_id="E00002",
    )  # fmt: skip
    assert puesto["P-DDS"].funcionario_id is None
    assert p.puesto_de["E00005"] == "P-DDS-2"


def test_units_are_planned_parents_first() -> None:
    rows = base_rows()
    p = plan([rows[3], rows[1], rows[0]])  # DIS, DGTI, SIGA
    assert [u.id for u in p.unidades.created] == ["SIGA", "SIGA-DGTI", "SIGA-DGTI-DIS"]


def test_the_same_file_against_its_own_result_changes_nothing() -> None:
    p = plan(base_rows(), snapshot_of(base_rows()))
    for changes in (p.dependencias, p.unidades, p.puestos, p.funcionarios):
        assert (changes.created, changes.updated) == ([], [])
    assert p.puesto_de == {}
    assert p.writes == 0


def test_a_changed_title_updates_the_position_with_the_next_revision() -> None:
    rows = base_rows()
    rows[2]["puesto_titulo"] = "Coordinadora de Proyectos"
    p = plan(rows, snapshot_of(base_rows()))
    [(new, old)] = p.puestos.updated
    assert (new.titulo, new.revision, old.revision) == ("Coordinadora de Proyectos", 2, 1)
    assert p.puestos.unchanged == 5


def test_an_official_who_moves_leaves_the_old_position_vacant() -> None:
    snap = snapshot_of(base_rows())
    # A partial file: only DDS, where employee 3 (stored in P-DGTI-2) now holds P-DDS.
    rows = [position("P-DDS", unit("SIGA-DGTI-DDS", "SIGA-DGTI"), reporta_a="P-DGTI", titular=True, holder=3)]
    p = plan(rows, snap)
    updated = {new.id: new for new, _ in p.puestos.updated}
    assert updated["P-DDS"].funcionario_id == "E00003"
    assert updated["P-DGTI-2"].funcionario_id is None
    assert p.puestos_desocupados == ["P-DGTI-2"]
    assert p.puesto_de == {"E00003": "P-DDS"}


def test_officials_missing_from_the_file_are_counted_not_removed() -> None:
    p = plan(base_rows()[:2], snapshot_of(base_rows()))
    assert p.funcionarios_no_incluidos == 3
    assert p.puestos.updated == []


def test_semicolons_and_a_bom_as_excel_writes_them_are_read() -> None:
    data = csv_bytes(base_rows(), delimiter=";", bom=True)
    p = plan_import(read_csv(data), Snapshot())
    assert len(p.funcionarios.created) == 5


def test_cells_are_trimmed_and_headers_tolerate_case_and_accents() -> None:
    data = csv_bytes(base_rows()).replace(b"dependencia_clave", b" Dependencia_Clave ", 1)
    data = data.replace(b"E00001", b"  E00001  ", 1)
    p = plan_import(read_csv(data), Snapshot())
    assert "E00001" in {f.id for f in p.funcionarios.created}


def test_unknown_columns_are_ignored_and_reported() -> None:
    header_extra = csv_bytes(base_rows()).split(b"\r\n")
    data = b"\r\n".join(
        [header_extra[0] + b",extension"] + [line + b",1234" for line in header_extra[1:] if line]
    )
    p = plan_import(read_csv(data), Snapshot())
    assert p.ignored_columns == ["extension"]


def test_blank_lines_are_skipped() -> None:
    data = csv_bytes(base_rows()).replace(b"\r\n", b"\r\n,,,,,,,,,,,,,,,,,\r\n\r\n", 1)
    assert len(read_csv(data).rows) == 6


def test_roles_are_read_from_any_usual_separator() -> None:
    rows = base_rows()
    rows[2]["roles"] = "Oficialia | auditor"
    f = {x.id: x for x in plan(rows).funcionarios.created}
    assert f["E00003"].roles == frozenset({"oficialia", "auditor"})


def test_rfc_curp_and_email_are_normalized() -> None:
    rows = base_rows()
    rows[0]["correo"] = rows[0]["correo"].upper()
    rows[0]["rfc"] = rows[0]["rfc"].lower()
    f = {x.id: x for x in plan(rows).funcionarios.created}["E00001"]
    assert (f.correo, f.rfc) == (person(1)["correo"], person(1)["rfc"])


# --- row rules ------------------------------------------------------------------------------


def test_bad_rfc_is_reported_on_its_row_and_column() -> None:
    rows = base_rows()
    rows[1]["rfc"] = "GODE561331GR8"
    issue = only(refused(rows))
    assert (issue.fila, issue.columna, issue.valor) == (3, "rfc", "GODE561331GR8")
    assert issue.mensaje == "La fecha del RFC (561331) no es una fecha válida."


def test_bad_curp_check_digit_is_reported() -> None:
    rows = base_rows()
    good = rows[2]["curp"]
    rows[2]["curp"] = good[:17] + str((int(good[17]) + 1) % 10)
    issue = only(refused(rows))
    assert (issue.fila, issue.columna) == (4, "curp")
    assert issue.mensaje == f"El dígito verificador del CURP no corresponde (debería ser {good[17]})."


def test_bad_email_is_reported() -> None:
    rows = base_rows()
    rows[0]["correo"] = "rosa.garza@"
    issue = only(refused(rows))
    assert (issue.fila, issue.columna, issue.mensaje) == (
        2, "correo", "«rosa.garza@» no es un correo electrónico válido.",
    )  # fmt: skip


def test_missing_required_person_field() -> None:
    rows = base_rows()
    rows[0]["apellido_paterno"] = ""
    issue = only(refused(rows))
    assert (issue.fila, issue.columna, issue.mensaje) == (2, "apellido_paterno", "Este dato es obligatorio.")


def test_person_cells_on_a_vacant_position() -> None:
    rows = base_rows()
    rows[4]["correo"] = "alguien@monterrey.gob.mx"
    issue = only(refused(rows))
    assert (issue.fila, issue.columna) == (6, "correo")
    assert issue.mensaje.startswith("Puesto vacante")


def test_unknown_role() -> None:
    rows = base_rows()
    rows[0]["roles"] = "superusuario"
    issue = only(refused(rows))
    assert (issue.fila, issue.columna) == (2, "roles")
    assert issue.mensaje.startswith(
        "Rol desconocido «superusuario». Roles que se pueden asignar: administrador"
    )


def test_titular_is_not_a_grantable_role() -> None:
    rows = base_rows()
    rows[0]["roles"] = "titular"
    assert only(refused(rows)).columna == "roles"


def test_bad_es_titular_value() -> None:
    rows = base_rows()
    rows[2]["es_titular"] = "quizá"
    issue = only(refused(rows))
    assert (issue.fila, issue.columna) == (4, "es_titular")


def test_bad_folio_prefix() -> None:
    rows = base_rows()
    for r in rows:
        if r["unidad_clave"] == "SIGA-DGTI-DIS":
            r["prefijo_folio"] = "siga dgti"
    assert only(refused(rows)).columna == "prefijo_folio"


# --- references -----------------------------------------------------------------------------


def test_unknown_parent_unit() -> None:
    rows = base_rows()
    rows[3]["unidad_padre"] = "SIGA-NADA"
    issue = only(refused(rows))
    assert (issue.fila, issue.columna, issue.valor) == (5, "unidad_padre", "SIGA-NADA")
    assert issue.mensaje == "La unidad superior SIGA-NADA no está en el archivo ni en el directorio."


def test_a_parent_unit_already_in_the_directory_is_accepted() -> None:
    snap = snapshot_of(base_rows())
    rows = [position("P-NUEVA", unit("SIGA-DGTI-NUEVA", "SIGA-DGTI"), reporta_a="P-DGTI", holder=9)]
    p = plan(rows, snap)
    assert [u.id for u in p.unidades.created] == ["SIGA-DGTI-NUEVA"]


def test_unknown_reporta_a() -> None:
    rows = base_rows()
    rows[5]["reporta_a"] = "P-NADIE"
    issue = only(refused(rows))
    assert (issue.fila, issue.columna, issue.valor) == (7, "reporta_a", "P-NADIE")
    assert issue.mensaje == "El puesto superior P-NADIE no está en el archivo ni en el directorio."


def test_a_superior_position_already_in_the_directory_is_accepted() -> None:
    rows = [position("P-NUEVO", unit("SIGA-DGTI"), reporta_a="P-DGTI", holder=9)]
    rows[0]["unidad_padre"] = "SIGA"
    p = plan(rows, snapshot_of(base_rows()))
    assert [x.id for x in p.puestos.created] == ["P-NUEVO"]


def test_parent_unit_in_another_dependencia() -> None:
    rows = [*base_rows(), position("P-TES", unit("TES", dep="TES"), titular=True, holder=8)]
    rows.append(position("P-TES-DI", unit("TES-DI", "SIGA", dep="TES"), reporta_a="P-TES", holder=9))
    issue = only(refused(rows))
    assert (issue.fila, issue.columna) == (9, "unidad_padre")
    assert issue.mensaje == "La unidad superior SIGA pertenece a la dependencia SIGA, no a TES."


# --- duplicates -----------------------------------------------------------------------------


def test_same_position_twice() -> None:
    rows = base_rows()
    rows.append(dict(rows[2]) | person(9))
    issue = only(refused(rows))
    assert (issue.fila, issue.columna, issue.mensaje) == (
        8, "puesto_clave", "El puesto P-DGTI-2 ya aparece en la fila 4.",
    )  # fmt: skip


def test_one_employee_holding_two_positions() -> None:
    rows = base_rows()
    rows.append(position("P-DIS-2", unit("SIGA-DGTI-DIS", "SIGA-DGTI"), reporta_a="P-DIS", holder=3))
    issue = only(refused(rows))
    assert (issue.fila, issue.columna) == (8, "numero_empleado")
    assert issue.mensaje == (
        "El empleado E00003 ya ocupa el puesto P-DGTI-2 en la fila 4; una persona ocupa un solo puesto."
    )


@pytest.mark.parametrize("column", ["correo", "rfc", "curp"])
def test_same_unique_value_for_two_people_in_the_file(column: str) -> None:
    rows = base_rows()
    rows[5][column] = rows[0][column]
    issue = only(refused(rows))
    assert (issue.fila, issue.columna, issue.mensaje) == (
        7,
        column,
        "Ya lo tiene el empleado E00001 en la fila 2.",
    )


@pytest.mark.parametrize("column", ["correo", "rfc", "curp"])
def test_unique_value_of_another_official_in_the_directory(column: str) -> None:
    snap = snapshot_of(base_rows())
    rows = [position("P-NUEVO", unit("SIGA"), reporta_a="P-SIGA", holder=9)]
    rows[0][column] = person(1)[column]
    issue = only(refused(rows, snap))
    assert (issue.fila, issue.columna) == (2, column)
    assert issue.mensaje == "Ya pertenece al empleado E00001, registrado en el directorio."


def test_two_officials_may_trade_emails_in_one_file() -> None:
    rows = base_rows()
    rows[0]["correo"], rows[1]["correo"] = rows[1]["correo"], rows[0]["correo"]
    p = plan(rows, snapshot_of(base_rows()))
    assert sorted(new.id for new, _ in p.funcionarios.updated) == ["E00001", "E00002"]


def test_dependencia_with_two_names() -> None:
    rows = base_rows()
    rows[3]["dependencia_nombre"] = "Secretaría de Innovación"
    issue = only(refused(rows))
    assert (issue.fila, issue.columna) == (5, "dependencia_nombre")
    assert issue.mensaje == "La dependencia SIGA aparece en la fila 2 con otro nombre («Secretaría SIGA»)."


def test_unit_declared_with_two_parents() -> None:
    rows = base_rows()
    rows[2]["unidad_padre"] = ""
    issue = only(refused(rows))
    assert (issue.fila, issue.columna) == (4, "unidad_padre")
    assert (
        issue.mensaje == "La unidad SIGA-DGTI aparece en la fila 3 con otro valor en esta columna («SIGA»)."
    )


def test_two_units_with_one_folio_prefix() -> None:
    rows = base_rows()
    for r in rows:
        if r["unidad_clave"] == "SIGA-DGTI-DDS":
            r["prefijo_folio"] = "SIGA/DGTI/DIS"
    issue = only(refused(rows))
    assert (issue.fila, issue.columna) == (6, "prefijo_folio")
    assert issue.mensaje.startswith("El prefijo SIGA/DGTI/DIS ya es de la unidad SIGA-DGTI-DIS (la fila 5)")


def test_two_heads_in_one_unit_lists_both() -> None:
    rows = base_rows()
    rows[2]["es_titular"] = "sí"
    issues = refused(rows)
    assert [(i.fila, i.columna) for i in issues] == [(3, "es_titular"), (4, "es_titular")]


# --- cycles ---------------------------------------------------------------------------------


def test_cycle_in_the_reporting_line_lists_every_position_in_it() -> None:
    rows = base_rows()
    rows[0]["reporta_a"] = "P-DIS"  # SIGA -> DIS -> DGTI -> SIGA
    issues = refused(rows)
    assert [(i.fila, i.columna) for i in issues] == [(2, "reporta_a"), (3, "reporta_a"), (5, "reporta_a")]
    assert issues[0].mensaje == "Ciclo en la línea de mando: P-SIGA → P-DIS → P-DGTI → P-SIGA."


def test_position_reporting_to_itself() -> None:
    rows = base_rows()
    rows[2]["reporta_a"] = "P-DGTI-2"
    issue = only(refused(rows))
    assert issue.mensaje == "Ciclo en la línea de mando: P-DGTI-2 → P-DGTI-2."


def test_cycle_through_the_directory_is_found() -> None:
    snap = snapshot_of(base_rows())
    rows = [position("P-SIGA", unit("SIGA"), reporta_a="P-DIS", titular=True, holder=1)]
    issue = only(refused(rows, snap))
    assert (issue.fila, issue.columna) == (2, "reporta_a")


def test_cycle_in_the_unit_tree() -> None:
    rows = base_rows()
    rows[0]["unidad_padre"] = "SIGA-DGTI-DIS"  # SIGA under one of its own grandchildren
    issues = refused(rows)
    assert {(i.fila, i.columna) for i in issues} == {
        (2, "unidad_padre"),
        (3, "unidad_padre"),
        (5, "unidad_padre"),
    }
    assert all(i.mensaje.startswith("Ciclo en el árbol de unidades:") for i in issues)


# --- the whole file -------------------------------------------------------------------------


def test_every_bad_row_is_listed_in_file_order() -> None:
    rows = base_rows()
    rows[4]["puesto_titulo"] = ""
    rows[0]["curp"] = "X"
    rows[5]["correo"] = "nadie"
    issues = refused(rows)
    assert [(i.fila, i.columna) for i in issues] == [(2, "curp"), (6, "puesto_titulo"), (7, "correo")]


def test_refusal_message_and_details_are_spanish_and_complete() -> None:
    rows = base_rows()
    rows[0]["correo"] = "nadie"
    rows[1]["correo"] = "tampoco"
    with pytest.raises(ImportRefusedError) as info:
        plan(rows)
    err = info.value
    assert (err.code, err.status_code) == ("directory_import_refused", 422)
    assert err.message.startswith("El archivo tiene 2 error(es) en 2 fila(s); no se aplicó ningún cambio.")
    assert err.details["filas"] == 6
    assert [e["fila"] for e in err.details["errores"]] == [2, 3]


def test_a_row_with_the_wrong_number_of_cells() -> None:
    data = csv_bytes(base_rows()).replace(b"\r\n", b",sobra\r\n", 2).replace(b",sobra", b"", 1)
    with pytest.raises(ImportRefusedError) as info:
        plan_import(read_csv(data), Snapshot())
    issue = only(info.value.issues)
    assert issue.fila == 2
    assert issue.mensaje.startswith("La fila tiene 19 celdas y el encabezado 18 columnas")


# --- files that cannot be read --------------------------------------------------------------


def file_error(data: bytes, **limits: int) -> ImportFileError:
    with pytest.raises(ImportFileError) as info:
        read_csv(data, **limits)
    return info.value


def test_latin1_file_is_refused_with_the_line() -> None:
    data = csv_bytes(base_rows()).decode().encode("latin-1")  # «Secretaría» on line 2
    err = file_error(data)
    assert err.code == "directory_import_encoding"
    assert err.message.startswith(
        "El archivo no está codificado en UTF-8 (primer carácter inválido en la línea 2)"
    )


def test_excel_workbook_is_refused() -> None:
    err = file_error(b"PK\x03\x04" + b"\x00" * 100)
    assert err.code == "directory_import_not_csv"
    assert "libro de Excel" in err.message


def test_missing_columns_are_named() -> None:
    data = csv_bytes(base_rows()).replace(b"curp", b"clave_unica", 1)
    err = file_error(data)
    assert err.code == "directory_import_missing_columns"
    assert err.details["faltantes"] == ["curp"]
    assert err.message.startswith("Faltan columnas en el encabezado: curp.")


def test_too_large_file() -> None:
    err = file_error(csv_bytes(base_rows()), max_bytes=1000)
    assert (err.code, err.status_code) == ("directory_import_too_large", 413)


def test_too_many_rows() -> None:
    err = file_error(csv_bytes(base_rows()), max_rows=5)
    assert err.code == "directory_import_too_many_rows"
    assert err.message.startswith("El archivo tiene más de 5 filas")
    assert MAX_ROWS == 50_000


def test_empty_file_and_header_only() -> None:
    assert file_error(b"  \r\n").code == "directory_import_empty"
    header = csv_bytes(base_rows()).split(b"\r\n")[0]
    assert file_error(header + b"\r\n").code == "directory_import_no_rows"


def test_unterminated_quote_is_not_a_crash() -> None:
    data = csv_bytes(base_rows()) + b'SIGA,"Secretar\xc3\xada sin cerrar,SIGA\r\n'
    with pytest.raises((ImportFileError, ImportRefusedError)):
        plan_import(read_csv(data), Snapshot())


def test_domain_types_are_what_auth_reads() -> None:
    # The lead's auth module builds on these; keep them constructible with these fields.
    f = Funcionario(
        id="1", nombre="A", apellido_paterno="B", apellido_materno="", correo="a@b.mx", rfc="", curp=""
    )
    assert f.nombre_completo == "A B"
    assert (
        replace(Unidad(id="U", dependencia_id="D", nombre="N", prefijo_folio="P"), revision=2).revision == 2
    )
