"""Two hot spots of verification, made fast without changing what they answer.

- PDF hex strings: pyHanko reads one (`<...>`) a byte at a time through a Python generator, and a
  signature's `/Contents` (tens of KB of hex digits, read again for each revision the difference
  analysis resolves) took about half of a verification's time. `read_hex_string_from_stream` reads
  it in blocks and gives the same result: the same bytes, an odd last digit padded with 0,
  whitespace skipped, any other character refused with pyHanko's `PdfStreamError`. A string with
  `%` in it (pyHanko would skip it as a comment) is left to pyHanko's own reader.
- X.509 names: asn1crypto compares two names (RFC 5280 7.1: LDAP string preparation of every
  attribute) anew at every comparison, and path building, CRL matching and the chain compare the
  same few CA names hundreds of times per PDF. `Name.__eq__` and `Name.hashable` go through the
  prepared form of each name's DER, computed once (`_prepared`, a bounded cache of that pure
  function); names with the same DER are equal at once.

`install()` (idempotent) puts both in place; signing's verification calls it on import.
"""

from __future__ import annotations

import binascii
import functools
import os
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE, PdfStreamError

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


@functools.lru_cache(maxsize=4096)
def _prepared(der: bytes) -> str:
    """asn1crypto's comparable form of the RDN sequence whose DER is `der`."""
    return str(x509.RDNSequence.load(der).hashable)


def _key(name: x509.Name) -> bytes:
    # The RDN sequence's own DER: a name inside a GeneralName carries an explicit tag around it.
    return bytes(name.chosen.dump())


def _name_hashable(self: x509.Name) -> str:
    return _prepared(_key(self))


def _name_eq(self: x509.Name, other: object) -> bool:
    if not isinstance(other, x509.Name):
        return False
    mine, theirs = _key(self), _key(other)
    return mine == theirs or _prepared(mine) == _prepared(theirs)


def _name_ne(self: x509.Name, other: object) -> bool:
    return not _name_eq(self, other)


def install() -> None:
    """Make pyHanko read hex strings in blocks and asn1crypto compare names once (idempotent)."""
    generic.read_hex_string_from_stream = read_hex_string_from_stream
    x509.Name.hashable = property(_name_hashable)
    x509.Name.__eq__ = _name_eq
    x509.Name.__ne__ = _name_ne
