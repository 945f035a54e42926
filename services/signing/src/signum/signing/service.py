"""Signing's use cases: the signing state of each finalized oficio (signers in order, events through
the outbox), signing with a credential (one call or a batch), the browser path, verification and
the acuses de recibo.

The private key only lives inside the signing calls: it is unlocked, used and closed within the
call, never stored, logged or put on an event. The PDF work is the engine's (`engine.py`); the
bytes are kept by the storage service (`signum.platform.storage_client`); what is answered is
shaped by `api.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol
from uuid import uuid4

from signum.contracts import Actor, Event
from signum.contracts.drafting import StoredObject
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
from signum.platform.identity import Caller
from signum.platform.logging import get_logger
from signum.platform.policy import Action, OficioAccess, authorize
from signum.platform.verification_code import short_code
from signum.signing import acuse, errors
from signum.signing.domain import (
    AcuseReceipt,
    AwaitingSignature,
    BatchItem,
    CertificateInfo,
    DocumentToSign,
    Level,
    PreparedForBrowser,
    SealedAcuse,
    SignatureRecorded,
    SignedPdf,
    SignedPdfs,
    VerificationReport,
    VerifiedDocument,
)
from signum.signing.engine import SigningEngine, slot_request
from signum.signing.pades import SignatureRequest, SigningKey
from signum.signing.repository import Preparation, SigningRepository
from signum.signing.seals import SealKeyring

log = get_logger(__name__)

ACUSE_PREFIX = "acuse-"  # verification ids of acuses: `acuse-<entrega_id>` (oficios use their id)
Method = Literal["navegador", "credencial", "sello"]


class ObjectStore(Protocol):
    """What signing uses of storage (`signum.platform.storage_client.StorageClient`)."""

    async def read(self, clave: str, *, max_bytes: int) -> bytes: ...

    async def upload(
        self, content: bytes, *, oficio_id: str, bucket: str, media_type: str, correlation_id: str | None
    ) -> dict[str, Any]: ...


class Directory(Protocol):
    """Signing's read model of the directory (signum.platform.directory.DirectoryReadModel)."""

    async def funcionario(self, funcionario_id: str) -> Any: ...


def _certificate(info: CertificateInfo) -> SignerCertificate:
    return SignerCertificate(
        nombre=info.name, rfc=info.rfc, curp=info.curp, numero_certificado=info.certificate_number
    )


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
        storage: ObjectStore | None,
        *,
        prepared_ttl: timedelta = timedelta(minutes=15),
        notify: Any = None,
        seals: SealKeyring | None = None,
        directory: Directory | None = None,
    ) -> None:
        self.engine = engine
        self.repository = repository
        self.storage = storage
        self.prepared_ttl = prepared_ttl
        self.seals = seals
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
        documento = await self._store(oficio_id, signed, correlation_id)
        now = datetime.now(UTC)
        later = sorted(s["orden"] for s in doc["firmantes"] if s["orden"] > slot["orden"])
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
            return await self.verify_acuse(oficio_id.removeprefix(ACUSE_PREFIX))
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

    async def verify_acuse(self, entrega_id: str) -> VerifiedDocument:
        doc = await self.repository.get_acuse(entrega_id)
        if doc is None:
            raise NotFoundError("No hay un acuse de recibo con ese identificador.", code="document_not_found")
        pdf = await self._object_store().read(doc["documento"]["clave"], max_bytes=self.engine.max_pdf_bytes)
        return VerifiedDocument(
            kind="acuse",
            oficio_id=doc["oficio_id"],
            entrega_id=entrega_id,
            code=short_code(ACUSE_PREFIX + entrega_id),
            folio=doc["folio"],
            state="sellado",
            signatures_required=1,
            signatures_made=1,
            document=doc["documento"],
            report=await self.engine.verify(pdf),
        )

    # --- acuses de recibo ----------------------------------------------------------------------

    async def seal_acuse(self, receipt: AcuseReceipt, *, correlation_id: str = "") -> SealedAcuse:
        """Render, seal, timestamp and store the acuse of one delivery, once per `entrega_id`."""
        correlation_id = correlation_id or uuid4().hex
        existing = await self.repository.get_acuse(receipt.entrega_id)
        if existing is not None:
            return self._same_acuse(existing, receipt)
        if self.seals is None:
            raise errors.SealUnavailableError()
        self._object_store()  # refused before any work when storage is not configured
        verification_id = ACUSE_PREFIX + receipt.entrega_id
        url = self.engine.verification_url(verification_id)
        pdf = acuse.render(acuse.AcuseData.of(receipt, url=url, codigo=short_code(verification_id)))
        seal = await self.seals.seal_for(receipt.dependencia)
        try:
            sealed = await self.engine.sign(pdf, seal, acuse.seal_request(receipt, url))
        except errors.SealUnavailableError:
            self.seals.forget(receipt.dependencia)  # reopened on the next try
            raise
        level = self.engine.level_of(seal)
        documento = await self._store(receipt.oficio_id, sealed, correlation_id)
        event = self._acuse_sealed(receipt, documento, seal, level, url, correlation_id)
        if not await self.repository.insert_acuse(
            receipt, document=documento.model_dump(), url=url, level=level, events=[event]
        ):
            # A concurrent retry of the same delivery won: answer its acuse (ours stays an orphan
            # object in storage, content-addressed and harmless).
            winner = await self.repository.get_acuse(receipt.entrega_id)
            assert winner is not None
            return self._same_acuse(winner, receipt)
        await self.repository.remember_code(verification_id)
        self._wake()
        log.info("acuse sealed", entrega_id=receipt.entrega_id, oficio_id=receipt.oficio_id, nivel=level)
        return SealedAcuse(clave=documento.clave, sha256=documento.sha256, url=url)

    @staticmethod
    def _acuse_sealed(
        receipt: AcuseReceipt,
        documento: StoredObject,
        seal: SigningKey,
        level: Level,
        url: str,
        correlation_id: str,
    ) -> AcuseSealed:
        return AcuseSealed(
            oficio_id=receipt.oficio_id,
            correlation_id=correlation_id,
            actor=Actor(kind="system", id="signing"),
            payload=AcuseSealedPayload(
                entrega_id=receipt.entrega_id,
                folio=receipt.folio,
                recibido_por=AcuseReceiver(
                    funcionario_id=receipt.funcionario_id, nombre=receipt.nombre, cargo=receipt.cargo
                ),
                unidad_id=receipt.unidad_id,
                dependencia=receipt.dependencia,
                recibido_en=receipt.recibido_en,
                documento=documento,
                sello=_certificate(seal.info),
                nivel=level,
                url_verificacion=url,
            ),
        )

    @staticmethod
    def _same_acuse(existing: dict[str, Any], receipt: AcuseReceipt) -> SealedAcuse:
        if (existing["oficio_id"], existing["funcionario_id"]) != (receipt.oficio_id, receipt.funcionario_id):
            raise ConflictError(
                "Esa entrega ya tiene un acuse de recibo de otro oficio o de otra persona.",
                code="acuse_conflict",
                details={"entrega_id": receipt.entrega_id},
            )
        documento = existing["documento"]
        return SealedAcuse(
            clave=documento["clave"], sha256=documento["sha256"], url=existing["url_verificacion"]
        )

    # --- storage -------------------------------------------------------------------------------

    def _object_store(self) -> ObjectStore:
        if self.storage is None:
            raise UnavailableError(
                "El almacenamiento de documentos no está configurado.", code="storage_unavailable"
            )
        return self.storage

    async def _current_pdf(self, doc: dict[str, Any]) -> bytes:
        clave = doc["documento_actual"]["clave"]
        return await self._object_store().read(clave, max_bytes=self.engine.max_pdf_bytes)

    async def _store(self, oficio_id: str, pdf: bytes, correlation_id: str) -> StoredObject:
        stored = await self._object_store().upload(
            pdf,
            oficio_id=oficio_id,
            bucket="documents",
            media_type="application/pdf",
            correlation_id=correlation_id,
        )
        return StoredObject(
            bucket=stored.get("bucket", "documents"),
            clave=stored["clave"],
            sha256=stored["sha256"],
            tamano=stored["tamano"],
        )
