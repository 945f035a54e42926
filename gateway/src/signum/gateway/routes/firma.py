"""Public signing and verification endpoints.

Verification is public (anyone holding a PDF, or the QR code printed on it). Signing is for the
signers fixed when the oficio was finalized (`oficio.firmar`); the signing service decides again on
its own read model of the oficio (signers in order). The preferred path signs in the browser: the
page asks for the bytes to sign, signs them with the key it unlocked locally and sends the result.
"""

from __future__ import annotations

import base64
import html
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from signum.gateway.deps import ClientsDep, public, require
from signum.gateway.routes.oficios import binary_response
from signum.platform.errors import ValidationFailedError
from signum.platform.http import current_correlation_id
from signum.platform.identity import Caller
from signum.platform.policy import Action

router = APIRouter(tags=["firma"])


class PreparationRequest(BaseModel):
    cer: str = Field(min_length=1, description="Certificate of the e.firma (.cer), base64.")


class CompletionRequest(BaseModel):
    firma: str = Field(min_length=1, description="RSA PKCS#1 v1.5 signature of `to_be_signed`, base64.")


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _pdf_from(request: Request) -> bytes:
    """The uploaded PDF: the `archivo` field of a multipart form, or the raw body."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("archivo")
        if not isinstance(upload, UploadFile):
            raise ValidationFailedError("Adjunte el PDF en el campo «archivo».", code="file_missing")
        return await upload.read()
    return await request.body()


async def _credential_fields(request: Request) -> dict[str, Any]:
    """cer, key (base64) and password from a multipart form or a JSON body."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        fields: dict[str, Any] = {}
        for name in ("cer", "key"):
            value = form.get(name)
            if isinstance(value, UploadFile):
                fields[name] = base64.b64encode(await value.read()).decode("ascii")
        password = form.get("password")
        if isinstance(password, str):
            fields["password"] = password
        fields["oficio_ids"] = [str(v) for v in form.getlist("oficio_ids")]
        return fields
    try:
        body = await request.json()
    except ValueError:
        body = {}
    return body if isinstance(body, dict) else {}


@router.post("/api/v1/verificar", summary="Verificar las firmas de un PDF (público)")
async def verify_upload(request: Request, services: ClientsDep, _: None = Depends(public())) -> Any:
    pdf = await _pdf_from(request)
    return await services.signing.stream_upload(
        "/internal/verificacion",
        _once(pdf),
        correlation_id=current_correlation_id(),
        content_type="application/pdf",
    )


@router.get("/verificar/{document_id}", summary="Página pública de verificación (destino del código QR)")
async def verify_document(
    document_id: str, request: Request, services: ClientsDep, _: None = Depends(public())
) -> Response:
    result = await services.signing.request(
        "GET", f"/internal/verificacion/{document_id}", correlation_id=current_correlation_id()
    )
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse(result)
    return HTMLResponse(_page(result))


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
        f"/internal/firmas/{preparacion_id}/completar",
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
        f"/internal/firmas/{oficio_id}/documento",
        caller=caller,
        correlation_id=current_correlation_id(),
    )
    response = binary_response(found)
    response.headers["Content-Disposition"] = 'inline; filename="oficio.pdf"'
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


def _page(result: dict[str, Any]) -> str:
    report = result["reporte"]
    e = html.escape
    rows = []
    for firma in report["firmas"]:
        rows.append(
            "<li><p><strong>{nombre}</strong>{cargo}<br>RFC: {rfc} · CURP: {curp}<br>"
            "Certificado {numero}: {estado}<br>Firmado: {fecha} · Sello de tiempo: {sello}<br>"
            "Nivel PAdES: {nivel} · {cambios}</p><p>{resumen}</p></li>".format(
                nombre=e(firma["nombre"] or "-"),
                cargo=f" — {e(firma['cargo'])}" if firma["cargo"] else "",
                rfc=e(firma["rfc"] or "-"),
                curp=e(firma["curp"] or "-"),
                numero=e(firma["numero_certificado"] or "-"),
                estado=e(firma["estado_certificado_texto"]),
                fecha=e(firma["fecha_firma"] or "-"),
                sello=e(firma["fecha_sello_tiempo"] or "-"),
                nivel=e(firma["nivel_pades"]),
                cambios=e(firma["cambios_posteriores"]),
                resumen=e(firma["resumen"]),
            )
        )
    verdict = "Documento válido" if report["valida"] else "Documento NO válido"
    if result.get("tipo") == "acuse":
        what = f"Acuse de recibo del oficio {e(str(result.get('folio') or ''))} · sello institucional"
    else:
        what = (
            f"Oficio {e(str(result.get('folio') or ''))} · "
            f"{result['firmas_realizadas']} de {result['firmas_requeridas']} firmas"
        )
    return (
        '<!doctype html><html lang="es-MX"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Verificación {e(str(result.get('folio') or ''))} — Signum</title></head><body>"
        f"<h1>{verdict}</h1><p>{what}</p>"
        f"<p>{e(report['resumen'])}</p><p>SHA-256: <code>{e(report['sha256'])}</code></p>"
        f"<ol>{''.join(rows)}</ol></body></html>"
    )
