"""Public inbox and delivery endpoints: the bandeja with its folders, acuse de recibo, turnar,
concluir, archivar, the turnos tree and real-time notifications (server-sent events).

Thin routes: `require()` makes the coarse check; routing decides on the delivery itself (its
recipient, their suplente, the office's oficialía de partes, or whoever turned it).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from signum.gateway.deps import ClientsDep, require
from signum.gateway.limits import scan_limit, settings_of
from signum.platform.errors import ValidationFailedError
from signum.platform.http import (
    CALLER_HEADER,
    CORRELATION_HEADER,
    INTERNAL_TOKEN_HEADER,
    current_correlation_id,
    segment,
)
from signum.platform.identity import Caller
from signum.platform.policy import Action, UnitAccess, authorize
from signum.platform.text import SafeText
from signum.platform.uploads import MultipartBody, read_form, upload_chunks

router = APIRouter(prefix="/api/v1", tags=["bandeja"])

Carpeta = Literal[
    "recibidos", "turnados", "enviados", "copias", "borradores", "por_revisar", "por_firmar", "archivados"
]
Buzon = Literal["personal", "oficialia"]
EntregaId = Path(min_length=3, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")


class TurnarRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    destinatarios: list[str] = Field(min_length=1, max_length=50, description="Ids de los funcionarios.")
    instruccion: Literal[
        "para_su_atencion",
        "para_conocimiento",
        "para_tramite_procedente",
        "para_su_respuesta",
        "para_opinion",
        "para_archivo",
    ]
    nota: SafeText = Field(default="", max_length=2000)
    fecha_limite: dt.date | None = None
    dias_habiles: int | None = Field(default=None, ge=1, le=120, description="Plazo en días hábiles.")


class AcuseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    forma: Literal["apertura", "explicita"] = Field(
        default="explicita",
        description="«apertura»: la página la registra al mostrar la entrega; «explicita»: con el botón.",
    )


class ConcluirRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    motivo: SafeText = Field(min_length=1, max_length=2000, description="Por qué se concluye sin oficio.")


@router.get("/bandeja", summary="Bandeja: una carpeta, con filtros, búsqueda y paginación por cursor")
async def bandeja(
    services: ClientsDep,
    carpeta: Carpeta = "recibidos",
    buzon: Buzon = "personal",
    estado: str | None = Query(None, max_length=32),
    prioridad: Literal["ordinaria", "urgente"] | None = None,
    remitente_unidad: str | None = Query(None, max_length=64),
    desde: dt.date | None = None,
    hasta: dt.date | None = None,
    vencidos: bool = False,
    q: str | None = Query(None, max_length=200, description="Folio, asunto o remitente."),
    cursor: str | None = Query(None, max_length=400),
    limite: int = Query(25, ge=1, le=100),
    caller: Caller = Depends(require(Action.BANDEJA_LEER)),
) -> Any:
    params = {
        "carpeta": carpeta,
        "buzon": buzon,
        "estado": estado,
        "prioridad": prioridad,
        "remitente_unidad": remitente_unidad,
        "desde": desde.isoformat() if desde else None,
        "hasta": hasta.isoformat() if hasta else None,
        "vencidos": "true" if vencidos else None,
        "q": q,
        "cursor": cursor,
        "limite": limite,
    }
    return await services.routing.request(
        "GET",
        "/internal/bandeja",
        caller=caller,
        correlation_id=current_correlation_id(),
        params={k: v for k, v in params.items() if v is not None},
    )


@router.get("/bandeja/no-leidos", summary="Cuántos elementos sin leer hay en cada carpeta")
async def no_leidos(
    services: ClientsDep, buzon: Buzon = "personal", caller: Caller = Depends(require(Action.BANDEJA_LEER))
) -> Any:
    return await services.routing.request(
        "GET", "/internal/bandeja/no-leidos", caller=caller, params={"buzon": buzon}
    )


@router.get(
    "/bandeja/pendientes",
    summary="Lo que espera al funcionario: por revisar, por firmar, recibidos sin abrir y vencidos",
)
async def pendientes(services: ClientsDep, caller: Caller = Depends(require(Action.BANDEJA_LEER))) -> Any:
    return await services.routing.request("GET", "/internal/bandeja/pendientes", caller=caller)


@router.get(
    "/oficios/{oficio_id}/seguimiento",
    summary="Seguimiento de un oficio enviado: estado de cada destinatario, acuses y trayectoria",
)
async def seguimiento(
    services: ClientsDep,
    oficio_id: str = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$"),
    caller: Caller = Depends(require(Action.OFICIO_HISTORIAL)),
) -> Any:
    # Routing decides on the oficio: its sender side (author, collaborators, signers), a titular of
    # its unit or an auditor; a recipient sees their own delivery, not the others'.
    return await services.routing.request(
        "GET",
        f"/internal/oficios/{segment(oficio_id)}/seguimiento",
        caller=caller,
        correlation_id=current_correlation_id(),
    )


@router.get("/bandeja/instrucciones", summary="Catálogo de instrucciones para turnar")
async def instrucciones(services: ClientsDep, caller: Caller = Depends(require(Action.BANDEJA_LEER))) -> Any:
    return await services.routing.request("GET", "/internal/instrucciones", caller=caller)


@router.get(
    "/entregas/{entrega_id}", summary="Una entrega (solo lectura: el acuse se registra con POST .../acuse)"
)
async def entrega(
    services: ClientsDep, entrega_id: str = EntregaId, caller: Caller = Depends(require(Action.ENTREGA_LEER))
) -> Any:
    return await services.routing.request(
        "GET",
        f"/internal/entregas/{segment(entrega_id)}",
        caller=caller,
        correlation_id=current_correlation_id(),
    )


@router.post("/entregas/{entrega_id}/acuse", summary="Acusar de recibido (acuse sellado por la dependencia)")
async def acuse(
    services: ClientsDep,
    entrega_id: str = EntregaId,
    body: AcuseRequest | None = None,
    caller: Caller = Depends(require(Action.ENTREGA_ACUSAR)),
) -> Any:
    return await services.routing.request(
        "POST",
        f"/internal/entregas/{segment(entrega_id)}/acuse",
        caller=caller,
        json=(body or AcuseRequest()).model_dump(),
        correlation_id=current_correlation_id(),
    )


@router.post("/entregas/{entrega_id}/turnos", summary="Turnar a personal subordinado")
async def turnar(
    body: TurnarRequest,
    services: ClientsDep,
    entrega_id: str = EntregaId,
    caller: Caller = Depends(require(Action.ENTREGA_TURNAR)),
) -> Any:
    return await services.routing.request(
        "POST",
        f"/internal/entregas/{segment(entrega_id)}/turnos",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=body.model_dump(mode="json"),
    )


@router.get(
    "/entregas/{entrega_id}/historial",
    summary="Trayectoria del oficio de una entrega (quién, cuándo, qué), también de documentos en papel",
)
async def historial(
    services: ClientsDep, entrega_id: str = EntregaId, caller: Caller = Depends(require(Action.ENTREGA_LEER))
) -> Any:
    return await services.routing.request(
        "GET", f"/internal/entregas/{segment(entrega_id)}/historial", caller=caller
    )


@router.get("/entregas/{entrega_id}/turnos", summary="Árbol de turnos de una entrega")
async def arbol(
    services: ClientsDep, entrega_id: str = EntregaId, caller: Caller = Depends(require(Action.ENTREGA_LEER))
) -> Any:
    return await services.routing.request(
        "GET", f"/internal/entregas/{segment(entrega_id)}/turnos", caller=caller
    )


@router.post("/entregas/{entrega_id}/conclusion", summary="Concluir sin oficio de respuesta (con motivo)")
async def concluir(
    body: ConcluirRequest,
    services: ClientsDep,
    entrega_id: str = EntregaId,
    caller: Caller = Depends(require(Action.ENTREGA_CONCLUIR)),
) -> Any:
    return await services.routing.request(
        "POST",
        f"/internal/entregas/{segment(entrega_id)}/conclusion",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=body.model_dump(),
    )


@router.post("/entregas/{entrega_id}/archivo", summary="Archivar una entrega cerrada o una copia")
async def archivar(
    services: ClientsDep,
    entrega_id: str = EntregaId,
    caller: Caller = Depends(require(Action.ENTREGA_ARCHIVAR)),
) -> Any:
    return await services.routing.request(
        "POST",
        f"/internal/entregas/{segment(entrega_id)}/archivo",
        caller=caller,
        correlation_id=current_correlation_id(),
    )


class ResponderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asunto: str | None = Field(default=None, min_length=1, max_length=500)
    colaboradores: list[dict[str, str]] = Field(default_factory=list, max_length=50)


@router.post(
    "/entregas/{entrega_id}/respuesta",
    status_code=201,
    summary="Responder: crea el borrador del oficio de respuesta (ligado al oficio recibido)",
)
async def responder(
    body: ResponderRequest,
    services: ClientsDep,
    entrega_id: str = EntregaId,
    caller: Caller = Depends(require(Action.ENTREGA_RESPONDER)),
) -> Any:
    basis = await services.routing.request(
        "GET",
        f"/internal/entregas/{segment(entrega_id)}/respuesta",
        caller=caller,
        correlation_id=current_correlation_id(),
    )
    if caller.unidad_id is None:
        raise ValidationFailedError(
            "Su cuenta no tiene unidad para emitir la respuesta.", code="unidad_required"
        )
    authorize(caller, Action.OFICIO_CREAR, UnitAccess(caller.unidad_id))
    contenido: dict[str, Any] = {
        "referencia": {"oficio_id": basis["oficio_id"], "folio": basis["folio"], "fecha": basis.get("fecha")},
    }
    if basis.get("remitente_id"):
        contenido["destinatarios"] = [{"tipo": "funcionario", "id": basis["remitente_id"]}]
    return await services.drafting.request(
        "POST",
        "/internal/oficios",
        caller=caller,
        correlation_id=current_correlation_id(),
        json={
            "kind": "oficio",
            "asunto": body.asunto or f"Respuesta al oficio {basis['folio']}",
            "office_id": caller.unidad_id,
            "colaboradores": body.colaboradores,
            "prioridad": basis.get("prioridad", "ordinaria"),
            "en_respuesta_a": basis["oficio_id"],
            "contenido": contenido,
        },
    )


REGISTRO_FIELDS = (
    "asunto",
    "remitente_nombre",
    "remitente_cargo",
    "remitente_organizacion",
    "folio_externo",
    "fecha_documento",
    "destinatario_tipo",
    "destinatario_id",
    "prioridad",
    "fecha_limite",
)


@router.post(
    "/oficialia/registros",
    status_code=201,
    summary="Oficialía de partes: registrar un documento recibido en papel (multipart: archivo + datos)",
)
async def registrar(
    request: Request, services: ClientsDep, caller: Caller = Depends(require(Action.DOCUMENTO_REGISTRAR))
) -> Any:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ValidationFailedError(
            "Envíe un formulario multipart con el PDF escaneado en «archivo» y los datos.",
            code="multipart_required",
        )
    # The scan is refused as soon as it passes its limit (413 scan_too_large), spooled to disk
    # and streamed on to routing (which streams it to storage): never held whole in memory.
    form = await read_form(request, {"archivo": scan_limit(settings_of(request))})
    try:
        upload = form.get("archivo")
        if not isinstance(upload, UploadFile):
            raise ValidationFailedError(
                "Adjunte el PDF escaneado en el campo «archivo».", code="file_missing"
            )
        fields: dict[str, str] = {}
        for name in REGISTRO_FIELDS:
            value = form.get(name)
            if isinstance(value, str) and value.strip():
                fields[name] = value.strip()
        body = MultipartBody(fields, "archivo", "escaneo.pdf", upload_chunks(upload), "application/pdf")
        return await services.routing.stream_upload(
            "/internal/registros",
            body.stream(),
            caller=caller,
            correlation_id=current_correlation_id(),
            content_type=body.content_type,
        )
    finally:
        await form.close()


@router.get("/notificaciones", summary="Notificaciones en tiempo real (server-sent events)")
async def notificaciones(
    request: Request,
    buzon: Buzon = "personal",
    max_segundos: float = Query(300, ge=0, le=3600, description="El navegador se reconecta al cerrarse."),
    caller: Caller = Depends(require(Action.BANDEJA_LEER)),
) -> StreamingResponse:
    settings = request.app.state.settings
    headers = {
        INTERNAL_TOKEN_HEADER: settings.infra.internal_token.get_secret_value(),
        CALLER_HEADER: json.dumps(caller.model_dump(mode="json"), ensure_ascii=True),
        CORRELATION_HEADER: current_correlation_id() or "",
    }

    async def relay() -> AsyncIterator[bytes]:
        timeout = httpx.Timeout(connect=5.0, read=None, write=5.0, pool=5.0)
        try:
            async with (
                httpx.AsyncClient(base_url=settings.routing_url, timeout=timeout) as client,
                client.stream(
                    "GET", "/internal/notificaciones", params={"buzon": buzon}, headers=headers
                ) as r,
            ):
                if r.status_code != 200:
                    yield b'event: error\ndata: {"code": "notifications_unavailable"}\n\n'
                    return
                # Routing sends a comment at once and a heartbeat every few seconds, so the deadline
                # is checked at least that often.
                deadline = time.monotonic() + max_segundos
                async for chunk in r.aiter_raw():
                    yield chunk
                    if time.monotonic() >= deadline:
                        return
        except httpx.HTTPError:
            yield b'event: error\ndata: {"code": "routing_unavailable"}\n\n'

    return StreamingResponse(
        relay(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
