"""Events of the signing service (topic `signum.signing`, keyed by the oficio)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from signum.contracts.drafting import StoredObject
from signum.contracts.envelope import Event, EventModel
from signum.contracts.topics import Topic


class SignerCertificate(EventModel):
    """What the signer's e.firma certificate says (never the key)."""

    nombre: str = Field(min_length=1, max_length=300)
    rfc: str = Field(min_length=12, max_length=13)
    curp: str | None = Field(default=None, max_length=18)
    numero_certificado: str = Field(min_length=1, max_length=40, description="SAT certificate number.")


class SignatureAddedPayload(EventModel):
    """One signature embedded in the oficio's PDF (an incremental update)."""

    orden: int = Field(ge=1, description="Position of this signer in the order fixed at finalization.")
    funcionario_id: str | None = Field(default=None, max_length=128, description="Directory id.")
    campo: str = Field(min_length=1, max_length=64, description="Signature field of the PDF.")
    certificado: SignerCertificate
    cargo: str = Field(default="", max_length=300)
    en_ausencia_de: str | None = Field(default=None, max_length=300)
    metodo: Literal["navegador", "credencial", "sello"] = Field(
        description="Where the key was: the browser, one API call, or a PKCS#11 seal."
    )
    nivel: Literal["B-B", "B-T", "B-LT", "B-LTA"] = Field(description="PAdES baseline level.")
    firmado_en: AwareDatetime
    documento: StoredObject = Field(description="The PDF with this signature (bucket documents).")
    pendientes: int = Field(ge=0, description="Signatures still missing after this one.")


class SignatureAdded(Event):
    """A signer signed the oficio.

    Produced by signing after the signed PDF is stored. Consumed by routing (timeline, next signer's
    inbox), storage (audit log) and metrics (signing times).
    """

    topic: ClassVar[Topic] = Topic.SIGNING

    type: Literal["signature.added"] = "signature.added"
    version: Literal[1] = 1
    producer: str = "signing"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: SignatureAddedPayload


class OficioSignedPayload(EventModel):
    """The oficio with every required signature, in order."""

    folio: str = Field(min_length=1, max_length=100)
    documento: StoredObject = Field(description="The fully signed PDF (bucket documents).")
    firmantes: list[SignerCertificate] = Field(min_length=1, max_length=12, description="In signing order.")
    firmado_en: AwareDatetime = Field(description="Time of the last signature.")


class OficioSigned(Event):
    """Every required signature is in place (state `firmado`): the oficio can be sent.

    Produced by signing. Consumed by routing (delivery to recipients), drafting (the oficio's state
    becomes `firmado`), storage (audit log) and metrics.
    """

    topic: ClassVar[Topic] = Topic.SIGNING

    type: Literal["oficio.signed"] = "oficio.signed"
    version: Literal[1] = 1
    producer: str = "signing"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: OficioSignedPayload


class SignatureRefusedPayload(EventModel):
    """Why a credential could not sign the oficio (stable code, Spanish message; no secrets)."""

    codigo: str = Field(min_length=1, max_length=100, description="e.g. `credential_expired`.")
    mensaje: str = Field(min_length=1, max_length=1000, description="Spanish text shown to the signer.")
    funcionario_id: str | None = Field(default=None, max_length=128)
    orden: int | None = Field(default=None, ge=1)
    rfc: str | None = Field(default=None, max_length=13)
    numero_certificado: str | None = Field(default=None, max_length=40)


class SignatureRefused(Event):
    """A signer's credential was refused (expired, revoked, CSD, wrong password, untrusted...).

    Produced by signing (the signer reads why in the answer to the signing request). Consumed by
    storage (audit log) and metrics (refusals by code).
    """

    topic: ClassVar[Topic] = Topic.SIGNING

    type: Literal["signature.refused"] = "signature.refused"
    version: Literal[1] = 1
    producer: str = "signing"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: SignatureRefusedPayload


class AcuseReceiver(EventModel):
    """The official who received the oficio."""

    funcionario_id: str = Field(min_length=1, max_length=128, description="Directory id.")
    nombre: str = Field(min_length=1, max_length=300)
    cargo: str = Field(default="", max_length=300)


class AcuseSealedPayload(EventModel):
    """An acuse de recibo rendered and sealed with the receiving dependencia's institutional seal."""

    entrega_id: str = Field(min_length=1, max_length=128, description="The delivery it acknowledges.")
    folio: str = Field(min_length=1, max_length=100)
    recibido_por: AcuseReceiver
    unidad_id: str = Field(min_length=1, max_length=128)
    dependencia: str = Field(min_length=1, max_length=300)
    recibido_en: AwareDatetime
    documento: StoredObject = Field(description="The sealed acuse PDF (bucket documents).")
    sello: SignerCertificate = Field(description="The institutional seal's certificate.")
    nivel: Literal["B-B", "B-T", "B-LT", "B-LTA"] = Field(description="PAdES baseline level.")
    url_verificacion: str = Field(min_length=1, max_length=500, description="The public page (QR).")


class AcuseSealed(Event):
    """The acuse de recibo of one delivery is sealed and stored (once per `entrega_id`).

    Produced by signing when routing asks for the acuse (`POST /internal/acuses`). Consumed by
    metrics (time to acuse), routing (the delivery's timeline) and storage (audit log).
    """

    topic: ClassVar[Topic] = Topic.SIGNING

    type: Literal["acuse.sealed"] = "acuse.sealed"
    version: Literal[1] = 1
    producer: str = "signing"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: AcuseSealedPayload


class DocumentRenewedPayload(EventModel):
    """A stored signed document with a new document timestamp over it (PAdES B-LTA)."""

    documento_id: str = Field(
        min_length=1, max_length=160, description="Verification id: the oficio's id or `acuse-<entrega_id>`."
    )
    tipo: Literal["oficio", "acuse"] = Field(description="Which signed document of the oficio it is.")
    motivo: Literal["sin_sello_de_archivo", "certificado_por_vencer", "algoritmo_por_debilitarse"] = Field(
        description="Its first document timestamp, or the last one's TSA certificate or algorithms "
        "ending within the configured horizon."
    )
    documento_anterior: StoredObject = Field(description="The version it replaces (kept in storage).")
    documento: StoredObject = Field(description="The renewed PDF (bucket documents): now the current one.")
    nivel: Literal["B-LTA"] = Field(default="B-LTA", description="PAdES baseline level.")
    sellos_de_archivo: int = Field(ge=1, description="Document timestamps the PDF now carries.")
    sellado_en: AwareDatetime
    protegido_hasta: AwareDatetime | None = Field(
        default=None,
        description="When the new timestamp's certificate expires or its algorithms weaken, "
        "whichever is first (None: neither is dated).",
    )


class DocumentRenewed(Event):
    """A stored signed document (an oficio's signed PDF or a sealed acuse) was re-timestamped for
    long-term validity: the validation data of its last timestamp and a new document timestamp were
    added, as a new object in the documents bucket; the old one stays.

    Produced by signing's archive renewal job (`signum.signing.renewal`). Consumed by routing (the
    PDF recipients open becomes this version), storage (audit log) and metrics (no milestone: it
    changes none).
    """

    topic: ClassVar[Topic] = Topic.SIGNING

    type: Literal["document.renewed"] = "document.renewed"
    version: Literal[1] = 1
    producer: str = "signing"
    oficio_id: str = Field(min_length=1, max_length=64)
    payload: DocumentRenewedPayload


SIGNING_EVENTS: tuple[type[Event], ...] = (
    SignatureAdded,
    OficioSigned,
    SignatureRefused,
    AcuseSealed,
    DocumentRenewed,
)

__all__ = [
    "SIGNING_EVENTS",
    "AcuseReceiver",
    "AcuseSealed",
    "AcuseSealedPayload",
    "DocumentRenewed",
    "DocumentRenewedPayload",
    "OficioSigned",
    "OficioSignedPayload",
    "SignatureAdded",
    "SignatureAddedPayload",
    "SignatureRefused",
    "SignatureRefusedPayload",
    "SignerCertificate",
]
