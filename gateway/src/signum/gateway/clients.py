"""Clients of the services' internal APIs, one per service."""

from __future__ import annotations

from dataclasses import dataclass

from signum.gateway.settings import Settings
from signum.platform.http import InternalClient
from signum.platform.storage_client import StorageClient


@dataclass
class ServiceClients:
    drafting: InternalClient
    routing: InternalClient
    signing: InternalClient
    storage: StorageClient  # its object calls stream; each passes the person who asks
    metrics: InternalClient

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceClients:
        token = settings.infra.internal_token
        urls = settings.service_urls()
        clients = {name: InternalClient(name, url, token) for name, url in urls.items() if name != "storage"}
        return cls(**clients, storage=StorageClient(urls["storage"], token))

    def all(self) -> dict[str, InternalClient]:
        return {
            "drafting": self.drafting,
            "routing": self.routing,
            "signing": self.signing,
            "storage": self.storage,
            "metrics": self.metrics,
        }

    async def aclose(self) -> None:
        for client in self.all().values():
            await client.aclose()
