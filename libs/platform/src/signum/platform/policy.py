"""The one policy module: every access decision in Signum is made here.

An action is a stable id (`oficio.leer`); a decision combines the caller's roles, the offices they
belong to or oversee, and their participation in the oficio. The gateway calls it before serving a
request and each service calls it again on its internal API.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from signum.platform.errors import ForbiddenError
from signum.platform.identity import Caller


class Action(StrEnum):
    """Everything a caller can ask to do."""

    SESION_LEER = "sesion.leer"
    DIRECTORIO_LEER = "directorio.leer"
    DIRECTORIO_IMPORTAR = "directorio.importar"
    DIRECTORIO_ADMINISTRAR = "directorio.administrar"
    CUENTAS_ADMINISTRAR = "cuentas.administrar"
    API_KEYS_ADMINISTRAR = "api_keys.administrar"
    OFICIO_CREAR = "oficio.crear"
    OFICIO_LEER = "oficio.leer"
    # The sender's side of an oficio: its draft's history (versions, differences, comments) and the
    # follow-up of its recipients. As reading, but not for its recipients, who read what was sent.
    OFICIO_HISTORIAL = "oficio.historial"
    # Every office's steps in an oficio's trajectory (the turnos inside each recipient office), not
    # only the sender's deliveries and one's own office's: auditors.
    OFICIO_TRAYECTORIA_COMPLETA = "oficio.trayectoria_completa"
    OFICIO_EDITAR = "oficio.editar"
    OFICIO_COMENTAR = "oficio.comentar"
    OFICIO_REVISAR = "oficio.revisar"
    OFICIO_FINALIZAR = "oficio.finalizar"
    OFICIO_CANCELAR = "oficio.cancelar"
    PLANTILLA_LEER = "plantilla.leer"
    PLANTILLA_ADMINISTRAR = "plantilla.administrar"
    DOCUMENTO_SUBIR = "documento.subir"
    OFICIO_FIRMAR = "oficio.firmar"
    FIRMAS_PENDIENTES_LEER = "firmas.pendientes"  # the caller's own "Por firmar" list
    BANDEJA_LEER = "bandeja.leer"  # the caller's own inbox, counts and notifications
    ENTREGA_LEER = "entrega.leer"
    ENTREGA_ACUSAR = "entrega.acusar"
    ENTREGA_TURNAR = "entrega.turnar"
    ENTREGA_CONCLUIR = "entrega.concluir"
    ENTREGA_ARCHIVAR = "entrega.archivar"
    ENTREGA_RESPONDER = "entrega.responder"  # start the answering oficio (a draft in one's own unit)
    DOCUMENTO_REGISTRAR = "documento.registrar"  # oficialía de partes registers a paper document
    # Public verification shows anyone a masked RFC and no CURP; officials see the signers' full data.
    FIRMANTES_DATOS_LEER = "firmantes.datos_personales"
    PLATAFORMA_ESTADO = "plataforma.estado"  # the status page of every service (administrators)
    # Indicators (times, volumes, overdue, savings): an auditor all, a titular their units (and those
    # under them), every official their own figures.
    INDICADORES_VER = "indicadores.ver"


@dataclass(frozen=True)
class OficioAccess:
    """What the policy needs to know of an oficio."""

    unidad_id: str
    participantes: frozenset[str] = field(default_factory=frozenset)
    confidencialidad: str = "publica"
    autor_id: str | None = None
    editores: frozenset[str] = field(default_factory=frozenset)
    revisores: frozenset[str] = field(default_factory=frozenset)
    firmantes: frozenset[str] = field(default_factory=frozenset)  # signers fixed at finalization
    # Who received it (routing's deliveries: recipients, C.c.p., turnos, absent holders) and the
    # office mailboxes it is in (`unidad:<id>`): they read it, and nothing more.
    lectores: frozenset[str] = field(default_factory=frozenset)


MAILBOX_PREFIX = "unidad:"


def office_mailbox(unidad_id: str) -> str:
    """The reader id of an office mailbox (the deliveries kept by a unit's oficialía de partes)."""
    return MAILBOX_PREFIX + unidad_id


def reads_mailbox(caller: Caller, unidad_id: str) -> bool:
    """Whether the caller reads the office mailbox of `unidad_id`: an official with role
    `oficialia` in that unit, or a titular overseeing it."""
    if caller.kind != "official":
        return False
    if caller.has_role("oficialia") and caller.unidad_id == unidad_id:
        return True
    return caller.has_role("titular") and unidad_id in caller.ambito


def consults_only(caller: Caller) -> bool:
    """An auditor consults (oficios, indicators, verification): unless they also head a unit or keep
    an oficialía de partes, they neither draft oficios nor have any to sign."""
    return caller.has_role("auditor") and not (caller.has_role("titular") or caller.has_role("oficialia"))


def is_reader(caller: Caller, lectores: frozenset[str]) -> bool:
    """Whether the caller is among an oficio's readers: in person, standing in for one (suplencia),
    or through an office mailbox they read."""
    if caller.kind != "official" or not lectores:
        return False
    if caller.id in lectores or not caller.suplidos.isdisjoint(lectores):
        return True
    return any(
        reads_mailbox(caller, reader.removeprefix(MAILBOX_PREFIX))
        for reader in lectores
        if reader.startswith(MAILBOX_PREFIX)
    )


@dataclass(frozen=True)
class UnitAccess:
    """An action on behalf of a unit (e.g. creating an oficio in it)."""

    unidad_id: str


@dataclass(frozen=True)
class IndicadoresAccess:
    """The figures asked for: those of some units, or of one official (and the unit they work in)."""

    unidades: frozenset[str] = field(default_factory=frozenset)
    funcionario_id: str | None = None


Resource = OficioAccess | UnitAccess | IndicadoresAccess | None

ADMIN_ACTIONS = frozenset(
    {
        Action.DIRECTORIO_IMPORTAR,
        Action.DIRECTORIO_ADMINISTRAR,
        Action.CUENTAS_ADMINISTRAR,
        Action.API_KEYS_ADMINISTRAR,
        Action.PLANTILLA_ADMINISTRAR,
        Action.PLATAFORMA_ESTADO,
    }
)
# What an API key may be granted: integrations read and write oficios and read the directory.
API_KEY_ACTIONS = frozenset({Action.DIRECTORIO_LEER, Action.OFICIO_CREAR, Action.OFICIO_LEER})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def decide(caller: Caller, action: Action, resource: Resource = None) -> Decision:
    """Whether `caller` may perform `action` on `resource`, and why."""
    if caller.kind == "api_key":
        # An integration that may read an oficio reads its history too (the scope it is granted).
        read = Action.OFICIO_LEER if action is Action.OFICIO_HISTORIAL else action
        return _decide_api_key(caller, read, resource)
    if caller.kind == "system":
        return Decision(True, "system")
    if action in ADMIN_ACTIONS:
        return _role(caller, "administrador")
    if action in (
        Action.SESION_LEER,
        Action.DIRECTORIO_LEER,
        Action.PLANTILLA_LEER,
    ):
        return Decision(True, "authenticated official")
    if action is Action.FIRMAS_PENDIENTES_LEER:
        if consults_only(caller):
            return Decision(False, "auditors consult; they sign only as titulars")
        return Decision(True, "authenticated official")
    if action is Action.FIRMANTES_DATOS_LEER:
        if caller.kind != "official":
            return Decision(False, "officials only")
        return Decision(True, "municipal official")
    if action is Action.BANDEJA_LEER:
        if caller.kind != "official":
            return Decision(False, "officials only")
        return Decision(True, "own inbox")
    if action in DELIVERY_ACTIONS:
        # Who may act on one delivery (its recipient, their suplente, the office's oficialía, whoever
        # turned it) is decided by routing on the delivery; any official may attempt it.
        if caller.kind != "official":
            return Decision(False, "officials only")
        return Decision(True, "decided on the delivery")
    if action is Action.DOCUMENTO_REGISTRAR:
        return _role(caller, "oficialia")
    if action is Action.INDICADORES_VER:
        return _see_indicators(caller, resource)
    if action is Action.OFICIO_CREAR:
        if not isinstance(resource, UnitAccess):
            return Decision(False, "no unit given")
        if consults_only(caller):
            return Decision(False, "auditors consult; they draft only as titulars")
        if caller.unidad_id is not None and resource.unidad_id == caller.unidad_id:
            return Decision(True, "own unit")
        return Decision(False, "only in the caller's own unit")
    if action is Action.OFICIO_LEER:
        if not isinstance(resource, OficioAccess):
            return Decision(False, "no oficio given")
        return _read_oficio(caller, resource)
    if action is Action.OFICIO_HISTORIAL:
        if not isinstance(resource, OficioAccess):
            return Decision(False, "no oficio given")
        return _read_oficio(caller, replace(resource, lectores=frozenset()))
    if action is Action.OFICIO_TRAYECTORIA_COMPLETA:
        if not isinstance(resource, OficioAccess):
            return Decision(False, "no oficio given")
        if resource.confidencialidad == "confidencial":
            return Decision(False, "confidential oficios are for participants only")
        return _role(caller, "auditor")
    if action in DRAFT_ACTIONS:
        if not isinstance(resource, OficioAccess):
            return Decision(False, "no oficio given")
        return _work_on_draft(caller, action, resource)
    if action is Action.DOCUMENTO_SUBIR:
        if not isinstance(resource, OficioAccess):
            return Decision(False, "no oficio given")
        if caller.id in resource.participantes:
            return Decision(True, "participant")
        return Decision(False, "only the oficio's participants add documents to it")
    if action is Action.OFICIO_FIRMAR:
        if not isinstance(resource, OficioAccess):
            return Decision(False, "no oficio given")
        if caller.id in resource.firmantes:
            return Decision(True, "signer fixed at finalization")
        return Decision(False, "only the signers fixed at finalization sign the oficio")
    return Decision(False, f"no rule for {action}")


DELIVERY_ACTIONS = frozenset(
    {
        Action.ENTREGA_LEER,
        Action.ENTREGA_ACUSAR,
        Action.ENTREGA_TURNAR,
        Action.ENTREGA_CONCLUIR,
        Action.ENTREGA_ARCHIVAR,
        Action.ENTREGA_RESPONDER,
    }
)


# Work on a draft: writing it (author, editors), commenting (participants), reviewing (reviewers),
# finalizing or cancelling it (its author, or a titular overseeing its unit).
DRAFT_ACTIONS = frozenset(
    {
        Action.OFICIO_EDITAR,
        Action.OFICIO_COMENTAR,
        Action.OFICIO_REVISAR,
        Action.OFICIO_FINALIZAR,
        Action.OFICIO_CANCELAR,
    }
)


def _work_on_draft(caller: Caller, action: Action, oficio: OficioAccess) -> Decision:
    if action is Action.OFICIO_EDITAR:
        if caller.id == oficio.autor_id or caller.id in oficio.editores:
            return Decision(True, "author or editor")
        return Decision(False, "only the author and the editors write a draft")
    if action is Action.OFICIO_COMENTAR:
        if caller.id in oficio.participantes:
            return Decision(True, "participant")
        return Decision(False, "only participants comment on a draft")
    if action is Action.OFICIO_REVISAR:
        if caller.id in oficio.revisores:
            return Decision(True, "reviewer")
        return Decision(False, "only the draft's reviewers review it")
    if caller.id == oficio.autor_id:
        return Decision(True, "author")
    if caller.has_role("titular") and oficio.unidad_id in caller.ambito:
        return Decision(True, "titular of the oficio's unit")
    return Decision(False, "only the author or a titular of the unit")


def _see_indicators(caller: Caller, resource: Resource) -> Decision:
    if caller.kind != "official":
        return Decision(False, "officials only")
    if resource is None:
        return Decision(True, "decided on the figures asked for")  # one's own, at least
    if not isinstance(resource, IndicadoresAccess):
        return Decision(False, "no figures given")
    if caller.has_role("auditor"):
        return Decision(True, "auditor")
    if resource.funcionario_id is not None and resource.funcionario_id == caller.id:
        return Decision(True, "own figures")
    if caller.has_role("titular") and resource.unidades and resource.unidades <= caller.ambito:
        return Decision(True, "titular of the units")
    return Decision(False, "only an auditor, a titular of the units or the official themselves")


def _read_oficio(caller: Caller, oficio: OficioAccess) -> Decision:
    if caller.id in oficio.participantes:
        return Decision(True, "participant")
    if is_reader(caller, oficio.lectores):
        return Decision(True, "recipient")
    if oficio.confidencialidad == "confidencial":
        return Decision(False, "confidential oficios are for participants only")
    if caller.has_role("titular") and oficio.unidad_id in caller.ambito:
        return Decision(True, "titular of the oficio's unit")
    if caller.has_role("auditor"):
        return Decision(True, "auditor")
    return Decision(False, "not a participant")


def _role(caller: Caller, role: str) -> Decision:
    return Decision(True, role) if caller.has_role(role) else Decision(False, f"needs role {role}")


def _decide_api_key(caller: Caller, action: Action, resource: Resource) -> Decision:
    if action not in caller.scopes or action not in API_KEY_ACTIONS:
        return Decision(False, "outside the key's scopes")
    unit = resource.unidad_id if isinstance(resource, OficioAccess | UnitAccess) else None
    if unit is not None and unit not in caller.oficinas:
        return Decision(False, "outside the key's offices")
    if isinstance(resource, OficioAccess) and resource.confidencialidad == "confidencial":
        return Decision(False, "confidential oficios are for participants only")
    return Decision(True, "key scope")


RESOURCE_ACTIONS = frozenset(
    {
        Action.OFICIO_CREAR,
        Action.OFICIO_LEER,
        Action.OFICIO_HISTORIAL,
        Action.DOCUMENTO_SUBIR,
        Action.OFICIO_FIRMAR,
        *DRAFT_ACTIONS,
    }
)


def may_attempt(caller: Caller, action: Action) -> bool:
    """Whether the caller could be allowed `action` on some resource (the coarse, early check).

    For actions on a resource this only rules out callers who could never do it (an API key
    without the scope); the full decision is made with the resource.
    """
    if action in RESOURCE_ACTIONS:
        if caller.kind == "api_key":
            read = Action.OFICIO_LEER if action is Action.OFICIO_HISTORIAL else action
            return read in caller.scopes
        return True
    return bool(decide(caller, action))


def authorize(caller: Caller, action: Action, resource: Resource = None) -> None:
    """Raise a Spanish 403 unless the caller may do it."""
    decision = decide(caller, action, resource)
    if not decision:
        raise ForbiddenError(code="forbidden", details={"accion": action.value})
