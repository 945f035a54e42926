"""Signing endpoints (public verification is in `verificacion.py`).

Signing is for the signers fixed when the oficio was finalized (`oficio.firmar`); the signing
service decides again on its own read model of the oficio (signers in order). The preferred path
signs in the browser: the page asks for the bytes to sign, signs them with the key it unlocked
locally and sends the result.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from signum.gateway.deps import ClientsDep, require
from signum.gateway.limits import credential_caps, settings_of
from signum.gateway.routes.oficios import binary_response
from signum.platform.errors import ValidationFailedError
from signum.platform.http import content_disposition, current_correlation_id, segment
from signum.platform.identity import Caller
from signum.platform.policy import Action
from signum.platform.uploads import is_multipart, read_form

router = APIRouter(tags=["firma"])


class PreparationRequest(BaseModel):
    cer: str = Field(min_length=1, description="Certificate of the e.firma (.cer), base64.")


class CompletionRequest(BaseModel):
    firma: str = Field(min_length=1, description="RSA PKCS#1 v1.5 signature of `to_be_signed`, base64.")


async def _credential_fields(request: Request) -> dict[str, Any]:
    """cer, key (base64) and password from a multipart form or a JSON body. Each field of a form
    has a small cap (`credential_caps`), checked as it streams; the whole body has the route's."""
    if is_multipart(request):
        form = await read_form(request, credential_caps(settings_of(request)))
        try:
            fields: dict[str, Any] = {}
            for name in ("cer", "key"):
                value = form.get(name)
                if isinstance(value, UploadFile):
                    fields[name] = base64.b64encode(await value.read()).decode("ascii")
            password = form.get("password")
            if isinstance(password, str):
                fields["password"] = password
            fields["oficio_ids"] = [str(v) for v in form.getlist("oficio_ids")]
        finally:
            await form.close()
        return fields
    try:
        body = await request.json()
    except ValueError:
        body = {}
    return body if isinstance(body, dict) else {}


@router.post(
    "/api/v1/oficios/{oficio_id}/firmas/preparacion",
    summary="Firma en el navegador, paso 1: los bytes que firmará la e.firma del navegador",
)
async def prepare(
    oficio_id: str,
    body: PreparationRequest,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_FIRMAR)),
) -> Any:
    return await services.signing.request(
        "POST",
        "/internal/firmas/preparacion",
        caller=caller,
        correlation_id=current_correlation_id(),
        json={"oficio_id": oficio_id, "cer": body.cer},
    )


@router.post(
    "/api/v1/oficios/{oficio_id}/firmas/{preparacion_id}/completar",
    summary="Firma en el navegador, paso 2: incrustar la firma",
)
async def complete(
    oficio_id: str,
    preparacion_id: str,
    body: CompletionRequest,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_FIRMAR)),
) -> Any:
    # The prepared signature remembers its oficio; the service checks it and the signer's turn again.
    return await services.signing.request(
        "POST",
        f"/internal/firmas/{segment(preparacion_id)}/completar",
        caller=caller,
        correlation_id=current_correlation_id(),
        json={"firma": body.firma, "oficio_id": oficio_id},
    )


@router.post(
    "/api/v1/oficios/{oficio_id}/firmas/credencial",
    summary="Firmar con la e.firma enviada en esta llamada (multipart: cer, key, password)",
)
async def sign_with_credential(
    oficio_id: str,
    request: Request,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_FIRMAR)),
) -> Any:
    fields = await _credential_fields(request)
    fields.pop("oficio_ids", None)
    return await services.signing.request(
        "POST",
        "/internal/firmas/credencial",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=fields | {"oficio_id": oficio_id},
    )


@router.get(
    "/api/v1/oficios/{oficio_id}/firmas/documento",
    response_class=Response,
    summary="El PDF que firmarán sus firmantes, tal como está ahora (para leerlo antes de firmar)",
)
async def document_to_sign(
    oficio_id: str, services: ClientsDep, caller: Caller = Depends(require(Action.OFICIO_FIRMAR))
) -> Response:
    found = await services.signing.request(
        "GET",
        f"/internal/firmas/{segment(oficio_id)}/documento",
        caller=caller,
        correlation_id=current_correlation_id(),
    )
    response = binary_response(found)
    response.headers["Content-Disposition"] = content_disposition("oficio.pdf", "inline")
    return response


@router.get("/api/v1/firmas/pendientes", summary="Por firmar: oficios cuya siguiente firma es mía")
async def awaiting(
    services: ClientsDep, caller: Caller = Depends(require(Action.FIRMAS_PENDIENTES_LEER))
) -> Any:
    return await services.signing.request(
        "GET", "/internal/firmas/pendientes", caller=caller, correlation_id=current_correlation_id()
    )


@router.post(
    "/api/v1/firmas/lote",
    summary="Firmar varios oficios con una sola apertura de la e.firma (cer, key, password, oficio_ids)",
)
async def sign_batch(
    request: Request,
    services: ClientsDep,
    caller: Caller = Depends(require(Action.OFICIO_FIRMAR)),
) -> Any:
    fields = await _credential_fields(request)
    if not fields.get("oficio_ids"):
        raise ValidationFailedError("Indique los oficios a firmar.", code="field_missing")
    return await services.signing.request(
        "POST",
        "/internal/firmas/lote",
        caller=caller,
        correlation_id=current_correlation_id(),
        json=fields,
    )
