"""Storage's use cases: store, read, presign and retain objects; keep and verify the audit chain."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from signum.contracts import Actor, Event, Topic
from signum.contracts.drafting import OficioCreated, OficioUpdated
from signum.contracts.storage import (
    ObjectStored,
    ObjectStoredPayload,
    RetentionExpiring,
    RetentionExpiringPayload,
)
from signum.platform.errors import NotFoundError, SignumError, ValidationFailedError
from signum.platform.event_descriptions import describe_event
from signum.platform.http import InternalClient, segment
from signum.platform.identity import Caller
from signum.platform.logging import get_logger
from signum.platform.policy import Action, OficioAccess, authorize, decide
from signum.platform.readers import OficioReaders
from signum.platform.text import check_safe_text
from signum.platform.workers import Workers
from signum.storage.archives import ArchiveLimits
from signum.storage.domain import (
    PDF,
    UPLOAD_BUCKETS,
    Catalogue,
    ChainBreak,
    ChainVerifier,
    FileEmptyError,
    FileTooLargeError,
    ObjectTamperedError,
    TextSniffer,
    UploadMismatchError,
    check_pdf,
    content_key,
    days_left,
    detect_type,
    format_size,
    is_content_key,
    utc_now,
)
from signum.storage.objectstore import ObjectStore
from signum.storage.repository import AuditRepository, ObjectRepository, OficioRepository, object_id

CHUNK = 1024 * 1024
HEAD_BYTES = 8
SERVICE = "storage"
# Which bucket a key is looked up in first when the caller does not say.
BUCKET_PREFERENCE = ("documents", "attachments", "drafts")

log = get_logger(__name__)


@dataclass
class Spooled:
    """An upload written to a temporary file while hashing it."""

    path: Path
    size: int
    sha256: str
    head: bytes
    is_text: bool


async def spool(chunks: AsyncIterable[bytes], *, limit: int, directory: Path | None) -> Spooled:
    """Write a stream to a temporary file, hashing it, refusing it as soon as it passes `limit`."""
    fd, name = tempfile.mkstemp(prefix="signum-upload-", dir=directory)
    path = Path(name)
    digest = hashlib.sha256()
    text = TextSniffer()
    head = b""
    size = 0
    buffer: list[bytes] = []
    buffered = 0
    try:
        with os.fdopen(fd, "wb") as sink:
            async for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if size > limit:
                    raise FileTooLargeError(
                        f"El archivo excede el tamaño máximo permitido de {format_size(limit)}.",
                        details={"maximo_bytes": limit},
                    )
                if len(head) < HEAD_BYTES * 1024:
                    head += chunk[: HEAD_BYTES * 1024 - len(head)]
                buffer.append(chunk)
                buffered += len(chunk)
                if buffered >= CHUNK:
                    await asyncio.to_thread(_write, sink, digest, text, b"".join(buffer))
                    buffer, buffered = [], 0
            await asyncio.to_thread(_write, sink, digest, text, b"".join(buffer))
            text.feed(b"", final=True)
    except BaseException:
        _discard(path)
        raise
    if size == 0:
        _discard(path)
        raise FileEmptyError()
    return Spooled(path=path, size=size, sha256=digest.hexdigest(), head=head, is_text=text.is_text)


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def _write(sink: Any, digest: Any, text: TextSniffer, data: bytes) -> None:
    if data:
        digest.update(data)
        text.feed(data)
        sink.write(data)


def _access(doc: dict[str, Any]) -> OficioAccess:
    return OficioAccess(
        unidad_id=str(doc.get("unidad_id") or ""),
        participantes=frozenset(doc.get("participantes", [])),
        confidencialidad=str(doc.get("confidencialidad", "publica")),
    )


def object_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The public shape of an object's metadata."""
    return {
        "clave": doc["clave"],
        "sha256": doc["sha256"],
        "tamano": doc["tamano"],
        "bucket": doc["bucket"],
        "media_type": doc["media_type"],
        "oficios": doc.get("oficios", []),
        "serie": doc["serie"],
        "retencion_hasta": doc["retencion_hasta"],
        "subido_por": doc.get("subido_por"),
        "nombre": doc.get("nombre"),
        "creado": doc["creado"],
        "version_id": doc.get("version_id"),
    }


class StorageService:
    """Objects in S3 with their metadata, access checks and retention."""

    def __init__(
        self,
        store: ObjectStore,
        objects: ObjectRepository,
        oficios: OficioRepository,
        catalogue: Catalogue,
        *,
        max_bytes: int,
        spool_dir: Path | None,
        presign_seconds: int,
        notify: Any = None,
        readers: OficioReaders | None = None,
        workers: Workers | None = None,
        archive_limits: ArchiveLimits | None = None,
        drafting: InternalClient | None = None,
    ) -> None:
        self.readers = readers
        self._drafting = drafting
        # Looking into a file (a zip's parts, a PDF's objects) is CPU work: never on the event loop.
        self.workers = workers or Workers("inspect")
        self.archive_limits = archive_limits or ArchiveLimits()
        self.store = store
        self.objects = objects
        self.oficios = oficios
        self.catalogue = catalogue
        self.max_bytes = max_bytes
        self.spool_dir = spool_dir
        self.presign_seconds = presign_seconds
        self._notify = notify or (lambda: None)

    # --- read model ---------------------------------------------------------------------------

    async def on_oficio_created(self, event: OficioCreated) -> None:
        p = event.payload
        fields = {
            "unidad_id": p.office_id,
            "participantes": sorted({p.author_id, *p.participantes}),
            "confidencialidad": p.confidencialidad,
        }
        if not await self.oficios.record(event.oficio_id, 1, fields):
            await self.oficios.set_unit(event.oficio_id, p.office_id)  # a later save came first

    async def on_oficio_updated(self, event: OficioUpdated) -> None:
        """The draft's participants and confidentiality after a save (an older save is ignored)."""
        p = event.payload
        await self.oficios.record(
            event.oficio_id,
            p.version,
            {"participantes": sorted(set(p.participantes)), "confidencialidad": p.confidencialidad},
        )

    async def _asked(self, oficio_id: str) -> dict[str, Any] | None:
        """The oficio as drafting, its owner, says it is now (kept here too, if newer than the model);
        the model as it was if drafting does not know it or does not answer."""
        if self._drafting is not None:
            try:
                body = await self._drafting.request("GET", f"/internal/oficios/{segment(oficio_id)}/acceso")
            except SignumError as exc:
                if exc.status_code != 404:
                    log.warning(
                        "drafting did not confirm the participants", oficio_id=oficio_id, error=exc.code
                    )
            else:
                unidad_id = str(body["unidad_id"])
                fields = {
                    "unidad_id": unidad_id,
                    "participantes": sorted(set(body["participantes"])),
                    "confidencialidad": str(body["confidencialidad"]),
                }
                if not await self.oficios.record(oficio_id, int(body["version"]), fields):
                    await self.oficios.set_unit(oficio_id, unidad_id)
        return await self.oficios.get(oficio_id)

    async def authorize_oficio(self, caller: Caller, action: Action, oficio_id: str) -> None:
        """The policy's decision on an oficio of the read model (system callers need none).

        The model follows drafting's events (`oficio.created`, `oficio.updated`: participants and
        confidentiality after every save) and routing's (`delivery.created`: readers). Adding a
        document is decided on what drafting says now, so a collaborator removed a moment ago adds
        nothing; reading follows the model, a moment behind drafting. A caller the model would
        refuse is checked once more with the owners (a grant the events have not brought yet).
        """
        if caller.kind == "system":
            return
        asked = action is Action.DOCUMENTO_SUBIR
        doc = await (self._asked(oficio_id) if asked else self.oficios.get(oficio_id))
        if doc is None and not asked:
            doc, asked = await self._asked(oficio_id), True
        lectores = await self.readers.of(oficio_id) if self.readers is not None else frozenset()
        if doc is None:
            if not lectores and self.readers is not None:
                lectores = await self.readers.confirm(oficio_id)
            if not lectores:
                raise NotFoundError("El oficio no existe o aún no está disponible.", code="oficio_not_found")
            # Never drafted here (a paper document the oficialía de partes registered): only
            # those it was delivered to read it.
            doc = {"unidad_id": "", "participantes": [], "confidencialidad": "confidencial"}
        # Its recipients read it too (routing's deliveries, learnt from its events); one this model
        # does not know yet (routing shows a delivery a moment before its event arrives here) is
        # confirmed with routing before being refused, as a participant just added is with drafting.
        access = replace(_access(doc), lectores=lectores)
        if not decide(caller, action, access):
            if not asked:
                doc = await self._asked(oficio_id) or doc
            if self.readers is not None:
                lectores = await self.readers.confirm(oficio_id)
            access = replace(_access(doc), lectores=lectores)
        authorize(caller, action, access)

    # --- storing ------------------------------------------------------------------------------

    async def upload(
        self,
        caller: Caller,
        chunks: AsyncIterable[bytes],
        *,
        bucket: str,
        oficio_id: str,
        declared_type: str | None,
        serie: str | None,
        nombre: str | None,
        correlation_id: str,
        expected_size: int | None = None,
        expected_sha256: str | None = None,
    ) -> dict[str, Any]:
        """Validate and store a streamed upload; the same bytes give the same key (idempotent)."""
        if nombre is not None:
            check_safe_text(nombre, campo="nombre")
        if bucket not in UPLOAD_BUCKETS:
            raise ValidationFailedError("Bucket desconocido.", code="bucket_invalid")
        await self.authorize_oficio(caller, Action.DOCUMENTO_SUBIR, oficio_id)
        spooled = await spool(chunks, limit=self.max_bytes, directory=self.spool_dir)
        try:
            if expected_size is not None and spooled.size != expected_size:
                raise UploadMismatchError(details={"tamano_esperado": expected_size, "tamano": spooled.size})
            if expected_sha256 is not None and spooled.sha256 != expected_sha256.lower():
                raise UploadMismatchError(
                    details={"sha256_esperado": expected_sha256, "sha256": spooled.sha256}
                )
            media_type = await self.workers.run(self._inspect, spooled, declared_type)
            return await self._store(
                caller, spooled, media_type, bucket, oficio_id, serie, nombre, correlation_id
            )
        finally:
            _discard(spooled.path)

    def _inspect(self, spooled: Spooled, declared_type: str | None) -> str:
        """The upload's type by its content, PDFs parsed whole (blocking: runs in a worker)."""
        media_type = detect_type(
            spooled.path,
            spooled.head,
            is_text=spooled.is_text,
            declared=declared_type,
            limits=self.archive_limits,
        )
        if media_type == PDF:
            check_pdf(spooled.path)
        return media_type

    async def _store(
        self,
        caller: Caller,
        spooled: Spooled,
        media_type: str,
        bucket: str,
        oficio_id: str,
        serie_code: str | None,
        nombre: str | None,
        correlation_id: str,
    ) -> dict[str, Any]:
        clave = content_key(spooled.sha256)
        existing = await self.objects.get(bucket, clave)
        if existing is not None:
            if oficio_id not in existing.get("oficios", []):
                event = self._stored_event(existing, oficio_id, caller, correlation_id)
                if await self.objects.add_owner(bucket, clave, oficio_id, event):
                    self._notify()
            return _result(existing)
        now = utc_now()
        serie, until = self.catalogue.retention_until(serie_code, now)
        current = await self.store.stat(bucket, clave)
        if current is not None and (current.metadata or {}).get("x-amz-meta-sha256") == spooled.sha256:
            version_id = current.version_id  # stored before a crash, metadata not yet written
        else:
            version_id = await self.store.put_file(
                bucket,
                clave,
                spooled.path,
                spooled.size,
                media_type,
                retain_until=until if bucket == "documents" else None,
                metadata={"sha256": spooled.sha256},
            )
        doc = {
            "_id": object_id(bucket, clave),
            "clave": clave,
            "sha256": spooled.sha256,
            "tamano": spooled.size,
            "bucket": bucket,
            "media_type": media_type,
            "oficios": [oficio_id],
            "subido_por": caller.actor.model_dump(),
            "serie": serie.code,
            "retencion_hasta": until,
            "bloqueo_s3": bucket == "documents",
            "nombre": nombre,
            "creado": now,
            "version_id": version_id,
        }
        event = self._stored_event(doc, oficio_id, caller, correlation_id)
        if not await self.objects.register(doc, event):
            return await self._store(
                caller, spooled, media_type, bucket, oficio_id, serie_code, nombre, correlation_id
            )
        self._notify()
        log.info("object stored", clave=clave, bucket=bucket, tamano=spooled.size, oficio_id=oficio_id)
        return _result(doc)

    @staticmethod
    def _stored_event(doc: dict[str, Any], oficio_id: str, caller: Caller, correlation_id: str) -> Event:
        return ObjectStored(
            oficio_id=oficio_id,
            correlation_id=correlation_id,
            actor=caller.actor,
            payload=ObjectStoredPayload(
                clave=doc["clave"],
                sha256=doc["sha256"],
                tamano=doc["tamano"],
                bucket=doc["bucket"],
                media_type=doc["media_type"],
                serie=doc["serie"],
                retencion_hasta=doc["retencion_hasta"],
                nombre=doc.get("nombre"),
            ),
        )

    # --- direct uploads -----------------------------------------------------------------------

    async def start_direct_upload(
        self,
        caller: Caller,
        *,
        bucket: str,
        oficio_id: str,
        media_type: str | None,
        serie: str | None,
        nombre: str | None,
        tamano: int | None,
        sha256: str | None,
    ) -> dict[str, Any]:
        """A presigned PUT URL to a staging key; `confirm_direct_upload` validates and stores it."""
        if nombre is not None:
            check_safe_text(nombre, campo="nombre")
        if bucket not in UPLOAD_BUCKETS:
            raise ValidationFailedError("Bucket desconocido.", code="bucket_invalid")
        if tamano is not None and tamano > self.max_bytes:
            raise FileTooLargeError(
                f"El archivo excede el tamaño máximo permitido de {format_size(self.max_bytes)}.",
                details={"maximo_bytes": self.max_bytes},
            )
        await self.authorize_oficio(caller, Action.DOCUMENTO_SUBIR, oficio_id)
        upload_id = uuid.uuid4().hex
        staged = f"subidas/{upload_id}"
        now = utc_now()
        expires = now + timedelta(seconds=self.presign_seconds)
        await self.objects.new_upload(
            {
                "_id": upload_id,
                "estado": "pendiente",
                "bucket": bucket,
                "oficio_id": oficio_id,
                "media_type": media_type,
                "serie": serie,
                "nombre": nombre,
                "tamano": tamano,
                "sha256": sha256.lower() if sha256 else None,
                "clave_temporal": staged,
                "caller_id": caller.id,
                "creada": now,
                "expira": expires,
            }
        )
        url = self.store.presigned_put("attachments", staged, self.presign_seconds)
        return {"id": upload_id, "url": url, "metodo": "PUT", "clave_temporal": staged, "expira": expires}

    async def confirm_direct_upload(
        self, caller: Caller, upload_id: str, correlation_id: str
    ) -> dict[str, Any]:
        upload = await self.objects.get_upload(upload_id)
        if upload is None or (caller.kind != "system" and upload["caller_id"] != caller.id):
            raise NotFoundError("La subida no existe.", code="upload_not_found")
        if upload["estado"] == "confirmada":
            return dict(upload["resultado"])
        staged = str(upload["clave_temporal"])
        stat = await self.store.stat("attachments", staged)
        if stat is None:
            raise ValidationFailedError(
                "Aún no se ha recibido el archivo de esta subida.", code="upload_missing"
            )
        result = await self.upload(
            caller,
            self._read_chunks("attachments", staged, stat.version_id),
            bucket=upload["bucket"],
            oficio_id=upload["oficio_id"],
            declared_type=upload.get("media_type"),
            serie=upload.get("serie"),
            nombre=upload.get("nombre"),
            correlation_id=correlation_id,
            expected_size=upload.get("tamano"),
            expected_sha256=upload.get("sha256"),
        )
        await self.objects.upload_done(upload_id, result, utc_now())
        with contextlib.suppress(Exception):  # the staging copy is only garbage now
            await self.store.remove("attachments", staged, stat.version_id)
        return result

    async def _read_chunks(self, bucket: str, key: str, version_id: str | None) -> AsyncIterator[bytes]:
        response = await self.store.open(bucket, key, version_id)
        try:
            while chunk := await asyncio.to_thread(response.read, CHUNK):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    # --- reading ------------------------------------------------------------------------------

    async def metadata(self, caller: Caller, clave: str, bucket: str | None) -> dict[str, Any]:
        doc = await self._find(clave, bucket)
        await self._authorize_read(caller, doc)
        return object_view(doc)

    async def open_verified(
        self, caller: Caller, clave: str, bucket: str | None
    ) -> tuple[dict[str, Any], AsyncIterator[bytes]]:
        """The object's metadata and its bytes; the hash is checked while they are read."""
        doc = await self._find(clave, bucket)
        await self._authorize_read(caller, doc)
        current = await self.store.stat(doc["bucket"], clave)
        if current is None:
            raise ObjectTamperedError("El objeto registrado ya no está en el almacenamiento.")
        if doc.get("version_id") and current.version_id != doc["version_id"]:
            # Someone wrote the key again. Identical bytes (two replicas storing the same upload)
            # are harmless; anything else is refused before a byte is sent.
            if await self._digest(doc["bucket"], clave, current.version_id) != doc["sha256"]:
                await self._tampered(doc, "the current S3 version is not the one stored")
            log.warning("object has a newer identical version", clave=clave, bucket=doc["bucket"])
        return doc, self._verified_chunks(doc, current.version_id)

    async def _digest(self, bucket: str, key: str, version_id: str | None) -> str:
        digest = hashlib.sha256()
        async for chunk in self._read_chunks(bucket, key, version_id):
            digest.update(chunk)
        return digest.hexdigest()

    async def _verified_chunks(self, doc: dict[str, Any], version_id: str | None) -> AsyncIterator[bytes]:
        # The last chunk is held back until the digest is checked: on a mismatch the response
        # breaks off (the client sees a truncated body), so altered bytes never arrive whole.
        digest = hashlib.sha256()
        held: bytes | None = None
        async for chunk in self._read_chunks(doc["bucket"], doc["clave"], version_id):
            digest.update(chunk)
            if held is not None:
                yield held
            held = chunk
        if digest.hexdigest() != doc["sha256"]:
            await self._tampered(doc, "the bytes read do not match the recorded SHA-256")
        if held is not None:
            yield held

    async def verify(self, caller: Caller, clave: str, bucket: str | None) -> dict[str, Any]:
        """Read the whole object and compare its hash (what a download would do)."""
        doc, chunks = await self.open_verified(caller, clave, bucket)
        async for _ in chunks:
            pass
        return {"clave": clave, "bucket": doc["bucket"], "integro": True}

    async def _tampered(self, doc: dict[str, Any], why: str) -> None:
        log.error("stored object altered", clave=doc["clave"], bucket=doc["bucket"], why=why)
        await self.objects.set_tamper_evidence(doc["bucket"], doc["clave"], utc_now())
        raise ObjectTamperedError(details={"clave": doc["clave"], "bucket": doc["bucket"]})

    async def presigned_download(
        self, caller: Caller, clave: str, bucket: str | None, *, oficio_id: str | None = None
    ) -> dict[str, Any]:
        """A short-lived GET URL. With `oficio_id`, the caller's right on that oficio is decided
        first (so a refused caller learns nothing of the object) and the object must belong to it."""
        if oficio_id is not None:
            await self.authorize_oficio(caller, Action.OFICIO_LEER, oficio_id)
            doc = await self._find(clave, bucket)
            if oficio_id not in doc.get("oficios", []):
                raise NotFoundError("El objeto no existe.", code="object_not_found")
        else:
            doc = await self._find(clave, bucket)
            await self._authorize_read(caller, doc)
        url = self.store.presigned_get(doc["bucket"], clave, self.presign_seconds, filename=doc.get("nombre"))
        return {
            "url": url,
            "expira": utc_now() + timedelta(seconds=self.presign_seconds),
            "clave": clave,
            "bucket": doc["bucket"],
            "media_type": doc["media_type"],
        }

    async def _find(self, clave: str, bucket: str | None) -> dict[str, Any]:
        if not is_content_key(clave):
            raise NotFoundError("La clave del objeto no es válida.", code="object_not_found")
        if bucket is not None:
            doc = await self.objects.get(bucket, clave)
        else:
            found = {d["bucket"]: d for d in await self.objects.find_by_key(clave)}
            doc = next((found[b] for b in BUCKET_PREFERENCE if b in found), None)
        if doc is None:
            raise NotFoundError("El objeto no existe.", code="object_not_found")
        return doc

    async def _authorize_read(self, caller: Caller, doc: dict[str, Any]) -> None:
        """Readable by whoever may read any oficio that owns the object."""
        if caller.kind == "system":
            return
        last: SignumError | None = None
        for oficio_id in doc.get("oficios", []):
            try:
                await self.authorize_oficio(caller, Action.OFICIO_LEER, oficio_id)
                return
            except SignumError as exc:
                last = exc
        raise last or NotFoundError("El objeto no existe.", code="object_not_found")

    # --- retention ----------------------------------------------------------------------------

    async def expiring_report(self, days: int) -> list[dict[str, Any]]:
        now = utc_now()
        return [
            object_view(doc) | {"dias_restantes": days_left(doc["retencion_hasta"], now)}
            async for doc in self.objects.expiring(now + timedelta(days=days), only_unwarned=False)
        ]

    async def warn_expiring(self, days: int) -> int:
        """Emit `object.retention_expiring` for objects entering the window (once per object)."""
        now = utc_now()
        warned = 0
        async for doc in self.objects.expiring(now + timedelta(days=days), only_unwarned=True):
            event = RetentionExpiring(
                oficio_id=(doc.get("oficios") or [None])[0],
                correlation_id=uuid.uuid4().hex,
                actor=Actor.system(SERVICE),
                payload=RetentionExpiringPayload(
                    clave=doc["clave"],
                    bucket=doc["bucket"],
                    serie=doc["serie"],
                    retencion_hasta=doc["retencion_hasta"],
                    dias_restantes=days_left(doc["retencion_hasta"], now),
                ),
            )
            if await self.objects.mark_warned(doc["_id"], now, event):
                warned += 1
        if warned:
            self._notify()
        return warned


def _result(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "clave": doc["clave"],
        "sha256": doc["sha256"],
        "tamano": doc["tamano"],
        "bucket": doc["bucket"],
        "media_type": doc["media_type"],
    }


# --- audit --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    intact: bool
    records: int
    first_break: ChainBreak | None
    head: dict[str, Any] | None

    def report(self) -> dict[str, Any]:
        return {
            "integra": self.intact,
            "registros": self.records,
            "primer_quiebre": None
            if self.first_break is None
            else {
                "seq": self.first_break.seq,
                "tipo": self.first_break.kind,
                "mensaje": self.first_break.message,
            },
            "sello": self.head,
            "mensaje": "La bitácora está íntegra." if self.intact else self.first_break.message,  # type: ignore[union-attr]
        }


class AuditService:
    """The tamper-evident log of every Signum event."""

    def __init__(
        self,
        repo: AuditRepository,
        store: ObjectStore,
        oficios: OficioRepository,
        *,
        head_retention_days: int,
    ) -> None:
        self.repo = repo
        self.store = store
        self.oficios = oficios
        self.head_retention = timedelta(days=head_retention_days)

    async def append(self, event: Event) -> dict[str, Any] | None:
        document = event.to_document()
        return await self.repo.append(document, document["payload"], event.topic.value)

    async def seal(self) -> int | None:
        """Write the chain head as an immutable object when it moved since the last seal."""
        head = await self.repo.head()
        if head is None or int(head["seq"]) <= await self.repo.last_sealed():
            return None
        now = utc_now()
        key = await self.store.seal_head(int(head["seq"]), str(head["hash"]), now, now + self.head_retention)
        await self.repo.sealed(int(head["seq"]), key, now)
        return int(head["seq"])

    async def verify(self) -> Verification:
        head = await self.store.latest_head()
        verifier = ChainVerifier(head=head)
        async for record in self.repo.walk():
            if not verifier.feed(record):
                break
        first = verifier.finish()
        return Verification(intact=first is None, records=verifier.checked, first_break=first, head=head)

    async def timeline(self, oficio_id: str) -> list[dict[str, Any]]:
        return [
            {
                "seq": r["seq"],
                "event_id": r["event_id"],
                "tipo": r["type"],
                "descripcion": describe_event(r["type"], r.get("payload")),
                "cuando": r["occurred_at"],
                "quien": r["actor"],
                "productor": r["producer"],
                "detalle": r.get("payload"),
            }
            async for r in self.repo.of_oficio(oficio_id)
        ]


ALL_TOPICS = tuple(Topic)
