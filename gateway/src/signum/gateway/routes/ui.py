"""The web UI (Spanish). For now a landing page; later issues build the inbox and editor."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="es-MX">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signum — Oficios digitales</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}}
header{{background:#1f3b63;color:#fff;padding:1rem 2rem}} main{{padding:2rem;max-width:52rem}}
a{{color:#1f3b63}} code{{background:#e8ebf0;padding:.1rem .3rem;border-radius:3px}}
</style></head>
<body>
<header><h1>Signum</h1><p>Oficios digitales del municipio de Monterrey</p></header>
<main>
<p>Redacte, firme con su e.firma, envíe y dé seguimiento a los oficios de su dependencia.</p>
<ul>
<li><a href="/docs">Documentación de la API (OpenAPI)</a></li>
<li><a href="/readyz">Estado de la plataforma</a></li>
</ul>
<p>Sesión de desarrollo como <code>{official}</code>.</p>
</main></body></html>"""


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    official = request.app.state.settings.dev_official_id
    return HTMLResponse(PAGE.format(official=escape(official)))
