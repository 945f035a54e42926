"""The inbox entries an oficio's document implies (pure: `core.Routing.commit` writes them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from signum.routing import domain

Entry = tuple[str, dict[str, Any]]  # (owner, entry)


@dataclass(frozen=True)
class Written:
    """What one commit wrote to the inboxes."""

    entries: list[Entry]
    created: list[tuple[str, str]]

    def news(self) -> dict[str, int]:
        """Per owner whose inbox got entries: how many deliveries are new to them."""
        counts = {owner: 0 for owner, _ in self.entries}
        for owner, entry_id in self.created:
            if entry_id.startswith("e:"):
                counts[owner] = counts.get(owner, 0) + 1
        return counts


def entries(
    doc: dict[str, Any], today: dt.date, *, people_only: bool = False
) -> tuple[list[Entry], list[tuple[str, str]]]:
    """The entries to write (owner, entry) and those to remove (owner, entry id)."""
    write: list[Entry] = []
    remove: list[tuple[str, str]] = []
    # Deliveries first: their owners are waiting for them; the oficio's own people follow.
    if not people_only:
        for d in (doc.get("entregas") or {}).values():
            write.append((domain.delivery_owner(d), delivery_entry(doc, d, today)))
    for person in sorted(set(doc.get("conocidos") or []) | domain.oficio_people(doc)):
        folder = domain.oficio_folder(doc, person)
        if folder is None:
            remove.append((person, f"o:{doc['_id']}"))
        else:
            write.append((person, oficio_entry(doc, folder)))
    return write, remove


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value is None:
        return dt.datetime.now(dt.UTC)
    when: dt.datetime = value
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def oficio_entry(doc: dict[str, Any], folder: str) -> dict[str, Any]:
    entry_id = f"o:{doc['_id']}"
    when = _aware(doc.get("enviado_en") or doc.get("updated_at") or doc.get("created_at"))
    return {
        "id": entry_id,
        "tipo": "oficio",
        "carpeta": folder,
        "orden": domain.sort_key(when, entry_id),
        "fecha": when,
        "oficio_id": doc["_id"],
        "entrega_id": None,
        "folio": doc.get("folio"),
        "asunto": doc.get("asunto", ""),
        "estado": doc.get("status"),
        "prioridad": doc.get("prioridad", "ordinaria"),
        "remitente": doc.get("remitente", ""),
        "remitente_unidad": doc.get("office_id"),
        "leido": folder not in domain.WAITING_FOLDERS,
        "fecha_limite": doc.get("fecha_limite_respuesta"),
        # Enviados: how far its recipients got (state -> how many), for the sender's list.
        "destinatarios": domain.recipients_summary(doc) if folder == "enviados" else None,
        "texto": domain.search_text(doc.get("folio"), doc.get("asunto"), doc.get("remitente")),
    }


def delivery_entry(doc: dict[str, Any], d: dict[str, Any], today: dt.date) -> dict[str, Any]:
    entry_id = f"e:{d['id']}"
    when = _aware(d["creado_en"])
    return {
        "id": entry_id,
        "tipo": "entrega",
        "carpeta": domain.delivery_folder(d),
        "orden": domain.sort_key(when, entry_id),
        "fecha": when,
        "oficio_id": doc["_id"],
        "entrega_id": d["id"],
        "motivo": d["motivo"],
        "folio": doc.get("folio"),
        "asunto": doc.get("asunto", ""),
        "estado": d["estado"],
        "prioridad": doc.get("prioridad", "ordinaria"),
        "remitente": d.get("turnado_por_nombre") or doc.get("remitente", ""),
        "remitente_unidad": doc.get("remitente_unidad"),
        "remitente_unidad_nombre": doc.get("remitente_unidad_nombre"),
        "leido": bool(d.get("leido")),
        "fecha_limite": str(d["fecha_limite"])[:10] if d.get("fecha_limite") else None,
        "vencido": domain.is_overdue(d, today),
        "instruccion": d.get("instruccion"),
        "en_lugar_de": d.get("en_lugar_de"),
        "texto": domain.search_text(
            doc.get("folio"), doc.get("asunto"), doc.get("remitente"), doc.get("remitente_unidad_nombre")
        ),
    }


def public_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """An inbox entry as the API shows it."""
    hidden = ("_id", "texto", "orden", "dueno", "entrada")
    shown = {k: v for k, v in entry.items() if k not in hidden}
    if entry.get("tipo") == "oficio":
        shown["destinatarios"] = domain.summary_in_order(entry.get("destinatarios")) or None
    return shown | {"id": entry.get("entrada")}
