"""Hot spots of verification, made fast without changing what they answer.

- PDF hex strings: pyHanko reads one (`<...>`) a byte at a time through a Python generator, and a
  signature's `/Contents` (tens of KB of hex digits, read again for each revision the difference
  analysis resolves) took about half of a verification's time. `read_hex_string_from_stream` reads
  it in blocks and gives the same result: the same bytes, an odd last digit padded with 0,
  whitespace skipped, any other character refused with pyHanko's `PdfStreamError`. A string with
  `%` in it (pyHanko would skip it as a comment) is left to pyHanko's own reader.
- PDF tokens: pyHanko reads a name (`/Type`) or an object header's numbers a byte at a time through a
  generator (`misc._read_until_class`) and decodes a name byte by byte; reading the document and
  the difference analysis read thousands of them per PDF. `read_until_delimiter` and
  `read_until_whitespace` read 64-byte blocks and find the end with a regular expression, leaving
  the stream where pyHanko's leave it (past the whitespace; on the delimiter; at the end of the
  data; after `maxchars`); `decode_name` turns a name with no `#` escape and only printable ASCII
  into the same `NameObject` at once and leaves any other to pyHanko.
- Object identifiers: asn1crypto turns an OID's bytes into its dotted form with a loop in Python for
  every OID object it parses (thousands per PDF: algorithms, attributes, extensions, name types).
  `ObjectIdentifier.dotted` looks the bytes up first in a table of the OIDs asn1crypto and pyHanko
  name (built at install by encoding each and decoding it back with asn1crypto's own loop); any
  other OID is decoded by that loop.
- A CMS signature's certificates: pyHanko finds the signer's among them (copying every certificate)
  and checks its signing-certificate attribute once when the PDF signature's certificate is first
  asked for and again when the signature is validated. `extract_certs_for_validation` keeps its
  answer on the `SignedData` object it was asked about (read from this PDF, gone with it) and
  gives it back the second time; a refusal is not kept (it is raised again, checked again).
- X.509 names: asn1crypto compares two names (RFC 5280 7.1: LDAP string preparation of every
  attribute, about 0.4 ms for a SAT-style CA name) anew at every comparison, and path building, CRL
  matching and the chain compare the same few CA names dozens of times per PDF. `Name.__eq__` and
  `Name.hashable` go through each name's DER and prepared form, kept on the `Name` object itself
  the first time they are needed (as asn1crypto keeps `Name.sha256`), and, inside
  `names_prepared_once()` (one verification), shared by every `Name` with the same DER. The scope
  starts from the names of the trust configuration, prepared once with it; a name read from a PDF
  is prepared again for every PDF: nothing derived from one document outlives its verification.
- Copies of names: asn1crypto copies a name into a GeneralName (`retag`) by deep-copying its
  parsed tree, and certvalidator wraps the CRL issuer's name so for every CRL it weighs.
  `Name.retag` copies it from its DER instead: the same name, tagging and bytes, parsed again only
  if read.
- LDAP string preparation itself (RFC 4518, asn1crypto's `NameTypeAndValue._ldap_string_prep`)
  maps, checks and classifies a string one character at a time through `stringprep`. A string
  made only of characters that step leaves alone or only case-folds (printable ASCII and Latin
  letters: what Mexican names are written in) gets the same answer from a table built at import
  from `stringprep` itself; any other string goes through asn1crypto's own code.

`install()` (idempotent) puts them in place; signing's verification calls it on import.
"""

from __future__ import annotations

import binascii
import os
import re
import stringprep
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from asn1crypto import core, x509
from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.misc import PDF_DELIMITERS, PDF_WHITESPACE, PdfStreamError
from pyhanko.sign.validation import generic_cms

_ORIGINAL = generic.read_hex_string_from_stream
_BLOCK = 64 * 1024


def read_hex_string_from_stream(stream: Any) -> Any:
    """pyHanko's `read_hex_string_from_stream`, reading the stream in blocks."""
    start = stream.tell()
    stream.read(1)  # "<"
    parts = []
    while True:
        block = stream.read(_BLOCK)
        if not block:
            raise PdfStreamError("Stream ended prematurely")
        end = block.find(b">")
        if end >= 0:
            parts.append(block[:end])
            stream.seek(end + 1 - len(block), os.SEEK_CUR)
            break
        parts.append(block)
    raw = b"".join(parts)
    if b"%" in raw:
        stream.seek(start)
        return _ORIGINAL(stream)
    digits = raw.translate(None, PDF_WHITESPACE)
    if digits.translate(None, generic.HEX_DIGITS):
        bad = next(bytes([c]) for c in digits if c not in generic.HEX_DIGITS)
        raise PdfStreamError("Unexpected token in hex string: " + repr(bad))
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


_ORIGINAL_UNTIL_DELIMITER = misc.read_until_delimiter
_ORIGINAL_UNTIL_WHITESPACE = misc.read_until_whitespace
_ORIGINAL_DECODE_NAME = generic._decode_name
_TOKEN_BLOCK = 64
_WHITESPACE = re.compile(b"[" + re.escape(PDF_WHITESPACE) + b"]")
_WHITESPACE_OR_DELIMITER = re.compile(b"[" + re.escape(PDF_WHITESPACE + PDF_DELIMITERS) + b"]")
# what pyHanko's _decode_name copies as it is: printable ASCII but delimiters and the escape "#"
_PLAIN_NAME = re.compile(
    b"[" + re.escape(bytes(c for c in range(0x21, 0x7F) if c not in PDF_DELIMITERS + b"#")) + b"]*"
)


def _read_until(pattern: re.Pattern[bytes], stream: Any, maxchars: int | None) -> tuple[bytes, bool]:
    """pyHanko's `misc._read_until_class`: the bytes before the first match of `pattern` (the stream
    left past it), or up to `maxchars` bytes, or up to the end (then True)."""
    parts: list[bytes] = []
    left = maxchars
    while left is None or left > 0:
        block = stream.read(_TOKEN_BLOCK if left is None else min(_TOKEN_BLOCK, left))
        if not block:
            return b"".join(parts), True
        found = pattern.search(block)
        if found is not None:
            end = found.start()
            parts.append(block[:end])
            stream.seek(end + 1 - len(block), os.SEEK_CUR)
            return b"".join(parts), False
        parts.append(block)
        if left is not None:
            left -= len(block)
    return b"".join(parts), False


def read_until_delimiter(stream: Any) -> bytes:
    """pyHanko's `misc.read_until_delimiter`, reading the stream in blocks."""
    result, end = _read_until(_WHITESPACE_OR_DELIMITER, stream, None)
    if not end:
        stream.seek(-1, os.SEEK_CUR)
    return result


def read_until_whitespace(stream: Any, maxchars: int | None = None) -> bytes:
    """pyHanko's `misc.read_until_whitespace`, reading the stream in blocks."""
    if maxchars is not None and maxchars <= 0:
        return bytes(_ORIGINAL_UNTIL_WHITESPACE(stream, maxchars=maxchars))
    return _read_until(_WHITESPACE, stream, maxchars)[0]


def decode_name(name_bytes: bytes) -> Any:
    """pyHanko's `generic._decode_name` (the bytes after "/"), at once for a plain name."""
    if _PLAIN_NAME.fullmatch(name_bytes):
        return generic.NameObject("/" + name_bytes.decode("ascii"))
    return _ORIGINAL_DECODE_NAME(name_bytes)


_ORIGINAL_DOTTED = core.ObjectIdentifier.dotted


def _known_oids() -> dict[bytes, str]:
    """The content bytes -> dotted form of every OID asn1crypto's (and pyHanko's) classes map."""
    classes, found = [core.ObjectIdentifier], set()
    while classes:
        cls = classes.pop()
        classes += cls.__subclasses__()
        found |= {key for key in (getattr(cls, "_map", None) or {}) if isinstance(key, str)}
    table = {}
    for dotted in found:
        try:
            contents = core.ObjectIdentifier(dotted).contents
        except (ValueError, TypeError):
            continue
        decoded = core.ObjectIdentifier.load(core.ObjectIdentifier(dotted).dump())
        if _ORIGINAL_DOTTED.fget(decoded) == dotted:
            table[bytes(contents)] = dotted
    return table


_KNOWN_OIDS: dict[bytes, str] = {}


def _dotted(self: core.ObjectIdentifier) -> str:
    if self._dotted is None:
        known = _KNOWN_OIDS.get(self.contents)
        self._dotted = known if known is not None else _ORIGINAL_DOTTED.fget(self)
    return cast(str, self._dotted)


_ORIGINAL_EXTRACT = generic_cms.extract_certs_for_validation


def extract_certs_for_validation(signed_data: Any) -> Any:
    """pyHanko's `generic_cms.extract_certs_for_validation`, once per `SignedData` object."""
    found = getattr(signed_data, "_signum_certs", None)
    if found is None:
        found = signed_data._signum_certs = _ORIGINAL_EXTRACT(signed_data)
    return found


# DER -> prepared form of the names met in the current verification (None: outside one).
_SCOPE: ContextVar[dict[bytes, str] | None] = ContextVar("signum_prepared_names", default=None)


def _key(name: x509.Name) -> bytes:
    """The RDN sequence's own DER (a name inside a GeneralName carries an explicit tag around it)."""
    der: bytes | None = getattr(name, "_signum_der", None)
    if der is None:
        der = name._signum_der = bytes(name.chosen.dump())
    return der


def _prepared(name: x509.Name) -> str:
    """asn1crypto's comparable form of the name (its `RDNSequence.hashable`)."""
    prepared: str | None = getattr(name, "_signum_prepared", None)
    if prepared is None:
        der, scope = _key(name), _SCOPE.get()
        prepared = scope.get(der) if scope is not None else None
        if prepared is None:
            prepared = str(x509.RDNSequence.load(der).hashable)
            if scope is not None:
                scope[der] = prepared
        name._signum_prepared = prepared
    return prepared


@contextmanager
def names_prepared_once(known: Iterable[x509.Name] = ()) -> Iterator[None]:
    """Within the block (one verification), each distinct name is prepared once; `known` (the trust
    configuration's names, whose objects keep their prepared form) are not prepared again."""
    token = _SCOPE.set({_key(name): _prepared(name) for name in known})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def _name_hashable(self: x509.Name) -> str:
    return _prepared(self)


def _name_eq(self: x509.Name, other: object) -> bool:
    if not isinstance(other, x509.Name):
        return False
    return _key(self) == _key(other) or _prepared(self) == _prepared(other)


_ORIGINAL_RETAG = core.Asn1Value.retag


def _name_retag(self: x509.Name, tagging: Any, tag: int | None = None) -> Any:
    """asn1crypto's `Asn1Value.retag` of a name, copying its DER rather than its parsed tree."""
    return _ORIGINAL_RETAG(x509.Name.load(bytes(self.chosen.dump())), tagging, tag)


_ORIGINAL_PREP = x509.NameTypeAndValue._ldap_string_prep


def _spaces(string: str) -> str:
    """RFC 4518's insignificant space handling, as asn1crypto writes it."""
    return " " + re.sub(" +", "  ", string).strip() + " "


def _plain_characters() -> tuple[dict[int, str], re.Pattern[str], re.Pattern[str]]:
    """RFC 4518's map step for the characters it leaves alone or only case-folds (printable ASCII,
    Latin-1 and Latin Extended-A letters), and patterns for what is not one of them, before and
    after the map. Built from `stringprep` and asn1crypto's own code, one character at a time."""
    mapped: dict[int, str] = {}
    for code in range(0x20, 0x180):
        char = chr(code)
        folded = stringprep.map_table_b2(char)
        clean = not any(
            check(c)
            for c in char + folded
            for check in (
                stringprep.in_table_a1,
                stringprep.in_table_c3,
                stringprep.in_table_c4,
                stringprep.in_table_c5,
                stringprep.in_table_c8,
                stringprep.in_table_d1,
            )
        )
        stable = unicodedata.normalize("NFKC", folded) == folded and all(
            unicodedata.combining(c) == 0 for c in folded
        )
        # between two letters, asn1crypto's whole preparation only case-folds it: the map step's
        # other rules (characters removed or made spaces) leave it alone
        alone = _ORIGINAL_PREP(None, f"a{char}a") == _spaces(f"a{folded}a")
        if clean and stable and alone and folded.isprintable():
            mapped[code] = folded
    plain = "".join(sorted(map(chr, mapped)))
    after = "".join(sorted(set(plain) | set("".join(mapped.values()))))
    return (
        mapped,
        re.compile(f"[^{re.escape(plain)}]"),
        re.compile(f"[^{re.escape(after)}]"),
    )


_FOLD, _NOT_PLAIN, _NOT_PLAIN_AFTER = _plain_characters()


def ldap_string_prep(self: Any, string: Any) -> Any:
    """asn1crypto's `_ldap_string_prep`, through a table for strings of plain characters."""
    if not isinstance(string, str) or _NOT_PLAIN.search(string):
        return _ORIGINAL_PREP(self, string)
    folded = unicodedata.normalize("NFKC", string.translate(_FOLD))
    if _NOT_PLAIN_AFTER.search(folded):
        return _ORIGINAL_PREP(self, string)
    # nothing to remove, prohibit or check for direction: only the insignificant space handling
    return _spaces(folded)


def _name_ne(self: x509.Name, other: object) -> bool:
    return not _name_eq(self, other)


def install() -> None:
    """Put the faster PDF tokens, name comparisons and string preparation in place (idempotent)."""
    generic.read_hex_string_from_stream = read_hex_string_from_stream
    # generic imported it by name: the name object reader looks it up there
    misc.read_until_delimiter = read_until_delimiter
    generic.read_until_delimiter = read_until_delimiter  # type: ignore[attr-defined]
    misc.read_until_whitespace = read_until_whitespace
    generic._decode_name = decode_name
    x509.Name.hashable = property(_name_hashable)
    x509.Name.__eq__ = _name_eq
    x509.Name.__ne__ = _name_ne
    x509.Name.retag = _name_retag
    x509.NameTypeAndValue._ldap_string_prep = ldap_string_prep
    if not _KNOWN_OIDS:
        _KNOWN_OIDS.update(_known_oids())
    core.ObjectIdentifier.dotted = property(_dotted)
    generic_cms.extract_certs_for_validation = extract_certs_for_validation
