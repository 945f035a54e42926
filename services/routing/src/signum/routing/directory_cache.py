"""Routing's look-ups of the directory read model, remembered for a few seconds.

Every delivery asks the directory several questions (who holds the position, who stands in today,
which unit); on FerretDB each is a collection scan. The answers change only with a directory event,
which routing itself applies: applying one clears the cache, and entries also expire after `ttl`
seconds (another replica may have applied the event).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

from signum.contracts import Event
from signum.contracts.directory import DependenciaPayload, FuncionarioPayload, PuestoPayload, UnidadPayload
from signum.platform.consumer import Handler
from signum.platform.directory import DirectoryReadModel

MISSING = object()


class CachedDirectory:
    """The look-ups of DirectoryReadModel routing uses, cached; `handlers()` clear the cache."""

    def __init__(self, model: DirectoryReadModel, *, ttl: float = 30.0, max_entries: int = 20_000) -> None:
        self.model = model
        self.ttl = ttl
        self.max_entries = max_entries
        self._cache: dict[tuple[str, Any], tuple[float, Any]] = {}

    def clear(self) -> None:
        self._cache.clear()

    def handlers(self) -> dict[str, Handler]:
        """The read model's handlers, each followed by clearing the cache."""

        def clearing(handler: Handler) -> Handler:
            async def apply(event: Event) -> None:
                await handler(event)
                self.clear()

            return apply

        return {t: clearing(h) for t, h in self.model.handlers().items()}

    async def ensure_indexes(self) -> None:
        await self.model.ensure_indexes()

    async def upsert(self, event_type: str, payload: Any) -> bool:
        changed = await self.model.upsert(event_type, payload)
        self.clear()
        return changed

    async def _cached(self, key: tuple[str, Any], load: Callable[[], Awaitable[Any]]) -> Any:
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = await load()
        if len(self._cache) >= self.max_entries:
            self._cache.clear()
        self._cache[key] = (now + self.ttl, value)
        return value

    async def dependencia(self, dependencia_id: str) -> DependenciaPayload | None:
        found = await self._cached(
            ("dependencia", dependencia_id), lambda: self.model.dependencia(dependencia_id)
        )
        return cast(DependenciaPayload | None, found)

    async def unidad(self, unidad_id: str) -> UnidadPayload | None:
        return cast(
            UnidadPayload | None,
            await self._cached(("unidad", unidad_id), lambda: self.model.unidad(unidad_id)),
        )

    async def puesto(self, puesto_id: str) -> PuestoPayload | None:
        return cast(
            PuestoPayload | None,
            await self._cached(("puesto", puesto_id), lambda: self.model.puesto(puesto_id)),
        )

    async def funcionario(self, funcionario_id: str) -> FuncionarioPayload | None:
        found = await self._cached(
            ("funcionario", funcionario_id), lambda: self.model.funcionario(funcionario_id)
        )
        return cast(FuncionarioPayload | None, found)

    async def puesto_titular(self, unidad_id: str) -> PuestoPayload | None:
        found = await self._cached(
            ("puesto_titular", unidad_id), lambda: self.model.puesto_titular(unidad_id)
        )
        return cast(PuestoPayload | None, found)

    async def puesto_de(self, funcionario_id: str) -> PuestoPayload | None:
        found = await self._cached(
            ("puesto_de", funcionario_id), lambda: self.model.puesto_de(funcionario_id)
        )
        return cast(PuestoPayload | None, found)

    async def titular_de(self, unidad_id: str) -> FuncionarioPayload | None:
        found = await self._cached(("titular_de", unidad_id), lambda: self.model.titular_de(unidad_id))
        return cast(FuncionarioPayload | None, found)

    async def suplente_vigente(self, puesto_id: str, on: dt.date) -> FuncionarioPayload | None:
        found = await self._cached(
            ("suplente_vigente", (puesto_id, on)), lambda: self.model.suplente_vigente(puesto_id, on)
        )
        return cast(FuncionarioPayload | None, found)

    async def subunidades_directas(self, unidad_id: str) -> list[str]:
        found = await self._cached(
            ("subunidades_directas", unidad_id), lambda: self.model.subunidades_directas(unidad_id)
        )
        return cast(list[str], found)

    async def tiene_rol(self, unidad_id: str, rol: str) -> bool:
        found = await self._cached(
            ("tiene_rol", (unidad_id, rol)), lambda: self.model.tiene_rol(unidad_id, rol)
        )
        return bool(found)
