"""Public verification: anyone holding a signed PDF, its verification code or the QR printed on it.

Pages (Spanish, for people): `/verificar` (upload form, drag and drop, a code field) and
`/verificar/<id>` (the QR's link: the report). The JSON API for integrations is
`/api/v1/verificar` (upload) and `/api/v1/verificar/<id>`. An `<id>` is whatever signing accepts
(an oficio id, `acuse-<entrega_id>`, ...). Visitors who are not officials get a masked RFC and no
CURP (`signum.gateway.verification`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile

from signum.gateway import ui
from signum.gateway.clients import ServiceClients
from signum.gateway.deps import ClientsDep, public, viewer
from signum.gateway.limits import settings_of, verify_limit
from signum.gateway.verification import for_viewer, report_html
from signum.platform.errors import NotFoundError, SignumError, ValidationFailedError
from signum.platform.http import current_correlation_id, segment
from signum.platform.uploads import file_chunks, is_multipart, read_form, spool, upload_chunks

ID_MAX = 200

router = APIRouter(tags=["verificación"], dependencies=[Depends(public())])
pages = APIRouter(include_in_schema=False, dependencies=[Depends(public())])


@asynccontextmanager
async def _uploaded_pdf(request: Request) -> AsyncIterator[AsyncIterator[bytes]]:
    """The uploaded PDF (the `archivo` field of a multipart form, or the raw body) spooled to disk
    past 1 MiB and refused as soon as it passes `SIGNUM_GATEWAY_MAX_VERIFY_BYTES`; yields its
    chunks for signing."""
    limit = verify_limit(settings_of(request))
    if is_multipart(request):
        form = await read_form(request, {"archivo": limit})
        try:
            upload = form.get("archivo")
            if not isinstance(upload, UploadFile):
                raise ValidationFailedError("Adjunte el PDF en el campo «archivo».", code="file_missing")
            yield upload_chunks(upload)
        finally:
            await form.close()
        return
    with await spool(request.stream(), limit) as pdf:
        yield file_chunks(pdf)


async def _verify_pdf(services: ServiceClients, request: Request) -> dict[str, Any]:
    async with _uploaded_pdf(request) as pdf:
        result: dict[str, Any] = await services.signing.stream_upload(
            "/internal/verificacion",
            pdf,
            correlation_id=current_correlation_id(),
            content_type="application/pdf",
        )
    return result


def _valid_id(document_id: str) -> bool:
    """A verification id or code as printed (letters, digits, a few separators): no control characters."""
    return 0 < len(document_id) <= ID_MAX and document_id.isprintable()


async def _verify_id(services: ServiceClients, document_id: str) -> dict[str, Any]:
    if not _valid_id(document_id):
        raise NotFoundError("Ese código de verificación no es válido.", code="verification_id_invalid")
    result: dict[str, Any] = await services.signing.request(
        "GET",
        f"/internal/verificacion/{segment(document_id)}",
        correlation_id=current_correlation_id(),
    )
    return result


# --- JSON API --------------------------------------------------------------------------------


@router.post("/api/v1/verificar", summary="Verificar las firmas de un PDF (público)")
async def verify_upload(request: Request, services: ClientsDep) -> Any:
    result = await _verify_pdf(services, request)
    return for_viewer(result, await viewer(request))


@router.get(
    "/api/v1/verificar/{document_id}",
    summary="Verificar el documento firmado de un código de verificación (público)",
)
async def verify_document(
    request: Request, services: ClientsDep, document_id: str = Path(max_length=ID_MAX)
) -> Any:
    result = await _verify_id(services, document_id)
    return for_viewer(result, await viewer(request))


# --- pages -----------------------------------------------------------------------------------


def _page(
    *,
    result: dict[str, Any] | None = None,
    error: str = "",
    code: str = "",
    status: int = 200,
) -> HTMLResponse:
    if result is not None:
        title = "Verificación del documento"
    elif error:
        title = "Verificación: no se pudo verificar"
    else:
        title = "Verificar un documento"
    notice = f'<p class="error verificar-error" role="alert">{escape(error)}</p>' if error else ""
    page = ui.page(
        "verificar.html",
        titulo=title,
        codigo=code,
        accion="Verificar otro documento" if result is not None else "Verificar un documento",
        raw={"aviso": notice, "reporte": report_html(result) if result is not None else ""},
    )
    return HTMLResponse(page, status_code=status)


def _document_id(code: str) -> str:
    """What a person typed or pasted: the code itself, or the whole link of the QR."""
    code = code.strip()
    if "/verificar/" in code:
        code = code.rsplit("/verificar/", 1)[1]
    return code.strip().strip("/").split("?", 1)[0].split("#", 1)[0]


@pages.get("/verificar", response_class=HTMLResponse, response_model=None)
async def verification_page(
    codigo: str | None = Query(default=None, max_length=2 * ID_MAX),
) -> HTMLResponse | RedirectResponse:
    """The form: drop or choose the PDF, or type the verification code (sent here as `?codigo=`)."""
    if codigo is not None:
        document_id = _document_id(codigo)
        if not document_id or len(document_id) > ID_MAX:
            return _page(error="Escriba el código de verificación impreso en el documento.", status=422)
        return RedirectResponse(f"/verificar/{quote(document_id, safe='')}", status_code=303)
    return _page()


@pages.post("/verificar", response_class=HTMLResponse)
async def verification_upload_page(request: Request, services: ClientsDep) -> HTMLResponse:
    """The report of an uploaded PDF."""
    try:
        result = await _verify_pdf(services, request)
    except SignumError as exc:
        return _page(error=exc.message, status=exc.status_code)
    return _page(result=for_viewer(result, await viewer(request)))


@pages.get("/verificar/{document_id}", response_class=HTMLResponse)
async def verification_report_page(request: Request, document_id: str, services: ClientsDep) -> HTMLResponse:
    """The QR's link: the document's report, verified now."""
    if not _valid_id(document_id):
        return _page(error="Ese código de verificación no es válido.", status=404)
    try:
        result = await _verify_id(services, document_id)
    except SignumError as exc:
        message = exc.message
        if exc.status_code == 404:
            message = (
                f"No hay un documento firmado con el código «{document_id}». Revise que lo haya "
                "escrito tal como aparece en el documento, o suba el PDF."
            )
        return _page(error=message, code=document_id, status=exc.status_code)
    return _page(result=for_viewer(result, await viewer(request)))
