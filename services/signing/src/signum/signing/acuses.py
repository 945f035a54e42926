"""Acuses de recibo: when routing records that a recipient received an oficio, signing renders the
acuse, seals it with the receiving dependencia's institutional seal (PKCS#11, `seals.py`), stores it
and emits `acuse.sealed`, once per delivery (`entrega_id`); and verifies it for the public page."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from signum.contracts import Actor
from signum.contracts.drafting import StoredObject
from signum.contracts.signing import AcuseReceiver, AcuseSealed, AcuseSealedPayload
from signum.platform.errors import ConflictError, NotFoundError
from signum.platform.logging import get_logger
from signum.platform.verification_code import short_code
from signum.signing import acuse, errors
from signum.signing.documents import SignedDocuments
from signum.signing.domain import AcuseReceipt, Level, SealedAcuse, VerifiedDocument
from signum.signing.engine import SigningEngine
from signum.signing.pades import SigningKey
from signum.signing.repository import SigningRepository
from signum.signing.seals import SealKeyring

log = get_logger(__name__)

ACUSE_PREFIX = "acuse-"  # verification ids of acuses: `acuse-<entrega_id>` (oficios use their id)


class AcuseService:
    """The sealed acuse of each delivery."""

    def __init__(
        self,
        engine: SigningEngine,
        repository: SigningRepository,
        documents: SignedDocuments,
        seals: SealKeyring | None,
        *,
        notify: Any = None,
    ) -> None:
        self.engine = engine
        self.repository = repository
        self.documents = documents
        self.seals = seals
        self._notify = notify

    async def seal(self, receipt: AcuseReceipt, *, correlation_id: str = "") -> SealedAcuse:
        """Render, seal, timestamp and store the acuse of one delivery, once per `entrega_id`."""
        correlation_id = correlation_id or uuid4().hex
        existing = await self.repository.get_acuse(receipt.entrega_id)
        if existing is not None:
            return self._same_acuse(existing, receipt)
        if self.seals is None:
            raise errors.SealUnavailableError()
        self.documents.ready()  # refused before any work when storage is not configured
        verification_id = ACUSE_PREFIX + receipt.entrega_id
        url = self.engine.verification_url(verification_id)
        pdf = acuse.render(acuse.AcuseData.of(receipt, url=url, codigo=short_code(verification_id)))
        seal = await self.seals.seal_for(receipt.dependencia)
        try:
            sealed = await self.engine.sign(pdf, seal, acuse.seal_request(receipt, url), seal=True)
        except errors.SealUnavailableError:
            self.seals.forget(receipt.dependencia)  # reopened on the next try
            raise
        level = self.engine.level_of(seal)
        documento = await self.documents.store(receipt.oficio_id, sealed, correlation_id)
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
        if self._notify is not None:
            self._notify()
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
                sello=seal.info.signer_certificate(),
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

    async def verify(self, entrega_id: str) -> VerifiedDocument:
        doc = await self.repository.get_acuse(entrega_id)
        if doc is None:
            raise NotFoundError("No hay un acuse de recibo con ese identificador.", code="document_not_found")
        pdf = await self.documents.read(doc["documento"])
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
