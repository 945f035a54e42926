"""The visible signature block: Spanish text lines and the QR code to the public verification page.

Drawn directly as PDF operators with the standard Helvetica font in WinAnsiEncoding (every Spanish
letter is in it), so nothing is embedded and the block costs microseconds, not milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import qrcode
from pyhanko.pdf_utils import content, generic, layout
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp import BaseStamp, BaseStampStyle

_FONT = generic.DictionaryObject(  # type: ignore[no-untyped-call]
    {
        pdf_name("/Type"): pdf_name("/Font"),
        pdf_name("/Subtype"): pdf_name("/Type1"),
        pdf_name("/BaseFont"): pdf_name("/Helvetica"),
        pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding"),
    }
)
_FONT_BOLD = generic.DictionaryObject(  # type: ignore[no-untyped-call]
    {**_FONT, pdf_name("/BaseFont"): pdf_name("/Helvetica-Bold")}
)
_PADDING = 4.0


def _text_width(text: str, *, bold: bool = False) -> float:
    """Approximate Helvetica advance of `text` in units of the font size (AFM widths, rounded)."""
    width = 0.0
    for char in text:
        if char == " ":
            width += 0.278
        elif char in "il.,:;'|!":
            width += 0.26
        elif char.isupper() or char in "mwMW@%":
            width += 0.72
        elif char.isdigit():
            width += 0.556
        else:
            width += 0.53
    return width * (1.06 if bold else 1.0)


def pdf_text(text: str) -> bytes:
    """A PDF literal string in WinAnsiEncoding."""
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def qr_modules(url: str) -> list[list[bool]]:
    """The dark/light modules of the QR code for `url` (error correction M, no quiet zone)."""
    # A fixed mask is valid QR; trying all eight to pick the "best" one costs ~6 ms per signature.
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=2)
    code.add_data(url)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def qr_operators(modules: list[list[bool]], x: float, y: float, size: float) -> bytes:
    """Filled rectangles for the dark modules, one per horizontal run, inside a square at (x, y)."""
    count = len(modules)
    unit = size / count
    ops = [b"q 1 g %.2f %.2f %.2f %.2f re f 0 g" % (x - unit, y - unit, size + 2 * unit, size + 2 * unit)]
    for row_index, row in enumerate(modules):
        top = y + size - (row_index + 1) * unit
        col = 0
        while col < count:
            if row[col]:
                start = col
                while col < count and row[col]:
                    col += 1
                ops.append(b"%.3f %.3f %.3f %.3f re" % (x + start * unit, top, (col - start) * unit, unit))
            else:
                col += 1
    ops.append(b"f Q")
    return b"\n".join(ops)


@dataclass(frozen=True)
class SignatureBlockStyle(BaseStampStyle):
    """pyHanko stamp style that draws Signum's signature block. Text params: `lines`, `qr_url`."""

    border_width: int = 1
    border_color: tuple[float, float, float] | None = (0.55, 0.55, 0.55)

    def create_stamp(
        self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict[str, Any]
    ) -> BaseStamp:
        return SignatureBlockStamp(
            writer,
            self,
            box,
            lines=list(text_params.get("lines", ())),
            bold=frozenset(text_params.get("bold", ())),
            qr_url=text_params.get("qr_url"),
        )


class SignatureBlockStamp(BaseStamp):
    def __init__(
        self,
        writer: BasePdfFileWriter,
        style: SignatureBlockStyle,
        box: layout.BoxConstraints,
        *,
        lines: list[str],
        bold: frozenset[int],
        qr_url: str | None,
    ) -> None:
        super().__init__(writer, style, box)
        self.lines = lines
        self.bold = bold
        self.qr_url = qr_url

    def _render_inner_content(self) -> list[bytes]:
        self.set_resource(content.ResourceType.FONT, pdf_name("/SgR"), _FONT)
        self.set_resource(content.ResourceType.FONT, pdf_name("/SgB"), _FONT_BOLD)
        width, height = float(self.box.width), float(self.box.height)
        ops: list[bytes] = []
        text_x = _PADDING
        if self.qr_url:
            side = max(min(height - 2 * _PADDING, width * 0.3), 0.0)
            ops.append(qr_operators(qr_modules(self.qr_url), _PADDING, (height - side) / 2, side))
            text_x = side + 3 * _PADDING
        ops.append(self._text(text_x, width - text_x - _PADDING, height))
        return ops

    def _text(self, x: float, available_width: float, height: float) -> bytes:
        if not self.lines:
            return b""
        widest = max(_text_width(line, bold=i in self.bold) for i, line in enumerate(self.lines))
        size = min(8.0, (height - 2 * _PADDING) / (1.2 * len(self.lines)))
        size = max(min(size, available_width / max(widest, 1.0)), 3.0)
        leading = size * 1.2
        top = height - _PADDING - size
        ops = [b"BT 0 g", b"%.2f TL %.2f %.2f Td" % (leading, x, top)]
        for index, line in enumerate(self.lines):
            font = b"/SgB" if index in self.bold else b"/SgR"
            ops.append(b"%s %.2f Tf %s Tj T*" % (font, size, pdf_text(line)))
        ops.append(b"ET")
        return b"\n".join(ops)
