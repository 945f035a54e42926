"""Security headers of every gateway response, set in one place.

Every response: `X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin`. HTML pages
also get a Content-Security-Policy: scripts, styles, fonts and workers (pdf.js) only from the
gateway itself, no inline script (the one of `/docs` carries the request's nonce), no framing
(`frame-ancestors 'none'`). `blob:`/`data:` only on the pages that show a preview made in the
browser (the PDF or PNG of the drafting and template pages: shown, read back, downloaded);
`connect-src` adds the object store, where the inbox's viewer follows the download redirect.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NONCE_KEY = "csp_nonce"

# Pages that show previews as blob: URLs (iframe, img) and data: images (template images).
_PREVIEW_PAGES = ("/redaccion", "/plantillas")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(path: str, nonce: str, object_store: str = "") -> str:
    """The CSP of the HTML page at `path`."""
    preview = path in _PREVIEW_PAGES
    docs = path == "/docs" or path.startswith("/docs/")
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self' 'unsafe-inline'" if docs else "'self'",
        "img-src": "'self' data: blob:" if preview else "'self' data:" if docs else "'self'",
        "font-src": "'self'",
        "connect-src": " ".join(filter(None, ["'self'", _origin(object_store), "blob:" if preview else ""])),
        "worker-src": "'self'",
        "frame-src": "'self' blob:" if preview else "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeaders:
    """ASGI middleware adding the headers above (it does not buffer bodies: streams stay streams)."""

    def __init__(self, app: ASGIApp, *, object_store: str = "") -> None:
        self.app = app
        self.object_store = object_store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})[NONCE_KEY] = nonce
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = content_security_policy(
                        path, nonce, self.object_store
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)
