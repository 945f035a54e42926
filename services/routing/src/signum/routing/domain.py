"""Routing's domain: deliveries, their states, inbox folders, deadlines on working days. No I/O."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from signum.platform import policy
from signum.platform.errors import ConflictError, ForbiddenError, NotFoundError, ValidationFailedError
from signum.platform.identity import Caller

Carpeta = Literal[
    "recibidos", "turnados", "enviados", "copias", "borradores", "por_revisar", "por_firmar", "archivados"
]
CARPETAS: tuple[Carpeta, ...] = (
    "recibidos",
    "turnados",
    "enviados",
    "copias",
    "borradores",
    "por_revisar",
    "por_firmar",
    "archivados",
)
# Folders whose entries wait for their owner (a review, a signature): unread until done.
WAITING_FOLDERS = frozenset({"por_revisar", "por_firmar"})

# Delivery states (DESIGN.md §3): enviado → recibido → turnado / en_atencion → respondido / concluido.
OPEN_STATES = frozenset({"enviado", "recibido", "turnado", "en_atencion"})

# An oficio's states once signing has it. They come from the signing and routing topics, the draft's
# states from drafting's: across topics events arrive in any order, and drafting changes nothing
# after finalization, so a draft's state arriving after one of these is stale and never kept.
SIGNING_STATES = frozenset({"firmando", "firmado", "enviado"})
DRAFT_STATES = frozenset({"borrador", "en_revision", "listo_para_firma"})


def stale_status(current: object, new: object) -> bool:
    """Whether setting `new` over `current` would take a signed oficio back to a draft's state."""
    return current in SIGNING_STATES and new in DRAFT_STATES


CLOSED_STATES = frozenset({"respondido", "concluido"})

INSTRUCCIONES: dict[str, str] = {
    "para_su_atencion": "Para su atención",
    "para_conocimiento": "Para conocimiento",
    "para_tramite_procedente": "Para trámite procedente",
    "para_su_respuesta": "Para su respuesta",
    "para_opinion": "Para opinión",
    "para_archivo": "Para archivo",
}


def office_mailbox(unidad_id: str) -> str:
    """The owner id of an office's shared mailbox (kept by an oficialía de partes); also its reader
    id in the policy (`OficioAccess.lectores`)."""
    return policy.office_mailbox(unidad_id)


def delivery_owner(delivery: dict[str, Any]) -> str:
    """Whose inbox a delivery is in: its official, or the office mailbox that keeps it (the
    oficialía de partes serving its unit, `buzon_unidad_id`; older deliveries: its unit's)."""
    if delivery.get("funcionario_id"):
        return str(delivery["funcionario_id"])
    return office_mailbox(delivery.get("buzon_unidad_id") or delivery.get("unidad_id") or "")


def readers(oficio: dict[str, Any]) -> frozenset[str]:
    """Who reads the oficio because routing delivered it: every delivery's official (recipients,
    copies, turnos, registered documents), the absent holder a suplente received for, and the office
    mailboxes it is in (`unidad:<id>`), as `signum.platform.policy.OficioAccess.lectores`; of a paper
    document, also the oficialía de partes that registered it (its official and its unit's mailbox),
    which keeps no delivery of its own."""
    found: set[str] = set()
    for d in (oficio.get("entregas") or {}).values():
        found.add(delivery_owner(d))
        if d.get("en_lugar_de"):
            found.add(d["en_lugar_de"])
    registro = oficio.get("registro") or {}
    if registro.get("registrado_por"):
        found.add(registro["registrado_por"])
    if registro.get("unidad_id"):
        found.add(office_mailbox(registro["unidad_id"]))
    found.discard(office_mailbox(""))
    return frozenset(found)


def delivery_root(entregas: dict[str, dict[str, Any]], d: dict[str, Any]) -> dict[str, Any]:
    """The delivery the sender made that `d` was turned from (itself if it is one)."""
    seen = {d["id"]}
    while d.get("padre_id") and d["padre_id"] in entregas and d["padre_id"] not in seen:
        d = entregas[d["padre_id"]]
        seen.add(d["id"])
    return d


def office_of(entregas: dict[str, dict[str, Any]], d: dict[str, Any]) -> str:
    """Which receiving office a delivery belongs to in the trajectory: the unit its sender addressed
    (the titular's delivery, the office mailbox's and every turno below them), or, for a C.c.p., the
    copy itself (a copy for knowledge shares nothing of the office it lands in)."""
    root = delivery_root(entregas, d)
    if root.get("motivo") == "copia" or not root.get("unidad_id"):
        return "entrega:" + str(root["id"])
    return "unidad:" + str(root["unidad_id"])


def takes_part(caller: Caller, d: dict[str, Any]) -> bool:
    """Whether a delivery is the caller's: they received it (or stand in today for whoever did, or
    for the absent holder it went to), they turned it, or it is in an office mailbox they read."""
    if caller.kind != "official":
        return False
    mine = {caller.id, *caller.suplidos}
    if d.get("funcionario_id") in mine or d.get("en_lugar_de") in mine or d.get("turnado_por") == caller.id:
        return True
    if d.get("funcionario_id") is None:
        return policy.reads_mailbox(caller, str(d.get("buzon_unidad_id") or d.get("unidad_id") or ""))
    return False


def deliveries_seen(oficio: dict[str, Any], caller: Caller, *, sender: bool) -> frozenset[str]:
    """The deliveries whose steps the caller sees in the oficio's trajectory (`policy` action
    `oficio.trayectoria_completa`, auditors, sees them all): every delivery of each receiving office
    they take part in (`office_of`, `takes_part`), so an office sees its own turnos and not another
    office's; and, on the sender's side, the deliveries the sender made (not the turnos below them)."""
    entregas: dict[str, dict[str, Any]] = oficio.get("entregas") or {}
    offices = {d["id"]: office_of(entregas, d) for d in entregas.values()}
    theirs = {offices[d["id"]] for d in entregas.values() if takes_part(caller, d)}
    seen = {eid for eid, office in offices.items() if office in theirs}
    if sender:
        seen |= {eid for eid, d in entregas.items() if not d.get("padre_id")}
    return frozenset(seen)


def answered_by(entregas: dict[str, dict[str, Any]], unit: str) -> list[dict[str, Any]]:
    """The open deliveries (not copies) an answer from `unit` closes: those of that unit, what they
    were turned from (an answer drafted down a turno answers what was turned), and the other
    deliveries of the units reached that way (the office mailbox's copy kept by its oficialía)."""

    def answerable(d: dict[str, Any] | None) -> bool:
        return d is not None and d["motivo"] != "copia" and d["estado"] in OPEN_STATES

    closing = {d["id"]: d for d in entregas.values() if answerable(d) and d.get("unidad_id") == unit}
    pending = list(closing.values())
    while pending:
        parent = entregas.get(pending.pop().get("padre_id") or "")
        if parent is not None and answerable(parent) and parent["id"] not in closing:
            closing[parent["id"]] = parent
            pending.append(parent)
    units = {d.get("unidad_id") for d in closing.values()}
    for d in entregas.values():
        if answerable(d) and d.get("unidad_id") in units:
            closing.setdefault(d["id"], d)
    return list(closing.values())


def entrega_id(oficio_id: str, *parts: str) -> str:
    """A delivery id fixed by what it is, so a replayed event makes the same delivery, never two."""
    digest = hashlib.sha256("|".join((oficio_id, *parts)).encode()).hexdigest()[:16]
    # "_": a dot would split the id when it is used as a field name (`entregas.<id>`).
    return f"{oficio_id}_{digest}"


def oficio_of(entrega: str) -> str:
    """The oficio a delivery id belongs to."""
    oficio, sep, _ = entrega.rpartition("_")
    if not sep or not oficio:
        raise DeliveryNotFoundError()
    return oficio


def fold(text: str) -> str:
    """Lower case without accents, for search."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# --- errors ------------------------------------------------------------------------------------


class DeliveryNotFoundError(NotFoundError):
    code = "delivery_not_found"
    message = "La entrega no existe o no está a su cargo."


class DeliveryForbiddenError(ForbiddenError):
    code = "delivery_forbidden"
    message = "Solo el destinatario de la entrega (o su suplente, o la oficialía de partes) puede hacerlo."


class DeliveryClosedError(ConflictError):
    code = "delivery_closed"
    message = "La entrega ya está cerrada; no admite más acciones."


class NotASubordinateError(ValidationFailedError):
    code = "not_a_subordinate"
    message = "Solo puede turnar a personal que depende de usted en el directorio."


class ReasonRequiredError(ValidationFailedError):
    code = "reason_required"
    message = "Para concluir sin oficio de respuesta escriba el motivo."


class CopyNeedsNoActionError(ConflictError):
    code = "copy_not_actionable"
    message = "Una copia (C.c.p.) es para conocimiento: no se turna ni se responde."


class DeadlineInPastError(ValidationFailedError):
    code = "deadline_in_past"
    message = "La fecha límite no puede ser anterior a hoy."


class InvalidCursorError(ValidationFailedError):
    code = "invalid_cursor"
    message = "El cursor de paginación no es válido; vuelva a la primera página."


# --- inbox -------------------------------------------------------------------------------------


def delivery_folder(delivery: dict[str, Any]) -> Carpeta:
    """The folder a delivery shows in, in its recipient's inbox."""
    if delivery.get("archivado"):
        return "archivados"
    motivo = delivery["motivo"]
    if motivo == "copia":
        return "copias"
    if motivo == "turno":
        return "turnados"
    return "recibidos"


def oficio_folder(oficio: dict[str, Any], person: str) -> Carpeta | None:
    """Where an oficio shows for one of its authors, collaborators or signers (None: nowhere)."""
    status = oficio.get("status")
    firmantes = oficio.get("firmantes") or []
    if status == "en_revision" and person in (oficio.get("revisores_pendientes") or []):
        return "por_revisar"
    if status in ("borrador", "en_revision"):
        return "borradores" if person in (oficio.get("participantes") or []) else None
    if status in ("listo_para_firma", "firmando"):
        pending = [f for f in firmantes if not f.get("firmado")]
        if pending and pending[0].get("funcionario_id") == person:
            return "por_firmar"
        return "borradores" if person in (oficio.get("participantes") or []) else None
    if status in ("firmado", "enviado"):
        signers = {f.get("funcionario_id") for f in firmantes}
        if person in signers or person == oficio.get("author_id"):
            return "enviados"
        return None
    return None


def oficio_people(oficio: dict[str, Any]) -> set[str]:
    """Everyone who may have the oficio itself (not a delivery) in their inbox."""
    people = set(oficio.get("participantes") or [])
    people.update(f["funcionario_id"] for f in oficio.get("firmantes") or [] if f.get("funcionario_id"))
    if oficio.get("author_id"):
        people.add(oficio["author_id"])
    return people


def sent_deliveries(oficio: dict[str, Any]) -> list[dict[str, Any]]:
    """The deliveries the sender made (recipients, office mailboxes, copies), not the turnos below them."""
    entregas = [d for d in (oficio.get("entregas") or {}).values() if not d.get("padre_id")]
    order = {"destinatario": 0, "oficialia": 1, "registro": 2, "copia": 3}
    return sorted(entregas, key=lambda d: (order.get(d["motivo"], 9), str(d.get("creado_en")), d["id"]))


DELIVERY_STATES = ("enviado", "recibido", "turnado", "en_atencion", "respondido", "concluido")


def recipients_summary(oficio: dict[str, Any]) -> dict[str, int]:
    """How many of the oficio's recipients (copies aside) are in each delivery state."""
    counts: dict[str, int] = {}
    for d in sent_deliveries(oficio):
        if d["motivo"] != "copia":
            counts[d["estado"]] = counts.get(d["estado"], 0) + 1
    return counts


def summary_in_order(summary: object) -> list[dict[str, Any]]:
    """A recipients' summary as the API shows it: `[{estado, n}]` in lifecycle order (entries
    projected before the summary was a mapping hold that list already)."""
    if isinstance(summary, list):
        return summary
    if not isinstance(summary, dict):
        return []
    rank = {s: i for i, s in enumerate(DELIVERY_STATES)}
    ordered = sorted(summary.items(), key=lambda kv: rank.get(kv[0], 99))
    return [{"estado": e, "n": n} for e, n in ordered]


def is_overdue(delivery: dict[str, Any], today: dt.date) -> bool:
    limite = delivery.get("fecha_limite")
    if not limite or delivery.get("estado") not in OPEN_STATES or delivery.get("motivo") == "copia":
        return False
    return dt.date.fromisoformat(str(limite)[:10]) < today


def sort_key(when: dt.datetime, entry_id: str) -> str:
    """Order of inbox entries (newest first when sorted descending); unique, so pages are stable."""
    return f"{when.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}|{entry_id}"


def search_text(*parts: str | None) -> str:
    return fold(" ".join(p for p in parts if p))


def distinct(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


# --- the delivery's state machine -----------------------------------------------------------------
#
#   enviado (sin abrir) --receive--> recibido --turn--> turnado
#        |                              |                  |
#        +------------- start_attention (an answer is being signed) --> en_atencion
#   any open state --answer--> respondido        any open state --conclude--> concluido
#   respondido / concluido (or a copy, in any state) --archive--> archivado (a flag: the state stays)
#
# Copies (C.c.p.) are for knowledge: they are received and archived, never turned, answered or
# concluded. Each transition is a pure function of the delivery's current state: it returns the
# next one or raises the domain error the API answers with.

TRANSITIONS: dict[str, frozenset[str]] = {
    "enviado": frozenset({"recibido", "turnado", "en_atencion", "respondido", "concluido"}),
    "recibido": frozenset({"turnado", "en_atencion", "respondido", "concluido"}),
    "turnado": frozenset({"turnado", "en_atencion", "respondido", "concluido"}),
    "en_atencion": frozenset({"turnado", "en_atencion", "respondido", "concluido"}),
    "respondido": frozenset(),
    "concluido": frozenset(),
}


@dataclass(frozen=True)
class Delivery:
    """What decides a delivery's next state: its kind, state, and whether it was received or archived."""

    motivo: str
    estado: str = "enviado"
    recibido: bool = False
    archivado: bool = False

    @classmethod
    def of(cls, d: dict[str, Any]) -> Delivery:
        """The state of a stored delivery (`oficios.entregas.<id>`)."""
        return cls(
            motivo=str(d.get("motivo") or "destinatario"),
            estado=str(d.get("estado") or "enviado"),
            recibido=bool(d.get("recibido_en")),
            archivado=bool(d.get("archivado")),
        )

    @property
    def is_copy(self) -> bool:
        return self.motivo == "copia"

    @property
    def is_open(self) -> bool:
        return self.estado in OPEN_STATES

    def _to(self, estado: str) -> Delivery:
        if estado not in TRANSITIONS.get(self.estado, frozenset()):
            raise DeliveryClosedError()
        return Delivery(self.motivo, estado, self.recibido, self.archivado)

    def _actionable(self) -> None:
        if self.is_copy:
            raise CopyNeedsNoActionError()
        if not self.is_open:
            raise DeliveryClosedError()

    def receive(self) -> Delivery:
        """The acuse de recibo: an unopened delivery becomes `recibido`; a later state stays."""
        estado = "recibido" if self.estado == "enviado" else self.estado
        return Delivery(self.motivo, estado, True, self.archivado)

    def turn(self) -> Delivery:
        """Turnar to subordinates (not a copy, not closed, not archived)."""
        self._actionable()
        if self.archivado:
            raise DeliveryClosedError()
        return self._to("turnado")

    def check_answerable(self) -> None:
        """An answer may start from it (its recipient drafts one)."""
        self._actionable()

    def start_attention(self) -> Delivery:
        """An answer to it is being signed."""
        self._actionable()
        return self._to("en_atencion")

    def answer(self) -> Delivery:
        """An answering oficio was signed."""
        self._actionable()
        return self._to("respondido")

    def conclude(self, reason: str) -> Delivery:
        """Concluir without an answering oficio: a reason is required."""
        self._actionable()
        if not reason.strip():
            raise ReasonRequiredError()
        return self._to("concluido")

    def archive(self) -> Delivery:
        """Archive a closed delivery or a copy (archiving again changes nothing)."""
        if not self.archivado and not self.is_copy and self.estado not in CLOSED_STATES:
            raise ValidationFailedError(
                "Solo se archivan entregas respondidas o concluidas (o copias).", code="delivery_open"
            )
        return Delivery(self.motivo, self.estado, self.recibido, True)


def inbox_owners(oficio: dict[str, Any]) -> set[str]:
    """Everyone whose inbox may hold an entry of the oficio (its deliveries' owners and its people)."""
    owners = {delivery_owner(d) for d in (oficio.get("entregas") or {}).values()}
    owners |= set(oficio.get("conocidos") or []) | oficio_people(oficio)
    return owners
