"""Signing's internal HTTP API (thin: parse, call the service, shape the answer), and the local TSA.

Binary fields travel either as multipart files or as base64 strings in a JSON body: `cer`, `key`,
`pdf`, `pdfs`, `firma`. The password is a plain field. Nothing of a credential is logged or kept.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from signum.platform.errors import ValidationFailedError
from signum.platform.http import InternalGuard, caller_from_request, current_correlation_id
from signum.platform.uploads import (
    MIB,
    MULTIPART_ENVELOPE,
    BodyRule,
    Limit,
    field_limit,
    is_multipart,
    read_form,
    spool,
)
from signum.signing.errors import pdf_limit
from signum.signing.service import AcuseRequest, SigningService
from signum.signing.tsa import QUERY_CONTENT_TYPE, REPLY_CONTENT_TYPE, TimestampAuthority

BINARY_FIELDS = frozenset({"cer", "key", "pdf", "pdfs", "firma"})
SMALL_FIELD_BYTES = 1024  # a password, an oficio id
DEFAULT_FIELD_BYTES = 16 * 1024
LIST_FIELDS = frozenset({"pdfs", "oficio_ids"})


def _decode(name: str, value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValidationFailedError(f"El campo «{name}» debe ir en base64.", code="field_invalid")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailedError(f"El campo «{name}» no es base64 válido.", code="field_invalid") from None


def field_caps(*, max_pdf_bytes: int, max_credential_file_bytes: int) -> dict[str, Limit]:
    """The cap of each field of a form or JSON body (binary ones as decoded bytes); others get
    `DEFAULT_FIELD_BYTES`."""
    credential_file = field_limit(max_credential_file_bytes)
    pdf = pdf_limit(max_pdf_bytes)
    small = field_limit(SMALL_FIELD_BYTES)
    return {
        "cer": credential_file,
        "key": credential_file,
        "password": small,
        "contrasena": small,
        "pdf": pdf,
        "pdfs": pdf,
        "firma": field_limit(DEFAULT_FIELD_BYTES),
        "oficio_id": small,
        "oficio_ids": small,
    }


def body_rules(*, max_pdf_bytes: int) -> list[BodyRule]:
    """The routes that take PDFs (raw, in a form or base64 in JSON: a third more) take bodies past
    `SIGNUM_SIGNING_MAX_BODY_BYTES`; each field has its cap too (`field_caps`)."""
    verification = Limit(max_pdf_bytes * 4 // 3 + MULTIPART_ENVELOPE)
    with_pdfs = Limit(max_pdf_bytes * 4 // 3 + MIB)
    return [
        BodyRule("POST", "/internal/verificacion", verification),
        BodyRule("POST", "/internal/firmas/credencial", with_pdfs),
        BodyRule("POST", "/internal/firmas/lote", with_pdfs),
        BodyRule("POST", "/internal/firmas/preparacion", with_pdfs),
    ]


async def read_fields(request: Request, caps: Mapping[str, Limit]) -> dict[str, Any]:
    """The request's fields from multipart/form-data or JSON (binary ones base64-decoded), each
    refused with 413 past its cap in `caps` (a form's as it streams)."""
    content_type = request.headers.get("content-type", "")
    fields: dict[str, Any] = {}
    if is_multipart(request):
        form = await read_form(request, caps, default=DEFAULT_FIELD_BYTES)
        try:
            for name, value in form.multi_items():
                data: Any = await value.read() if isinstance(value, UploadFile) else value
                if name in LIST_FIELDS:
                    fields.setdefault(name, []).append(data)
                else:
                    fields[name] = data
        finally:
            await form.close()
    elif content_type.startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        for name, value in form.multi_items():
            if name in LIST_FIELDS:
                fields.setdefault(name, []).append(value)
            else:
                fields[name] = value
    else:
        try:
            body = await request.json()
        except ValueError:
            raise ValidationFailedError("El cuerpo de la solicitud no es JSON válido.") from None
        if not isinstance(body, dict):
            raise ValidationFailedError("El cuerpo de la solicitud debe ser un objeto JSON.")
        fields = body
    for name in BINARY_FIELDS & fields.keys():
        value = fields[name]
        fields[name] = [_decode(name, v) for v in value] if isinstance(value, list) else _decode(name, value)
        cap = caps.get(name)
        for item in fields[name] if isinstance(fields[name], list) else [fields[name]]:
            if cap is not None and len(item) > cap.bytes:
                raise cap.error(name)
    return fields


def _required(fields: dict[str, Any], name: str) -> Any:
    value = fields.get(name)
    if value in (None, b"", ""):
        raise ValidationFailedError(
            f"Falta el campo «{name}».", code="field_missing", details={"campo": name}
        )
    return value


def _password(fields: dict[str, Any]) -> str:
    value = fields.get("password", fields.get("contrasena"))
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if not isinstance(value, str):
        raise ValidationFailedError("Falta la contraseña de la clave privada.", code="field_missing")
    return value


def _oficio_id(fields: dict[str, Any]) -> str | None:
    value = fields.get("oficio_id")
    if value in (None, ""):
        return None
    return str(value)


def router(service: SigningService, guard: InternalGuard, caps: Mapping[str, Limit]) -> APIRouter:
    api = APIRouter(prefix="/internal", dependencies=[Depends(guard)], tags=["firma"])

    @api.post("/verificacion", summary="Verificar las firmas de un PDF (cuerpo en crudo o JSON con `pdf`)")
    async def verify(request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").startswith("application/json"):
            pdf = _required(await read_fields(request, caps), "pdf")
        else:
            # Spooled (disk past 1 MiB) and refused as soon as it passes the PDF limit.
            with await spool(request.stream(), caps["pdf"]) as spooled:
                pdf = await asyncio.to_thread(spooled.read)
        return await service.verify(pdf)

    @api.get(
        "/verificacion/{document_id}",
        summary="Verificar el último PDF firmado de un oficio o un acuse: por su id (QR) o su código corto",
    )
    async def verify_oficio(document_id: str) -> dict[str, Any]:
        return await service.verify_document(document_id)

    @api.get("/firmas/pendientes", summary="Oficios cuya siguiente firma es del solicitante (Por firmar)")
    async def awaiting(request: Request) -> dict[str, Any]:
        return await service.awaiting(caller_from_request(request))

    @api.get("/firmas/{oficio_id}/documento", summary="El PDF que firmarán (con las firmas que ya tiene)")
    async def document_to_sign(oficio_id: str, request: Request) -> dict[str, Any]:
        return await service.document_to_sign(caller_from_request(request), oficio_id)

    @api.post(
        "/acuses",
        status_code=201,
        summary="Acuse de recibo sellado con el sello institucional (idempotente por entrega)",
    )
    async def seal_acuse(body: AcuseRequest) -> dict[str, Any]:
        # A retry with the same `entrega_id` answers 201 with the same acuse.
        return await service.seal_acuse(body, correlation_id=current_correlation_id())

    @api.post(
        "/firmas/credencial", summary="Firmar con una e.firma enviada en esta llamada (solo en memoria)"
    )
    async def sign_with_credential(request: Request) -> dict[str, Any]:
        caller = caller_from_request(request)
        fields = await read_fields(request, caps)
        oficio_id = _oficio_id(fields)
        if oficio_id is not None:
            # Authorization before anything of the credential is read.
            await service.pending(caller, oficio_id)
        return await service.sign_with_credential(
            caller,
            cer=_required(fields, "cer"),
            key=_required(fields, "key"),
            password=_password(fields),
            pdf=None if oficio_id else _required(fields, "pdf"),
            oficio_id=oficio_id,
            fields=fields,
            correlation_id=current_correlation_id(),
        )

    @api.post("/firmas/lote", summary="Firmar varios documentos con una sola apertura de la e.firma")
    async def sign_batch(request: Request) -> dict[str, Any]:
        caller = caller_from_request(request)
        fields = await read_fields(request, caps)
        oficio_ids = [str(o) for o in fields.get("oficio_ids") or []]
        for oficio_id in oficio_ids:
            await service.pending(caller, oficio_id)
        return await service.sign_batch(
            caller,
            cer=_required(fields, "cer"),
            key=_required(fields, "key"),
            password=_password(fields),
            pdfs=None if oficio_ids else list(_required(fields, "pdfs")),
            oficio_ids=oficio_ids or None,
            correlation_id=current_correlation_id(),
        )

    @api.post("/firmas/preparacion", summary="Firma en el navegador, paso 1: los bytes a firmar")
    async def prepare(request: Request) -> dict[str, Any]:
        caller = caller_from_request(request)
        fields = await read_fields(request, caps)
        oficio_id = _oficio_id(fields)
        if oficio_id is not None:
            await service.pending(caller, oficio_id)
        return await service.prepare(
            caller,
            cer=_required(fields, "cer"),
            pdf=None if oficio_id else _required(fields, "pdf"),
            oficio_id=oficio_id,
            fields=fields,
            correlation_id=current_correlation_id(),
        )

    @api.post("/firmas/{prepared_id}/completar", summary="Firma en el navegador, paso 2: incrustar la firma")
    async def complete(prepared_id: str, request: Request) -> dict[str, Any]:
        caller = caller_from_request(request)
        fields = await read_fields(request, caps)
        if _oficio_id(fields) is not None:
            await service.pending(caller, str(_oficio_id(fields)))
        return await service.complete(
            caller,
            prepared_id,
            _required(fields, "firma"),
            oficio_id=_oficio_id(fields),
            correlation_id=current_correlation_id(),
        )

    return api


def tsa_router(authority: TimestampAuthority) -> APIRouter:
    """The local stack's RFC 3161 TSA at `POST /tsa` (development only)."""
    api = APIRouter(tags=["sello de tiempo"])

    @api.post("/tsa", summary="Sello de tiempo RFC 3161 (desarrollo)", response_class=Response)
    async def timestamp(request: Request) -> Response:
        body = await request.body()
        return Response(authority.respond(body), media_type=REPLY_CONTENT_TYPE)

    timestamp.__doc__ = f"Body: `{QUERY_CONTENT_TYPE}`; answer: `{REPLY_CONTENT_TYPE}`."
    return api
