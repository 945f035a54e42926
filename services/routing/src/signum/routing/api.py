"""Routing's internal HTTP API (thin: the gateway calls it with the caller; the rules live in `service`)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from signum.platform.errors import ValidationFailedError
from signum.platform.http import InternalGuard, caller_from_request
from signum.platform.text import SafeText
from signum.platform.uploads import Limit, read_form, upload_chunks
from signum.routing import domain
from signum.routing.service import RoutingService


class TimelineEntry(BaseModel):
    event_id: str
    type: str
    at: datetime
    actor: dict[str, Any]


class TrackingResponse(BaseModel):
    oficio_id: str
    status: str
    office_id: str
    timeline: list[TimelineEntry]


class ReadersResponse(BaseModel):
    oficio_id: str
    lectores: list[str]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TurnarRequest(_Body):
    destinatarios: list[str] = Field(min_length=1, max_length=50, description="Funcionarios (ids).")
    instruccion: str = Field(min_length=1, max_length=64, description="Clave del catálogo de instrucciones.")
    nota: SafeText = Field(default="", max_length=2000)
    fecha_limite: dt.date | None = None
    dias_habiles: int | None = Field(
        default=None, description="Plazo en días hábiles (alternativa a la fecha)."
    )


class AcuseRequest(_Body):
    forma: Literal["apertura", "explicita"] = "explicita"


class ConcluirRequest(_Body):
    motivo: SafeText = Field(default="", max_length=2000)


class RegistroRequest(_Body):
    asunto: str = Field(min_length=1, max_length=500)
    remitente_nombre: str = Field(min_length=1, max_length=300)
    remitente_cargo: str = Field(default="", max_length=300)
    remitente_organizacion: str = Field(min_length=1, max_length=300)
    folio_externo: str = Field(default="", max_length=100)
    fecha_documento: dt.date | None = None
    destinatario_tipo: str = Field(min_length=1, max_length=32)
    destinatario_id: str = Field(min_length=1, max_length=64)
    prioridad: str = Field(default="ordinaria", pattern="^(ordinaria|urgente)$")
    fecha_limite: dt.date | None = None


_REGISTRO_SCHEMA = RegistroRequest.model_json_schema()
_REGISTRO_DOC = {
    "requestBody": {
        "required": True,
        "description": "Formulario multipart: el PDF escaneado en `archivo` y los datos del registro.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "archivo": {"type": "string", "format": "binary"},
                        **_REGISTRO_SCHEMA["properties"],
                    },
                    "required": ["archivo", *_REGISTRO_SCHEMA.get("required", [])],
                }
            }
        },
    }
}


def router(service: RoutingService, guard: InternalGuard, scan: Limit) -> APIRouter:
    """Routing's internal API; `scan` is the limit of a registered paper document's PDF."""
    api = APIRouter(prefix="/internal", dependencies=[Depends(guard)], tags=["turnado"])

    @api.get("/oficios/{oficio_id}/lectores", response_model=ReadersResponse)
    async def readers(oficio_id: str) -> ReadersResponse:
        """The oficio's readers by delivery, for other services (not the gateway: no caller needed)."""
        return ReadersResponse(oficio_id=oficio_id, lectores=await service.readers(oficio_id))

    @api.get("/oficios/{oficio_id}/tracking", response_model=TrackingResponse)
    async def tracking(oficio_id: str, request: Request) -> TrackingResponse:
        doc, timeline = await service.tracking_steps(caller_from_request(request), oficio_id)
        return TrackingResponse(
            oficio_id=doc["_id"],
            status=doc.get("status", ""),
            office_id=doc.get("office_id", ""),
            timeline=timeline,
        )

    @api.get("/bandeja")
    async def bandeja(
        request: Request,
        carpeta: str = Query("recibidos", max_length=32),
        buzon: str | None = Query(None, max_length=32),
        estado: str | None = Query(None, max_length=32),
        prioridad: str | None = Query(None, pattern="^(ordinaria|urgente)$"),
        remitente_unidad: str | None = Query(None, max_length=64),
        desde: dt.date | None = None,
        hasta: dt.date | None = None,
        vencidos: bool = False,
        q: str | None = Query(None, max_length=200),
        cursor: str | None = Query(None, max_length=400),
        limite: int = Query(25, ge=1, le=100),
    ) -> dict[str, Any]:
        return await service.inbox_page(
            caller_from_request(request),
            carpeta,
            buzon=buzon,
            estado=estado,
            prioridad=prioridad,
            remitente_unidad=remitente_unidad,
            desde=desde,
            hasta=hasta,
            vencidos=vencidos,
            q=q,
            cursor=cursor,
            limite=limite,
        )

    @api.get("/bandeja/no-leidos")
    async def no_leidos(request: Request, buzon: str | None = Query(None, max_length=32)) -> dict[str, int]:
        return await service.unread_counts(caller_from_request(request), buzon)

    @api.get("/bandeja/pendientes")
    async def pendientes(request: Request) -> dict[str, Any]:
        return await service.waiting(caller_from_request(request))

    @api.get("/oficios/{oficio_id}/seguimiento")
    async def seguimiento(oficio_id: str, request: Request) -> dict[str, Any]:
        return await service.sent_view(caller_from_request(request), oficio_id)

    @api.get("/instrucciones")
    async def instrucciones() -> dict[str, str]:
        return domain.INSTRUCCIONES

    @api.get("/entregas/{entrega_id}")
    async def entrega(entrega_id: str, request: Request) -> dict[str, Any]:
        return await service.get_delivery(caller_from_request(request), entrega_id)

    @api.post("/entregas/{entrega_id}/acuse")
    async def acuse(entrega_id: str, request: Request, body: AcuseRequest | None = None) -> dict[str, Any]:
        forma = body.forma if body is not None else "explicita"
        return await service.acknowledge(caller_from_request(request), entrega_id, forma=forma)

    @api.post("/entregas/{entrega_id}/turnos")
    async def turnar(entrega_id: str, body: TurnarRequest, request: Request) -> dict[str, Any]:
        return await service.forward(
            caller_from_request(request),
            entrega_id,
            destinatarios=body.destinatarios,
            instruccion=body.instruccion,
            nota=body.nota,
            fecha_limite=body.fecha_limite,
            dias_habiles=body.dias_habiles,
        )

    @api.get("/entregas/{entrega_id}/respuesta")
    async def respuesta(entrega_id: str, request: Request) -> dict[str, Any]:
        return await service.answer_basis(caller_from_request(request), entrega_id)

    @api.get("/entregas/{entrega_id}/historial")
    async def historial(entrega_id: str, request: Request) -> dict[str, Any]:
        return await service.history(caller_from_request(request), entrega_id)

    @api.get("/entregas/{entrega_id}/turnos")
    async def arbol(entrega_id: str, request: Request) -> dict[str, Any]:
        return await service.tree(caller_from_request(request), entrega_id)

    @api.post("/entregas/{entrega_id}/conclusion")
    async def concluir(entrega_id: str, body: ConcluirRequest, request: Request) -> dict[str, Any]:
        return await service.close(caller_from_request(request), entrega_id, body.motivo)

    @api.post("/entregas/{entrega_id}/archivo")
    async def archivar(entrega_id: str, request: Request) -> dict[str, Any]:
        return await service.archive(caller_from_request(request), entrega_id)

    @api.post(
        "/registros",
        status_code=201,
        summary="Registrar un documento en papel (multipart: archivo + datos)",
        openapi_extra=_REGISTRO_DOC,
        responses={413: {"description": "El PDF escaneado excede el máximo (scan_too_large)."}},
    )
    async def registrar(request: Request) -> dict[str, Any]:
        caller = caller_from_request(request)
        # The scan is refused as soon as it passes its limit and spooled to disk, then streamed on.
        form = await read_form(request, {"archivo": scan})
        try:
            upload = form.get("archivo")
            if not isinstance(upload, UploadFile):
                raise ValidationFailedError(
                    "Adjunte el PDF escaneado en el campo «archivo».", code="file_missing"
                )
            text = {name: value for name, value in form.multi_items() if isinstance(value, str)}
            try:
                fields = RegistroRequest.model_validate(text)
            except ValidationError as exc:
                raise RequestValidationError(exc.errors()) from None
            head = await upload.read(8)
            return await service.register_paper(
                caller, pdf_head=head, pdf=upload_chunks(upload), **fields.model_dump()
            )
        finally:
            await form.close()

    @api.get("/notificaciones")
    async def notificaciones(
        request: Request, buzon: str | None = Query(None, max_length=32)
    ) -> StreamingResponse:
        caller = caller_from_request(request)
        owners = [service.inbox_owner(caller, None)]
        if buzon == "oficialia":
            owners.append(service.inbox_owner(caller, "oficialia"))
        return StreamingResponse(
            service.notifier.stream(owners),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return api
