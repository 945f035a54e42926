"""`signumctl directory import` runs the service in-process against the gateway's database."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from typer.testing import CliRunner

from signum.cli.directory import directory_app
from signum.platform.settings import InfraSettings
from tests.directory.factories import base_rows, csv_bytes

pytestmark = pytest.mark.stack


@pytest.fixture
def gateway(infra: InfraSettings) -> Any:
    """The gateway's database, read synchronously (the CLI runs its own event loop)."""
    client: MongoClient[Any] = MongoClient(infra.mongo_url)
    db = client[infra.database_name("gateway")]
    yield db
    client.drop_database(db.name)
    client.close()


def write(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "directorio.csv"
    path.write_bytes(csv_bytes(rows))
    return path


def test_dry_run_prints_the_report_and_writes_nothing(tmp_path: Path, gateway: Any) -> None:
    result = CliRunner().invoke(directory_app, ["import", str(write(tmp_path, base_rows())), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Simulación (no se escribió nada): 6 filas." in result.output
    assert re.search(r"funcionarios +5 nuevos +0 actualizados +0 sin cambios", result.output)
    assert "validacion: 6/6" in result.output
    assert gateway["funcionarios"].count_documents({}) == 0


def test_apply_writes_then_a_second_run_changes_nothing(tmp_path: Path, gateway: Any) -> None:
    path = write(tmp_path, base_rows())
    first = CliRunner().invoke(directory_app, ["import", str(path)])
    assert first.exit_code == 0, first.output
    assert "Importación aplicada: 6 filas." in first.output
    assert "Eventos escritos en la bandeja de salida: 16." in first.output
    assert gateway["funcionarios"].count_documents({}) == 5
    second = CliRunner().invoke(directory_app, ["import", str(path)])
    assert second.exit_code == 0
    assert "Eventos escritos en la bandeja de salida: 0." in second.output


def test_a_refused_file_exits_1_listing_every_bad_row(tmp_path: Path, gateway: Any) -> None:
    rows = base_rows()
    rows[0]["correo"] = "sin-arroba"
    rows[4]["reporta_a"] = "P-NADIE"
    result = CliRunner().invoke(directory_app, ["import", str(write(tmp_path, rows))])
    assert result.exit_code == 1
    assert "El archivo tiene 2 error(es) en 2 fila(s); no se aplicó ningún cambio." in result.output
    assert "fila 2 [correo] «sin-arroba»: «sin-arroba» no es un correo electrónico válido." in result.output
    assert "fila 6 [reporta_a] «P-NADIE»: El puesto superior P-NADIE no está en el archivo" in result.output
    assert gateway["funcionarios"].count_documents({}) == 0


def test_an_unreadable_file_exits_1_with_a_spanish_message(tmp_path: Path, gateway: Any) -> None:
    path = tmp_path / "directorio.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    result = CliRunner().invoke(directory_app, ["import", str(path)])
    assert result.exit_code == 1
    assert "El archivo es un libro de Excel, no un CSV." in result.output
