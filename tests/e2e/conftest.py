"""End-to-end fixtures: the platform's processes, a seeded directory with every role in two units,
logged-in clients, and oficios in each access context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from signum.testing.people import Person, login, people, seed
from signum.testing.processes import ServiceProcess


@dataclass
class World:
    """Who is who in the seeded directory, and the oficios each test can use."""

    gateway: str
    people: dict[str, Person]
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    async def as_(self, key: str) -> httpx.AsyncClient:
        """A logged-in client of the person `key` (e.g. "titular@A"), one session per person."""
        if key not in self.clients:
            self.clients[key] = await login(self.gateway, self.people[key])
        return self.clients[key]

    async def fresh(self, key: str) -> httpx.AsyncClient:
        """A new session of `key` (for calls that end it, such as logging out)."""
        return await login(self.gateway, self.people[key])


@pytest.fixture(scope="session")
async def world(platform: dict[str, ServiceProcess], stack_env: dict[str, str]) -> AsyncIterator[World]:
    everyone = people()
    await seed(stack_env, everyone)
    w = World(gateway=platform["gateway"].url, people=everyone)
    yield w
    for client in w.clients.values():
        await client.aclose()
