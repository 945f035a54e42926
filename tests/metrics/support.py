"""Factories of the metrics tests: the events of one oficio's life, at chosen times."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from signum.contracts import Actor, Event
from signum.contracts.drafting import (
    Addressee,
    OficioCreated,
    OficioCreatedPayload,
    OficioFinalized,
    OficioFinalizedPayload,
    OficioReviewed,
    OficioReviewedPayload,
    OficioReviewRequested,
    OficioReviewRequestedPayload,
    SignerSlot,
    StoredObject,
)
from signum.contracts.routing import (
    DeadlineOverdue,
    DeadlineOverduePayload,
    DeliveryAcknowledged,
    DeliveryAcknowledgedPayload,
    DeliveryClosed,
    DeliveryClosedPayload,
    DeliveryCreated,
    DeliveryCreatedPayload,
    DeliveryForwarded,
    DeliveryForwardedPayload,
    DispatchedDelivery,
    OficioAnswered,
    OficioAnsweredPayload,
    OficioDispatched,
    OficioDispatchedPayload,
    Turno,
)
from signum.contracts.signing import (
    OficioSigned,
    OficioSignedPayload,
    SignatureAdded,
    SignatureAddedPayload,
    SignerCertificate,
)

MTY = dt.timezone(dt.timedelta(hours=-6))  # America/Monterrey has no daylight saving time since 2022


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An instant in Monterrey (`day` is ISO), in UTC as events carry it."""
    return dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=MTY).astimezone(dt.UTC)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _doc(name: str) -> StoredObject:
    return StoredObject(bucket="documents", clave=f"k/{name}", sha256=_sha(name), tamano=100)


def _cert(rfc: str = "GATA800101AB1") -> SignerCertificate:
    return SignerCertificate(nombre="FIRMANTE DE PRUEBA", rfc=rfc, numero_certificado="30001000000500003416")


@dataclass
class Life:
    """The events of one oficio, built step by step (each step at a given instant)."""

    oficio_id: str
    unidad: str = "EGR"
    autor: str = "70003"
    events: list[Event] = field(default_factory=list)

    def _env(self, actor: str = "") -> dict[str, Any]:
        return {
            "oficio_id": self.oficio_id,
            "correlation_id": f"c-{self.oficio_id}",
            "actor": Actor(kind="official", id=actor or self.autor),
        }

    def created(self, when: dt.datetime) -> Life:
        payload = OficioCreatedPayload(
            kind="oficio", asunto="Asunto", office_id=self.unidad, author_id=self.autor
        )
        self.events.append(OficioCreated(occurred_at=when, payload=payload, **self._env()))
        return self

    def review(self, asked: dt.datetime, approved: dt.datetime, reviewer: str = "70002") -> Life:
        self.events.append(
            OficioReviewRequested(
                occurred_at=asked,
                payload=OficioReviewRequestedPayload(revisores=[reviewer], version=1),
                **self._env(),
            )
        )
        verdict = OficioReviewedPayload(
            revisor_id=reviewer, resultado="visto_bueno", version=1, status="borrador", pendientes=[]
        )
        self.events.append(OficioReviewed(occurred_at=approved, payload=verdict, **self._env(reviewer)))
        return self

    def finalized(
        self,
        when: dt.datetime,
        signers: list[str],
        *,
        paginas: int = 2,
        para: int = 1,
        ccp: int = 0,
        fecha_limite: dt.date | None = None,
    ) -> Life:
        payload = OficioFinalizedPayload(
            folio=f"TES/{self.unidad}/0001/2026",
            consecutivo=1,
            anio=2026,
            unidad_id=self.unidad,
            kind="oficio",
            asunto="Asunto",
            plantilla_id="municipal-homologado",
            plantilla_version=1,
            version=1,
            documento=_doc(self.oficio_id),
            paginas=paginas,
            firmantes=[
                SignerSlot(orden=n, funcionario_id=s, nombre=s, campo=f"firma-{n}", pagina=1)
                for n, s in enumerate(signers, start=1)
            ],
            para=[Addressee(tipo="funcionario", id=f"p{n}") for n in range(para)],
            ccp=[Addressee(tipo="funcionario", id=f"c{n}") for n in range(ccp)],
            fecha_limite_respuesta=fecha_limite.isoformat() if fecha_limite else None,
        )
        self.events.append(OficioFinalized(occurred_at=when, payload=payload, **self._env()))
        return self

    def signature(self, when: dt.datetime, orden: int, signer: str, pendientes: int) -> Life:
        payload = SignatureAddedPayload(
            orden=orden,
            funcionario_id=signer,
            campo=f"firma-{orden}",
            certificado=_cert(),
            metodo="credencial",
            nivel="B-T",
            firmado_en=when,
            documento=_doc(f"{self.oficio_id}-{orden}"),
            pendientes=pendientes,
        )
        self.events.append(SignatureAdded(occurred_at=when, payload=payload, **self._env(signer)))
        if pendientes == 0:
            signed = OficioSignedPayload(
                folio="F", documento=_doc(f"{self.oficio_id}-s"), firmantes=[_cert()], firmado_en=when
            )
            self.events.append(OficioSigned(occurred_at=when, payload=signed, **self._env(signer)))
        return self

    def dispatched(self, when: dt.datetime, deliveries: list[dict[str, Any]]) -> Life:
        """`deliveries`: dicts with entrega_id, motivo, funcionario_id, unidad_id, fecha_limite."""
        entregas = [
            DispatchedDelivery(
                entrega_id=d["entrega_id"],
                motivo=d["motivo"],
                funcionario_id=d.get("funcionario_id"),
                unidad_id=d.get("unidad_id"),
            )
            for d in deliveries
        ]
        payload = OficioDispatchedPayload(
            folio="F", asunto="Asunto", unidad_id=self.unidad, entregas=entregas
        )
        self.events.append(OficioDispatched(occurred_at=when, payload=payload, **self._env("routing")))
        for d in deliveries:
            self.delivery(when, **d)
        return self

    def delivery(
        self,
        when: dt.datetime,
        *,
        entrega_id: str,
        motivo: str,
        funcionario_id: str | None = None,
        unidad_id: str | None = None,
        fecha_limite: dt.date | None = None,
        padre_id: str | None = None,
    ) -> Life:
        payload = DeliveryCreatedPayload(
            entrega_id=entrega_id,
            motivo=motivo,
            funcionario_id=funcionario_id,
            unidad_id=unidad_id,
            padre_id=padre_id,
            folio="F",
            asunto="Asunto",
            fecha_limite=fecha_limite,
        )
        self.events.append(DeliveryCreated(occurred_at=when, payload=payload, **self._env("routing")))
        return self

    def acknowledged(self, when: dt.datetime, entrega_id: str, by: str) -> Life:
        payload = DeliveryAcknowledgedPayload(
            entrega_id=entrega_id, recibido_por=by, recibido_en=when, forma="explicita"
        )
        self.events.append(DeliveryAcknowledged(occurred_at=when, payload=payload, **self._env(by)))
        return self

    def forwarded(
        self, when: dt.datetime, entrega_id: str, by: str, to: str, child: str, unidad: str
    ) -> Life:
        payload = DeliveryForwardedPayload(
            entrega_id=entrega_id,
            turnado_por=by,
            turnos=[Turno(entrega_id=child, funcionario_id=to)],
            instruccion="para_su_atencion",
        )
        self.events.append(DeliveryForwarded(occurred_at=when, payload=payload, **self._env(by)))
        return self.delivery(
            when, entrega_id=child, motivo="turno", funcionario_id=to, unidad_id=unidad, padre_id=entrega_id
        )

    def answered(self, when: dt.datetime, entrega_id: str, by: str) -> Life:
        self.events.append(
            OficioAnswered(
                occurred_at=when,
                payload=OficioAnsweredPayload(
                    entrega_id=entrega_id, respuesta_oficio_id="R", respuesta_folio="R/1"
                ),
                **self._env("routing"),
            )
        )
        closed = DeliveryClosedPayload(entrega_id=entrega_id, estado="respondido", cerrado_por=by)
        self.events.append(DeliveryClosed(occurred_at=when, payload=closed, **self._env(by)))
        return self

    def concluded(self, when: dt.datetime, entrega_id: str, by: str) -> Life:
        closed = DeliveryClosedPayload(
            entrega_id=entrega_id, estado="concluido", motivo="Atendido", cerrado_por=by
        )
        self.events.append(DeliveryClosed(occurred_at=when, payload=closed, **self._env(by)))
        return self

    def overdue(self, when: dt.datetime, entrega_id: str, limite: dt.date) -> Life:
        payload = DeadlineOverduePayload(entrega_id=entrega_id, fecha_limite=limite)
        self.events.append(DeadlineOverdue(occurred_at=when, payload=payload, **self._env("routing")))
        return self
