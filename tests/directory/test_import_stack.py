"""Imports against the real MongoDB-wire server: all or nothing, idempotent,
each change stored with its event."""

from __future__ import annotations

import time
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorDatabase

from signum.contracts import decode_event
from signum.gateway.directory.demo import synthetic_csv
from signum.gateway.directory.importer import ImportRefusedError
from signum.gateway.directory.repository import DirectoryBusyError, DirectoryRepository
from signum.gateway.directory.service import DirectoryService
from signum.platform.outbox import OUTBOX
from tests.directory.conftest import ADMIN
from tests.directory.factories import base_rows, csv_bytes, person, position, unit

pytestmark = pytest.mark.stack

COLLECTIONS = ("dependencias", "unidades", "puestos", "funcionarios")


async def apply(service: DirectoryService, rows: list[dict[str, str]], **kwargs: Any) -> Any:
    return await service.import_csv(csv_bytes(rows), actor=ADMIN, correlation_id="prueba", **kwargs)


async def state(db: AsyncIOMotorDatabase[Any]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per collection: id -> (revision, pending events)."""
    result: dict[str, dict[str, tuple[int, int]]] = {}
    for name in COLLECTIONS:
        result[name] = {d["_id"]: (d["revision"], len(d.get(OUTBOX) or [])) async for d in db[name].find({})}
    return result


async def outbox(db: AsyncIOMotorDatabase[Any], collection: str, doc_id: str) -> list[Any]:
    doc = await db[collection].find_one({"_id": doc_id})
    assert doc is not None
    return [decode_event(e) for e in doc.get(OUTBOX) or []]


async def test_5000_officials_import_with_progress_then_a_second_apply_changes_nothing(
    service: DirectoryService, gateway_db: AsyncIOMotorDatabase[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    data = synthetic_csv(5000)
    calls: list[tuple[str, int, int]] = []

    started = time.perf_counter()
    report = await service.import_csv(
        data, actor=ADMIN, correlation_id="carga", progress=lambda *c: calls.append(c)
    )
    first = time.perf_counter() - started

    assert report.resumen["funcionarios"] == {"creados": 5000, "actualizados": 0, "sin_cambios": 0}
    assert report.resumen["puestos"]["creados"] == 5020  # 20 vacant heads
    assert report.eventos == 20 + 260 + 5020 + 5000
    counts = {n: await gateway_db[n].count_documents({}) for n in COLLECTIONS}
    assert counts == {"dependencias": 20, "unidades": 260, "puestos": 5020, "funcionarios": 5000}
    validation = [c for c in calls if c[0] == "validacion"]
    writing = [c for c in calls if c[0] == "escritura"]
    assert validation[0] == ("validacion", 500, 5020)
    assert validation[-1] == ("validacion", 5020, 5020)
    assert len(validation) == 11
    assert writing[-1] == ("escritura", 10300, 10300)
    assert len(writing) >= 20

    started = time.perf_counter()
    again = await service.import_csv(data, actor=ADMIN, correlation_id="carga-2")
    second = time.perf_counter() - started
    assert again.cambios == 0
    assert again.eventos == 0
    assert await gateway_db["funcionarios"].count_documents({"revision": {"$ne": 1}}) == 0

    with capsys.disabled():
        print(
            f"\n[directorio] 5,000 funcionarios: validación {report.segundos_validacion:.2f} s, "
            f"escritura {report.segundos_escritura:.2f} s, total {first:.2f} s; "
            f"segunda aplicación {second:.2f} s (validación {again.segundos_validacion:.2f} s)"
        )


async def test_a_file_with_errors_writes_nothing(
    service: DirectoryService, gateway_db: AsyncIOMotorDatabase[Any]
) -> None:
    await apply(service, base_rows())
    before = await state(gateway_db)
    rows = base_rows()
    rows[2]["puesto_titulo"] = "Título nuevo"  # a valid change...
    rows.append(
        position("P-NUEVO", unit("SIGA-NUEVA", "SIGA"), reporta_a="P-SIGA", holder=7)
    )  # ...a valid new one
    rows.append(position("P-MALO", unit("SIGA-DGTI"), reporta_a="P-NADIE", holder=8))  # and two bad rows
    rows[-1]["unidad_padre"] = "SIGA"
    rows[0]["curp"] = "NOESUNCURP"

    with pytest.raises(ImportRefusedError) as info:
        await apply(service, rows)

    assert [(e["fila"], e["columna"]) for e in info.value.details["errores"]] == [
        (2, "curp"),
        (9, "reporta_a"),
    ]
    assert await state(gateway_db) == before


async def test_a_second_apply_bumps_no_revision_and_adds_no_event(
    service: DirectoryService, gateway_db: AsyncIOMotorDatabase[Any]
) -> None:
    await apply(service, base_rows())
    before = await state(gateway_db)
    report = await apply(service, base_rows())
    assert report.cambios == 0
    assert report.eventos == 0
    assert {k: s["sin_cambios"] for k, s in report.resumen.items()} == {
        "dependencias": 1, "unidades": 4, "puestos": 6, "funcionarios": 5,
    }  # fmt: skip
    assert await state(gateway_db) == before


async def test_the_outbox_holds_each_entitys_event(
    service: DirectoryService, gateway_db: AsyncIOMotorDatabase[Any]
) -> None:
    await apply(service, base_rows())

    [dgti] = await outbox(gateway_db, "unidades", "SIGA-DGTI")
    assert (dgti.type, dgti.payload.model_dump()) == (
        "directory.unidad.upserted",
        {
            "id": "SIGA-DGTI", "revision": 1, "dependencia_id": "SIGA", "nombre": "Unidad SIGA-DGTI",
            "padre_id": "SIGA", "prefijo_folio": "SIGA/DGTI", "activa": True,
        },
    )  # fmt: skip
    assert (dgti.actor, dgti.correlation_id, dgti.producer) == (ADMIN, "prueba", "gateway")
    [puesto] = await outbox(gateway_db, "puestos", "P-DGTI")
    assert (puesto.type, puesto.payload.funcionario_id, puesto.payload.es_titular) == (
        "directory.puesto.upserted", "E00002", True,
    )  # fmt: skip
    [f] = await outbox(gateway_db, "funcionarios", "E00001")
    p1 = person(1)
    nombre = f"{p1['nombre']} {p1['apellido_paterno']} {p1['apellido_materno']}"
    assert f.payload.model_dump() == {
        "id": "E00001", "revision": 1, "nombre": nombre,
        "correo": p1["correo"], "rfc": p1["rfc"], "curp": p1["curp"], "activo": True,
        "roles": sorted(p1["roles"].split()) if p1.get("roles") else [],
    }  # fmt: skip
    [dep] = await outbox(gateway_db, "dependencias", "SIGA")
    assert dep.type == "directory.dependencia.upserted"
    assert dep.key == b"SIGA"


async def test_a_change_bumps_the_revision_and_adds_its_event(
    service: DirectoryService, gateway_db: AsyncIOMotorDatabase[Any]
) -> None:
    await apply(service, base_rows())
    rows = base_rows()
    rows[2]["puesto_titulo"] = "Coordinadora de Proyectos"
    report = await apply(service, rows)
    assert report.resumen["puestos"] == {"creados": 0, "actualizados": 1, "sin_cambios": 5}
    events = await outbox(gateway_db, "puestos", "P-DGTI-2")
    assert [(e.payload.revision, e.payload.titulo) for e in events] == [
        (1, "Puesto P-DGTI-2"), (2, "Coordinadora de Proyectos"),
    ]  # fmt: skip
    doc = await gateway_db["puestos"].find_one({"_id": "P-DGTI-2"})
    assert doc is not None
    assert (doc["revision"], doc["titulo"]) == (2, "Coordinadora de Proyectos")


async def test_two_officials_trade_emails_despite_the_unique_index(
    service: DirectoryService, repo: DirectoryRepository
) -> None:
    await apply(service, base_rows())
    rows = base_rows()
    rows[0]["correo"], rows[1]["correo"] = rows[1]["correo"], rows[0]["correo"]
    report = await apply(service, rows)
    assert report.resumen["funcionarios"]["actualizados"] == 2
    one, two = await repo.funcionario("E00001"), await repo.funcionario("E00002")
    assert one is not None
    assert two is not None
    assert (one.correo, two.correo, one.revision) == (person(2)["correo"], person(1)["correo"], 2)


async def test_an_official_who_moves_leaves_the_old_position_vacant(
    service: DirectoryService, repo: DirectoryRepository
) -> None:
    await apply(service, base_rows())
    moved = [
        position("P-DDS", unit("SIGA-DGTI-DDS", "SIGA-DGTI"), reporta_a="P-DGTI", titular=True, holder=3)
    ]
    report = await apply(service, moved)
    assert report.puestos_desocupados == ["P-DGTI-2"]
    assert report.funcionarios_no_incluidos == 4
    now = await repo.puesto_de("E00003")
    old = await repo.puesto("P-DGTI-2")
    assert now is not None
    assert old is not None
    assert (now.id, now.revision, old.funcionario_id, old.revision) == ("P-DDS", 2, None, 2)
    assert await repo.funcionario("E00001") is not None  # absent from the file, not removed


async def test_a_dry_run_writes_nothing(
    service: DirectoryService, gateway_db: AsyncIOMotorDatabase[Any]
) -> None:
    report = await apply(service, base_rows(), simulacion=True)
    assert report.simulacion is True
    assert report.resumen["funcionarios"] == {"creados": 5, "actualizados": 0, "sin_cambios": 0}
    assert report.eventos == 0
    assert {n: await gateway_db[n].count_documents({}) for n in COLLECTIONS} == dict.fromkeys(COLLECTIONS, 0)


async def test_an_import_is_refused_while_another_holds_the_lease(
    service: DirectoryService, repo: DirectoryRepository, gateway_db: AsyncIOMotorDatabase[Any]
) -> None:
    await repo.acquire_lease("otra-importacion", seconds=60)
    with pytest.raises(DirectoryBusyError) as info:
        await apply(service, base_rows())
    assert (info.value.status_code, info.value.code) == (409, "directory_busy")
    assert await gateway_db["funcionarios"].count_documents({}) == 0
    await repo.release_lease("otra-importacion")
    assert (await apply(service, base_rows())).cambios == 16


async def test_directory_look_ups(service: DirectoryService, repo: DirectoryRepository) -> None:
    await apply(service, base_rows())
    by_mail = await repo.funcionario_por_correo("  EMPLEADO4@monterrey.gob.mx ")
    assert by_mail is not None
    assert by_mail.id == "E00004"
    puesto = await repo.puesto_de("E00004")
    assert puesto is not None
    assert puesto.id == "P-DIS"
    assert await repo.puesto_de("E99999") is None
    assert await repo.subunidades("SIGA-DGTI") == ["SIGA-DGTI", "SIGA-DGTI-DDS", "SIGA-DGTI-DIS"]
    assert await repo.subunidades("SIGA-DGTI-DIS") == ["SIGA-DGTI-DIS"]
    unidad = await repo.unidad("SIGA-DGTI")
    assert unidad is not None
    assert unidad.prefijo_folio == "SIGA/DGTI"


async def test_search_pages_with_a_stable_cursor(
    service: DirectoryService, repo: DirectoryRepository
) -> None:
    await apply(service, base_rows())
    seen: list[str] = []
    cursor = None
    while True:
        page, cursor = await repo.buscar_funcionarios(despues_de=cursor, limite=2)
        seen.extend(f.id for f in page)
        if cursor is None:
            break
    assert sorted(seen) == ["E00001", "E00002", "E00003", "E00004", "E00005"]
    assert len(seen) == 5
    found, _ = await repo.buscar_funcionarios(texto=person(4)["nombre"].upper())
    assert [f.id for f in found] == ["E00004"]
