"""The renderer: template + content → PDF/A-2b, with the signature and QR areas located.

One Typst program (`typst/oficio.typ`) lays out every template; the template and the oficio reach it
as data in `sys.inputs`. A compiler per thread keeps the bundled fonts loaded and the program parsed
and evaluated between renders (Typst memoizes what did not change), and never scans system fonts:
the PDF is the same on every machine.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import typst

from signum.drafting.rendering import payload
from signum.drafting.rendering.content import OficioContent
from signum.drafting.rendering.fields import Box, SignatureArea, add_signature_fields, field_name
from signum.drafting.templates.model import PAGE_SIZES_MM, Template
from signum.drafting.templates.text import covered_characters
from signum.drafting.templates.validation import validate_template
from signum.platform.errors import ValidationFailedError
from signum.platform.logging import get_logger

PROGRAM_DIR = Path(__file__).parent / "typst"
PROGRAM = PROGRAM_DIR / "oficio.typ"
FONTS_DIR = Path(__file__).parent.parent / "fonts"
PDF_STANDARD: Final = "a-2b"
POINTS_PER_MM = 72 / 25.4

log = get_logger(__name__)


class RenderFailedError(ValidationFailedError):
    """Typst could not lay out this oficio (a bug of ours or a content we did not foresee)."""

    code = "render_failed"
    message = "No se pudo generar el PDF del oficio con este contenido. Revise el texto e intente de nuevo."


@dataclass(frozen=True)
class Layout:
    """Where things landed: the number of pages, each signer's area, the QR code's area."""

    pages: int
    signatures: tuple[SignatureArea, ...]
    qr: Box | None


@dataclass(frozen=True)
class RenderedPdf:
    """A rendered oficio. `pdf` is PDF/A-2b; with fields, each signer has an empty `firma-N`."""

    pdf: bytes
    layout: Layout

    @property
    def pages(self) -> int:
        return self.layout.pages

    @property
    def signature_areas(self) -> tuple[SignatureArea, ...]:
        return self.layout.signatures

    @property
    def qr_box(self) -> Box | None:
        return self.layout.qr


def _layout(query_result: str, page_height_pt: float) -> Layout:
    signatures: list[SignatureArea] = []
    qr: Box | None = None
    pages = 0
    for element in json.loads(query_result):
        v = element["value"]
        if v["kind"] == "paginas":  # reported by the footer of every page
            pages = max(pages, int(v["pages"]))
            continue
        box = Box(
            page=int(v["page"]),
            x0=float(v["x"]),
            y0=page_height_pt - float(v["y"]) - float(v["h"]),
            x1=float(v["x"]) + float(v["w"]),
            y1=page_height_pt - float(v["y"]),
        )
        if v["kind"] == "firma":
            signatures.append(
                SignatureArea(index=int(v["index"]), field_name=field_name(int(v["index"])), box=box)
            )
        elif v["kind"] == "qr":
            qr = box
    signatures.sort(key=lambda a: a.index)
    return Layout(pages=pages, signatures=tuple(signatures), qr=qr)


class Renderer:
    """Renders oficios. Build one per process and share it; it is safe to use from several threads."""

    def __init__(self, fonts_dir: Path = FONTS_DIR) -> None:
        self._fonts = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(fonts_dir)]
        )
        self._local = threading.local()
        covered_characters()  # load the fonts' character maps now, not during the first request

    def font_families(self) -> list[str]:
        """The families the renderer can use (templates choose among them)."""
        return sorted(self._fonts.families())

    def _compiler(self) -> typst.Compiler:
        compiler = getattr(self._local, "compiler", None)
        if compiler is None:
            compiler = typst.Compiler(
                str(PROGRAM), root=str(PROGRAM_DIR), font_paths=self._fonts, ignore_system_fonts=True
            )
            self._local.compiler = compiler
        return compiler

    def _inputs(self, template: Template, content: OficioContent | Mapping[str, Any]) -> dict[str, str]:
        # The template's cheap rules are checked on every render; its images were checked when it was
        # saved and are decoded again (once per process) when first used.
        template = validate_template(template, check_images=False)
        if not isinstance(content, OficioContent):
            content = OficioContent.parse(content)
        data, images = payload.build(template, content)
        return {"payload": data, **images}

    def _fail(self, exc: Exception) -> RenderFailedError:
        log.error("typst_render_failed", error=str(exc)[:2000], hints=getattr(exc, "hints", None))
        return RenderFailedError()

    def render(
        self,
        template: Template,
        content: OficioContent | Mapping[str, Any],
        *,
        signature_fields: bool = True,
        timestamp: dt.datetime | None = None,
    ) -> RenderedPdf:
        """The oficio as PDF/A-2b with its layout; with `signature_fields`, empty fields firma-1..n."""
        inputs = self._inputs(template, content)
        compiler = self._compiler()
        when = (timestamp or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        try:
            pdf = compiler.compile(
                format="pdf", sys_inputs=inputs, pdf_standards=[PDF_STANDARD], timestamp=when
            )
            found = compiler.query("<signum-area>")
        except (typst.TypstError, RuntimeError, ValueError) as exc:
            raise self._fail(exc) from None
        assert isinstance(pdf, bytes)
        page_height = PAGE_SIZES_MM[template.page_size][1] * POINTS_PER_MM
        layout = _layout(found, page_height)
        if signature_fields:
            pdf = add_signature_fields(pdf, layout.signatures)
        return RenderedPdf(pdf=pdf, layout=layout)

    def preview_png(
        self,
        template: Template,
        content: OficioContent | Mapping[str, Any],
        *,
        page: int = 1,
        ppi: float = 96,
    ) -> bytes:
        """One page of the oficio as PNG (page 1 by default), for previews."""
        inputs = self._inputs(template, content)
        try:
            out = self._compiler().compile(format="png", sys_inputs=inputs, ppi=ppi)
        except (typst.TypstError, RuntimeError, ValueError) as exc:
            raise self._fail(exc) from None
        pages = [out] if isinstance(out, bytes) else list(out or [])
        if not 1 <= page <= len(pages):
            raise ValidationFailedError(
                f"El oficio tiene {len(pages)} página(s); no existe la página {page}.", code="page_not_found"
            )
        return pages[page - 1]
