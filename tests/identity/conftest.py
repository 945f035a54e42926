from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from signum.gateway.directory.domain import Funcionario, Puesto, Suplencia, Unidad
from signum.gateway.identity.repository import IdentityRepository
from signum.gateway.identity.service import IdentityService, LoginPolicy
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings


@dataclass
class DirectoryStub:
    """A small in-memory directory: the identity rules are tested here, the real one in e2e."""

    funcionarios: dict[str, Funcionario] = field(default_factory=dict)
    puestos: dict[str, Puesto] = field(default_factory=dict)
    unidades: dict[str, Unidad] = field(default_factory=dict)
    suplencias: list[Suplencia] = field(default_factory=list)

    async def funcionario(self, id: str) -> Funcionario | None:
        return self.funcionarios.get(id)

    async def funcionario_por_correo(self, correo: str) -> Funcionario | None:
        return next((f for f in self.funcionarios.values() if f.correo == correo), None)

    async def puesto_de(self, funcionario_id: str) -> Puesto | None:
        return next((p for p in self.puestos.values() if p.funcionario_id == funcionario_id), None)

    async def puesto(self, id: str) -> Puesto | None:
        return self.puestos.get(id)

    async def unidad(self, id: str) -> Unidad | None:
        return self.unidades.get(id)

    async def subunidades(self, unidad_id: str) -> list[str]:
        found = [unidad_id]
        for u in self.unidades.values():
            if u.padre_id == unidad_id:
                found.extend(await self.subunidades(u.id))
        return found

    async def suplencias_vigentes(self, suplente_id: str, on: date) -> list[Suplencia]:
        return [s for s in self.suplencias if s.suplente_id == suplente_id and s.vigente(on)]


def funcionario(id: str, correo: str, roles: frozenset[str] = frozenset()) -> Funcionario:
    return Funcionario(
        id=id,
        nombre="Ana",
        apellido_paterno="Garza",
        apellido_materno="Treviño",
        correo=correo,
        rfc="GATA800101AB1",
        curp="GATA800101MNLRRN09",
        roles=roles,
    )


@pytest.fixture
def directory() -> DirectoryStub:
    d = DirectoryStub()
    d.unidades = {
        "SIGA": Unidad("SIGA", "SIGA", "Secretaría de Innovación", "SIGA"),
        "SIGA-DGTI": Unidad("SIGA-DGTI", "SIGA", "Dirección de TI", "SIGA/DGTI", padre_id="SIGA"),
        "SIGA-DGTI-DS": Unidad("SIGA-DGTI-DS", "SIGA", "Desarrollo", "SIGA/DGTI/DS", padre_id="SIGA-DGTI"),
    }
    d.funcionarios = {
        "1001": funcionario("1001", "ana@monterrey.gob.mx"),
        "1002": funcionario("1002", "luis@monterrey.gob.mx", frozenset({"administrador"})),
        "1003": funcionario("1003", "eva@monterrey.gob.mx"),
    }
    d.puestos = {
        "P-DIR": Puesto("P-DIR", "SIGA-DGTI", "Director de TI", es_titular=True, funcionario_id="1001"),
        "P-ANA": Puesto("P-ANA", "SIGA-DGTI-DS", "Analista", es_titular=False, funcionario_id="1003"),
    }
    return d


@pytest.fixture
async def identity_repo(infra: InfraSettings) -> AsyncIterator[IdentityRepository]:
    client = build_mongo_client(infra)
    db: Any = client[infra.database_name("gateway")]
    repo = IdentityRepository(db)
    await repo.ensure_indexes()
    yield repo
    await client.drop_database(db.name)
    client.close()


@pytest.fixture
def login_policy() -> LoginPolicy:
    return LoginPolicy(
        lock_after=5, lock_minutes=15, delay_from=2, delay_base_seconds=0.1, delay_max_seconds=0.4
    )


@pytest.fixture
def identity(
    identity_repo: IdentityRepository, directory: DirectoryStub, login_policy: LoginPolicy
) -> IdentityService:
    return IdentityService(identity_repo, directory, login_policy=login_policy)
