"""The web UI's pages and static files, rendered with every value HTML-escaped."""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path
from string import Template

UI_DIR = Path(__file__).parent
STATIC_DIR = UI_DIR / "static"


@cache
def _template(name: str) -> Template:
    return Template((UI_DIR / name).read_text(encoding="utf-8"))


def render(name: str, *, raw: dict[str, str] | None = None, **values: str) -> str:
    """Fill a page; `values` are escaped, `raw` (fixed markup built by the server) is not."""
    fields = {key: escape(value) for key, value in values.items()} | (raw or {})
    return _template(name).substitute(fields)
