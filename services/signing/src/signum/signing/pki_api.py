"""The development CAs' CRLs and OCSP over HTTP (`signum.signing.pki`): `/pki/<ca>/crl`, `/pki/<ca>/ocsp`."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response

from signum.signing.pki import LocalCa

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
CRL = "application/pkix-crl"
MAX_OCSP_REQUEST = 16 * 1024


def pki_router(cas: Mapping[str, LocalCa]) -> APIRouter:
    """Development only: what the local CAs publish, unauthenticated as a real CA's is."""
    api = APIRouter(tags=["autoridades de certificación (desarrollo)"])

    def _ca(name: str) -> LocalCa | None:
        return cas.get(name)

    @api.get("/pki/{ca}/crl", summary="Lista de revocación de una AC de desarrollo", response_class=Response)
    async def crl(ca: str) -> Response:
        found = _ca(ca)
        if found is None:
            return Response(status_code=404)
        return Response(found.crl(), media_type=CRL)

    @api.post("/pki/{ca}/ocsp", summary="Respondedor OCSP de una AC de desarrollo", response_class=Response)
    async def ocsp(ca: str, request: Request) -> Response:
        found = _ca(ca)
        if found is None:
            return Response(status_code=404)
        body = await request.body()
        if len(body) > MAX_OCSP_REQUEST:
            return Response(status_code=413)
        return Response(found.ocsp_response(body), media_type=OCSP_RESPONSE)

    ocsp.__doc__ = f"Body: `{OCSP_REQUEST}` (RFC 6960); answer: `{OCSP_RESPONSE}`."
    return api
