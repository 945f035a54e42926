"""PDFs whose structure hides compressed data (decompression bombs for tests): objects kept in object
streams padded with bytes that are deflated as they are written, so a test never holds the padding."""

from __future__ import annotations

import random
import struct
import zlib

MiB = 1024 * 1024


_BITS = bytes(0x30 + (n & 1) for n in range(256))


def _deflated(head: bytes, pad: int, *, noise: bool) -> bytes:
    compressor = zlib.compressobj(1 if noise else 6)
    parts = [compressor.compress(head)]
    # Zeros inflate about 1,000 to 1; random zeros and ones (one bit per byte) about 7 to 1.
    block = bytes(MiB)
    if noise:
        block = random.Random(pad).randbytes(MiB).translate(_BITS)  # noqa: S311 - filler, not a secret
    left = pad
    while left > 0:
        parts.append(compressor.compress(block[: min(left, MiB)]))
        left -= MiB
    parts.append(compressor.flush())
    return b"".join(parts)


def pdf_with_catalog_in_stream(pad: int) -> bytes:
    """A PDF whose catalog and page tree live in one object stream that decodes to `pad` more zero
    bytes: a reader inflates it before it learns anything about the document."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    pages = b"<< /Type /Pages /Kids [] /Count 0 >>"
    header = b"1 0 2 %d " % len(catalog)
    data = _deflated(header + catalog + pages, pad, noise=False)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    stream_at = len(out)
    out += b"3 0 obj\n<< /Type /ObjStm /N 2 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        len(header),
        len(data),
    )
    out += data + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = [(0, 0, 65535), (2, 3, 0), (2, 3, 1), (1, stream_at, 0), (1, xref_at, 0)]
    xref = b"".join(struct.pack(">BLH", *row) for row in rows)
    out += b"4 0 obj\n<< /Type /XRef /Size 5 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(xref)
    out += xref + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def pdf_with_object_streams(pages: int, pad: int = 0, *, noise: bool = False) -> bytes:
    """A PDF of `pages` pages; page n is object 10+2n, stored in object stream 11+2n, which decodes
    to the page and `pad` bytes after it (zeros, or `noise`: random zeros and ones). A
    cross-reference stream indexes them (PDF 1.5)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    compressed: dict[int, tuple[int, int]] = {}
    kids = b" ".join(b"%d 0 R" % (10 + 2 * n) for n in range(pages))
    offsets[1] = len(out)
    out += b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    offsets[2] = len(out)
    out += b"2 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n" % (kids, pages)
    for n in range(pages):
        page, stream = 10 + 2 * n, 11 + 2 * n
        header = b"%d 0 " % page
        page_object = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"
        data = _deflated(header + page_object, pad, noise=noise)
        offsets[stream] = len(out)
        out += b"%d 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
            stream,
            len(header),
            len(data),
        )
        out += data + b"\nendstream\nendobj\n"
        compressed[page] = (stream, 0)
    size = 10 + 2 * pages + 1
    xref_number = size - 1
    offsets[xref_number] = len(out)
    rows = []
    for number in range(size):
        if number in compressed:
            rows.append((2, *compressed[number]))
        elif number in offsets:
            rows.append((1, offsets[number], 0))
        else:
            rows.append((0, 0, 0 if number else 65535))
    xref = b"".join(struct.pack(">BLH", *row) for row in rows)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (
        xref_number,
        size,
        len(xref),
    )
    out += xref + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)
