"""Zips for the decompression tests: a real-shaped Word document, and bombs written as they stream
(a member of a gibibyte of zeros is deflated a mebibyte at a time: the test never holds it)."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

MiB = 1024 * 1024
GiB = 1024 * MiB

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="xlsx" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
XLSX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def _document(paragraphs: int) -> str:
    body = "".join(
        f"<w:p><w:r><w:t>Párrafo {n}: se informa a esa Dirección el avance del programa.</w:t></w:r></w:p>"
        for n in range(paragraphs)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )


def write_zip(target: IO[bytes] | Path, members: Iterable[tuple[str, bytes | str]], **kw: object) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, **kw) as archive:  # type: ignore[arg-type]
        for name, data in members:
            archive.writestr(name, data)


def zip_of(members: Iterable[tuple[str, bytes | str]], **kw: object) -> bytes:
    out = io.BytesIO()
    write_zip(out, members, **kw)
    return out.getvalue()


def xlsx(sheet_rows: int = 50) -> bytes:
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, sheet_rows + 1))
    return zip_of(
        [
            ("[Content_Types].xml", XLSX_TYPES),
            ("xl/workbook.xml", "<workbook/>"),
            ("xl/worksheets/sheet1.xml", f"<worksheet><sheetData>{rows}</sheetData></worksheet>"),
        ]
    )


def docx(paragraphs: int = 200, *, embedded: bytes | None = None) -> bytes:
    """A Word document as Word lays it out (content types, relationships, document, properties)."""
    members: list[tuple[str, bytes | str]] = [
        ("[Content_Types].xml", DOCX_TYPES),
        ("_rels/.rels", RELS),
        ("word/document.xml", _document(paragraphs)),
        ("docProps/core.xml", "<cp:coreProperties/>"),
    ]
    if embedded is not None:
        members.append(("word/embeddings/Hoja_de_calculo.xlsx", embedded))
    return zip_of(members)


def zeros_member(archive: zipfile.ZipFile, name: str, size: int) -> None:
    """A member of `size` zero bytes, deflated as it is written, one mebibyte at a time."""
    block = bytes(MiB)
    with archive.open(name, "w", force_zip64=size >= 0xFFFFFFFF - MiB) as member:
        left = size
        while left > 0:
            member.write(block[: min(left, MiB)])
            left -= MiB


def docx_bomb(target: IO[bytes] | Path, size: int = GiB) -> None:
    """The reported attack: a Word document whose `[Content_Types].xml` inflates to `size` bytes."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        zeros_member(archive, "[Content_Types].xml", size)
        archive.writestr("word/document.xml", _document(1))


def lying_sizes(data: bytes, name: str, declared: int) -> bytes:
    """`data` (a zip) with member `name` announcing `declared` uncompressed bytes in both headers."""
    out = bytearray(data)
    encoded = name.encode()
    local = out.find(b"PK\x03\x04")
    while local >= 0:
        name_len = struct.unpack_from("<H", out, local + 26)[0]
        if out[local + 30 : local + 30 + name_len] == encoded:
            struct.pack_into("<L", out, local + 22, declared)
        local = out.find(b"PK\x03\x04", local + 4)
    central = out.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46 : central + 46 + name_len] == encoded:
            struct.pack_into("<L", out, central + 24, declared)
        central = out.find(b"PK\x01\x02", central + 4)
    return bytes(out)
