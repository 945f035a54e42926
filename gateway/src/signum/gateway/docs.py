"""The API documentation page (`/docs`): Swagger UI from the vendored swagger-ui-dist files, so it
works without internet (FastAPI's default loads it from a CDN). ReDoc is not offered."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from signum.gateway.deps import public

SWAGGER_UI = "/static/vendor/swagger-ui-dist-5.35.0"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Signum — Documentación de la API",
        swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        oauth2_redirect_url=OAUTH2_REDIRECT,
        # No badge from the public validator service: nothing leaves the page.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(OAUTH2_REDIRECT, response_class=HTMLResponse)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
