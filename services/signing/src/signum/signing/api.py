"""Signing's internal HTTP API (thin: parse, call the service, shape the answer), and the local TSA.

Here are the request models and the presenters: the JSON each route answers, built from what the
use cases return (`domain.py`'s result types). Binary fields travel either as multipart files or as
base64 strings in a JSON body: `cer`, `key`, `pdf`, `pdfs`, `firma`. The password is a plain field.
Nothing of a credential is logged or kept.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
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
from signum.signing.domain import (
    CERTIFICATE_STATUS_TEXT,
    AcuseReceipt,
    AwaitingSignature,
    BatchItem,
    CertificateInfo,
    DocumentToSign,
    PreparedForBrowser,
    SealedAcuse,
    SignatureRecorded,
    SignedPdf,
    SignedPdfs,
    VerificationReport,
    VerifiedDocument,
)
from signum.signing.errors import pdf_limit
from signum.signing.pades import SignatureRequest
from signum.signing.renewal import ArchiveRenewal, run_document
from signum.signing.service import SigningService
from signum.signing.tsa import QUERY_CONTENT_TYPE, REPLY_CONTENT_TYPE, TimestampAuthority

BINARY_FIELDS = frozenset({"cer", "key", "pdf", "pdfs", "firma"})
SMALL_FIELD_BYTES = 1024  # a password, an oficio id
DEFAULT_FIELD_BYTES = 16 * 1024
LIST_FIELDS = frozenset({"pdfs", "oficio_ids"})
SIGNATURE_ALGORITHM = "RSASSA-PKCS1-v1_5/SHA-256"


# --- request models -----------------------------------------------------------------------------


class AcuseReceiverIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    funcionario_id: str = Field(min_length=1, max_length=128)
    nombre: str = Field(min_length=1, max_length=300)
    cargo: str = Field(default="", max_length=300)


class AcuseUnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    unidad_id: str = Field(min_length=1, max_length=128)
    nombre: str = Field(min_length=1, max_length=300)
    dependencia: str = Field(min_length=1, max_length=300)


class AcuseRequest(BaseModel):
    """`POST /internal/acuses`: what routing knows about a delivery when its recipient receives it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    oficio_id: str = Field(min_length=1, max_length=64)
    entrega_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
    folio: str = Field(min_length=1, max_length=100)
    asunto: str = Field(min_length=1, max_length=1000)
    recibido_por: AcuseReceiverIn
    unidad: AcuseUnitIn
    recibido_en: AwareDatetime

    def receipt(self) -> AcuseReceipt:
        return AcuseReceipt(
            oficio_id=self.oficio_id,
            entrega_id=self.entrega_id,
            folio=self.folio,
            asunto=self.asunto,
            funcionario_id=self.recibido_por.funcionario_id,
            nombre=self.recibido_por.nombre,
            cargo=self.recibido_por.cargo,
            unidad_id=self.unidad.unidad_id,
            unidad=self.unidad.nombre,
            dependencia=self.unidad.dependencia,
            recibido_en=self.recibido_en,
        )


def free_request(fields: Mapping[str, Any]) -> SignatureRequest:
    """Where a signature goes on a PDF the caller sent: `campo`, `cargo`, `en_ausencia_de`,
    `url_verificacion`, `caja` (x1, y1, x2, y2) and `pagina` (from 0)."""
    box = fields.get("caja")
    return SignatureRequest(
        field_name=str(fields.get("campo") or "firma-1"),
        title=fields.get("cargo") or None,
        on_behalf_of=fields.get("en_ausencia_de") or None,
        qr_url=fields.get("url_verificacion") or None,
        box=tuple(int(v) for v in box) if box else None,  # type: ignore[arg-type]
        page=int(fields.get("pagina") or 0),
    )


# --- presenters ---------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def report_json(report: VerificationReport) -> dict[str, Any]:
    """The verification report as the API answers it (Spanish keys and summaries)."""
    return {
        "sha256": report.sha256,
        "valida": report.valid,
        "resumen": report.summary,
        "firmas": [
            {
                "campo": s.field_name,
                "valida": s.valid,
                "integra": s.intact,
                "firma_valida": s.signature_valid,
                "nombre": s.signer_name,
                "rfc": s.rfc,
                "curp": s.curp,
                "cargo": s.title,
                "en_ausencia_de": s.on_behalf_of,
                "numero_certificado": s.certificate_number,
                "estado_certificado": s.certificate_status.value,
                "estado_certificado_texto": CERTIFICATE_STATUS_TEXT[s.certificate_status],
                "fecha_firma": _iso(s.signing_time),
                "fecha_sello_tiempo": _iso(s.timestamp_time),
                "nivel_pades": s.pades_level.value,
                # EU DSS's terms (ETSI EN 319 102-1): TOTAL_PASSED / INDETERMINATE / TOTAL_FAILED
                "indicacion": s.verdict.indication.value if s.verdict else None,
                "subindicacion": s.verdict.subindication if s.verdict else None,
                "motivo": s.verdict.reason if s.verdict else None,
                "cubre_todo_el_documento": s.covers_whole_document,
                "modificado_despues": s.modified_after,
                "cambios_posteriores": s.changes_after,
                "resumen": s.summary,
            }
            for s in report.signatures
        ],
    }


def signer_json(info: CertificateInfo) -> dict[str, Any]:
    return {
        "nombre": info.name,
        "rfc": info.rfc,
        "curp": info.curp,
        "numero_certificado": info.certificate_number,
        "vigente_hasta": info.not_after.astimezone(UTC).isoformat(),
    }


def signed_pdf_json(signed: SignedPdf) -> dict[str, Any]:
    return {"pdf": _b64(signed.pdf), "firmante": signer_json(signed.signer), "nivel": signed.level}


def signed_pdfs_json(signed: SignedPdfs) -> dict[str, Any]:
    return {
        "pdfs": [_b64(pdf) for pdf in signed.pdfs],
        "firmante": signer_json(signed.signer),
        "firmadas": len(signed.pdfs),
    }


def recorded_json(recorded: SignatureRecorded) -> dict[str, Any]:
    return {
        "oficio_id": recorded.oficio_id,
        "orden": recorded.orden,
        "documento": recorded.document,
        "pendientes": recorded.pending,
        "completo": recorded.complete,
        "firmante": signer_json(recorded.signer),
        "nivel": recorded.level,
    }


def completed_json(result: SignatureRecorded | SignedPdf) -> dict[str, Any]:
    return recorded_json(result) if isinstance(result, SignatureRecorded) else signed_pdf_json(result)


def batch_json(items: list[BatchItem]) -> dict[str, Any]:
    results = [
        recorded_json(item.recorded)
        if item.recorded is not None
        else {"oficio_id": item.oficio_id, "error": item.error.to_body() if item.error else {}}
        for item in items
    ]
    return {"resultados": results, "firmadas": sum(1 for item in items if item.recorded is not None)}


def prepared_json(prepared: PreparedForBrowser) -> dict[str, Any]:
    return {
        "id": prepared.id,
        "to_be_signed": _b64(prepared.to_be_signed),
        "digest": _b64(prepared.digest),
        "algoritmo": SIGNATURE_ALGORITHM,
        "expira": prepared.expires.isoformat(),
        "firmante": signer_json(prepared.signer),
    }


def document_json(document: DocumentToSign) -> dict[str, Any]:
    return {
        "media_type": "application/pdf",
        "contenido": _b64(document.pdf),
        "sha256": document.sha256,
        "folio": document.folio,
    }


def awaiting_json(awaiting: list[AwaitingSignature]) -> dict[str, Any]:
    return {
        "oficios": [
            {
                "oficio_id": a.oficio_id,
                "folio": a.folio,
                "asunto": a.asunto,
                "unidad_id": a.unidad_id,
                "orden": a.orden,
                "cargo": a.cargo,
                "en_ausencia_de": a.on_behalf_of,
                "firmas_realizadas": a.signatures_made,
                "firmas_requeridas": a.signatures_required,
                "firmantes_previos": a.previous_signers,
                "finalizado_en": _iso(a.finalized_at),
                "sha256": a.sha256,
            }
            for a in awaiting
        ]
    }


def verified_json(verified: VerifiedDocument) -> dict[str, Any]:
    """What the verification page shows of an oficio's latest signed PDF or of an acuse."""
    head: dict[str, Any] = {"oficio_id": verified.oficio_id}
    if verified.kind == "acuse":
        head = {"tipo": "acuse", "oficio_id": verified.oficio_id, "entrega_id": verified.entrega_id}
    return head | {
        "codigo": verified.code,
        "folio": verified.folio,
        "estado": verified.state,
        "firmas_requeridas": verified.signatures_required,
        "firmas_realizadas": verified.signatures_made,
        "documento": verified.document,
        "reporte": report_json(verified.report),
    }


def acuse_json(sealed: SealedAcuse) -> dict[str, Any]:
    return {"clave": sealed.clave, "sha256": sealed.sha256, "url_verificacion": sealed.url}


# --- reading requests ---------------------------------------------------------------------------


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


def _credential(fields: dict[str, Any]) -> dict[str, Any]:
    """The e.firma sent in this call: certificate, key and password (kept in memory only)."""
    return {"cer": _required(fields, "cer"), "key": _required(fields, "key"), "password": _password(fields)}


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
        return report_json(await service.verify(pdf))

    @api.get(
        "/verificacion/{document_id}",
        summary="Verificar el último PDF firmado de un oficio o un acuse: por su id (QR) o su código corto",
    )
    async def verify_oficio(document_id: str) -> dict[str, Any]:
        return verified_json(await service.verify_document(document_id))

    @api.get("/firmas/pendientes", summary="Oficios cuya siguiente firma es del solicitante (Por firmar)")
    async def awaiting(request: Request) -> dict[str, Any]:
        return awaiting_json(await service.awaiting(caller_from_request(request)))

    @api.get("/firmas/{oficio_id}/documento", summary="El PDF que firmarán (con las firmas que ya tiene)")
    async def document_to_sign(oficio_id: str, request: Request) -> dict[str, Any]:
        return document_json(await service.document_to_sign(caller_from_request(request), oficio_id))

    @api.post(
        "/acuses",
        status_code=201,
        summary="Acuse de recibo sellado con el sello institucional (idempotente por entrega)",
    )
    async def seal_acuse(body: AcuseRequest) -> dict[str, Any]:
        # A retry with the same `entrega_id` answers 201 with the same acuse.
        return acuse_json(await service.acuses.seal(body.receipt(), correlation_id=current_correlation_id()))

    @api.post(
        "/firmas/credencial", summary="Firmar con una e.firma enviada en esta llamada (solo en memoria)"
    )
    async def sign_with_credential(request: Request) -> dict[str, Any]:
        caller = caller_from_request(request)
        fields = await read_fields(request, caps)
        oficio_id = _oficio_id(fields)
        if oficio_id is None:
            credential = _credential(fields)
            signed = await service.sign_pdf(
                pdf=_required(fields, "pdf"), request=free_request(fields), **credential
            )
            return signed_pdf_json(signed)
        # Authorization before anything of the credential is read.
        await service.pending(caller, oficio_id)
        recorded = await service.sign_oficio(
            caller, oficio_id, correlation_id=current_correlation_id(), **_credential(fields)
        )
        return recorded_json(recorded)

    @api.post("/firmas/lote", summary="Firmar varios documentos con una sola apertura de la e.firma")
    async def sign_batch(request: Request) -> dict[str, Any]:
        caller = caller_from_request(request)
        fields = await read_fields(request, caps)
        oficio_ids = [str(o) for o in fields.get("oficio_ids") or []]
        if not oficio_ids:
            credential = _credential(fields)
            return signed_pdfs_json(
                await service.sign_pdfs(pdfs=list(_required(fields, "pdfs")), **credential)
            )
        for oficio_id in oficio_ids:
            await service.pending(caller, oficio_id)
        items = await service.sign_oficios(
            caller, oficio_ids, correlation_id=current_correlation_id(), **_credential(fields)
        )
        return batch_json(items)

    @api.post("/firmas/preparacion", summary="Firma en el navegador, paso 1: los bytes a firmar")
    async def prepare(request: Request) -> dict[str, Any]:
        caller = caller_from_request(request)
        fields = await read_fields(request, caps)
        oficio_id = _oficio_id(fields)
        if oficio_id is not None:
            await service.pending(caller, oficio_id)
            prepared = await service.prepare(
                caller,
                cer=_required(fields, "cer"),
                oficio_id=oficio_id,
                correlation_id=current_correlation_id(),
            )
        else:
            prepared = await service.prepare(
                caller,
                cer=_required(fields, "cer"),
                pdf=_required(fields, "pdf"),
                request=free_request(fields),
                correlation_id=current_correlation_id(),
            )
        return prepared_json(prepared)

    @api.post("/firmas/{prepared_id}/completar", summary="Firma en el navegador, paso 2: incrustar la firma")
    async def complete(prepared_id: str, request: Request) -> dict[str, Any]:
        caller = caller_from_request(request)
        fields = await read_fields(request, caps)
        oficio_id = _oficio_id(fields)
        if oficio_id is not None:
            await service.pending(caller, oficio_id)
        result = await service.complete(
            caller,
            prepared_id,
            _required(fields, "firma"),
            oficio_id=oficio_id,
            correlation_id=current_correlation_id(),
        )
        return completed_json(result)

    return api


def renewal_router(renewal: ArchiveRenewal, guard: InternalGuard) -> APIRouter:
    """The archive renewal job's reports, and a pass on demand (operators: `plataforma.estado`)."""
    api = APIRouter(prefix="/internal/archivo", dependencies=[Depends(guard)], tags=["archivo"])

    @api.get("/renovaciones", summary="Reportes de las últimas pasadas de renovación de sellos (B-LTA)")
    async def reports(request: Request, limite: int = Query(default=10, ge=1, le=100)) -> dict[str, Any]:
        runs = await renewal.reports(caller_from_request(request), limite)
        return {"pasadas": [renewal_run_json(run) for run in runs]}

    @api.post("/renovaciones", summary="Renovar ahora los sellos de archivo que lo necesiten")
    async def run_now(request: Request) -> dict[str, Any]:
        run = await renewal.run_now(caller_from_request(request))
        return renewal_run_json(run_document(run))

    return api


def renewal_run_json(run: Mapping[str, Any]) -> dict[str, Any]:
    """A pass of the renewal job as `renovaciones_archivo` keeps it, with its id as `id`."""
    body = {k: v for k, v in run.items() if k != "_id"}
    return {"id": run["_id"], **body}


def tsa_router(authority: TimestampAuthority) -> APIRouter:
    """The local stack's RFC 3161 TSA at `POST /tsa` (development only)."""
    api = APIRouter(tags=["sello de tiempo"])

    @api.post("/tsa", summary="Sello de tiempo RFC 3161 (desarrollo)", response_class=Response)
    async def timestamp(request: Request) -> Response:
        body = await request.body()
        return Response(authority.respond(body), media_type=REPLY_CONTENT_TYPE)

    timestamp.__doc__ = f"Body: `{QUERY_CONTENT_TYPE}`; answer: `{REPLY_CONTENT_TYPE}`."
    return api
