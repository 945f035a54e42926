"""A service's read model of the directory keeps the newest revision whatever the delivery order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorDatabase

from signum.contracts import Actor
from signum.contracts.directory import (
    FuncionarioPayload,
    FuncionarioUpserted,
    PuestoPayload,
    PuestoUpserted,
    SuplenciaPayload,
    SuplenciaUpserted,
)
from signum.platform.directory import DirectoryReadModel
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings

pytestmark = pytest.mark.stack

ACTOR = Actor.system("gateway")


@pytest.fixture
async def model(infra: InfraSettings) -> AsyncIterator[DirectoryReadModel]:
    client = build_mongo_client(infra)
    db: AsyncIOMotorDatabase[Any] = client[infra.database_name("drafting")]
    m = DirectoryReadModel(db)
    await m.ensure_indexes()
    yield m
    await client.drop_database(db.name)
    client.close()


def funcionario(revision: int, nombre: str = "Ana Garza") -> FuncionarioUpserted:
    return FuncionarioUpserted(
        correlation_id="c",
        actor=ACTOR,
        payload=FuncionarioPayload(
            id="10005", revision=revision, nombre=nombre, correo="ana@monterrey.gob.mx",
            rfc="GODE561231GR8", curp="LOOA531113HTCPBN07",
        ),
    )  # fmt: skip


def puesto(revision: int, funcionario_id: str | None) -> PuestoUpserted:
    return PuestoUpserted(
        correlation_id="c",
        actor=ACTOR,
        payload=PuestoPayload(
            id="P-DGTI", revision=revision, unidad_id="SIGA-DGTI", titulo="Director General",
            es_titular=True, funcionario_id=funcionario_id,
        ),
    )  # fmt: skip


async def test_a_newer_revision_replaces_an_older_one(model: DirectoryReadModel) -> None:
    await model.apply(funcionario(1, "Ana Garza"))
    await model.apply(funcionario(2, "Ana Garza Leal"))
    stored = await model.funcionario("10005")
    assert stored is not None
    assert (stored.revision, stored.nombre) == (2, "Ana Garza Leal")


async def test_an_older_revision_arriving_late_changes_nothing(model: DirectoryReadModel) -> None:
    await model.apply(funcionario(3, "Ana Garza Leal"))
    assert await model.upsert("directory.funcionario.upserted", funcionario(2, "Ana").payload) is False
    stored = await model.funcionario("10005")
    assert stored is not None
    assert (stored.revision, stored.nombre) == (3, "Ana Garza Leal")


async def test_a_repeated_delivery_changes_nothing(model: DirectoryReadModel) -> None:
    event = funcionario(1)
    assert await model.upsert(event.type, event.payload) is True
    assert await model.upsert(event.type, event.payload) is False
    assert await model.funcionarios.count_documents({}) == 1


async def test_titular_and_stand_in_look_ups(model: DirectoryReadModel) -> None:
    await model.apply(puesto(2, "10005"))
    await model.apply(puesto(1, None))  # late and older: the holder stays
    await model.apply(funcionario(1))
    titular = await model.titular_de("SIGA-DGTI")
    assert titular is not None
    assert titular.id == "10005"
    await model.apply(
        SuplenciaUpserted(
            correlation_id="c",
            actor=ACTOR,
            payload=SuplenciaPayload(
                id="s1", revision=1, puesto_id="P-DGTI", suplente_id="10005",
                desde=date(2026, 12, 1), hasta=date(2026, 12, 15),
            ),
        )
    )  # fmt: skip
    assert (await model.suplente_vigente("P-DGTI", date(2026, 12, 1))) == titular
    assert await model.suplente_vigente("P-DGTI", date(2026, 12, 16)) is None


def test_handlers_cover_every_directory_event(infra: InfraSettings) -> None:
    client = build_mongo_client(infra)
    handlers = DirectoryReadModel(client["x"]).handlers()
    assert sorted(handlers) == [
        "directory.dependencia.upserted", "directory.funcionario.upserted", "directory.puesto.upserted",
        "directory.suplencia.upserted", "directory.unidad.upserted",
    ]  # fmt: skip
    client.close()
