"""The API documentation page (`/docs`): Swagger UI from the vendored swagger-ui-dist files, so it
works without internet (FastAPI's default loads it from a CDN). ReDoc is not offered."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from signum.gateway.deps import public
from signum.gateway.security_headers import NONCE_KEY

SWAGGER_UI = "/static/vendor/swagger-ui-dist-5.35.0"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])


def _with_nonce(request: Request, page: HTMLResponse) -> HTMLResponse:
    """The page's inline scripts carry the request's CSP nonce (no other inline script may run)."""
    nonce = getattr(request.state, NONCE_KEY, "")
    body = bytes(page.body).replace(b"<script>", f'<script nonce="{nonce}">'.encode())
    return HTMLResponse(body, status_code=page.status_code)


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    return _with_nonce(
        request,
        get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Signum — Documentación de la API",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
            oauth2_redirect_url=OAUTH2_REDIRECT,
            # No badge from the public validator service: nothing leaves the page.
            swagger_ui_parameters={"validatorUrl": None},
        ),
    )


@router.get(OAUTH2_REDIRECT, response_class=HTMLResponse)
async def swagger_ui_redirect(request: Request) -> HTMLResponse:
    return _with_nonce(request, get_swagger_ui_oauth2_redirect_html())
