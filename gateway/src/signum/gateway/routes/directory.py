"""Public directory endpoints under /api/v1/directorio (thin: parse, authorize, call the service)."""

# No `from __future__ import annotations`: FastAPI must see the `Annotated` dependencies built
# inside `router()` as objects, not as names it cannot resolve.
import asyncio
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from starlette.datastructures import UploadFile

from signum.gateway.directory.importer import ImportFileError
from signum.gateway.directory.schemas import (
    DependenciaOut,
    FuncionarioOut,
    PaginaFuncionarios,
    ReporteImportacion,
    SuplenciaIn,
    SuplenciaOut,
    UnidadDetalleOut,
    UnidadOut,
    decode_cursor,
    encode_cursor,
)
from signum.gateway.directory.service import DirectoryService
from signum.platform.errors import ValidationFailedError
from signum.platform.identity import Caller
from signum.platform.policy import Action
from signum.platform.uploads import Limit, is_multipart, read_form, spool

Require = Callable[[Action], Callable[..., Any]]
"""The authorization dependency factory: `require(action)` authenticates and checks `action`."""

_UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "description": "El CSV del directorio: como archivo (`archivo`) de un formulario multipart, "
        "o el CSV tal cual con `Content-Type: text/csv`.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"archivo": {"type": "string", "format": "binary"}},
                    "required": ["archivo"],
                }
            },
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def router(service: DirectoryService, require: Require) -> APIRouter:
    """The directory's routes; `require(action)` guards each one."""
    api = APIRouter(prefix="/api/v1/directorio", tags=["directorio"])
    Reader = Annotated[Caller, Depends(require(Action.DIRECTORIO_LEER))]
    Importer = Annotated[Caller, Depends(require(Action.DIRECTORIO_IMPORTAR))]
    Admin = Annotated[Caller, Depends(require(Action.DIRECTORIO_ADMINISTRAR))]

    @api.post(
        "/importaciones",
        response_model=ReporteImportacion,
        status_code=status.HTTP_201_CREATED,
        summary="Importar el directorio desde un CSV (o simular la importación)",
        openapi_extra=_UPLOAD_DOC,
        responses={
            200: {"description": "Simulación: lo que se haría, sin escribir nada."},
            413: {"description": "El archivo excede el tamaño máximo."},
            422: {"description": "El archivo tiene errores: se listan todos y no se escribe nada."},
        },
    )
    async def importar(
        caller: Importer,
        request: Request,
        response: Response,
        simulacion: bool = Query(False, description="Validar y reportar sin escribir."),
    ) -> ReporteImportacion:
        data = await _uploaded_csv(request, service.max_bytes)
        report = await service.import_csv(
            data,
            actor=caller.actor,
            correlation_id=request.state.correlation_id,
            simulacion=simulacion,
        )
        if simulacion:
            response.status_code = status.HTTP_200_OK
        return ReporteImportacion.of(report)

    @api.get("/dependencias", response_model=list[DependenciaOut], summary="Dependencias")
    async def dependencias(caller: Reader) -> list[DependenciaOut]:
        return [DependenciaOut.of(d) for d in await service.dependencias()]

    @api.get("/unidades", response_model=list[UnidadOut], summary="Unidades administrativas")
    async def unidades(
        caller: Reader,
        dependencia: str | None = Query(None, max_length=64, description="Solo las de esta dependencia."),
    ) -> list[UnidadOut]:
        return [UnidadOut.of(u) for u in await service.unidades(dependencia)]

    @api.get(
        "/unidades/{unidad_id}",
        response_model=UnidadDetalleOut,
        summary="Una unidad con sus puestos y quién los ocupa",
    )
    async def unidad(unidad_id: str, caller: Reader) -> UnidadDetalleOut:
        return UnidadDetalleOut.of_detalle(await service.unidad(unidad_id))

    @api.get("/funcionarios", response_model=PaginaFuncionarios, summary="Buscar funcionarios")
    async def funcionarios(
        caller: Reader,
        q: str = Query("", max_length=200, description="Palabras del nombre, correo o número de empleado."),
        unidad: str | None = Query(
            None, max_length=64, description="Solo quienes ocupan un puesto de esta unidad."
        ),
        subunidades: bool = Query(
            False, description="Con `unidad`: incluir las unidades que dependen de ella."
        ),
        cursor: str | None = Query(None, max_length=600, description="El `siguiente` de la página anterior."),
        limite: int = Query(50, ge=1, le=200),
    ) -> PaginaFuncionarios:
        found, next_cursor = await service.buscar_funcionarios(
            texto=q, unidad_id=unidad, subunidades=subunidades, cursor=decode_cursor(cursor), limite=limite
        )
        return PaginaFuncionarios(
            funcionarios=[FuncionarioOut.of_detalle(d) for d in found], siguiente=encode_cursor(next_cursor)
        )

    @api.get("/funcionarios/{funcionario_id}", response_model=FuncionarioOut, summary="Un funcionario")
    async def funcionario(funcionario_id: str, caller: Reader) -> FuncionarioOut:
        return FuncionarioOut.of_detalle(await service.funcionario(funcionario_id))

    @api.post(
        "/funcionarios/{funcionario_id}/baja",
        response_model=FuncionarioOut,
        summary="Dar de baja a un funcionario (su puesto queda vacante)",
    )
    async def baja(funcionario_id: str, request: Request, caller: Admin) -> FuncionarioOut:
        await service.dar_de_baja(
            funcionario_id, actor=caller.actor, correlation_id=request.state.correlation_id
        )
        return FuncionarioOut.of_detalle(await service.funcionario(funcionario_id))

    @api.get("/suplencias", response_model=list[SuplenciaOut], summary="Suplencias")
    async def suplencias(
        caller: Reader,
        puesto: str | None = Query(None, max_length=64),
        suplente: str | None = Query(None, max_length=64),
        actuales: bool = Query(
            False, description="Solo las vigentes y las por venir (sin canceladas ni terminadas)."
        ),
    ) -> list[SuplenciaOut]:
        found = await service.suplencias(
            puesto_id=puesto, suplente_id=suplente, terminan_desde=date.today() if actuales else None
        )
        return [SuplenciaOut.of_detalle(d) for d in await service.describir_suplencias(found)]

    @api.post(
        "/suplencias",
        response_model=SuplenciaOut,
        status_code=status.HTTP_201_CREATED,
        summary="Registrar una suplencia (quién firma «por ausencia de»)",
    )
    async def crear_suplencia(body: SuplenciaIn, request: Request, caller: Admin) -> SuplenciaOut:
        suplencia = await service.crear_suplencia(
            puesto_id=body.puesto_id,
            suplente_id=body.suplente_id,
            desde=body.desde,
            hasta=body.hasta,
            motivo=body.motivo,
            actor=caller.actor,
            correlation_id=request.state.correlation_id,
        )
        _forget(request, suplencia.suplente_id)
        return SuplenciaOut.of_detalle((await service.describir_suplencias([suplencia]))[0])

    @api.delete("/suplencias/{suplencia_id}", response_model=SuplenciaOut, summary="Cancelar una suplencia")
    async def cancelar_suplencia(suplencia_id: str, request: Request, caller: Admin) -> SuplenciaOut:
        cancelled = await service.cancelar_suplencia(
            suplencia_id, actor=caller.actor, correlation_id=request.state.correlation_id
        )
        _forget(request, cancelled.suplente_id)
        return SuplenciaOut.of_detalle((await service.describir_suplencias([cancelled]))[0])

    return api


def _forget(request: Request, funcionario_id: str) -> None:
    """A suplencia changes what its suplente may do now: this gateway stops using the caller it
    cached for them (other replicas' caches expire within `CALLER_CACHE_SECONDS`)."""
    identity = getattr(request.app.state, "identity", None)
    if identity is not None:
        identity.forget(funcionario_id)


async def _uploaded_csv(request: Request, max_bytes: int) -> bytes:
    """The CSV of the request: a multipart form's file part (`archivo`, or the first file), or the
    body itself; refused as soon as it passes `max_bytes` and spooled to disk until then."""
    limit = Limit(
        max_bytes,
        "directory_import_too_large",
        f"El archivo excede el máximo de {max_bytes / 1_048_576:.0f} MB. Divídalo por dependencia "
        "e impórtelo por partes.",
    )
    if not is_multipart(request):
        with await spool(request.stream(), limit) as body:
            return await asyncio.to_thread(body.read)
    try:
        form = await read_form(request, {"archivo": limit}, default=max_bytes)
    except ValidationFailedError:
        raise ImportFileError("El formulario no se pudo leer.", code="directory_import_bad_form") from None
    try:
        files = [v for _, v in form.multi_items() if isinstance(v, UploadFile) and v.filename]
        chosen = form.get("archivo") if isinstance(form.get("archivo"), UploadFile) else None
        upload = chosen or (files[0] if files else None)
        if isinstance(upload, UploadFile):
            return await upload.read()
    finally:
        await form.close()
    raise ImportFileError(
        "El formulario no trae el archivo: envíe el CSV en el campo «archivo».",
        code="directory_import_missing_file",
    )
