"""Inbox queries: a page of a folder with filters and a cursor, unread counts, what waits on the caller."""

from __future__ import annotations

import base64
import datetime as dt
import re
from datetime import UTC, datetime
from typing import Any

from signum.platform.errors import ValidationFailedError
from signum.platform.identity import Caller
from signum.routing import domain
from signum.routing.access import Access
from signum.routing.core import Routing
from signum.routing.domain import OPEN_STATES
from signum.routing.projection import public_entry

PAGE_MAX = 100


class Inbox:
    def __init__(self, routing: Routing, access: Access) -> None:
        self.r = routing
        self.access = access
        self.entries = routing.store.inbox

    def query(
        self,
        carpeta: str,
        *,
        estado: str | None = None,
        prioridad: str | None = None,
        remitente_unidad: str | None = None,
        desde: dt.date | None = None,
        hasta: dt.date | None = None,
        vencidos: bool = False,
        q: str | None = None,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """The filter of one page (within one owner's inbox)."""
        if carpeta not in domain.CARPETAS:
            raise ValidationFailedError(
                "Carpeta desconocida. Use: " + ", ".join(domain.CARPETAS) + ".", code="unknown_folder"
            )
        query: dict[str, Any] = {"carpeta": carpeta}
        if estado:
            query["estado"] = estado
        if prioridad:
            query["prioridad"] = prioridad
        if remitente_unidad:
            query["remitente_unidad"] = remitente_unidad
        if desde or hasta:
            if desde and hasta and hasta < desde:
                raise ValidationFailedError(
                    "La fecha «hasta» no puede ser anterior a «desde».", code="invalid_date_range"
                )
            span: dict[str, Any] = {}
            if desde:
                span["$gte"] = datetime.combine(desde, dt.time(), self.r.tz).astimezone(UTC)
            if hasta:
                span["$lt"] = datetime.combine(hasta + dt.timedelta(days=1), dt.time(), self.r.tz).astimezone(
                    UTC
                )
            query["fecha"] = span
        if vencidos:
            query["fecha_limite"] = {"$lt": self.r.today().isoformat(), "$ne": None}
            query["estado"] = estado if estado else {"$in": sorted(OPEN_STATES)}
        if q:
            query["texto"] = {"$regex": re.escape(domain.fold(q.strip()))}
        if cursor:
            query["orden"] = {"$lt": decode_cursor(cursor)}
        return query

    async def page(
        self, caller: Caller, carpeta: str, *, buzon: str | None = None, limite: int = 25, **filters: Any
    ) -> dict[str, Any]:
        owner = self.access.inbox_owner(caller, buzon)
        query = self.query(carpeta, **filters)
        limite = max(1, min(limite, PAGE_MAX))
        items = await self.entries.page(owner, query, limite + 1)
        more = len(items) > limite
        items = items[:limite]
        return {
            "carpeta": carpeta,
            "elementos": [public_entry(i) for i in items],
            "siguiente": encode_cursor(items[-1]["orden"]) if more and items else None,
        }

    async def unread_counts(self, caller: Caller, buzon: str | None = None) -> dict[str, int]:
        counts = await self.entries.unread(self.access.inbox_owner(caller, buzon))
        return {c: counts.get(c, 0) for c in domain.CARPETAS}

    async def waiting(self, caller: Caller) -> dict[str, Any]:
        """What waits on the caller (the start page): reviews, signatures, unopened (received,
        turned to them, copies) and overdue."""
        owner = self.access.inbox_owner(caller, None)
        unread = await self.entries.unread(owner)
        overdue = await self.entries.overdue(owner, self.r.today().isoformat(), sorted(OPEN_STATES))
        return {
            "por_revisar": unread.get("por_revisar", 0),
            "por_firmar": unread.get("por_firmar", 0),
            "recibidos_sin_abrir": unread.get("recibidos", 0),
            "turnados_sin_abrir": unread.get("turnados", 0),
            "copias_sin_abrir": unread.get("copias", 0),
            "vencidos": sum(overdue.values()),
            "vencidos_por_carpeta": overdue,
        }


def encode_cursor(orden: str) -> str:
    return base64.urlsafe_b64encode(orden.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise domain.InvalidCursorError() from None
    if "|" not in raw or len(raw) > 300:
        raise domain.InvalidCursorError()
    return raw
