"""Suplencias and deactivation, stored with their events."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorDatabase

from signum.contracts import decode_event
from signum.gateway.directory.domain import Suplencia
from signum.gateway.directory.repository import DirectoryRepository
from signum.gateway.directory.service import DirectoryService
from signum.platform.errors import ConflictError, NotFoundError, ValidationFailedError
from signum.platform.outbox import OUTBOX
from tests.directory.conftest import ADMIN
from tests.directory.factories import base_rows, csv_bytes

pytestmark = pytest.mark.stack

HOY = date(2026, 11, 23)


@pytest.fixture
async def loaded(service: DirectoryService) -> DirectoryService:
    await service.import_csv(csv_bytes(base_rows()), actor=ADMIN, correlation_id="carga")
    return service


async def crear(
    service: DirectoryService,
    *,
    puesto_id: str = "P-DGTI",
    suplente_id: str = "E00003",
    desde: date = date(2026, 12, 1),
    hasta: date = date(2026, 12, 15),
) -> Suplencia:
    return await service.crear_suplencia(
        puesto_id=puesto_id,
        suplente_id=suplente_id,
        desde=desde,
        hasta=hasta,
        motivo="Vacaciones",
        actor=ADMIN,
        correlation_id="sup",
        hoy=HOY,
    )


async def test_a_suplencia_is_stored_with_its_event(
    loaded: DirectoryService, gateway_db: AsyncIOMotorDatabase[Any], repo: DirectoryRepository
) -> None:
    suplencia = await crear(loaded)
    doc = await gateway_db["suplencias"].find_one({"_id": suplencia.id})
    assert doc is not None
    [event] = [decode_event(e) for e in doc[OUTBOX]]
    assert event.type == "directory.suplencia.upserted"
    assert event.payload.model_dump() == {
        "id": suplencia.id, "revision": 1, "puesto_id": "P-DGTI", "suplente_id": "E00003",
        "desde": date(2026, 12, 1), "hasta": date(2026, 12, 15), "motivo": "Vacaciones", "cancelada": False,
    }  # fmt: skip
    assert [s.id for s in await repo.suplencias_vigentes("E00003", date(2026, 12, 15))] == [suplencia.id]
    assert await repo.suplencias_vigentes("E00003", date(2026, 12, 16)) == []
    assert await repo.suplencias_vigentes("E00004", date(2026, 12, 5)) == []


async def test_end_before_start_is_refused(loaded: DirectoryService) -> None:
    with pytest.raises(ValidationFailedError) as info:
        await crear(loaded, desde=date(2026, 12, 15), hasta=date(2026, 12, 1))
    assert info.value.code == "suplencia_fechas_invalidas"


async def test_a_suplencia_already_over_is_refused(loaded: DirectoryService) -> None:
    with pytest.raises(ValidationFailedError) as info:
        await crear(loaded, desde=date(2026, 1, 1), hasta=date(2026, 1, 31))
    assert info.value.code == "suplencia_en_el_pasado"


async def test_the_holder_cannot_stand_in_for_themselves(loaded: DirectoryService) -> None:
    with pytest.raises(ValidationFailedError) as info:
        await crear(loaded, suplente_id="E00002")
    assert info.value.message == "El suplente es quien ocupa el puesto; elija a otra persona."


async def test_an_unknown_stand_in_is_not_found(loaded: DirectoryService) -> None:
    with pytest.raises(NotFoundError) as info:
        await crear(loaded, suplente_id="E09999")
    assert info.value.code == "funcionario_not_found"


async def test_an_unknown_position_is_not_found(loaded: DirectoryService) -> None:
    with pytest.raises(NotFoundError) as info:
        await crear(loaded, puesto_id="P-NADA")
    assert info.value.code == "puesto_not_found"


async def test_overlapping_suplencias_of_one_position_conflict(loaded: DirectoryService) -> None:
    first = await crear(loaded)
    with pytest.raises(ConflictError) as info:
        await crear(loaded, suplente_id="E00004", desde=date(2026, 12, 15), hasta=date(2026, 12, 20))
    assert info.value.code == "suplencia_traslapada"
    assert info.value.details == {"suplencia_id": first.id}
    # The day after is free.
    await crear(loaded, suplente_id="E00004", desde=date(2026, 12, 16), hasta=date(2026, 12, 20))


async def test_cancelling_twice_emits_one_event(
    loaded: DirectoryService, gateway_db: AsyncIOMotorDatabase[Any], repo: DirectoryRepository
) -> None:
    suplencia = await crear(loaded)
    cancelled = await loaded.cancelar_suplencia(suplencia.id, actor=ADMIN, correlation_id="c1")
    again = await loaded.cancelar_suplencia(suplencia.id, actor=ADMIN, correlation_id="c2")
    assert (cancelled.cancelada, cancelled.revision, again.revision) == (True, 2, 2)
    doc = await gateway_db["suplencias"].find_one({"_id": suplencia.id})
    assert doc is not None
    assert [(e["payload"]["revision"], e["payload"]["cancelada"]) for e in doc[OUTBOX]] == [
        (1, False),
        (2, True),
    ]
    assert await repo.suplencias_vigentes("E00003", date(2026, 12, 5)) == []
    # A cancelled suplencia frees its dates.
    await crear(loaded, suplente_id="E00004")


async def test_deactivation_vacates_the_position(loaded: DirectoryService, repo: DirectoryRepository) -> None:
    inactive = await loaded.dar_de_baja("E00004", actor=ADMIN, correlation_id="baja")
    assert (inactive.activo, inactive.revision) == (False, 2)
    puesto = await repo.puesto("P-DIS")
    assert puesto is not None
    assert (puesto.funcionario_id, puesto.revision) == (None, 2)
    assert await repo.puesto_de("E00004") is None
