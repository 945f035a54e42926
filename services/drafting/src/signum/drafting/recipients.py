"""Recipients and C.c.p. checked against drafting's read model of the directory.

A directory recipient (a person, a position or a whole office) is stored by its id; its name, title
and dependencia are always taken from the directory when the draft is saved, previewed or
finalized, so the PDF prints what the directory says today, not what a browser sent. An id the
directory does not know (or an entity given de baja) is refused with `recipient_not_in_directory`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from signum.contracts.directory import DependenciaPayload, FuncionarioPayload, PuestoPayload, UnidadPayload
from signum.drafting.domain import Copia, Destinatario, DraftContent, Firmante
from signum.drafting.rendering.names import title_and_office
from signum.platform.errors import ValidationFailedError

KIND_NAMES = {"funcionario": "funcionario", "puesto": "puesto", "unidad": "unidad administrativa"}
# Where a refused id sits, as a person reads the page: "destinatarios[2]" is "el destinatario 2".
PLACE_NAMES = {"destinatarios": "el destinatario", "ccp": "la copia (C.c.p.)", "firmantes": "el firmante"}


def _place(campo: str) -> str:
    name, _, index = campo.partition("[")
    return f"{PLACE_NAMES.get(name, name)} {index.rstrip(']')}".strip()


class Directory(Protocol):
    """What drafting reads of the directory (signum.platform.directory.DirectoryReadModel)."""

    async def funcionario(self, funcionario_id: str) -> FuncionarioPayload | None: ...
    async def puesto(self, puesto_id: str) -> PuestoPayload | None: ...
    async def unidad(self, unidad_id: str) -> UnidadPayload | None: ...
    async def dependencia(self, dependencia_id: str) -> DependenciaPayload | None: ...
    async def puesto_de(self, funcionario_id: str) -> PuestoPayload | None: ...
    async def puesto_titular(self, unidad_id: str) -> PuestoPayload | None: ...


@dataclass(frozen=True)
class Resolved:
    nombre: str
    cargo: str
    organizacion: str


class RecipientNotInDirectoryError(ValidationFailedError):
    code = "recipient_not_in_directory"


class DirectoryResolver:
    """Fills directory recipients from the directory; refuses the ids it does not know."""

    def __init__(self, directory: Directory) -> None:
        self._dir = directory

    async def _dependencia_of(self, unidad_id: str | None) -> str:
        if unidad_id is None:
            return ""
        unidad = await self._dir.unidad(unidad_id)
        if unidad is None:
            return ""
        dependencia = await self._dir.dependencia(unidad.dependencia_id)
        return dependencia.nombre if dependencia is not None else unidad.nombre

    async def dependencia_id_of(self, unidad_id: str) -> str:
        """The id of the dependencia a unit belongs to ("" if the directory does not know the unit)."""
        unidad = await self._dir.unidad(unidad_id)
        return unidad.dependencia_id if unidad is not None else ""

    async def _holder(self, funcionario_id: str | None) -> FuncionarioPayload | None:
        if funcionario_id is None:
            return None
        found = await self._dir.funcionario(funcionario_id)
        return found if found is not None and found.activo else None

    async def check_officials(self, funcionario_ids: list[str]) -> None:
        """422 `collaborator_not_in_directory` if an id is not an active official of the directory."""
        unknown = [f for f in funcionario_ids if await self._holder(f) is None]
        if unknown:
            raise ValidationFailedError(
                "Un colaborador no es un funcionario activo del directorio.",
                code="collaborator_not_in_directory",
                details={"funcionarios": unknown},
            )

    async def resolve(self, tipo: str, id_: str) -> Resolved | None:
        """Name, title and dependencia of a directory entity; None if unknown or inactive."""
        if tipo == "funcionario":
            person = await self._holder(id_)
            if person is None:
                return None
            puesto = await self._dir.puesto_de(id_)
            return Resolved(
                nombre=person.nombre,
                cargo=puesto.titulo if puesto else "",
                organizacion=await self._dependencia_of(puesto.unidad_id if puesto else None),
            )
        if tipo == "puesto":
            puesto = await self._dir.puesto(id_)
            if puesto is None or not puesto.activo:
                return None
            holder = await self._holder(puesto.funcionario_id)
            # A vacant position is still addressed by its title ("Director de Egresos").
            return Resolved(
                nombre=holder.nombre if holder else puesto.titulo,
                cargo=puesto.titulo if holder else "",
                organizacion=await self._dependencia_of(puesto.unidad_id),
            )
        if tipo == "unidad":
            unidad = await self._dir.unidad(id_)
            if unidad is None or not unidad.activa:
                return None
            head = await self._dir.puesto_titular(id_)
            holder = await self._holder(head.funcionario_id if head else None)
            dependencia = await self._dependencia_of(id_)
            if holder is None or head is None:
                return Resolved(nombre=unidad.nombre, cargo="", organizacion=dependencia)
            # "Secretario del Ayuntamiento", not "..., Oficina del C. Secretario del Ayuntamiento".
            cargo = ", ".join(title_and_office(head.titulo, unidad.nombre))
            return Resolved(nombre=holder.nombre, cargo=cargo, organizacion=dependencia)
        return None

    async def fill(self, content: DraftContent) -> DraftContent:
        """`content` with every directory recipient and copy filled from the directory.

        Raises RecipientNotInDirectoryError (422, Spanish) listing every unknown id.
        """
        unknown: list[dict[str, str]] = []
        destinatarios: list[Destinatario] = []
        for index, d in enumerate(content.destinatarios, start=1):
            if d.tipo == "externo" or d.id is None:
                destinatarios.append(d)
                continue
            found = await self.resolve(d.tipo, d.id)
            if found is None:
                unknown.append({"campo": f"destinatarios[{index}]", "tipo": d.tipo, "id": d.id})
                continue
            destinatarios.append(
                d.model_copy(
                    update={"nombre": found.nombre, "cargo": found.cargo, "organizacion": found.organizacion}
                )
            )
        copias: list[Copia] = []
        for index, c in enumerate(content.ccp, start=1):
            if c.tipo == "externo" or c.id is None:
                copias.append(c)
                continue
            found = await self.resolve(c.tipo, c.id)
            if found is None:
                unknown.append({"campo": f"ccp[{index}]", "tipo": c.tipo, "id": c.id})
                continue
            cargo = ", ".join(title_and_office(found.cargo, found.organizacion))
            copias.append(c.model_copy(update={"nombre": found.nombre, "cargo": cargo}))
        firmantes: list[Firmante] = []
        for index, f in enumerate(content.firmantes, start=1):
            if f.funcionario_id is None:
                firmantes.append(f)
                continue
            found = await self.resolve("funcionario", f.funcionario_id)
            if found is None:
                unknown.append(
                    {"campo": f"firmantes[{index}]", "tipo": "funcionario", "id": f.funcionario_id}
                )
                continue
            firmantes.append(f.model_copy(update={"nombre": found.nombre, "cargo": f.cargo or found.cargo}))
        if unknown:
            listed = "; ".join(f"{_place(u['campo'])} ({KIND_NAMES[u['tipo']]} «{u['id']}»)" for u in unknown)
            raise RecipientNotInDirectoryError(
                "Hay destinatarios o firmantes que no existen en el directorio o fueron dados de baja: "
                f"{listed}. Elíjalos de nuevo del directorio o captúrelos como externos.",
                details={"desconocidos": unknown},
            )
        return content.model_copy(
            update={"destinatarios": destinatarios, "ccp": copias, "firmantes": firmantes}
        )
