"""Letterhead and footer images: recognised by their content, never by their name or declared type.

Every image reaches Typst as SVG text (PNG and JPEG wrapped in an SVG `<image>` with a data URI), so
the renderer needs no files: the image travels in `sys.inputs` beside the oficio's data.
"""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import PIL.Image
import typst

MAX_IMAGE_BYTES = 1_000_000
MAX_PIXELS = 25_000_000

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"

_SVG_NS = "{http://www.w3.org/2000/svg}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_FORBIDDEN_SVG_TAGS = {"script", "foreignObject", "iframe", "embed", "object", "audio", "video"}
_SAFE_HREF = re.compile(r"^(#|data:image/(png|jpeg|jpg|gif|webp);base64,)", re.IGNORECASE)


class ImageRejected(ValueError):
    """The bytes are not an image we accept; the message is Spanish."""


@dataclass(frozen=True)
class ImageInfo:
    media_type: str
    width: int
    height: int


def _raster_info(data: bytes) -> ImageInfo:
    # Decoding the whole image (not only its header) is what tells a damaged file from a good one:
    # Typst would silently leave a damaged one out of the page.
    try:
        with PIL.Image.open(io.BytesIO(data)) as image:
            kind, mode, (width, height) = image.format, image.mode, image.size
            if width * height > MAX_PIXELS:
                raise ImageRejected("las dimensiones de la imagen son demasiado grandes.")
            image.load()
    except ImageRejected:
        raise
    except (OSError, ValueError, SyntaxError, PIL.Image.DecompressionBombError) as exc:
        raise ImageRejected("la imagen está dañada o no se puede interpretar.") from exc
    if kind not in ("PNG", "JPEG"):
        raise ImageRejected("el archivo no es una imagen PNG, JPEG ni SVG.")
    if mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I"):
        raise ImageRejected(
            "la imagen está en CMYK u otro espacio de color no admitido; guárdela en RGB o escala de grises."
        )
    return ImageInfo("image/png" if kind == "PNG" else "image/jpeg", width, height)


def _svg_length(value: str | None) -> float | None:
    if not value:
        return None
    match = re.fullmatch(r"\s*([0-9.]+)\s*(px|pt|mm|cm|in)?\s*", value)
    return float(match.group(1)) if match else None


def _svg_info(data: bytes) -> ImageInfo:
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise ImageRejected("la imagen SVG declara un DOCTYPE o entidades, que no se permiten.")
    try:
        root = ET.fromstring(data)  # noqa: S314 - DOCTYPE/ENTITY refused above, so no entity expansion
    except ET.ParseError as exc:
        raise ImageRejected("la imagen SVG no es XML válido.") from exc
    if root.tag != f"{_SVG_NS}svg":
        raise ImageRejected("el archivo no es una imagen SVG (su elemento raíz no es <svg>).")
    for element in root.iter():
        local = element.tag.split("}")[-1] if isinstance(element.tag, str) else ""
        if local in _FORBIDDEN_SVG_TAGS:
            raise ImageRejected(f"la imagen SVG contiene un elemento <{local}>, que no se permite.")
        for attr, value in element.attrib.items():
            if attr.lower().split("}")[-1].startswith("on"):
                raise ImageRejected("la imagen SVG contiene código (atributos de evento), que no se permite.")
            if (attr in ("href", _XLINK_HREF)) and not _SAFE_HREF.match(value.strip()):
                raise ImageRejected(
                    "la imagen SVG hace referencia a un archivo o dirección externa; "
                    "incruste todo su contenido."
                )
    width = _svg_length(root.get("width"))
    height = _svg_length(root.get("height"))
    view_box = (root.get("viewBox") or "").replace(",", " ").split()
    if (width is None or height is None) and len(view_box) == 4:
        try:
            width, height = float(view_box[2]), float(view_box[3])
        except ValueError:
            width = height = None
    if not width or not height:
        raise ImageRejected("la imagen SVG no indica su tamaño (atributos width/height o viewBox).")
    return ImageInfo("image/svg+xml", round(width), round(height))


def sniff(data: bytes) -> ImageInfo:
    """What the bytes are, from their content. Raises ImageRejected (Spanish) for anything else."""
    if not data:
        raise ImageRejected("el archivo está vacío.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejected(f"la imagen pesa más de {MAX_IMAGE_BYTES // 1000} KB.")
    if data.startswith((PNG_MAGIC, JPEG_MAGIC)):
        info = _raster_info(data)
    elif data.lstrip()[:5] in (b"<?xml", b"<svg ", b"<svg>", b"<svg\n") or b"<svg" in data[:1024]:
        info = _svg_info(data)
    else:
        raise ImageRejected("el archivo no es una imagen PNG, JPEG ni SVG.")
    if info.width <= 0 or info.height <= 0 or info.width * info.height > MAX_PIXELS:
        raise ImageRejected("las dimensiones de la imagen no son válidas o son demasiado grandes.")
    return info


def as_svg(data: bytes, info: ImageInfo) -> str:
    """The image as SVG text, the one form the renderer takes."""
    if info.media_type == "image/svg+xml":
        return data.decode("utf-8")
    encoded = base64.b64encode(data).decode("ascii")
    w, h = info.width, info.height
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
        f'<image width="{w}" height="{h}" xlink:href="data:{info.media_type};base64,{encoded}"/></svg>'
    )


_PROBE = b'#image(bytes(sys.inputs.img), format: "svg", width: 1cm)'


def check_decodes(data: bytes, info: ImageInfo) -> None:
    """Have Typst itself parse an SVG, so a damaged one is refused now and not at render time.

    PNG and JPEG were already decoded whole by `sniff`.
    """
    if info.media_type != "image/svg+xml":
        return
    try:
        svg = as_svg(data, info)
    except UnicodeDecodeError as exc:
        raise ImageRejected("la imagen SVG no está codificada en UTF-8.") from exc
    try:
        typst.compile(_PROBE, format="svg", ignore_system_fonts=True, sys_inputs={"img": svg})
    except (typst.TypstError, RuntimeError, ValueError) as exc:
        raise ImageRejected("la imagen está dañada o no se puede interpretar.") from exc
