"""Signing's use cases: the signing state of each finalized oficio (signers in order, events through
the outbox), signing with a credential (one call or a batch), the browser path and verification.

The private key only lives inside the signing calls: it is unlocked, used and closed within the
call, never stored, logged or put on an event. The PDF work is the engine's (`engine.py`), the
bytes are the storage service's (`documents.py`), the acuses de recibo are `acuses.py`'s, and what
is answered is shaped by `api.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol
from uuid import uuid4

from signum.contracts import Event
from signum.contracts.signing import (
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
    ValidationFailedError,
)
from signum.platform.identity import Caller
from signum.platform.policy import Action, OficioAccess, authorize
from signum.platform.verification_code import short_code
from signum.signing import errors
from signum.signing.acuses import ACUSE_PREFIX, AcuseService
from signum.signing.documents import SignedDocuments
from signum.signing.domain import (
    AwaitingSignature,
    BatchItem,
    CertificateInfo,
    DocumentToSign,
    Level,
    PreparedForBrowser,
    SignatureRecorded,
    SignedPdf,
    SignedPdfs,
    VerificationReport,
    VerifiedDocument,
)
from signum.signing.engine import SigningEngine, slot_request
from signum.signing.pades import SignatureRequest
from signum.signing.repository import Preparation, SigningRepository

Method = Literal["navegador", "credencial", "sello"]


class Directory(Protocol):
    """Signing's read model of the directory (signum.platform.directory.DirectoryReadModel)."""

    async def funcionario(self, funcionario_id: str) -> Any: ...


def _access(doc: dict[str, Any] | None) -> OficioAccess:
    """The oficio as the policy sees it for signing: fixed at finalization (signers included)."""
    doc = doc or {}
    return OficioAccess(
        unidad_id=doc.get("unidad_id", ""),
        confidencialidad=doc.get("confidencialidad", "publica"),
        firmantes=frozenset(s["funcionario_id"] for s in doc.get("firmantes", []) if s.get("funcionario_id")),
    )


class SigningService:
    """Who signs which oficio when, and what that emits."""

    def __init__(
        self,
        engine: SigningEngine,
        repository: SigningRepository,
        documents: SignedDocuments,
        acuses: AcuseService,
        *,
        prepared_ttl: timedelta = timedelta(minutes=15),
        notify: Any = None,
        directory: Directory | None = None,
    ) -> None:
        self.engine = engine
        self.repository = repository
        self.documents = documents
        self.acuses = acuses
        self.prepared_ttl = prepared_ttl
        self.directory = directory
        self._notify = notify

    # --- the oficio's signing state ------------------------------------------------------------

    async def _signable(self, caller: Caller, oficio_id: str) -> dict[str, Any]:
        doc = await self.repository.get(oficio_id)
        authorize(caller, Action.OFICIO_FIRMAR, _access(doc))
        if doc is None:
            raise NotFoundError("El oficio no está listo para firma.", code="oficio_not_ready")
        return doc

    async def pending(self, caller: Caller, oficio_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The oficio's signing state and the next signer's slot, if the caller may sign it now."""
        doc = await self._signable(caller, oficio_id)
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

    async def document_to_sign(self, caller: Caller, oficio_id: str) -> DocumentToSign:
        """The oficio's PDF as it is now (with the signatures so far), for its signers to read."""
        doc = await self._signable(caller, oficio_id)
        pdf = await self._current_pdf(doc)
        return DocumentToSign(pdf=pdf, sha256=doc["documento_actual"]["sha256"], folio=doc.get("folio"))

    async def awaiting(self, caller: Caller) -> list[AwaitingSignature]:
        """The caller's "Por firmar" list: oficios whose next signature is theirs, oldest first."""
        authorize(caller, Action.FIRMAS_PENDIENTES_LEER)
        if caller.kind != "official":
            return []
        found = []
        for doc in await self.repository.awaiting(caller.id):
            slot = next((s for s in doc["firmantes"] if s["orden"] == doc["siguiente"]), None)
            if slot is None or slot.get("funcionario_id") != caller.id:
                continue
            found.append(
                AwaitingSignature(
                    oficio_id=doc["_id"],
                    folio=doc.get("folio"),
                    asunto=doc.get("asunto"),
                    unidad_id=doc.get("unidad_id"),
                    orden=slot["orden"],
                    cargo=slot.get("cargo", ""),
                    on_behalf_of=slot.get("en_ausencia_de"),
                    signatures_made=len(doc.get("firmas", [])),
                    signatures_required=len(doc.get("firmantes", [])),
                    previous_signers=[f["certificado"]["nombre"] for f in doc.get("firmas", [])],
                    finalized_at=doc.get("finalizado_en"),
                    sha256=doc["documento_actual"]["sha256"],
                )
            )
        return found

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
        """Record a refused credential on the oficio (`signature.refused`)."""
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

    @asynccontextmanager
    async def _refusals(
        self, caller: Caller, slots: list[tuple[str, dict[str, Any] | None]], correlation_id: str
    ) -> AsyncIterator[None]:
        """A credential refused inside is recorded on each oficio of `slots`, then raised."""
        try:
            yield
        except errors.CredentialError as exc:
            for oficio_id, slot in slots:
                await self.refuse(caller, oficio_id, slot, exc, correlation_id)
            raise

    async def _record(
        self,
        caller: Caller,
        doc: dict[str, Any],
        slot: dict[str, Any],
        signed: bytes,
        info: CertificateInfo,
        method: Method,
        correlation_id: str,
        level: Level,
    ) -> SignatureRecorded:
        """Store the signed PDF, then record the signature and its events in one update, only if it
        is still this slot's turn."""
        oficio_id = doc["_id"]
        documento = await self.documents.store(oficio_id, signed, correlation_id)
        now = datetime.now(UTC)
        later = sorted(s["orden"] for s in doc["firmantes"] if s["orden"] > slot["orden"])
        certificate = info.signer_certificate()
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
                    pendientes=len(later),
                ),
            )
        ]
        if not later:
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
        firma = {
            "orden": slot["orden"],
            "funcionario_id": slot.get("funcionario_id"),
            "certificado": certificate.model_dump(),
            "metodo": method,
            "firmado_en": now,
            "documento": documento.model_dump(),
        }
        fields = {
            "documento_actual": documento.model_dump(),
            "siguiente_funcionario_id": (following or {}).get("funcionario_id"),
            "siguiente": later[0] if later else slot["orden"] + 1,
            "estado": "pendiente" if later else "firmado",
        }
        if not await self.repository.record_signature(oficio_id, slot["orden"], fields, firma, events):
            raise ConflictError(
                "Otra firma se registró al mismo tiempo. Vuelva a firmar el documento.",
                code="signature_conflict",
            )
        self._wake()
        return SignatureRecorded(
            oficio_id=oficio_id,
            orden=slot["orden"],
            document=documento.model_dump(),
            pending=len(later),
            signer=info,
            level=level,
        )

    async def _current_pdf(self, doc: dict[str, Any]) -> bytes:
        """The oficio's PDF with the signatures it has so far."""
        return await self.documents.read(doc["documento_actual"])

    def _wake(self) -> None:
        if self._notify is not None:
            self._notify()

    # --- one credential, one call --------------------------------------------------------------

    async def sign_pdf(
        self, *, cer: bytes, key: bytes, password: str, pdf: bytes, request: SignatureRequest
    ) -> SignedPdf:
        """Sign a PDF the caller sent and answer it (nothing is stored)."""
        self.engine.check_size(pdf)
        with await self.engine.unlock(cer, key, password) as credential:
            signed = await self.engine.sign(pdf, credential, request)
            return SignedPdf(signed, credential.info, self.engine.level_of(credential))

    async def sign_oficio(
        self,
        caller: Caller,
        oficio_id: str,
        *,
        cer: bytes,
        key: bytes,
        password: str,
        correlation_id: str = "",
    ) -> SignatureRecorded:
        """The oficio's next signature, with the caller's credential."""
        correlation_id = correlation_id or uuid4().hex
        doc, slot = await self.pending(caller, oficio_id)
        async with self._refusals(caller, [(oficio_id, slot)], correlation_id):
            credential = await self.engine.unlock(cer, key, password)
        with credential:
            async with self._refusals(caller, [(oficio_id, slot)], correlation_id):
                await self.check_signer(caller, slot, credential.info)
            signed = await self.engine.sign(await self._current_pdf(doc), credential, slot_request(slot))
            info, level = credential.info, self.engine.level_of(credential)
        return await self._record(caller, doc, slot, signed, info, "credencial", correlation_id, level)

    async def sign_pdfs(self, *, cer: bytes, key: bytes, password: str, pdfs: list[bytes]) -> SignedPdfs:
        """Several PDFs the caller sent, with one unlock of the credential."""
        if not pdfs:
            raise ValidationFailedError("Envíe los PDF a firmar o los identificadores de los oficios.")
        for pdf in pdfs:
            self.engine.check_size(pdf)
        with await self.engine.unlock(cer, key, password) as credential:
            return SignedPdfs(await self.engine.sign_batch(pdfs, credential), credential.info)

    async def sign_oficios(
        self,
        caller: Caller,
        oficio_ids: list[str],
        *,
        cer: bytes,
        key: bytes,
        password: str,
        correlation_id: str = "",
    ) -> list[BatchItem]:
        """One unlock of the credential, many oficios (a director's pending ones). A credential
        refused stops the batch; any other failure is that oficio's alone."""
        correlation_id = correlation_id or uuid4().hex
        # Every oficio must be the caller's to sign now, before the key is even unlocked.
        pending = [await self.pending(caller, oficio_id) for oficio_id in oficio_ids]
        async with self._refusals(caller, [(doc["_id"], slot) for doc, slot in pending], correlation_id):
            credential = await self.engine.unlock(cer, key, password)
        items = []
        with credential:
            for doc, slot in pending:
                async with self._refusals(caller, [(doc["_id"], slot)], correlation_id):
                    await self.check_signer(caller, slot, credential.info)
                try:
                    signed = await self.engine.sign(
                        await self._current_pdf(doc), credential, slot_request(slot)
                    )
                    level = self.engine.level_of(credential)
                    recorded = await self._record(
                        caller, doc, slot, signed, credential.info, "credencial", correlation_id, level
                    )
                    items.append(BatchItem(doc["_id"], recorded=recorded))
                except SignumError as exc:
                    items.append(BatchItem(doc["_id"], error=exc))
        return items

    # --- the browser path ----------------------------------------------------------------------

    async def prepare(
        self,
        caller: Caller,
        *,
        cer: bytes,
        oficio_id: str | None = None,
        pdf: bytes | None = None,
        request: SignatureRequest | None = None,
        correlation_id: str = "",
    ) -> PreparedForBrowser:
        """Step 1: lay out the signature (the oficio's next one, or on the caller's `pdf` as
        `request` says); answer what the browser's key must sign."""
        correlation_id = correlation_id or uuid4().hex
        slot: dict[str, Any] | None = None
        if oficio_id is not None:
            doc, slot = await self.pending(caller, oficio_id)
            pdf, request = await self._current_pdf(doc), slot_request(slot)
        if pdf is None or request is None:
            raise ValidationFailedError("Envíe el PDF a firmar o el identificador del oficio.")
        async with self._refusals(caller, [(oficio_id, slot)] if oficio_id else [], correlation_id):
            prepared, info = await self.engine.prepare(pdf, cer, request)
            if slot is not None:
                await self.check_signer(caller, slot, info)
        preparation = Preparation(
            id=uuid4().hex,
            prepared=prepared,
            oficio_id=oficio_id,
            orden=slot["orden"] if slot else None,
            caller_id=caller.id,
            expires=datetime.now(UTC) + self.prepared_ttl,
        )
        await self.repository.save_prepared(preparation)
        return PreparedForBrowser(
            id=preparation.id,
            to_be_signed=prepared.to_be_signed,
            digest=prepared.digest,
            expires=preparation.expires,
            signer=info,
        )

    async def complete(
        self,
        caller: Caller,
        prepared_id: str,
        signature: bytes,
        *,
        oficio_id: str | None = None,
        correlation_id: str = "",
    ) -> SignatureRecorded | SignedPdf:
        """Step 2: check the browser's RSA signature and embed it."""
        correlation_id = correlation_id or uuid4().hex
        stored = await self.repository.get_prepared(prepared_id)
        if (
            stored is None
            or stored.caller_id != caller.id
            or (oficio_id is not None and stored.oficio_id != oficio_id)
        ):
            raise NotFoundError("La firma preparada no existe o ya se usó.", code="prepared_not_found")
        if stored.expires < datetime.now(UTC):
            await self.repository.discard_prepared(prepared_id)
            raise ConflictError(
                "La firma preparada expiró. Vuelva a iniciar la firma del documento.", code="prepared_expired"
            )
        if stored.oficio_id is None:
            signed, info, level = await self.engine.complete(stored.prepared, signature)
            await self.repository.discard_prepared(prepared_id)
            return SignedPdf(signed, info, level)
        doc, slot = await self.pending(caller, stored.oficio_id)
        if slot["orden"] != stored.orden:
            await self.repository.discard_prepared(prepared_id)
            raise ConflictError(
                "El oficio cambió desde que se preparó la firma. Vuelva a firmar.", code="prepared_stale"
            )
        async with self._refusals(caller, [(stored.oficio_id, slot)], correlation_id):
            signed, info, level = await self.engine.complete(stored.prepared, signature)
        await self.repository.discard_prepared(prepared_id)
        return await self._record(caller, doc, slot, signed, info, "navegador", correlation_id, level)

    # --- verification --------------------------------------------------------------------------

    async def verify(self, pdf: bytes) -> VerificationReport:
        return await self.engine.verify(pdf)

    async def verify_document(self, document_id: str) -> VerifiedDocument:
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

    async def verify_oficio(self, oficio_id: str) -> VerifiedDocument:
        """What the QR page shows: the oficio's latest signed PDF (or an acuse), verified now."""
        if oficio_id.startswith(ACUSE_PREFIX):
            return await self.acuses.verify(oficio_id.removeprefix(ACUSE_PREFIX))
        doc = await self.repository.get(oficio_id)
        if doc is None or not doc.get("firmas"):
            raise NotFoundError(
                "No hay un documento firmado con ese identificador.", code="document_not_found"
            )
        return VerifiedDocument(
            kind="oficio",
            oficio_id=oficio_id,
            code=short_code(oficio_id),
            folio=doc.get("folio"),
            state=doc.get("estado"),
            signatures_required=len(doc.get("firmantes", [])),
            signatures_made=len(doc.get("firmas", [])),
            document=doc["documento_actual"],
            report=await self.engine.verify(await self._current_pdf(doc)),
        )
