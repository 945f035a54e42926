"""Routing's use cases, composed: each part lives in the module of its job.

- `lifecycle`: drafting's and signing's events before sending (the people's folders, signatures)
- `dispatch`: `oficio.signed` -> deliveries, office mailboxes, e-mails (`recipients` resolves whom)
- `answers`: an answer puts what it answers `en_atencion`, then closes it
- `deliveries`: what a recipient does with a delivery (acuse de recibo, turnar, concluir, archivar)
- `registry`: paper documents registered by the oficialía de partes
- `acuses`: sealed acuses (asked of signing, recorded from `acuse.sealed`)
- `deadlines`: reminders, overdue, escalation
- `inbox`: inbox pages and counts; `projection`: the entries an oficio implies
- `access`: who may see or act; `views`: how it reads; `core`: the shared context and `commit`
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from signum.contracts.signing import OficioSigned
from signum.platform.calendar import WorkCalendar
from signum.platform.directory import DirectoryReadModel
from signum.platform.storage_client import StorageClient
from signum.routing.access import Access
from signum.routing.acuses import Acuses
from signum.routing.answers import Answers
from signum.routing.core import Client, Routing
from signum.routing.deadlines import Deadlines
from signum.routing.deliveries import Deliveries
from signum.routing.dispatch import Dispatch
from signum.routing.inbox import Inbox
from signum.routing.lifecycle import Lifecycle
from signum.routing.mail import Mailer
from signum.routing.notifications import Notifier
from signum.routing.recipients import Recipients
from signum.routing.registry import Registry
from signum.routing.repository import Store
from signum.routing.views import Views


class RoutingService:
    """Tracks oficios from the other services' events and routes the signed ones."""

    def __init__(
        self,
        store: Store,
        directory: DirectoryReadModel,
        *,
        drafting: Client | None = None,
        signing: Client | None = None,
        storage: StorageClient | None = None,
        mailer: Mailer | None = None,
        notifier: Notifier | None = None,
        calendar: WorkCalendar | None = None,
        public_url: str = "http://127.0.0.1:8000",
        timezone: str = "America/Monterrey",
        reminder_days: int = 2,
        fetch: Callable[[str], Awaitable[bytes]] | None = None,
    ) -> None:
        self.store = store
        self.oficios = store.oficios
        self.directory = directory
        self.notifier = notifier or Notifier()
        self.routing = Routing(store, directory, self.notifier, calendar or WorkCalendar(), timezone)
        self.calendar = self.routing.calendar
        self.today = self.routing.today
        views = Views(directory)
        recipients = Recipients(directory)
        self.access = Access(self.routing)
        self.answers = Answers(self.routing)
        self.lifecycle = Lifecycle(self.routing, self.answers, views)
        self.dispatch = Dispatch(
            self.routing,
            recipients,
            self.answers,
            drafting=drafting,
            storage=storage,
            mailer=mailer or Mailer(None, 25, "signum@localhost"),
            public_url=public_url,
            fetch=fetch or _http_get,
        )
        self.acuses = Acuses(self.routing, self.access, signing)
        self.deliveries = Deliveries(self.routing, self.access, self.acuses, recipients, views)
        self.registry = Registry(self.routing, recipients, storage)
        self.deadlines = Deadlines(self.routing, self.access, recipients, reminder_days)
        self.inbox = Inbox(self.routing, self.access)
        # The API and the handlers call these.
        self.on_drafting_event = self.lifecycle.on_drafting_event
        self.on_signature_added = self.lifecycle.on_signature_added
        self.on_acuse_sealed = self.acuses.on_acuse_sealed
        self.on_document_renewed = self.acuses.on_document_renewed
        self.inbox_page = self.inbox.page
        self.unread_counts = self.inbox.unread_counts
        self.waiting = self.inbox.waiting
        self.inbox_owner = self.access.inbox_owner
        self.readers = self.access.readers
        self.tracking = self.access.tracking
        self.tracking_steps = self.access.tracking_steps
        self.get_delivery = self.deliveries.get
        self.acknowledge = self.deliveries.acknowledge
        self.forward = self.deliveries.forward
        self.close = self.deliveries.close
        self.archive = self.deliveries.archive
        self.answer_basis = self.deliveries.answer_basis
        self.history = self.deliveries.history
        self.tree = self.deliveries.tree
        self.sent_view = self.deliveries.sent_view
        self.register_paper = self.registry.register_paper
        self.retry_acuses = self.acuses.retry
        self.check_deadlines = self.deadlines.check
        self.oficialia_de = recipients.oficialia_de

    async def on_oficio_signed(self, event: OficioSigned) -> None:
        await self.dispatch.on_oficio_signed(event)

    @property
    def background(self) -> set[asyncio.Task[bool]]:
        """Acuses being asked for right now (tests wait for them)."""
        return self.acuses.background


async def _http_get(url: str) -> bytes:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(url)
        response.raise_for_status()
        return response.content
