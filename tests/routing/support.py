"""Factories of the routing service tests: a small directory and the events of a signed oficio."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from signum.contracts import Actor
from signum.contracts.directory import (
    DependenciaPayload,
    FuncionarioPayload,
    PuestoPayload,
    SuplenciaPayload,
    UnidadPayload,
)
from signum.contracts.drafting import (
    Addressee,
    OficioCreated,
    OficioCreatedPayload,
    OficioFinalized,
    OficioFinalizedPayload,
    SignerSlot,
    StoredObject,
)
from signum.contracts.envelope import uuid7
from signum.contracts.signing import (
    AcuseReceiver,
    AcuseSealed,
    AcuseSealedPayload,
    DocumentRenewed,
    DocumentRenewedPayload,
    OficioSigned,
    OficioSignedPayload,
    SignerCertificate,
)
from signum.platform.directory import DirectoryReadModel
from signum.platform.errors import UnavailableError
from signum.platform.identity import Caller

# Unit EGR: titular 70001 <- subdirector 70002 <- analista 70003; oficialía 70004. Unit ING: 80001.
PEOPLE = {
    "70001": "Lic. Ana Gómez Treviño",
    "70002": "Ing. Bruno Salinas Leal",
    "70003": "C. Carla Elizondo Cantú",
    "70004": "C. Diego Montemayor Zambrano",
    "80001": "Mtra. Elena Villarreal Sada",
    "80002": "Lic. Fernando Lozano Rocha",
    "90001": "Lic. Gabriela Quintanilla Tamez",
}
OFICIALIA = {"70004"}  # holders of the role `oficialia`


async def seed_directory(directory: DirectoryReadModel, suplente_today: bool = False) -> None:
    entities: list[tuple[str, Any]] = [
        (
            "directory.dependencia.upserted",
            DependenciaPayload(id="TES", revision=1, nombre="Tesorería Municipal"),
        ),
        (
            "directory.unidad.upserted",
            UnidadPayload(
                id="EGR",
                revision=1,
                dependencia_id="TES",
                nombre="Dirección de Egresos",
                prefijo_folio="TES/EGR",
            ),
        ),
        (
            "directory.unidad.upserted",
            UnidadPayload(
                id="ING",
                revision=1,
                dependencia_id="TES",
                nombre="Dirección de Ingresos",
                prefijo_folio="TES/ING",
            ),
        ),
        (
            "directory.unidad.upserted",
            UnidadPayload(
                id="SEC",
                revision=1,
                dependencia_id="TES",
                nombre="Secretaría Particular",
                prefijo_folio="TES/SEC",
            ),
        ),
    ]
    puestos = [
        ("EGR-TIT", "EGR", "Director de Egresos", None, True, "70001"),
        ("EGR-SUB", "EGR", "Subdirector de Egresos", "EGR-TIT", False, "70002"),
        ("EGR-ANA", "EGR", "Analista de Egresos", "EGR-SUB", False, "70003"),
        ("EGR-OFI", "EGR", "Oficialía de Partes", "EGR-TIT", False, "70004"),
        ("ING-TIT", "ING", "Directora de Ingresos", None, True, "80001"),
        ("ING-ANA", "ING", "Analista de Ingresos", "ING-TIT", False, "80002"),
        ("SEC-TIT", "SEC", "Secretaria Particular", None, True, "90001"),
    ]
    for pid, unidad, titulo, reporta, titular, holder in puestos:
        entities.append(
            (
                "directory.puesto.upserted",
                PuestoPayload(
                    id=pid,
                    revision=1,
                    unidad_id=unidad,
                    titulo=titulo,
                    reporta_a=reporta,
                    es_titular=titular,
                    funcionario_id=holder,
                ),
            )
        )
    for fid, nombre in PEOPLE.items():
        entities.append(
            (
                "directory.funcionario.upserted",
                FuncionarioPayload(
                    id=fid,
                    revision=1,
                    nombre=nombre,
                    correo=f"{fid}@monterrey.gob.mx",
                    rfc="GOTA800101AB1",
                    curp="GOTA800101MNLMRN01",
                    roles=["oficialia"] if fid in OFICIALIA else [],
                ),
            )
        )
    for type_, payload in entities:
        await directory.upsert(type_, payload)


async def add_suplencia(directory: Any, puesto: str, suplente: str) -> None:
    today = date.today()
    await directory.upsert(
        "directory.suplencia.upserted",
        SuplenciaPayload(
            id=f"sup-{puesto}",
            revision=1,
            puesto_id=puesto,
            suplente_id=suplente,
            desde=today - timedelta(days=3),
            hasta=today + timedelta(days=3),
            motivo="Vacaciones",
        ),
    )


def official(fid: str, unidad: str = "EGR", roles: frozenset[str] = frozenset()) -> Caller:
    return Caller(kind="official", id=fid, nombre=PEOPLE.get(fid, fid), unidad_id=unidad, roles=roles)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def created(oficio_id: str, author: str = "90001", office: str = "SEC") -> OficioCreated:
    return OficioCreated(
        oficio_id=oficio_id,
        correlation_id=f"c-{oficio_id}",
        actor=Actor(kind="official", id=author),
        payload=OficioCreatedPayload(
            kind="oficio",
            asunto="Informe de ingresos del tercer trimestre",
            office_id=office,
            author_id=author,
        ),
    )


def finalized(
    oficio_id: str,
    destinatarios: list[str],
    *,
    folio: str = "TES/SEC/0001/2026",
    signer: str = "90001",
    office: str = "SEC",
    prioridad: str = "ordinaria",
    fecha_limite: date | None = None,
    en_respuesta_a: str | None = None,
    asunto: str = "Informe de ingresos del tercer trimestre",
    para: list[Addressee] | None = None,
    ccp: list[Addressee] | None = None,
) -> OficioFinalized:
    doc = StoredObject(bucket="documents", clave=f"k/{oficio_id}", sha256=_sha(oficio_id), tamano=100)
    return OficioFinalized(
        oficio_id=oficio_id,
        correlation_id=f"c-{oficio_id}",
        actor=Actor(kind="official", id=signer),
        payload=OficioFinalizedPayload(
            folio=folio,
            consecutivo=1,
            anio=2026,
            unidad_id=office,
            kind="oficio",
            asunto=asunto,
            plantilla_id="municipal-homologado",
            plantilla_version=1,
            version=2,
            documento=doc,
            paginas=1,
            firmantes=[
                SignerSlot(
                    orden=1,
                    funcionario_id=signer,
                    nombre=PEOPLE.get(signer, signer),
                    campo="firma-1",
                    pagina=1,
                )
            ],
            destinatarios=destinatarios,
            prioridad=prioridad,
            fecha_limite_respuesta=fecha_limite.isoformat() if fecha_limite else None,
            en_respuesta_a=en_respuesta_a,
            para=para,
            ccp=ccp,
        ),
    )


def signed(oficio_id: str, folio: str = "TES/SEC/0001/2026") -> OficioSigned:
    doc = StoredObject(bucket="documents", clave=f"k/{oficio_id}-f", sha256=_sha(oficio_id + "f"), tamano=120)
    return OficioSigned(
        oficio_id=oficio_id,
        correlation_id=f"c-{oficio_id}",
        actor=Actor(kind="official", id="90001"),
        payload=OficioSignedPayload(
            folio=folio,
            documento=doc,
            firmantes=[
                SignerCertificate(
                    nombre="GABRIELA QUINTANILLA",
                    rfc="QUTG800101AB1",
                    numero_certificado="30001000000500003416",
                )
            ],
            firmado_en=datetime.now(UTC),
        ),
    )


def new_id() -> str:
    return str(uuid7())


class FakeSigning:
    """Stands in for signing's `POST /internal/acuses` in service tests (the e2e uses the real one)."""

    def __init__(self) -> None:
        self.up = True
        self.calls: list[dict[str, Any]] = []

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if not self.up:
            raise UnavailableError(
                "El servicio de firma electrónica no responde.", code="signing_unavailable"
            )
        assert (method, path) == ("POST", "/internal/acuses")
        body = kwargs["json"]
        self.calls.append(body)
        digest = _sha(body["entrega_id"])  # what signing answers: key, hash and verification link
        return {
            "clave": f"acuses/{digest}.pdf",
            "sha256": digest,
            "url_verificacion": f"https://x/verificar/{digest}",
        }


def acuse_sealed(request: dict[str, Any]) -> AcuseSealed:
    """The `acuse.sealed` signing emits for one `POST /internal/acuses` (as FakeSigning answers it)."""
    digest = _sha(request["entrega_id"])
    return AcuseSealed(
        oficio_id=request["oficio_id"],
        correlation_id=f"c-{request['entrega_id']}",
        actor=Actor.system("signing"),
        payload=AcuseSealedPayload(
            entrega_id=request["entrega_id"],
            folio=request["folio"],
            recibido_por=AcuseReceiver(**request["recibido_por"]),
            unidad_id=request["unidad"]["unidad_id"],
            dependencia=request["unidad"]["dependencia"],
            recibido_en=datetime.fromisoformat(request["recibido_en"]),
            documento=StoredObject(
                bucket="documents", clave=f"acuses/{digest}.pdf", sha256=digest, tamano=100
            ),
            sello=SignerCertificate(nombre="SELLO", rfc="XAXX010101000", numero_certificado="1"),
            nivel="B-T",
            url_verificacion=f"https://x/verificar/{digest}",
        ),
    )


def renewed(
    oficio_id: str, documento_id: str, tipo: str, anterior: StoredObject, label: str
) -> DocumentRenewed:
    """The `document.renewed` signing's archive renewal emits for a stored signed PDF."""
    now = datetime.now(UTC)
    nuevo = StoredObject(
        bucket="documents", clave=f"k/{label}", sha256=_sha(label), tamano=anterior.tamano + 9000
    )
    return DocumentRenewed(
        oficio_id=oficio_id,
        correlation_id=f"c-{label}",
        actor=Actor.system("signing"),
        payload=DocumentRenewedPayload(
            documento_id=documento_id,
            tipo=tipo,  # type: ignore[arg-type]
            motivo="sin_sello_de_archivo",
            documento_anterior=anterior,
            documento=nuevo,
            sellos_de_archivo=1,
            sellado_en=now,
        ),
    )
