"""What every part of routing shares: its store, the directory, notifications, the calendar, and
`commit`, which writes a change of an oficio and the inbox entries it implies in one transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from signum.contracts import Event
from signum.platform.calendar import WorkCalendar
from signum.platform.directory import DirectoryReadModel
from signum.platform.http import current_correlation_id
from signum.platform.identity import Caller
from signum.routing import projection
from signum.routing.notifications import Notifier
from signum.routing.repository import AlreadyAppliedError, Oficio, Session, Store

SYSTEM = Caller(kind="system", id="routing")


class Client(Protocol):
    """An internal API client (signum.platform.http.InternalClient)."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        caller: Caller | None = None,
        correlation_id: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any: ...


class Routing:
    """The context of routing's use cases."""

    def __init__(
        self,
        store: Store,
        directory: DirectoryReadModel,
        notifier: Notifier,
        calendar: WorkCalendar,
        timezone: str,
    ) -> None:
        self.store = store
        self.oficios = store.oficios
        self.queues = store.queues
        self.directory = directory
        self.notifier = notifier
        self.calendar = calendar
        self.tz = ZoneInfo(timezone)

    def today(self) -> dt.date:
        return datetime.now(self.tz).date()

    async def commit(
        self, oficio_id: str, change: Callable[[Session], Awaitable[Oficio]], *, people_only: bool = False
    ) -> bool:
        """Apply `change` (which returns the oficio after it, or None if nothing changed) and rewrite
        the oficio's inbox entries in one transaction; then tell the owners whose inbox changed and
        wake the outbox relay. Returns whether `change` changed anything.

        `people_only`: the change concerns the oficio's people (drafts, reviews, signatures), not
        its deliveries.
        """
        today = self.today()

        async def body(session: Session) -> projection.Written | None:
            doc = await change(session)
            if doc is None:
                return None
            entries, remove = projection.entries(doc, today, people_only=people_only)
            created = await self.store.inbox.write(entries, remove, session)
            return projection.Written(entries, created)

        try:
            written = await self.store.transaction(body)
        except AlreadyAppliedError:
            return False
        if written is None:
            return False
        for owner, nuevos in written.news().items():
            # `nuevos` counts deliveries that just arrived: the page announces only those, and
            # refreshes quietly for changes (a sealed acuse, the owner's own action).
            self.notifier.notify(owner, "bandeja", {"oficio_id": oficio_id, "nuevos": nuevos})
        # Then the relay: the owners' streams are served before it publishes the events.
        self.oficios.announce()
        return True


def correlation() -> str:
    return current_correlation_id() or str(uuid.uuid4())


def aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is None:
        return datetime.now(UTC)
    when: datetime = value
    return when if when.tzinfo else when.replace(tzinfo=UTC)


ACUSE_PREFIX = "acuse-"  # a sealed acuse's verification id: `acuse-<entrega_id>`


def timeline_entry(event: Event) -> dict[str, Any]:
    """What the oficio's timeline keeps of an event: the delivery it is about (`entrega_id`, so each
    office sees only its own deliveries' steps) and, for a closed delivery, how it was closed."""
    entry: dict[str, Any] = {
        "event_id": str(event.event_id),
        "type": event.type,
        "at": event.occurred_at,
        "actor": event.actor.model_dump(),
    }
    payload: Any = event.payload
    entrega = getattr(payload, "entrega_id", None)
    document = getattr(payload, "documento_id", None)
    if entrega is None and isinstance(document, str) and document.startswith(ACUSE_PREFIX):
        entrega = document.removeprefix(ACUSE_PREFIX)
    if entrega:
        entry["entrega_id"] = str(entrega)
    if event.type == "delivery.closed":
        entry["estado"] = getattr(payload, "estado", None)
    return entry
