"""Every event type as a person reads it in an oficio's history (Spanish), for routing and storage."""

from __future__ import annotations

from typing import Any

EVENT_DESCRIPTIONS: dict[str, str] = {
    "oficio.created": "Se creó el borrador del oficio",
    "oficio.updated": "Se modificó el borrador",
    "oficio.review_requested": "Se envió a revisión",
    "oficio.reviewed": "Se revisó el oficio",
    "oficio.finalized": "Quedó listo para firma (folio asignado, PDF final)",
    "oficio.cancelled": "Se canceló el oficio",
    "signature.added": "Se agregó una firma electrónica (e.firma)",
    "signature.refused": "Se rechazó un intento de firma",
    "oficio.signed": "Quedó firmado por todos sus firmantes",
    "oficio.dispatched": "Se envió a sus destinatarios",
    "delivery.created": "Llegó a una bandeja de entrada",
    "delivery.acknowledged": "Se acusó de recibido",
    "acuse.sealed": "Se selló el acuse de recibo",
    "document.renewed": "Se agregó un sello de tiempo de archivo para su validez a largo plazo",
    "delivery.forwarded": "Se turnó con instrucciones",
    "delivery.closed": "Se dio por atendida una entrega",
    "oficio.answered": "Se respondió con otro oficio",
    "deadline.overdue": "Venció el plazo de respuesta",
    "object.stored": "Se guardó un archivo",
    "object.retention_expiring": "Un archivo se acerca al fin de su plazo de conservación",
    "directory.dependencia.upserted": "Se actualizó una dependencia del directorio",
    "directory.unidad.upserted": "Se actualizó una unidad del directorio",
    "directory.puesto.upserted": "Se actualizó un puesto del directorio",
    "directory.funcionario.upserted": "Se actualizó un funcionario del directorio",
    "directory.suplencia.upserted": "Se actualizó una suplencia del directorio",
}
PAPER_REGISTRATION = "Se registró en oficialía de partes (documento recibido en papel)"


def describe_event(event_type: str, payload: dict[str, Any] | None = None) -> str:
    """What an event means, in Spanish, for a person reading an oficio's history.

    `payload` tells a paper document registered by the oficialía de partes (its `oficio.dispatched`
    has deliveries with motivo `registro`) from an oficio sent through Signum.
    """
    if event_type == "oficio.dispatched" and any(
        e.get("motivo") == "registro" for e in (payload or {}).get("entregas") or []
    ):
        return PAPER_REGISTRATION
    return EVENT_DESCRIPTIONS.get(event_type, "Evento del sistema")
