"""What the rendering tests share: reading a PDF's text and structure as a reader would."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader
from pypdf.generic import IndirectObject

from signum.drafting.rendering import OficioContent, sample_content
from signum.drafting.templates import Template, default_template, next_version

BAND_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="20"><rect width="400" height="20"/></svg>'
)

# Whitespace, zero-width characters (the renderer adds break opportunities), soft hyphens (what a
# hyphenation point extracts as) and the control characters pypdf emits for some emoji clusters.
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u00ad\x00-\x1f]+")


def normalize(text: str) -> str:
    return _INVISIBLE.sub("", text)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def content(**changes: Any) -> dict[str, Any]:
    """The sample oficio as JSON data, with `changes` (top-level fields) applied."""
    data = sample_content().model_dump(mode="json")
    data.update(changes)
    return data


def body(*paragraphs: str) -> dict[str, Any]:
    return {"blocks": [{"type": "paragraph", "children": [{"type": "text", "text": p}]} for p in paragraphs]}


def content_only_template() -> Template:
    """The default template without header and footer: the body's text is not interleaved with them."""
    template = default_template()
    blocks = [b for b in template.model_dump()["blocks"] if b["region"] == "content"]
    return next_version(template, blocks=blocks)


def two_page_content() -> OficioContent:
    words = "Por este conducto se solicita la información presupuestal del ejercicio en curso"
    return OficioContent.parse(content(body=body(*[f"{words} {i}. " * 9 for i in range(6)])))


def resolve(obj: Any) -> Any:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def signature_fields(pdf: bytes) -> dict[str, dict[str, Any]]:
    """Each signature field: its page (1-based), rectangle and whether it is signed."""
    reader = PdfReader(io.BytesIO(pdf))
    pages = {page.indirect_reference.idnum: n + 1 for n, page in enumerate(reader.pages)}
    out = {}
    for ref in resolve(reader.trailer["/Root"]["/AcroForm"])["/Fields"]:
        f = resolve(ref)
        out[str(f["/T"])] = {
            "type": f["/FT"],
            "page": pages[f.raw_get("/P").idnum],
            "rect": [float(x) for x in f["/Rect"]],
            "signed": "/V" in f,
            "has_appearance": "/AP" in f,
        }
    return out


def pdfa_problems(pdf: bytes) -> list[str]:
    """A structural PDF/A-2b check (veraPDF is the real one): what a reader would find missing."""
    reader = PdfReader(io.BytesIO(pdf))
    problems = []
    if reader.is_encrypted:
        problems.append("encrypted")
    root = reader.trailer["/Root"]
    xmp = resolve(root.get("/Metadata"))
    packet = xmp.get_data().decode("utf-8") if xmp is not None else ""
    if not re.search(r"pdfaid:part(>|=\")2", packet) or not re.search(r"pdfaid:conformance(>|=\")B", packet):
        problems.append("XMP does not declare PDF/A-2b")
    intents = [resolve(i) for i in resolve(root.get("/OutputIntents", []))]
    if not any("/DestOutputProfile" in i for i in intents):
        problems.append("no OutputIntent with an ICC profile")
    if "/JavaScript" in resolve(root.get("/Names", {})) or "/OpenAction" in root or "/AA" in root:
        problems.append("JavaScript or automatic actions")
    for n, page in enumerate(reader.pages, start=1):
        fonts = resolve(resolve(page.get("/Resources", {})).get("/Font", {}))
        for name, ref in fonts.items():
            font = resolve(ref)
            descriptors = [resolve(d).get("/FontDescriptor") for d in font.get("/DescendantFonts", [])]
            descriptors.append(font.get("/FontDescriptor"))
            embedded = any(
                d is not None and any(k in resolve(d) for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                for d in descriptors
            )
            if not embedded:
                problems.append(f"page {n}: font {name} ({font.get('/BaseFont')}) not embedded")
    return problems


def font_names(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    names = set()
    for page in reader.pages:
        fonts = resolve(resolve(page.get("/Resources", {})).get("/Font", {}))
        for ref in fonts.values():
            names.add(str(resolve(ref)["/BaseFont"]).split("+", 1)[-1])
    return names
