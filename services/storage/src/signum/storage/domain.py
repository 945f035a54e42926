"""Storage's rules without I/O: what content is accepted, how long it is kept, and the audit chain."""

from __future__ import annotations

import codecs
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits
from pyhanko.pdf_utils.misc import PdfDecodeLimitError, PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from signum.platform.errors import SignumError
from signum.storage.archives import UNREADABLE, ArchiveLimits, read_part

Bucket = Literal["documents", "drafts", "attachments"]
UPLOAD_BUCKETS: tuple[Bucket, ...] = ("documents", "drafts", "attachments")
KEY_PREFIX = "sha256/"
GENESIS_HASH = "0" * 64

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text/plain"
CSV = "text/csv"
ALLOWED_TYPES = (PDF, PNG, JPEG, DOCX, XLSX, TEXT, CSV)
# The main part's content type inside [Content_Types].xml says what an OOXML zip really is.
_OOXML_MAIN = {
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}


# --- errors -----------------------------------------------------------------------------------


class FileTooLargeError(SignumError):
    code = "file_too_large"
    status_code = 413
    message = "El archivo excede el tamaño máximo permitido."


class FileEmptyError(SignumError):
    code = "file_empty"
    status_code = 422
    message = "El archivo está vacío."


class FileTypeNotAllowedError(SignumError):
    code = "file_type_not_allowed"
    status_code = 415
    message = (
        "El tipo de archivo no está permitido. Se aceptan PDF, PNG, JPEG, Word (.docx), "
        "Excel (.xlsx), texto y CSV."
    )


class PdfEncryptedError(SignumError):
    code = "pdf_encrypted"
    status_code = 422
    message = "El PDF está cifrado o protegido con contraseña; envíe una versión sin protección."


class PdfMalformedError(SignumError):
    code = "pdf_malformed"
    status_code = 422
    message = "El PDF está dañado o no se puede leer."


class PdfLimitsError(SignumError):
    code = "pdf_limits_exceeded"
    status_code = 422
    message = (
        "El PDF contiene datos comprimidos que crecen de forma anómala al leerlo. No se acepta; "
        "genere el PDF de nuevo (por ejemplo, imprimiéndolo como PDF)."
    )


class ObjectTamperedError(SignumError):
    code = "object_tampered"
    status_code = 409
    message = "El contenido almacenado no coincide con su huella digital registrada: fue alterado."


class UploadMismatchError(SignumError):
    code = "upload_mismatch"
    status_code = 422
    message = "El archivo recibido no coincide con lo anunciado (tamaño o huella)."


# --- content ----------------------------------------------------------------------------------


def content_key(sha256_hex: str) -> str:
    """The content address of some bytes."""
    return f"{KEY_PREFIX}{sha256_hex}"


def is_content_key(clave: str) -> bool:
    """Whether `clave` is a well-formed content address."""
    digest = clave.removeprefix(KEY_PREFIX)
    return clave.startswith(KEY_PREFIX) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)


def format_size(n: int) -> str:
    """Size for a Spanish message (e.g. `250 MB`)."""
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def sniff(head: bytes) -> str | None:
    """The type the first bytes announce (OOXML and text need a closer look: see `detect_type`)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


_TEXT_CONTROL = set(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}


class TextSniffer:
    """Decides, chunk by chunk, whether a whole stream is UTF-8 text without control bytes."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.is_text = True

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        if not self.is_text:
            return
        if any(b in _TEXT_CONTROL for b in chunk):
            self.is_text = False
            return
        try:
            self._decoder.decode(chunk, final)
        except UnicodeDecodeError:
            self.is_text = False


def detect_type(
    path: Path, head: bytes, *, is_text: bool, declared: str | None, limits: ArchiveLimits | None = None
) -> str:
    """The media type of a spooled file, by content; raises if it is not an allowed type or a zip
    past `limits`. Blocking (it may inflate up to the limits' budget): run it in a worker."""
    kind = sniff(head)
    if kind == "zip":
        return _ooxml_type(path, limits)
    if kind is not None:
        return kind
    if is_text:
        return CSV if (declared or "").split(";")[0].strip().lower() == CSV else TEXT
    raise FileTypeNotAllowedError()


def _ooxml_type(path: Path, limits: ArchiveLimits | None) -> str:
    try:
        with path.open("rb") as fp:
            types = read_part(fp, "[Content_Types].xml", limits).decode("utf-8", "replace")
    except UNREADABLE:
        raise FileTypeNotAllowedError() from None
    for media_type, main in _OOXML_MAIN.items():
        if main in types:
            return media_type
    raise FileTypeNotAllowedError()


# What reading a PDF's structure may decode: object and cross-reference streams (images and page
# contents are never decoded here). pyHanko enforces it per stream (object streams also by ratio,
# 100 to 1 past 4 MiB) and for the whole document, so neither one stream nor many add up to a bomb.
PDF_DECODE_LIMITS = DecodeLimits(
    per_stream=StreamDecodeLimits(max_output_size=64 * 1024 * 1024),
    document_budget=DocumentDecodeBudget(base_allowance=64 * 1024 * 1024, max_ratio=1),
)
MAX_PDF_PAGES = 100_000
MAX_PAGE_TREE_DEPTH = 64


def check_pdf(path: Path) -> None:
    """Refuse encrypted or unreadable PDFs (the whole page tree must parse) and PDFs whose structure
    inflates past `PDF_DECODE_LIMITS`. Blocking: run it in a worker."""
    try:
        with path.open("rb") as fp:
            reader = PdfFileReader(fp, strict=False, decode_limits=PDF_DECODE_LIMITS)
            if reader.encrypted:
                raise PdfEncryptedError()
            if _count_pages(reader.root["/Pages"]) < 1:
                raise PdfMalformedError("El PDF no tiene páginas.")
    except SignumError:
        raise
    except PdfDecodeLimitError:
        raise PdfLimitsError() from None
    except (
        PdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
        RecursionError,
    ) as exc:
        raise PdfMalformedError(details={"detalle": str(exc)[:200]}) from None


def _count_pages(root: Any) -> int:
    """Walk the page tree (each node parsed, cycles and depth refused) and count its pages."""
    pages = 0
    seen: dict[int, Any] = {}  # by identity (the reader hands out one object per reference)
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen or depth > MAX_PAGE_TREE_DEPTH:
            raise PdfMalformedError("El árbol de páginas del PDF es circular o demasiado profundo.")
        seen[id(node)] = node
        kind = node.get("/Type")
        if kind == "/Pages":
            stack.extend((kid.get_object(), depth + 1) for kid in node["/Kids"])
        elif kind == "/Page" or "/Contents" in node or "/MediaBox" in node:
            pages += 1
            if pages > MAX_PDF_PAGES:
                raise PdfMalformedError("El PDF tiene demasiadas páginas.")
        else:
            raise PdfMalformedError("El árbol de páginas del PDF no es válido.")
    return pages


# --- retention --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Serie:
    code: str
    nombre: str
    anos: int


@dataclass(frozen=True)
class Catalogue:
    """The archival series and their retention, from the *catálogo de disposición documental*."""

    series: dict[str, Serie]
    default: str

    @classmethod
    def load(cls, path: Path) -> Catalogue:
        raw = json.loads(path.read_text(encoding="utf-8"))
        series = {
            code: Serie(code=code, nombre=str(item["nombre"]), anos=int(item["anos"]))
            for code, item in raw["series"].items()
        }
        default = str(raw["predeterminada"])
        if default not in series:
            raise ValueError(f"default series {default!r} is not in the catalogue {path}")
        return cls(series=series, default=default)

    def serie(self, code: str | None) -> Serie:
        """The series of `code`; an unknown or missing code gets the default series."""
        return self.series.get(code or "", self.series[self.default])

    def retention_until(self, code: str | None, now: datetime) -> tuple[Serie, datetime]:
        serie = self.serie(code)
        try:
            until = now.replace(year=now.year + serie.anos)
        except ValueError:  # 29 February
            until = now.replace(year=now.year + serie.anos, day=28)
        return serie, until


def days_left(until: datetime, now: datetime) -> int:
    return max(0, (until - now) // timedelta(days=1))


# --- audit chain ------------------------------------------------------------------------------

HASHED_FIELDS = (
    "seq",
    "event_id",
    "type",
    "version",
    "producer",
    "oficio_id",
    "occurred_at",
    "actor",
    "payload_sha256",
    "prev_hash",
)


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_hash(record: dict[str, Any]) -> str:
    """The hash of an audit record: SHA-256 over the canonical JSON of its hashed fields."""
    return sha256_hex(canonical_json({name: record.get(name) for name in HASHED_FIELDS}))


def new_record(
    *, seq: int, prev_hash: str, event: dict[str, Any], payload: dict[str, Any], topic: str
) -> dict[str, Any]:
    """The audit record of one event, chained to `prev_hash`."""
    record: dict[str, Any] = {
        "seq": seq,
        "event_id": str(event["event_id"]),
        "type": str(event["type"]),
        "version": int(event["version"]),
        "producer": str(event["producer"]),
        "oficio_id": event.get("oficio_id"),
        "occurred_at": str(event["occurred_at"]),
        "actor": {"kind": str(event["actor"]["kind"]), "id": str(event["actor"]["id"])},
        "payload_sha256": sha256_hex(canonical_json(payload)),
        "prev_hash": prev_hash,
        "topic": topic,
        "payload": payload,
    }
    record["hash"] = record_hash(record)
    return record


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the chain does not hold."""

    seq: int
    kind: Literal["alterado", "eliminado", "insertado", "sello"]
    message: str


@dataclass
class ChainVerifier:
    """Walks the records in `seq` order and finds the first alteration, removal or insertion."""

    head: dict[str, Any] | None = None  # the latest sealed head {seq, hash}, checked on the way
    expected_seq: int = 1
    prev_hash: str = GENESIS_HASH
    hashes: dict[int, str] = field(default_factory=dict)  # recent hashes, to tell insertions apart
    checked: int = 0
    first_break: ChainBreak | None = None

    def feed(self, record: dict[str, Any]) -> bool:
        """Check one record; returns False once a break was found (stop feeding)."""
        if self.first_break is not None:
            return False
        seq = record.get("seq")
        if not isinstance(seq, int) or seq < self.expected_seq:
            return self._break(
                self.expected_seq, "alterado", f"El registro {seq!r} tiene un número inválido."
            )
        if seq > self.expected_seq:
            missing = (
                f"el registro {self.expected_seq}"
                if seq == self.expected_seq + 1
                else f"los registros {self.expected_seq} a {seq - 1}"
            )
            return self._break(self.expected_seq, "eliminado", f"Falta {missing}: fue eliminado.")
        payload_ok = record.get("payload_sha256") == sha256_hex(canonical_json(record.get("payload")))
        hash_ok = record_hash(record) == record.get("hash")
        if not (payload_ok and hash_ok):
            if self._was_shifted(record):
                return self._break(
                    seq - 1,
                    "insertado",
                    f"El registro {seq - 1} fue insertado: el registro que sigue era el {seq - 1} original.",
                )
            return self._break(seq, "alterado", f"El registro {seq} fue alterado: su huella no coincide.")
        if record.get("prev_hash") != self.prev_hash:
            if seq >= 2 and record.get("prev_hash") == self.hashes.get(seq - 2):
                return self._break(seq - 1, "insertado", f"El registro {seq - 1} fue insertado en la cadena.")
            return self._break(
                seq - 1,
                "alterado",
                f"El registro {seq - 1} fue alterado: el registro {seq} no enlaza con él.",
            )
        if self.head is not None and int(self.head["seq"]) == seq and self.head["hash"] != record["hash"]:
            return self._break(
                seq, "sello", f"El registro {seq} no coincide con el sello guardado de la cadena."
            )
        self.hashes[seq] = str(record["hash"])
        self.hashes.pop(seq - 3, None)
        self.prev_hash = str(record["hash"])
        self.expected_seq = seq + 1
        self.checked += 1
        return True

    def _was_shifted(self, record: dict[str, Any]) -> bool:
        # A record renumbered one place up to make room for a forged one still hashes with its
        # original number and still points at the record before the forged one.
        seq = int(record["seq"])
        original = dict(record, seq=seq - 1)
        return (
            seq >= 2
            and record_hash(original) == record.get("hash")
            and record.get("prev_hash") == self.hashes.get(seq - 2, GENESIS_HASH if seq == 2 else None)
        )

    def finish(self) -> ChainBreak | None:
        """After the last record: the sealed head must not point past the end of the chain."""
        if self.first_break is not None or self.head is None:
            return self.first_break
        head_seq, last = int(self.head["seq"]), self.expected_seq - 1
        if head_seq > last:
            self._break(
                last + 1,
                "eliminado",
                f"El sello de la cadena llega al registro {head_seq}, pero la cadena termina en el {last}: "
                f"se eliminaron registros desde el {last + 1}.",
            )
        return self.first_break

    def _break(
        self, seq: int, kind: Literal["alterado", "eliminado", "insertado", "sello"], message: str
    ) -> bool:
        self.first_break = ChainBreak(seq=seq, kind=kind, message=message)
        return False


def utc_now() -> datetime:
    return datetime.now(UTC)
