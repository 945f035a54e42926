"""Looking inside a zip upload (Word and Excel files are zips) with bounded work.

A few kilobytes of deflate can announce gigabytes, and a zip can hold zips. Before anything is
inflated the archive's own numbers are checked: the size of its central directory, how many
members it has, what they add up to uncompressed and how much each one expands. Then only what
the type check needs is inflated, in chunks, against one byte budget per upload; an archive inside
the archive (an embedded workbook) is looked into once, never deeper. Whatever passes the limits
is refused with `ArchiveLimitsError` (422), whatever is not a readable zip as not allowed.

Everything here blocks: callers run it in a worker thread, never on the event loop.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO, Literal

from signum.platform.errors import SignumError

MiB = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
CHUNK = 64 * 1024

Reason = Literal["directorio", "elementos", "tamano", "proporcion", "anidamiento", "parte", "metodo"]
# Office and OpenDocument files store or deflate their parts. zipfile inflates bzip2 and LZMA members
# without an output bound per read, so a few kilobytes of them could expand to gigabytes at once.
METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)

_MESSAGES: dict[Reason, str] = {
    "directorio": "El índice del archivo comprimido es demasiado grande.",
    "elementos": "El archivo comprimido contiene demasiados elementos (más de {limite}).",
    "tamano": "El contenido del archivo comprimido ocupa más de {limite} al descomprimirse.",
    "proporcion": (
        "El archivo comprimido crece de forma anómala al descomprimirse "
        "(una parte crece más de {limite} veces)."
    ),
    "anidamiento": "El archivo contiene archivos comprimidos dentro de otros archivos comprimidos.",
    "parte": "Una parte interna del documento excede el tamaño permitido ({limite}).",
    "metodo": "El archivo comprimido usa un método de compresión no admitido.",
}


class ArchiveLimitsError(SignumError):
    code = "archive_limits_exceeded"
    status_code = 422
    message = "El archivo comprimido excede los límites permitidos."

    def __init__(self, reason: Reason, limit: int | float) -> None:
        shown = _size(int(limit)) if reason in ("tamano", "parte") else f"{limit:g}"
        super().__init__(
            f"{_MESSAGES[reason].format(limite=shown)} No se acepta; envíe el documento sin comprimir "
            "de esa forma o divídalo.",
            details={"motivo": reason, "limite": limit},
        )


def _size(n: int) -> str:
    return f"{n / MiB:.0f} MB" if n >= MiB else f"{n} bytes"


@dataclass(frozen=True)
class ArchiveLimits:
    """How much an archive may announce and how much of it is inflated to look inside."""

    max_members: int = 5_000
    max_directory_bytes: int = 4 * MiB  # the central directory zipfile parses before anything else
    max_uncompressed_bytes: int = 256 * MiB  # declared, every member of every nested archive
    max_ratio: float = 200.0  # uncompressed / compressed, per member larger than `ratio_floor`
    ratio_floor: int = MiB
    max_depth: int = 2  # the upload and archives directly inside it
    max_nested_bytes: int = 32 * MiB  # an inner archive is inflated (in memory) to look into it
    max_part_bytes: int = MiB  # a part read to decide the type ([Content_Types].xml)
    inflate_budget: int = 64 * MiB  # bytes actually inflated for one upload, all told


class _Budget:
    """Bytes inflated so far for one upload, and what was announced."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.inflated = 0
        self.declared = 0
        self.members = 0

    def spend(self, n: int) -> None:
        self.inflated += n
        if self.inflated > self.limits.inflate_budget:
            raise ArchiveLimitsError("tamano", self.limits.inflate_budget)


_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")


def directory_numbers(fp: IO[bytes]) -> tuple[int, int]:
    """(members, central directory bytes) as the end record announces them, read from the tail only:
    `zipfile.ZipFile` parses the whole central directory at once, so it is bounded first."""
    fp.seek(0, io.SEEK_END)
    size = fp.tell()
    tail_len = min(size, _EOCD.size + 0xFFFF)
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        raise zipfile.BadZipFile("no end of central directory")
    entries, directory = _EOCD.unpack_from(tail, at)[4:6]
    locator = at - _ZIP64_LOCATOR.size
    if (entries == 0xFFFF or directory == 0xFFFFFFFF) and locator >= 0:
        signature, _, offset, _ = _ZIP64_LOCATOR.unpack_from(tail, locator)
        if signature == b"PK\x06\x07":
            fp.seek(offset)
            record = fp.read(_ZIP64_EOCD.size)
            if len(record) == _ZIP64_EOCD.size and record.startswith(b"PK\x06\x06"):
                entries, directory = _ZIP64_EOCD.unpack(record)[7:9]
    return entries, directory


def _open(fp: IO[bytes], limits: ArchiveLimits, budget: _Budget, depth: int) -> zipfile.ZipFile:
    """The archive, once its announced numbers are within the limits (nested ones looked into)."""
    entries, directory = directory_numbers(fp)
    if directory > limits.max_directory_bytes:
        raise ArchiveLimitsError("directorio", limits.max_directory_bytes)
    if budget.members + entries > limits.max_members:
        raise ArchiveLimitsError("elementos", limits.max_members)
    archive = zipfile.ZipFile(fp)
    try:
        _check_members(archive, limits, budget, depth)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_members(archive: zipfile.ZipFile, limits: ArchiveLimits, budget: _Budget, depth: int) -> None:
    members = archive.infolist()
    budget.members += len(members)
    if budget.members > limits.max_members:
        raise ArchiveLimitsError("elementos", limits.max_members)
    for info in members:
        if info.compress_type not in METHODS:
            raise ArchiveLimitsError("metodo", info.compress_type)
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise ArchiveLimitsError("proporcion", limits.max_ratio)
        budget.declared += info.file_size
        if budget.declared > limits.max_uncompressed_bytes:
            raise ArchiveLimitsError("tamano", limits.max_uncompressed_bytes)
    for info in members:
        if info.is_dir() or info.file_size < len(ZIP_MAGIC) or info.flag_bits & 0x1:
            continue  # nothing to look at (an encrypted member cannot be opened without its password)
        with archive.open(info) as member:
            head = member.read(len(ZIP_MAGIC))
        budget.spend(zipfile.ZipExtFile.MIN_READ_SIZE)  # what one read may inflate at most
        if head != ZIP_MAGIC:
            continue
        if depth >= limits.max_depth:
            raise ArchiveLimitsError("anidamiento", limits.max_depth)
        if info.file_size > limits.max_nested_bytes:
            raise ArchiveLimitsError("parte", limits.max_nested_bytes)
        inner = io.BytesIO(_inflate(archive, info, limits.max_nested_bytes, budget))
        _open(inner, limits, budget, depth + 1).close()


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, budget: _Budget) -> bytes:
    """A member's bytes, read in chunks, refused past `limit` or the upload's budget."""
    out = bytearray()
    with archive.open(info) as member:
        while chunk := member.read(CHUNK):
            budget.spend(len(chunk))
            out += chunk
            if len(out) > limit:
                raise ArchiveLimitsError("parte", limit)
    return bytes(out)


# Errors a damaged or hostile zip raises in zipfile (and zlib under it): not a readable archive.
UNREADABLE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    KeyError,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
)


def read_part(fp: IO[bytes], name: str, limits: ArchiveLimits | None = None) -> bytes:
    """The bytes of member `name` of the zip in `fp`, after checking the whole archive against
    `limits`. `ArchiveLimitsError` past a limit; the errors in `UNREADABLE` for a damaged zip."""
    limits = limits or ArchiveLimits()
    budget = _Budget(limits)
    with _open(fp, limits, budget, depth=1) as archive:
        info = archive.getinfo(name)
        if info.file_size > limits.max_part_bytes:
            raise ArchiveLimitsError("parte", limits.max_part_bytes)
        return _inflate(archive, info, limits.max_part_bytes, budget)
