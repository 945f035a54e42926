"""Template + content → the JSON data that `oficio.typ` lays out.

Placeholders are replaced here, once, with the oficio's values as plain text; every text gets break
opportunities in very long runs. The result holds no Typst markup at all: the Typst program shows
each string with `text(...)`.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import qrcode

from signum.drafting.rendering.body import BodyDocument, LineBreak, ListBlock, Paragraph, Table, TextRun
from signum.drafting.rendering.content import OficioContent
from signum.drafting.rendering.names import title_and_office
from signum.drafting.templates import images, placeholders
from signum.drafting.templates.model import PAGE_SIZES_MM, Block, Identity, Template
from signum.drafting.templates.text import breakable, family_characters
from signum.platform.dates import long_date

FALLBACK_FONTS = ("Noto Sans Arabic", "Noto Sans Hebrew", "Symbola")
LONG_PARAGRAPH = 3_000  # characters; longer body paragraphs are always broken into lines greedily
DEFAULT_GAP_MM = 5.0
HEADER_GAP_MM = 6.0
FOOTER_GAP_MM = 6.0

Json = dict[str, Any]


def placeholder_values(content: OficioContent, identity: Identity | None = None) -> dict[str, str]:
    """The value of every data placeholder of the catalogue for this oficio."""
    first = content.recipients[0]
    ref = content.reference
    return {
        "leyenda": identity.leyenda if identity else "",
        "folio": content.folio,
        "fecha": long_date(content.date),
        "anio": str(content.date.year),
        "asunto": content.subject,
        "destinatario.nombre": first.name,
        "destinatario.puesto": first.title,
        "destinatario.dependencia": first.organization,
        "remitente.nombre": content.sender.name,
        "remitente.puesto": content.sender.title,
        "remitente.dependencia": content.sender.organization,
        "remitente.unidad": content.sender.unit,
        "remitente.domicilio": content.sender.address,
        "referencia.folio": ref.folio if ref else "",
        "referencia.fecha": long_date(ref.date) if ref and ref.date else "",
        "iniciales": content.initials,
    }


def _spans(text: str, values: dict[str, str]) -> list[Json]:
    out: list[Json] = []
    pending = ""
    for segment in placeholders.split(text):
        if isinstance(segment, placeholders.Placeholder) and segment.name in placeholders.PAGE_PLACEHOLDERS:
            if pending:
                out.append({"t": breakable(pending)})
                pending = ""
            out.append({"p": segment.name})
        elif isinstance(segment, placeholders.Placeholder):
            pending += values.get(segment.name, "")
        else:
            pending += segment.text
    if pending:
        out.append({"t": breakable(pending)})
    return out


def _is_blank(spans: list[Json]) -> bool:
    return all("t" in s and not s["t"].strip() for s in spans)


def _inline(node: TextRun | LineBreak) -> list[Json]:
    if isinstance(node, LineBreak):
        return [{"br": True}]
    style = {k: True for k, on in (("b", node.bold), ("i", node.italic), ("u", node.underline)) if on}
    out: list[Json] = []
    for i, piece in enumerate(node.text.split("\n")):
        if i > 0:
            out.append({"br": True})
        if piece:
            out.append({"t": breakable(piece), **style})
    return out


def _inlines(nodes: list[TextRun | LineBreak]) -> list[Json]:
    return [item for node in nodes for item in _inline(node)]


def _rich(blocks: list[Any]) -> list[Json]:
    out: list[Json] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            node: Json = {"type": "p", "children": _inlines(block.children)}
            if sum(len(c.text) for c in block.children if isinstance(c, TextRun)) > LONG_PARAGRAPH:
                node["long"] = True
            out.append(node)
        elif isinstance(block, ListBlock):
            kind = "ul" if block.type == "bullet_list" else "ol"
            out.append({"type": kind, "items": [_rich(item) for item in block.items]})
        elif isinstance(block, Table):
            out.append(
                {
                    "type": "table",
                    "header": block.header,
                    "rows": [[_inlines(c) for c in r] for r in block.rows],
                }
            )
    return out


def body_nodes(body: BodyDocument) -> list[Json]:
    """The body as the Typst program's nodes."""
    return _rich(list(body.blocks))


def _person(name: str, *lines: str) -> Json:
    return {"name": breakable(name), "lines": [breakable(line) for line in lines if line]}


def _common(block: Block, values: dict[str, str], identity: Identity) -> Json:
    data: Json = {
        "kind": block.kind,
        "align": block.align,
        "bold": block.bold,
        "italic": block.italic,
        "size": block.size,
        "space": block.space_before if block.space_before is not None else DEFAULT_GAP_MM,
        "first_page_only": block.first_page_only,
        "label": _spans(block.label, values) if block.label is not None else None,
        "lines": [_spans(line, values) for line in block.lines],
    }
    image_id = _image_of(block, identity)
    if image_id is not None and block.image is not None:
        data["image"] = {"id": image_id, "width": block.image.width, "position": block.image.position}
    if block.area is not None:
        data["box"] = {"width": block.area.width, "height": block.area.height}
    return data


def _image_of(block: Block, identity: Identity) -> str | None:
    """The id of the image the block shows: its own, the dependencia's escudo, or none."""
    if block.image is None:
        return None
    return identity.escudo if block.image.escudo else block.image.image_id


def _verification(content: OficioContent) -> list[list[Json]] | None:
    """The verification box's lines (inline nodes), or None when the oficio has no id yet."""
    v = content.verification
    if v is None:
        return None
    return [
        # The address stays one unbroken word: copied from the PDF, it must work as typed.
        [{"t": "Escanee el código QR o visite "}, {"t": v.page_url, "b": True}],
        [{"t": "e ingrese el código de verificación: "}, {"t": v.code, "b": True, "code": True}],
    ]


def _block(block: Block, content: OficioContent, values: dict[str, str], identity: Identity) -> Json | None:
    """The block's data, or None when this oficio has nothing to show in it."""
    data = _common(block, values, identity)
    kind = block.kind
    if kind == "cuerpo":
        data["body"] = body_nodes(content.body)
    elif kind == "destinatarios":
        data["people"] = [
            _person(r.name, *title_and_office(r.title, r.organization)) for r in content.recipients
        ]
    elif kind == "qr":
        data["verification"] = _verification(content)
    elif kind == "firmas":
        data["columns"] = min(block.columns, len(content.signers))
        data["signers"] = [
            {
                "index": i + 1,
                **_person(s.name, s.title),
                "on_behalf": breakable(
                    f"{block.on_behalf_prefix} {s.on_behalf_of.name}"
                    + (f", {s.on_behalf_of.title}" if s.on_behalf_of.title else "")
                )
                if s.on_behalf_of
                else None,
            }
            for i, s in enumerate(content.signers)
        ]
    elif kind == "ccp":
        if not content.ccp:
            return None
        data["items"] = [breakable(", ".join(x for x in (c.name, c.title) if x)) for c in content.ccp]
    elif kind == "anexos":
        if not content.attachments:
            return None
        data["items"] = [breakable(a) for a in content.attachments]
    elif kind == "referencia" and content.reference is None:
        return None
    elif (
        "image" not in data
        and kind not in ("qr", "despedida")
        and all(_is_blank(line) for line in data["lines"])
    ):
        return None  # e.g. no initials
    return data


def _region(
    template: Template, content: OficioContent, values: dict[str, str], identity: Identity, region: str
) -> list[Json]:
    out: list[Json] = []
    for block in template.blocks:
        if block.region != region:
            continue
        data = _block(block, content, values, identity)
        if data is None:
            continue
        # "Atentamente" travels with the first row of signatures (see `signatures` in oficio.typ).
        if data["kind"] == "firmas" and out and out[-1]["kind"] == "despedida":
            data["closing"] = out.pop()
            data["space"] = data["closing"]["space"]
        out.append(data)
    return out


@functools.lru_cache(maxsize=16)
def _svg(data: bytes) -> str:
    # A template's images are the same on every render: sniff (a full decode) and wrap them once.
    return images.as_svg(data, images.sniff(data))


@functools.lru_cache(maxsize=64)
def qr_svg(url: str) -> str:
    """The QR code of `url` as SVG (one path, error correction M), cached: previews repeat it."""
    # A fixed mask is valid QR; trying all eight to pick the "best" one costs several milliseconds.
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=2)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{n}" height="{n}" viewBox="0 0 {n} {n}" '
        f'shape-rendering="crispEdges"><path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def build(template: Template, content: OficioContent) -> tuple[str, dict[str, str]]:
    """The `sys.inputs` of one render: the JSON payload and each used image as SVG text."""
    identity = template.identity_for(content.sender.dependencia_id)
    values = placeholder_values(content, identity)
    width, height = PAGE_SIZES_MM[template.page_size]
    m = template.margins
    payload = {
        "title": content.subject,
        "author": content.sender.organization or content.sender.name,
        "font": {"families": [template.font], "size": template.font_size},
        "line_breaking": template.line_breaking,
        "page": {
            "width": width,
            "height": height,
            "margin": {"top": m.top, "right": m.right, "bottom": m.bottom, "left": m.left},
            "header_gap": HEADER_GAP_MM,
            "footer_gap": FOOTER_GAP_MM,
        },
        "header": _region(template, content, values, identity, "header"),
        "content": _region(template, content, values, identity, "content"),
        "footer": _region(template, content, values, identity, "footer"),
    }
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    if not set(data) <= family_characters(template.font):
        # Some text needs another script's font. Listing the fallbacks only then saves Typst a
        # look-up along the list for every run of text (measured: 3% of a two-page render).
        payload["font"] = {"families": [template.font, *FALLBACK_FONTS], "size": template.font_size}
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    used = {_image_of(b, identity) for b in template.blocks}
    extra: dict[str, str] = {}
    for asset in template.images:
        if asset.id in used:
            extra[f"img:{asset.id}"] = _svg(asset.data)
    if content.verification is not None and any(b.kind == "qr" for b in template.blocks):
        extra["qr"] = qr_svg(content.verification.qr_url)
    return data, extra
