"""Who is asking: the caller the gateway authenticated, carried on every internal call.

Services trust this header only together with the internal token (only the gateway has it), and
make their own access decisions with `signum.platform.policy`, so a bypassed gateway opens nothing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from signum.contracts import Actor

CallerKind = Literal["official", "api_key", "system"]


class Caller(BaseModel):
    """An authenticated caller: an official (with roles and offices) or an integrating system."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: CallerKind
    id: str = Field(min_length=1, max_length=128, description="Official id (employee number) or key id.")
    nombre: str = Field(default="", max_length=300)
    roles: frozenset[str] = frozenset()
    unidad_id: str | None = Field(default=None, description="The caller's own unit (office).")
    dependencia_id: str | None = None
    ambito: frozenset[str] = Field(
        default=frozenset(),
        description="Units whose oficios the caller oversees: a titular's unit and its subunits.",
    )
    suplidos: frozenset[str] = Field(
        default=frozenset(),
        description="Officials whose position the caller stands in for today (suplencias in force).",
    )
    scopes: frozenset[str] = Field(default=frozenset(), description="Actions an API key may perform.")
    oficinas: frozenset[str] = Field(default=frozenset(), description="Units an API key may act for.")

    @property
    def actor(self) -> Actor:
        """The actor recorded on the events this caller causes."""
        return Actor(kind=self.kind, id=self.id)

    def has_role(self, *roles: str) -> bool:
        """Whether the caller holds any of `roles`."""
        return not self.roles.isdisjoint(roles)
