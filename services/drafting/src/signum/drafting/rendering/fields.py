"""Empty signature fields (`firma-1`, `firma-2`, ...) added to a rendered PDF for the signing step.

Typst cannot write AcroForm fields, so they are appended with pyHanko as an incremental update:
the bytes Typst wrote stay untouched, and the file stays PDF/A-2b (each widget gets an appearance).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, append_signature_field


@dataclass(frozen=True)
class Box:
    """A rectangle on a page, in PDF points with the origin at the page's bottom-left corner."""

    page: int  # 1-based
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True)
class SignatureArea:
    """Where signer number `index` (1-based, in signing order) signs, and the field reserved for it."""

    index: int
    field_name: str
    box: Box


class _FieldsWriter(IncrementalPdfFileWriter):
    """An incremental writer that leaves the document's metadata as Typst wrote it.

    pyHanko would stamp a new modification date into the Info dictionary and re-serialise the XMP
    packet (keeping both in step, as PDF/A demands); for fields added as part of the render that is
    most of its cost, and the render's own date is the right one.
    """

    def _update_meta(self) -> None:
        return None


def field_name(index: int) -> str:
    return f"firma-{index}"


def add_signature_fields(pdf: bytes, areas: Sequence[SignatureArea]) -> bytes:
    """`pdf` with one empty signature field per area, as an incremental update."""
    if not areas:
        return pdf
    # PDF/A allows nothing but one end-of-line marker after %%EOF; Typst writes none, and pyHanko's
    # update would otherwise start on the same line as the %%EOF.
    if not pdf.endswith((b"\n", b"\r")):
        pdf += b"\n"
    writer = _FieldsWriter(io.BytesIO(pdf))
    for area in areas:
        box = area.box
        append_signature_field(
            writer,
            SigFieldSpec(
                sig_field_name=area.field_name,
                on_page=box.page - 1,
                # pyHanko annotates ints but writes any number; the field must match the area exactly.
                box=(round(box.x0, 2), round(box.y0, 2), round(box.x1, 2), round(box.y1, 2)),  # type: ignore[arg-type]
                empty_field_appearance=True,
            ),
        )
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()
