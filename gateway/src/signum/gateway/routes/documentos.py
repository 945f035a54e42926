"""Public document endpoints: attachments, downloads through presigned URLs, an oficio's timeline.

The storage service makes the access decision again with the same policy (its own read model of
oficios); the gateway only authenticates and streams.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import RedirectResponse

from signum.gateway.deps import ClientsDep, require
from signum.platform.http import current_correlation_id, segment
from signum.platform.identity import Caller
from signum.platform.policy import Action
from signum.platform.text import SafeText

router = APIRouter(prefix="/api/v1", tags=["documentos"])

SHA256_HEX = r"^[0-9a-f]{64}$"


@router.post(
    "/oficios/{oficio_id}/anexos",
    status_code=status.HTTP_201_CREATED,
    summary="Adjuntar un anexo (cuerpo del archivo en crudo)",
)
async def upload_attachment(
    oficio_id: str,
    request: Request,
    services: ClientsDep,
    nombre: SafeText | None = Query(default=None, max_length=300),
    serie: str | None = Query(default=None, max_length=64),
    caller: Caller = Depends(require(Action.DOCUMENTO_SUBIR)),
) -> Any:
    return await services.storage.upload(
        request.stream(),
        oficio_id=oficio_id,
        bucket="attachments",
        media_type=request.headers.get("content-type"),
        serie=serie,
        nombre=nombre,
        caller=caller,
        correlation_id=current_correlation_id(),
    )


@router.get(
    "/oficios/{oficio_id}/documentos/sha256/{digest}/descarga",
    summary="Descargar un documento del oficio (redirige a una URL firmada de corta vida)",
)
async def download(
    oficio_id: str,
    services: ClientsDep,
    digest: str = Path(pattern=SHA256_HEX),
    caller: Caller = Depends(require(Action.OFICIO_LEER)),
) -> RedirectResponse:
    # Storage decides on the oficio first, then checks that the object belongs to it.
    signed = await services.storage.download_url(
        digest, oficio_id=oficio_id, caller=caller, correlation_id=current_correlation_id()
    )
    return RedirectResponse(signed["url"], status_code=status.HTTP_302_FOUND)


@router.get(
    "/oficios/{oficio_id}/linea-de-tiempo",
    summary="Línea de tiempo del oficio (bitácora)",
    description=(
        "Cada evento del oficio con su contenido completo (redacción, firmas, entregas y turnos de "
        "todas las oficinas): para quien lo envió (participantes, titular de la unidad) y auditoría. "
        "Quien lo recibió consulta su trayectoria en la bandeja."
    ),
)
async def timeline(
    oficio_id: str,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_HISTORIAL)),
) -> Any:
    return await services.storage.request(
        "GET",
        f"/internal/oficios/{segment(oficio_id)}/linea-de-tiempo",
        caller=caller,
        correlation_id=current_correlation_id(),
    )
