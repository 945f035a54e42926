"""Storage's internal HTTP API (thin: parse, call the service, shape the answer).

Keys are content addresses `sha256/<hex>`, so object routes are `/internal/objetos/sha256/{hex}`:
a caller builds them from the key's parts, each encoded with `signum.platform.http.segment`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from signum.platform.http import InternalGuard, caller_from_request, current_correlation_id
from signum.platform.identity import Caller
from signum.platform.policy import Action
from signum.storage.domain import KEY_PREFIX
from signum.storage.service import AuditService, StorageService

UploadBucket = Literal["documents", "drafts", "attachments"]
HEX = r"^[0-9a-f]{64}$"


class StoredObject(BaseModel):
    clave: str
    sha256: str
    tamano: int
    bucket: str
    media_type: str


class ObjectMetadata(StoredObject):
    oficios: list[str]
    serie: str
    retencion_hasta: datetime
    subido_por: dict[str, Any] | None
    nombre: str | None
    creado: datetime
    version_id: str | None


class PresignedUrl(BaseModel):
    url: str
    expira: datetime
    clave: str
    bucket: str
    media_type: str


class DirectUploadRequest(BaseModel):
    bucket: UploadBucket = "attachments"
    oficio_id: str = Field(min_length=1, max_length=64)
    media_type: str | None = Field(default=None, max_length=200)
    serie: str | None = Field(default=None, max_length=64)
    nombre: str | None = Field(default=None, max_length=300)
    tamano: int | None = Field(default=None, ge=1)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")


class DirectUpload(BaseModel):
    id: str
    url: str
    metodo: str
    clave_temporal: str
    expira: datetime


def _caller(request: Request) -> Caller:
    return caller_from_request(request)


def router(service: StorageService, audit: AuditService, guard: InternalGuard) -> APIRouter:
    api = APIRouter(prefix="/internal", dependencies=[Depends(guard)], tags=["almacenamiento"])

    @api.post(
        "/objetos",
        status_code=status.HTTP_201_CREATED,
        response_model=StoredObject,
        summary="Guardar un objeto (cuerpo en crudo, en flujo)",
    )
    async def upload(
        request: Request,
        oficio_id: str = Query(min_length=1, max_length=64),
        bucket: UploadBucket = Query(default="attachments"),
        media_type: str | None = Query(default=None, max_length=200),
        serie: str | None = Query(default=None, max_length=64),
        nombre: str | None = Query(default=None, max_length=300),
    ) -> StoredObject:
        result = await service.upload(
            _caller(request),
            request.stream(),
            bucket=bucket,
            oficio_id=oficio_id,
            declared_type=media_type or request.headers.get("content-type"),
            serie=serie,
            nombre=nombre,
            correlation_id=current_correlation_id(),
        )
        return StoredObject(**result)

    @api.get("/objetos/sha256/{digest}", summary="Leer los bytes de un objeto (huella verificada)")
    async def download(
        request: Request,
        digest: str = Path(pattern=HEX),
        bucket: UploadBucket | None = None,
    ) -> StreamingResponse:
        doc, chunks = await service.open_verified(_caller(request), KEY_PREFIX + digest, bucket)
        return StreamingResponse(
            chunks,
            media_type=doc["media_type"],
            headers={"Content-Length": str(doc["tamano"]), "X-Signum-SHA256": doc["sha256"]},
        )

    @api.get("/objetos/sha256/{digest}/metadatos", response_model=ObjectMetadata)
    async def metadata(
        request: Request, digest: str = Path(pattern=HEX), bucket: UploadBucket | None = None
    ) -> ObjectMetadata:
        return ObjectMetadata(**await service.metadata(_caller(request), KEY_PREFIX + digest, bucket))

    @api.post("/objetos/sha256/{digest}/url", response_model=PresignedUrl, summary="URL firmada de descarga")
    async def presign(
        request: Request,
        digest: str = Path(pattern=HEX),
        bucket: UploadBucket | None = None,
        oficio_id: str | None = Query(default=None, max_length=64),
    ) -> PresignedUrl:
        signed = await service.presigned_download(
            _caller(request), KEY_PREFIX + digest, bucket, oficio_id=oficio_id
        )
        return PresignedUrl(**signed)

    @api.post("/subidas", status_code=status.HTTP_201_CREATED, response_model=DirectUpload)
    async def start_upload(request: Request, body: DirectUploadRequest) -> DirectUpload:
        started = await service.start_direct_upload(_caller(request), **body.model_dump())
        return DirectUpload(**started)

    @api.post(
        "/subidas/{upload_id}/confirmar", status_code=status.HTTP_201_CREATED, response_model=StoredObject
    )
    async def confirm_upload(request: Request, upload_id: str) -> StoredObject:
        result = await service.confirm_direct_upload(_caller(request), upload_id, current_correlation_id())
        return StoredObject(**result)

    @api.get("/retencion/por-vencer", summary="Objetos cuyo plazo de conservación termina pronto")
    async def expiring(dias: int = Query(default=90, ge=0, le=36500)) -> dict[str, Any]:
        objetos = await service.expiring_report(dias)
        return {"dias": dias, "total": len(objetos), "objetos": objetos}

    @api.get("/auditoria/verificacion", summary="Verificar la cadena de la bitácora")
    async def verify_chain() -> dict[str, Any]:
        return (await audit.verify()).report()

    @api.get("/oficios/{oficio_id}/linea-de-tiempo", summary="Línea de tiempo de un oficio")
    async def timeline(request: Request, oficio_id: str) -> dict[str, Any]:
        # Every event whole, every office's steps: the sender's side and auditors, not recipients
        # (they follow their own deliveries in routing's trajectory).
        await service.authorize_oficio(_caller(request), Action.OFICIO_HISTORIAL, oficio_id)
        return {"oficio_id": oficio_id, "eventos": await audit.timeline(oficio_id)}

    return api
