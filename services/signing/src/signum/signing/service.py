"""Signing's use cases: verify, sign with a credential (one call or a batch), the browser path, and
the signing state of each finalized oficio (signers in order, events through the outbox).

The private key only lives inside `sign_with_credential` / `sign_batch`: it is unlocked, used and
closed within the call, never stored, logged or put on an event.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol
from uuid import uuid4

import httpx
from asn1crypto import algos, tsp
from asn1crypto import x509 as asn1_x509
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from signum.contracts import Actor, Event
from signum.contracts.drafting import OficioFinalized, StoredObject
from signum.contracts.signing import (
    AcuseReceiver,
    AcuseSealed,
    AcuseSealedPayload,
    OficioSigned,
    OficioSignedPayload,
    SignatureAdded,
    SignatureAddedPayload,
    SignatureRefused,
    SignatureRefusedPayload,
    SignerCertificate,
)
from signum.platform import verification_code
from signum.platform.errors import (
    ConflictError,
    NotFoundError,
    SignumError,
    UnavailableError,
    ValidationFailedError,
)
from signum.platform.http import (
    CALLER_HEADER,
    CORRELATION_HEADER,
    INTERNAL_TOKEN_HEADER,
    internal_limits,
    segment,
)
from signum.platform.identity import Caller
from signum.platform.logging import get_logger
from signum.platform.policy import Action, OficioAccess, authorize
from signum.platform.verification_code import short_code
from signum.platform.workers import Workers
from signum.signing import acuse, errors, pades, verification
from signum.signing.credentials import (
    Credential,
    TrustPolicy,
    check_certificate,
    load_credential,
    read_certificate,
)
from signum.signing.domain import CERTIFICATE_STATUS_TEXT, CertificateInfo, VerificationReport
from signum.signing.pades import PreparedSignature, SignatureRequest, Timestamper
from signum.signing.seals import SealKeyring
from signum.signing.tsa import TimestampAuthority

log = get_logger(__name__)

SIGNATURE_ALGORITHM = "RSASSA-PKCS1-v1_5/SHA-256"
ACUSE_PREFIX = "acuse-"  # verification ids of acuses: `acuse-<entrega_id>` (oficios use their id)


class AcuseReceiverIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    funcionario_id: str = Field(min_length=1, max_length=128)
    nombre: str = Field(min_length=1, max_length=300)
    cargo: str = Field(default="", max_length=300)


class AcuseUnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    unidad_id: str = Field(min_length=1, max_length=128)
    nombre: str = Field(min_length=1, max_length=300)
    dependencia: str = Field(min_length=1, max_length=300)


class AcuseRequest(BaseModel):
    """`POST /internal/acuses`: what routing knows about a delivery when its recipient receives it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    oficio_id: str = Field(min_length=1, max_length=64)
    entrega_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
    folio: str = Field(min_length=1, max_length=100)
    asunto: str = Field(min_length=1, max_length=1000)
    recibido_por: AcuseReceiverIn
    unidad: AcuseUnitIn
    recibido_en: AwareDatetime


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _acuse_json(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "clave": document["documento"]["clave"],
        "sha256": document["documento"]["sha256"],
        "url_verificacion": document["url_verificacion"],
    }


class LocalTimestamper(Timestamper):
    """The development TSA of this process, asked in-process instead of over HTTP."""

    def __init__(self, authority: TimestampAuthority, url: str) -> None:
        super().__init__(url)
        self.authority = authority

    async def token(self, signature: bytes) -> bytes:
        request = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                    "hashed_message": hashlib.sha256(signature).digest(),
                },
                "nonce": secrets.randbits(63),
                "cert_req": True,
            }
        )
        reply = tsp.TimeStampResp.load(self.authority.respond(request.dump()))
        if reply["status"]["status"].native != "granted":
            raise errors.TimestampUnavailableError()
        return bytes(reply["time_stamp_token"].dump())


def report_json(report: VerificationReport) -> dict[str, Any]:
    """The verification report as the API answers it (Spanish keys and summaries)."""

    def when(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat() if value is not None else None

    return {
        "sha256": report.sha256,
        "valida": report.valid,
        "resumen": report.summary,
        "firmas": [
            {
                "campo": s.field_name,
                "valida": s.valid,
                "integra": s.intact,
                "firma_valida": s.signature_valid,
                "nombre": s.signer_name,
                "rfc": s.rfc,
                "curp": s.curp,
                "cargo": s.title,
                "en_ausencia_de": s.on_behalf_of,
                "numero_certificado": s.certificate_number,
                "estado_certificado": s.certificate_status.value,
                "estado_certificado_texto": CERTIFICATE_STATUS_TEXT[s.certificate_status],
                "fecha_firma": when(s.signing_time),
                "fecha_sello_tiempo": when(s.timestamp_time),
                "nivel_pades": s.pades_level.value,
                # EU DSS's terms (ETSI EN 319 102-1): TOTAL_PASSED / INDETERMINATE / TOTAL_FAILED
                "indicacion": s.verdict.indication.value if s.verdict else None,
                "subindicacion": s.verdict.subindication if s.verdict else None,
                "motivo": s.verdict.reason if s.verdict else None,
                "cubre_todo_el_documento": s.covers_whole_document,
                "modificado_despues": s.modified_after,
                "cambios_posteriores": s.changes_after,
                "resumen": s.summary,
            }
            for s in report.signatures
        ],
    }


def signer_json(info: CertificateInfo) -> dict[str, Any]:
    return {
        "nombre": info.name,
        "rfc": info.rfc,
        "curp": info.curp,
        "numero_certificado": info.certificate_number,
        "vigente_hasta": info.not_after.astimezone(UTC).isoformat(),
    }


def _verify_blocking(pdf: bytes, trust: TrustPolicy) -> VerificationReport:
    return asyncio.run(verification.verify_pdf(pdf, trust))


@dataclass
class SigningEngine:
    """The engine with this deployment's trust roots, TSA and public URL."""

    trust: TrustPolicy
    timestamper: Timestamper | None
    public_url: str
    max_pdf_bytes: int = 30 * 1024 * 1024
    # Verifying parses the PDF, inflates its streams and compares its revisions: CPU work that runs
    # in these threads (with an event loop of their own), never on the service's loop.
    workers: Workers = field(default_factory=lambda: Workers("verify"))

    def level(self, revocation_checked: bool = False) -> Literal["B-B", "B-T", "B-LT"]:
        """The PAdES level a signature made now gets (B-LT needs the signer's revocation data)."""
        if self.timestamper is None:
            return "B-B"
        return "B-LT" if revocation_checked else "B-T"

    def check_size(self, pdf: bytes) -> None:
        if not pdf:
            raise errors.PdfInvalidError("No se recibió ningún PDF.")
        if len(pdf) > self.max_pdf_bytes:
            raise errors.pdf_limit(self.max_pdf_bytes).error()

    async def verify(self, pdf: bytes) -> dict[str, Any]:
        self.check_size(pdf)
        return report_json(await self.workers.run(_verify_blocking, pdf, self.trust))

    async def unlock(self, cer: bytes, key: bytes, password: str) -> Credential:
        return await load_credential(cer, key, password, trust=self.trust)

    async def sign(self, pdf: bytes, credential: Credential, request: SignatureRequest) -> bytes:
        self.check_size(pdf)
        return await pades.sign_pdf(
            pdf, credential, request, timestamper=self.timestamper, long_term=self.trust
        )

    async def prepare(
        self, pdf: bytes, cer: bytes, request: SignatureRequest
    ) -> tuple[PreparedSignature, CertificateInfo]:
        self.check_size(pdf)
        check = await check_certificate(read_certificate(cer), self.trust)
        prepared = pades.prepare_signature(
            pdf,
            read_certificate(cer),
            request,
            chain=check.chain,
            timestamp=self.timestamper is not None,
        )
        return prepared, check.info

    async def complete(
        self, prepared: PreparedSignature, signature: bytes
    ) -> tuple[bytes, CertificateInfo, bool]:
        certificate = asn1_x509.Certificate.load(prepared.certificate)
        check = await check_certificate(certificate, self.trust)  # revoked since it was prepared?
        signed = await pades.complete_signature(
            prepared, signature, timestamper=self.timestamper, long_term=self.trust, check=check
        )
        return signed, check.info, check.revocation_checked


class ObjectStore(Protocol):
    """Storage's internal API as signing uses it."""

    async def fetch(self, clave: str) -> bytes: ...

    async def store(self, oficio_id: str, pdf: bytes, *, correlation_id: str) -> dict[str, Any]: ...


class Directory(Protocol):
    """Signing's read model of the directory (signum.platform.directory.DirectoryReadModel)."""

    async def funcionario(self, funcionario_id: str) -> Any: ...


class PendingRepository(Protocol):
    async def get(self, oficio_id: str) -> dict[str, Any] | None: ...

    async def record_signature(
        self, oficio_id: str, orden: int, fields: dict[str, Any], firma: dict[str, Any], events: list[Event]
    ) -> bool: ...

    async def record_refusal(self, oficio_id: str, events: list[Event]) -> None: ...

    async def save_prepared(self, document: dict[str, Any]) -> None: ...

    async def take_prepared(self, prepared_id: str) -> dict[str, Any] | None: ...

    async def get_prepared(self, prepared_id: str) -> dict[str, Any] | None: ...

    async def get_acuse(self, entrega_id: str) -> dict[str, Any] | None: ...

    async def awaiting(self, funcionario_id: str, limit: int = 200) -> list[dict[str, Any]]: ...

    async def insert_acuse(self, document: dict[str, Any], events: list[Event]) -> bool: ...

    async def remember_code(self, document_id: str) -> None: ...

    async def resolve_code(self, code: str) -> list[str]: ...


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _revocation_checked(credential: Credential) -> bool:
    return credential.check is not None and credential.check.revocation_checked


def _certificate(info: CertificateInfo) -> SignerCertificate:
    return SignerCertificate(
        nombre=info.name, rfc=info.rfc, curp=info.curp, numero_certificado=info.certificate_number
    )


class SigningService:
    """Who signs which oficio when, and what that emits."""

    def __init__(
        self,
        engine: SigningEngine,
        repository: PendingRepository,
        storage: ObjectStore | None,
        *,
        prepared_ttl: timedelta = timedelta(minutes=15),
        notify: Any = None,
        seals: SealKeyring | None = None,
        directory: Directory | None = None,
    ) -> None:
        self.seals = seals
        self.directory = directory
        self.engine = engine
        self.repository = repository
        self.storage = storage
        self.prepared_ttl = prepared_ttl
        self._notify = notify

    # --- read model of finalized oficios -------------------------------------------------------

    async def pending(self, caller: Caller, oficio_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The oficio's signing state and the next signer's slot, if the caller may sign it now."""
        doc = await self.repository.get(oficio_id)
        firmantes = frozenset(
            s["funcionario_id"] for s in (doc or {}).get("firmantes", []) if s.get("funcionario_id")
        )
        access = OficioAccess(
            unidad_id=(doc or {}).get("unidad_id", ""),
            confidencialidad=(doc or {}).get("confidencialidad", "publica"),
            firmantes=firmantes,
        )
        authorize(caller, Action.OFICIO_FIRMAR, access)
        if doc is None:
            raise NotFoundError("El oficio no está listo para firma.", code="oficio_not_ready")
        if doc.get("estado") == "cancelado":
            raise ConflictError("El oficio fue cancelado; ya no se puede firmar.", code="oficio_cancelled")
        if doc.get("estado") == "firmado":
            raise ConflictError("El oficio ya tiene todas sus firmas.", code="oficio_already_signed")
        slot = next(s for s in doc["firmantes"] if s["orden"] == doc["siguiente"])
        if caller.kind != "system" and slot.get("funcionario_id") != caller.id:
            raise ConflictError(
                f"Todavía no es su turno de firmar: falta la firma de {slot['nombre']}.",
                code="signature_out_of_order",
                details={"siguiente": slot["orden"], "nombre": slot["nombre"]},
            )
        return doc, slot

    async def document_to_sign(self, caller: Caller, oficio_id: str) -> dict[str, Any]:
        """The oficio's PDF as it is now (with the signatures so far), for its signers to read."""
        doc = await self.repository.get(oficio_id)
        firmantes = frozenset(
            s["funcionario_id"] for s in (doc or {}).get("firmantes", []) if s.get("funcionario_id")
        )
        access = OficioAccess(
            unidad_id=(doc or {}).get("unidad_id", ""),
            confidencialidad=(doc or {}).get("confidencialidad", "publica"),
            firmantes=firmantes,
        )
        authorize(caller, Action.OFICIO_FIRMAR, access)
        if doc is None:
            raise NotFoundError("El oficio no está listo para firma.", code="oficio_not_ready")
        pdf = await self._current_pdf(doc)
        return {
            "media_type": "application/pdf",
            "contenido": _b64(pdf),
            "sha256": doc["documento_actual"]["sha256"],
            "folio": doc.get("folio"),
        }

    def request_for(self, oficio_id: str, slot: dict[str, Any]) -> SignatureRequest:
        # No QR in each signer's block: the oficio already prints its verification box (QR code,
        # page and short code, drawn by drafting), so the block's text gets the whole width.
        return SignatureRequest(
            field_name=slot["campo"],
            title=slot.get("cargo") or None,
            on_behalf_of=slot.get("en_ausencia_de"),
            page=max(0, int(slot.get("pagina", 1)) - 1),
        )

    def free_request(self, fields: dict[str, Any]) -> SignatureRequest:
        box = fields.get("caja")
        return SignatureRequest(
            field_name=str(fields.get("campo") or "firma-1"),
            title=fields.get("cargo") or None,
            on_behalf_of=fields.get("en_ausencia_de") or None,
            qr_url=fields.get("url_verificacion") or None,
            box=tuple(int(v) for v in box) if box else None,  # type: ignore[arg-type]
            page=int(fields.get("pagina") or 0),
        )

    async def _current_pdf(self, doc: dict[str, Any]) -> bytes:
        if self.storage is None:
            raise SignumError(
                "El almacenamiento de documentos no está configurado.",
                code="storage_unavailable",
                status_code=503,
            )
        return await self.storage.fetch(doc["documento_actual"]["clave"])

    async def check_signer(self, caller: Caller, slot: dict[str, Any], info: CertificateInfo) -> None:
        """The e.firma must be the slot's official's own: its RFC is the one the directory has."""
        if self.directory is None or caller.kind == "system" or not slot.get("funcionario_id"):
            return
        official = await self.directory.funcionario(slot["funcionario_id"])
        if official is None:
            raise errors.SignerUnknownError()
        if official.rfc.strip().upper() != info.rfc.strip().upper():
            raise errors.with_details(
                errors.NotSignerError(
                    f"La e.firma es de {info.name} (RFC {info.rfc}), pero esta firma corresponde a "
                    f"{slot.get('nombre') or official.nombre} (RFC {official.rfc}). Use su propia e.firma."
                ),
                **info.summary(),
            )

    async def refuse(
        self,
        caller: Caller,
        oficio_id: str,
        slot: dict[str, Any] | None,
        error: SignumError,
        correlation_id: str,
    ) -> None:
        details = error.details or {}
        event = SignatureRefused(
            oficio_id=oficio_id,
            correlation_id=correlation_id,
            actor=caller.actor,
            payload=SignatureRefusedPayload(
                codigo=error.code,
                mensaje=error.message[:1000],
                funcionario_id=caller.id,
                orden=slot["orden"] if slot else None,
                rfc=details.get("rfc"),
                numero_certificado=details.get("numero_certificado"),
            ),
        )
        await self.repository.record_refusal(oficio_id, [event])
        self._wake()

    async def _record(
        self,
        caller: Caller,
        doc: dict[str, Any],
        slot: dict[str, Any],
        signed: bytes,
        info: CertificateInfo,
        method: Literal["navegador", "credencial", "sello"],
        correlation_id: str,
        level: Literal["B-B", "B-T", "B-LT"],
    ) -> dict[str, Any]:
        assert self.storage is not None
        oficio_id = doc["_id"]
        stored = await self.storage.store(oficio_id, signed, correlation_id=correlation_id)
        documento = StoredObject(
            bucket=stored.get("bucket", "documents"),
            clave=stored["clave"],
            sha256=stored["sha256"],
            tamano=stored["tamano"],
        )
        now = datetime.now(UTC)
        later = sorted(s["orden"] for s in doc["firmantes"] if s["orden"] > slot["orden"])
        remaining = len(later)
        certificate = _certificate(info)
        events: list[Event] = [
            SignatureAdded(
                oficio_id=oficio_id,
                correlation_id=correlation_id,
                actor=caller.actor,
                payload=SignatureAddedPayload(
                    orden=slot["orden"],
                    funcionario_id=slot.get("funcionario_id"),
                    campo=slot["campo"],
                    certificado=certificate,
                    cargo=slot.get("cargo", ""),
                    en_ausencia_de=slot.get("en_ausencia_de"),
                    metodo=method,
                    nivel=level,
                    firmado_en=now,
                    documento=documento,
                    pendientes=remaining,
                ),
            )
        ]
        firma = {
            "orden": slot["orden"],
            "funcionario_id": slot.get("funcionario_id"),
            "certificado": certificate.model_dump(),
            "metodo": method,
            "firmado_en": now,
            "documento": documento.model_dump(),
        }
        if remaining == 0:
            firmantes = [SignerCertificate(**f["certificado"]) for f in doc.get("firmas", [])] + [certificate]
            events.append(
                OficioSigned(
                    oficio_id=oficio_id,
                    correlation_id=correlation_id,
                    actor=caller.actor,
                    payload=OficioSignedPayload(
                        folio=doc["folio"], documento=documento, firmantes=firmantes, firmado_en=now
                    ),
                )
            )
        following = next((s for s in doc["firmantes"] if later and s["orden"] == later[0]), None)
        fields = {
            "documento_actual": documento.model_dump(),
            "siguiente_funcionario_id": (following or {}).get("funcionario_id"),
            "siguiente": later[0] if later else slot["orden"] + 1,
            "estado": "firmado" if remaining == 0 else "pendiente",
        }
        if not await self.repository.record_signature(oficio_id, slot["orden"], fields, firma, events):
            raise ConflictError(
                "Otra firma se registró al mismo tiempo. Vuelva a firmar el documento.",
                code="signature_conflict",
            )
        self._wake()
        return {
            "oficio_id": oficio_id,
            "orden": slot["orden"],
            "documento": documento.model_dump(),
            "pendientes": remaining,
            "completo": remaining == 0,
            "firmante": signer_json(info),
            "nivel": level,
        }

    def _wake(self) -> None:
        if self._notify is not None:
            self._notify()

    async def awaiting(self, caller: Caller) -> dict[str, Any]:
        """The caller's "Por firmar" list: oficios whose next signature is theirs, oldest first."""
        authorize(caller, Action.FIRMAS_PENDIENTES_LEER)
        if caller.kind != "official":
            return {"oficios": []}
        found = []
        for doc in await self.repository.awaiting(caller.id):
            slot = next((s for s in doc["firmantes"] if s["orden"] == doc["siguiente"]), None)
            if slot is None or slot.get("funcionario_id") != caller.id:
                continue
            found.append(
                {
                    "oficio_id": doc["_id"],
                    "folio": doc.get("folio"),
                    "asunto": doc.get("asunto"),
                    "unidad_id": doc.get("unidad_id"),
                    "orden": slot["orden"],
                    "cargo": slot.get("cargo", ""),
                    "en_ausencia_de": slot.get("en_ausencia_de"),
                    "firmas_realizadas": len(doc.get("firmas", [])),
                    "firmas_requeridas": len(doc.get("firmantes", [])),
                    "firmantes_previos": [f["certificado"]["nombre"] for f in doc.get("firmas", [])],
                    "finalizado_en": _iso(doc.get("finalizado_en")),
                    "sha256": doc["documento_actual"]["sha256"],
                }
            )
        return {"oficios": found}

    # --- one credential, one call --------------------------------------------------------------

    async def sign_with_credential(
        self,
        caller: Caller,
        *,
        cer: bytes,
        key: bytes,
        password: str,
        pdf: bytes | None = None,
        oficio_id: str | None = None,
        fields: dict[str, Any] | None = None,
        correlation_id: str = "",
    ) -> dict[str, Any]:
        """Sign a given PDF (answering the signed bytes) or the oficio's next signature."""
        correlation_id = correlation_id or uuid4().hex
        if oficio_id is None:
            if pdf is None:
                raise ValidationFailedError("Envíe el PDF a firmar o el identificador del oficio.")
            self.engine.check_size(pdf)
            with await self.engine.unlock(cer, key, password) as credential:
                signed = await self.engine.sign(pdf, credential, self.free_request(fields or {}))
                return {
                    "pdf": _b64(signed),
                    "firmante": signer_json(credential.info),
                    "nivel": self.engine.level(_revocation_checked(credential)),
                }
        doc, slot = await self.pending(caller, oficio_id)
        try:
            credential = await self.engine.unlock(cer, key, password)
        except errors.CredentialError as exc:
            await self.refuse(caller, oficio_id, slot, exc, correlation_id)
            raise
        with credential:
            try:
                await self.check_signer(caller, slot, credential.info)
            except errors.CredentialError as exc:
                await self.refuse(caller, oficio_id, slot, exc, correlation_id)
                raise
            pdf = await self._current_pdf(doc)
            signed = await self.engine.sign(pdf, credential, self.request_for(oficio_id, slot))
            info, level = credential.info, self.engine.level(_revocation_checked(credential))
        return await self._record(caller, doc, slot, signed, info, "credencial", correlation_id, level)

    async def sign_batch(
        self,
        caller: Caller,
        *,
        cer: bytes,
        key: bytes,
        password: str,
        pdfs: list[bytes] | None = None,
        oficio_ids: list[str] | None = None,
        correlation_id: str = "",
    ) -> dict[str, Any]:
        """One unlock of the credential, many documents (a director's pending oficios)."""
        correlation_id = correlation_id or uuid4().hex
        if oficio_ids:
            # Every oficio must be the caller's to sign now, before the key is even unlocked.
            pending = [await self.pending(caller, oficio_id) for oficio_id in oficio_ids]
            try:
                credential = await self.engine.unlock(cer, key, password)
            except errors.CredentialError as exc:
                for doc, slot in pending:
                    await self.refuse(caller, doc["_id"], slot, exc, correlation_id)
                raise
            results = []
            with credential:
                for doc, slot in pending:
                    try:
                        await self.check_signer(caller, slot, credential.info)
                    except errors.CredentialError as exc:
                        await self.refuse(caller, doc["_id"], slot, exc, correlation_id)
                        raise
                    try:
                        pdf = await self._current_pdf(doc)
                        signed = await self.engine.sign(pdf, credential, self.request_for(doc["_id"], slot))
                        results.append(
                            await self._record(
                                caller,
                                doc,
                                slot,
                                signed,
                                credential.info,
                                "credencial",
                                correlation_id,
                                self.engine.level(_revocation_checked(credential)),
                            )
                        )
                    except SignumError as exc:
                        results.append({"oficio_id": doc["_id"], "error": exc.to_body()})
            return {"resultados": results, "firmadas": sum(1 for r in results if "error" not in r)}
        if not pdfs:
            raise ValidationFailedError("Envíe los PDF a firmar o los identificadores de los oficios.")
        for pdf in pdfs:
            self.engine.check_size(pdf)
        with await self.engine.unlock(cer, key, password) as credential:
            signed_all = await pades.sign_batch(
                pdfs, credential, timestamper=self.engine.timestamper, long_term=self.engine.trust
            )
            return {
                "pdfs": [_b64(s) for s in signed_all],
                "firmante": signer_json(credential.info),
                "firmadas": len(signed_all),
            }

    # --- the browser path ----------------------------------------------------------------------

    async def prepare(
        self,
        caller: Caller,
        *,
        cer: bytes,
        pdf: bytes | None = None,
        oficio_id: str | None = None,
        fields: dict[str, Any] | None = None,
        correlation_id: str = "",
    ) -> dict[str, Any]:
        """Step 1: lay out the signature; answer what the browser's key must sign."""
        correlation_id = correlation_id or uuid4().hex
        slot: dict[str, Any] | None = None
        if oficio_id is not None:
            doc, slot = await self.pending(caller, oficio_id)
            pdf = await self._current_pdf(doc)
            request = self.request_for(oficio_id, slot)
        elif pdf is None:
            raise ValidationFailedError("Envíe el PDF a firmar o el identificador del oficio.")
        else:
            request = self.free_request(fields or {})
        try:
            prepared, info = await self.engine.prepare(pdf, cer, request)
            if slot is not None:
                await self.check_signer(caller, slot, info)
        except errors.CredentialError as exc:
            if oficio_id is not None:
                await self.refuse(caller, oficio_id, slot, exc, correlation_id)
            raise
        expires = datetime.now(UTC) + self.prepared_ttl
        prepared_id = uuid4().hex
        await self.repository.save_prepared(
            {
                "_id": prepared_id,
                "pdf": prepared.pdf,
                "to_be_signed": prepared.to_be_signed,
                "reserved_start": prepared.reserved_start,
                "reserved_end": prepared.reserved_end,
                "certificate": prepared.certificate,
                "chain": list(prepared.chain),
                "oficio_id": oficio_id,
                "orden": slot["orden"] if slot else None,
                "caller_id": caller.id,
                "expira": expires,
            }
        )
        return {
            "id": prepared_id,
            "to_be_signed": _b64(prepared.to_be_signed),
            "digest": _b64(prepared.digest),
            "algoritmo": SIGNATURE_ALGORITHM,
            "expira": expires.isoformat(),
            "firmante": signer_json(info),
        }

    async def complete(
        self,
        caller: Caller,
        prepared_id: str,
        signature: bytes,
        *,
        oficio_id: str | None = None,
        correlation_id: str = "",
    ) -> dict[str, Any]:
        """Step 2: check the browser's RSA signature and embed it."""
        correlation_id = correlation_id or uuid4().hex
        stored = await self.repository.get_prepared(prepared_id)
        if (
            stored is None
            or stored.get("caller_id") != caller.id
            or (oficio_id is not None and stored.get("oficio_id") != oficio_id)
        ):
            raise NotFoundError("La firma preparada no existe o ya se usó.", code="prepared_not_found")
        expires = stored["expira"]
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if expires < datetime.now(UTC):
            await self.repository.take_prepared(prepared_id)
            raise ConflictError(
                "La firma preparada expiró. Vuelva a iniciar la firma del documento.", code="prepared_expired"
            )
        prepared = PreparedSignature(
            pdf=bytes(stored["pdf"]),
            to_be_signed=bytes(stored["to_be_signed"]),
            reserved_start=stored["reserved_start"],
            reserved_end=stored["reserved_end"],
            certificate=bytes(stored["certificate"]),
            chain=tuple(bytes(c) for c in stored.get("chain", [])),
        )
        oficio_id = stored.get("oficio_id")
        doc: dict[str, Any] | None = None
        slot: dict[str, Any] | None = None
        if oficio_id is not None:
            doc, slot = await self.pending(caller, oficio_id)
            if slot["orden"] != stored.get("orden"):
                await self.repository.take_prepared(prepared_id)
                raise ConflictError(
                    "El oficio cambió desde que se preparó la firma. Vuelva a firmar.", code="prepared_stale"
                )
        try:
            signed, info, revocation_checked = await self.engine.complete(prepared, signature)
        except errors.CredentialError as exc:
            if oficio_id is not None:
                await self.refuse(caller, oficio_id, slot, exc, correlation_id)
            raise
        await self.repository.take_prepared(prepared_id)
        if doc is None or slot is None:
            return {
                "pdf": _b64(signed),
                "firmante": signer_json(info),
                "nivel": self.engine.level(revocation_checked),
            }
        return await self._record(
            caller,
            doc,
            slot,
            signed,
            info,
            "navegador",
            correlation_id,
            self.engine.level(revocation_checked),
        )

    # --- verification --------------------------------------------------------------------------

    async def verify(self, pdf: bytes) -> dict[str, Any]:
        return await self.engine.verify(pdf)

    async def verify_document(self, document_id: str) -> dict[str, Any]:
        """What the verification page shows for an id (the QR's link) or a short code (the paper's)."""
        code = verification_code.parse(document_id)
        if code is None:
            return await self.verify_oficio(document_id)
        found = await self.repository.resolve_code(code)
        if not found:
            raise NotFoundError(
                f"No hay un documento firmado con el código {code}. Revise que lo haya escrito completo.",
                code="document_not_found",
            )
        if len(found) > 1:
            raise ConflictError(
                f"El código {code} corresponde a más de un documento. Verifique con el código QR "
                "o subiendo el PDF.",
                code="verification_code_ambiguous",
            )
        return await self.verify_oficio(found[0])

    async def verify_oficio(self, oficio_id: str) -> dict[str, Any]:
        """What the QR page shows: the oficio's latest signed PDF (or an acuse), verified now."""
        if oficio_id.startswith(ACUSE_PREFIX):
            return await self.verify_acuse(oficio_id.removeprefix(ACUSE_PREFIX))
        doc = await self.repository.get(oficio_id)
        if doc is None or not doc.get("firmas"):
            raise NotFoundError(
                "No hay un documento firmado con ese identificador.", code="document_not_found"
            )
        pdf = await self._current_pdf(doc)
        return {
            "oficio_id": oficio_id,
            "codigo": short_code(oficio_id),
            "folio": doc.get("folio"),
            "estado": doc.get("estado"),
            "firmas_requeridas": len(doc.get("firmantes", [])),
            "firmas_realizadas": len(doc.get("firmas", [])),
            "documento": doc["documento_actual"],
            "reporte": await self.engine.verify(pdf),
        }

    async def verify_acuse(self, entrega_id: str) -> dict[str, Any]:
        doc = await self.repository.get_acuse(entrega_id)
        if doc is None:
            raise NotFoundError("No hay un acuse de recibo con ese identificador.", code="document_not_found")
        return {
            "tipo": "acuse",
            "oficio_id": doc["oficio_id"],
            "entrega_id": entrega_id,
            "codigo": short_code(ACUSE_PREFIX + entrega_id),
            "folio": doc["folio"],
            "estado": "sellado",
            "firmas_requeridas": 1,
            "firmas_realizadas": 1,
            "documento": doc["documento"],
            "reporte": await self.engine.verify(await self._fetch(doc["documento"]["clave"])),
        }

    async def _fetch(self, clave: str) -> bytes:
        if self.storage is None:
            raise SignumError(
                "El almacenamiento de documentos no está configurado.",
                code="storage_unavailable",
                status_code=503,
            )
        return await self.storage.fetch(clave)

    # --- acuses de recibo ----------------------------------------------------------------------

    async def seal_acuse(self, request: AcuseRequest, *, correlation_id: str = "") -> dict[str, Any]:
        """Render, seal, timestamp and store the acuse of one delivery, once per `entrega_id`."""
        correlation_id = correlation_id or uuid4().hex
        existing = await self.repository.get_acuse(request.entrega_id)
        if existing is not None:
            return self._same_acuse(existing, request)
        if self.seals is None:
            raise errors.SealUnavailableError()
        if self.storage is None:
            raise SignumError(
                "El almacenamiento de documentos no está configurado.",
                code="storage_unavailable",
                status_code=503,
            )
        verification_id = ACUSE_PREFIX + request.entrega_id
        url = pades.verification_url(self.engine.public_url, verification_id)
        data = acuse.AcuseData(
            oficio_id=request.oficio_id,
            entrega_id=request.entrega_id,
            folio=request.folio,
            asunto=request.asunto,
            nombre=request.recibido_por.nombre,
            cargo=request.recibido_por.cargo,
            unidad=request.unidad.nombre,
            dependencia=request.unidad.dependencia,
            recibido_en=request.recibido_en,
            url=url,
            codigo=short_code(verification_id),
        )
        seal = await self.seals.seal_for(request.unidad.dependencia)
        pdf = acuse.render(data)
        try:
            sealed = await self._seal(pdf, seal, request, url)
        except errors.SealUnavailableError:
            self.seals.forget(request.unidad.dependencia)  # reopened on the next try
            raise
        level = self.engine.level(seal.check is not None and seal.check.revocation_checked)
        stored = await self.storage.store(request.oficio_id, sealed, correlation_id=correlation_id)
        documento = StoredObject(
            bucket=stored.get("bucket", "documents"),
            clave=stored["clave"],
            sha256=stored["sha256"],
            tamano=stored["tamano"],
        )
        event = AcuseSealed(
            oficio_id=request.oficio_id,
            correlation_id=correlation_id,
            actor=Actor(kind="system", id="signing"),
            payload=AcuseSealedPayload(
                entrega_id=request.entrega_id,
                folio=request.folio,
                recibido_por=AcuseReceiver(
                    funcionario_id=request.recibido_por.funcionario_id,
                    nombre=request.recibido_por.nombre,
                    cargo=request.recibido_por.cargo,
                ),
                unidad_id=request.unidad.unidad_id,
                dependencia=request.unidad.dependencia,
                recibido_en=request.recibido_en,
                documento=documento,
                sello=_certificate(seal.info),
                nivel=level,
                url_verificacion=url,
            ),
        )
        document = {
            "_id": request.entrega_id,
            "oficio_id": request.oficio_id,
            "folio": request.folio,
            "funcionario_id": request.recibido_por.funcionario_id,
            "unidad_id": request.unidad.unidad_id,
            "dependencia": request.unidad.dependencia,
            "recibido_en": request.recibido_en,
            "documento": documento.model_dump(),
            "url_verificacion": url,
            "nivel": level,
            "sellado_en": datetime.now(UTC),
        }
        if not await self.repository.insert_acuse(document, [event]):
            # A concurrent retry of the same delivery won: answer its acuse (ours stays an orphan
            # object in storage, content-addressed and harmless).
            winner = await self.repository.get_acuse(request.entrega_id)
            assert winner is not None
            return self._same_acuse(winner, request)
        await self.repository.remember_code(verification_id)
        self._wake()
        log.info("acuse sealed", entrega_id=request.entrega_id, oficio_id=request.oficio_id, nivel=level)
        return _acuse_json(document)

    async def _seal(self, pdf: bytes, seal: Any, request: AcuseRequest, url: str) -> bytes:
        return await pades.sign_pdf(
            pdf,
            seal,
            SignatureRequest(
                field_name=acuse.SEAL_FIELD,
                title=f"Sello institucional de {request.unidad.dependencia}"[:300],
                qr_url=url,
                box=acuse.SEAL_BOX,
                reason=f"Acuse de recibo del oficio {request.folio}"[:300],
            ),
            timestamper=self.engine.timestamper,
            long_term=self.engine.trust,
        )

    @staticmethod
    def _same_acuse(existing: dict[str, Any], request: AcuseRequest) -> dict[str, Any]:
        if (existing["oficio_id"], existing["funcionario_id"]) != (
            request.oficio_id,
            request.recibido_por.funcionario_id,
        ):
            raise ConflictError(
                "Esa entrega ya tiene un acuse de recibo de otro oficio o de otra persona.",
                code="acuse_conflict",
                details={"entrega_id": request.entrega_id},
            )
        return _acuse_json(existing)

    # --- events --------------------------------------------------------------------------------

    @staticmethod
    def pending_document(event: OficioFinalized) -> dict[str, Any]:
        """The `firmas_pendientes` fields of a finalized oficio."""
        p = event.payload
        first = min(p.firmantes, key=lambda s: s.orden)
        return {
            "siguiente_funcionario_id": first.funcionario_id,
            "folio": p.folio,
            "asunto": p.asunto,
            "unidad_id": p.unidad_id,
            "confidencialidad": p.confidencialidad,
            "version": p.version,
            "documento_original": p.documento.model_dump(),
            "documento_actual": p.documento.model_dump(),
            "firmantes": [s.model_dump() for s in sorted(p.firmantes, key=lambda s: s.orden)],
            "firmas": [],
            "siguiente": min(s.orden for s in p.firmantes),
            "estado": "pendiente",
            "finalizado_en": event.occurred_at,
        }


class StorageClient:
    """Storage's internal API: `GET /internal/objetos/{clave}`, `POST /internal/objetos` (raw body).

    Signing acts as the system on the oficio it keeps the signing state of."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0) -> None:
        caller = Caller(kind="system", id="signing")
        self._headers = {
            INTERNAL_TOKEN_HEADER: token,
            CALLER_HEADER: caller.model_dump_json(),
        }
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=internal_limits())

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._client.request(
                method, path, headers=self._headers | kwargs.pop("headers", {}), **kwargs
            )
        except httpx.HTTPError as exc:
            log.warning("storage call failed", path=path, error=repr(exc))
            raise UnavailableError(
                "El almacenamiento de documentos no responde. Intente de nuevo en unos minutos.",
                code="storage_unavailable",
            ) from exc
        if response.status_code >= 400:
            body = (
                response.json()
                if response.headers.get("content-type", "").startswith("application/json")
                else {}
            )
            raise SignumError(
                str(body.get("message") or "El almacenamiento rechazó la solicitud."),
                code=str(body.get("code") or "storage_error"),
                status_code=503 if response.status_code >= 500 else response.status_code,
            )
        return response

    async def fetch(self, clave: str) -> bytes:
        # A key is `sha256/<hex>`: each of its parts is one encoded segment.
        path = "/".join(segment(part) for part in clave.split("/"))
        response = await self._send("GET", f"/internal/objetos/{path}")
        return bytes(response.content)

    async def store(self, oficio_id: str, pdf: bytes, *, correlation_id: str) -> dict[str, Any]:
        response = await self._send(
            "POST",
            "/internal/objetos",
            params={"bucket": "documents", "oficio_id": oficio_id, "media_type": "application/pdf"},
            content=pdf,
            headers={"Content-Type": "application/pdf", CORRELATION_HEADER: correlation_id},
        )
        return dict(response.json())
