"""Empty signature fields (`firma-1`, `firma-2`, ...) added to a rendered PDF for the signing step.

Typst cannot write AcroForm fields, so they are appended with pyHanko as an incremental update:
the bytes Typst wrote stay untouched, and the file stays PDF/A-2b (each widget gets an appearance).
"""

from __future__ import annotations

import hashlib
import io
import re
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
    fast = _append_fields_directly(pdf, areas)
    return fast if fast is not None else _append_fields_with_pyhanko(pdf, areas)


# --- the direct writer ------------------------------------------------------------------------
#
# Typst writes a plain PDF: a classic cross-reference table, no object streams, pages without
# annotations and a catalog without a form. For such a file the update pyHanko would write (the
# pages with /Annots, the catalog with /AcroForm, the form, one widget and one appearance per
# field) is written here directly, without parsing the whole document: a render spends a tenth of
# its time in pyHanko otherwise. Anything else (a structure this writer does not expect) goes
# through pyHanko.

_TRAILER = re.compile(rb"trailer\s*<<(?P<dict>.*?)>>\s*startxref\s*(?P<startxref>\d+)\s*%%EOF\s*$", re.S)
_XREF_SECTION = re.compile(rb"(\d+) (\d+)\r?\n")


def _ref(dictionary: bytes, key: bytes) -> int | None:
    found = re.search(rb"/" + key + rb"\s+(\d+)\s+0\s+R", dictionary)
    return int(found.group(1)) if found else None


def _offsets(pdf: bytes, startxref: int) -> dict[int, int] | None:
    """Object number -> byte offset, from the one classic xref table at `startxref`."""
    if not pdf.startswith(b"xref", startxref):
        return None  # a cross-reference stream
    pos = startxref + len(b"xref")
    while pdf[pos : pos + 1] in (b"\r", b"\n", b" "):
        pos += 1
    offsets: dict[int, int] = {}
    while True:
        header = _XREF_SECTION.match(pdf, pos)
        if header is None:
            break
        first, count = int(header.group(1)), int(header.group(2))
        pos = header.end()
        for n in range(first, first + count):
            entry = pdf[pos : pos + 20]
            if len(entry) != 20:
                return None
            if entry[17:18] == b"n":
                offsets[n] = int(entry[:10])
            pos += 20
    return offsets or None


def _object_dict(pdf: bytes, offsets: dict[int, int], number: int) -> bytes | None:
    """The dictionary of object `number`, if it is a plain dictionary object (no stream)."""
    at = offsets.get(number)
    if at is None:
        return None
    head = f"{number} 0 obj".encode()
    if not pdf.startswith(head, at):
        return None
    end = pdf.find(b"endobj", at)
    body = pdf[at + len(head) : end].strip()
    if not (body.startswith(b"<<") and body.endswith(b">>")) or b"stream" in body:
        return None
    return body


def _literal(text: str) -> bytes:
    return (
        b"(" + text.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    )


def _refs(numbers: Sequence[int]) -> bytes:
    return b" ".join(b"%d 0 R" % n for n in numbers)


def _num(value: float) -> bytes:
    return f"{round(value, 2):.2f}".rstrip("0").rstrip(".").encode()


def _append_fields_directly(pdf: bytes, areas: Sequence[SignatureArea]) -> bytes | None:
    trailer = _TRAILER.search(pdf[-4096:])
    if trailer is None or b"/Prev" in trailer.group("dict") or b"/Encrypt" in trailer.group("dict"):
        return None
    info = trailer.group("dict")
    size_match = re.search(rb"/Size\s+(\d+)", info)
    root = _ref(info, b"Root")
    ids = re.search(rb"/ID\s*\[\s*(\([^)]*\)|<[0-9A-Fa-f]*>)", info)
    if size_match is None or root is None or ids is None:
        return None
    startxref = int(trailer.group("startxref"))
    offsets = _offsets(pdf, startxref)
    if offsets is None:
        return None
    catalog = _object_dict(pdf, offsets, root)
    if catalog is None or b"/AcroForm" in catalog:
        return None
    pages_root = _ref(catalog, b"Pages")
    pages_dict = None if pages_root is None else _object_dict(pdf, offsets, pages_root)
    kids = None if pages_dict is None else re.search(rb"/Kids\s*\[([^\]]*)\]", pages_dict)
    if kids is None:
        return None
    page_numbers = [int(n) for n in re.findall(rb"(\d+)\s+0\s+R", kids.group(1))]
    pages: dict[int, bytes] = {}
    for number in page_numbers:
        page = _object_dict(pdf, offsets, number)
        if page is None or b"/Type/Pages" in page.replace(b" ", b"") or b"/Annots" in page:
            return None  # a page tree deeper than one level, or annotations already there
        pages[number] = page
    if any(not 1 <= a.box.page <= len(page_numbers) for a in areas):
        return None

    size = int(size_match.group(1))
    form = size
    next_number = size + 1
    objects: dict[int, bytes] = {}
    fields: list[int] = []
    annots: dict[int, list[int]] = {}
    for area in areas:
        box = area.box
        page_number = page_numbers[box.page - 1]
        widget, appearance = next_number, next_number + 1
        next_number += 2
        width, height = round(box.width, 2), round(box.height, 2)
        stream = (
            f"q q 0.95 0.95 0.95 rg 0 0 {width} {height} re f Q 0.5 w 0 0 {width} {height} re S Q"
        ).encode()
        objects[widget] = (
            b"<</FT/Sig/T"
            + _literal(area.field_name)
            + b"/Type/Annot/Subtype/Widget/F 132/Rect["
            + b" ".join(_num(v) for v in (box.x0, box.y0, box.x1, box.y1))
            + b"]/P "
            + str(page_number).encode()
            + b" 0 R/AP<</N "
            + str(appearance).encode()
            + b" 0 R>>>>"
        )
        objects[appearance] = (
            b"<</Type/XObject/Subtype/Form/BBox[0 0 "
            + _num(width)
            + b" "
            + _num(height)
            + b"]/Resources<<>>/Length "
            + str(len(stream)).encode()
            + b">>\nstream\n"
            + stream
            + b"\nendstream"
        )
        fields.append(widget)
        annots.setdefault(page_number, []).append(widget)
    objects[form] = b"<</Fields[" + _refs(fields) + b"]/SigFlags 1>>"
    for page_number, widgets in annots.items():
        objects[page_number] = pages[page_number][:-2] + b"/Annots[" + _refs(widgets) + b"]>>"
    objects[root] = catalog[:-2] + b"/AcroForm " + str(form).encode() + b" 0 R>>"

    # PDF/A allows nothing but one end-of-line marker after %%EOF; Typst writes none.
    out = bytearray(pdf if pdf.endswith((b"\n", b"\r")) else pdf + b"\n")
    written: dict[int, int] = {}
    for number in sorted(objects):
        written[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f\r\n"
    numbers = sorted(written)
    run: list[int] = []
    for number in [*numbers, -1]:
        if run and number != run[-1] + 1:
            out += b"%d %d\n" % (run[0], len(run))
            for n in run:
                out += b"%010d 00000 n\r\n" % written[n]
            run = []
        if number >= 0:
            run.append(number)
    # The document keeps its first identifier; the second changes with every update.
    changed = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest().encode()
    out += (
        b"trailer\n<</Size "
        + str(next_number).encode()
        + b"/Root "
        + str(root).encode()
        + b" 0 R"
        + (b"/Info %d 0 R" % info_ref if (info_ref := _ref(info, b"Info")) is not None else b"")
        + b"/ID["
        + ids.group(1)
        + b"<"
        + changed
        + b">]/Prev "
        + str(startxref).encode()
        + b">>\nstartxref\n"
        + str(xref_at).encode()
        + b"\n%%EOF\n"
    )
    return bytes(out)


def _append_fields_with_pyhanko(pdf: bytes, areas: Sequence[SignatureArea]) -> bytes:
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
