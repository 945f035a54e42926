"""The short verification code printed on a document, for someone holding a paper copy.

Ten characters of Crockford's base32 (no I, L, O or U: nothing to mistake for 1, 0 or V), shown in
two groups (`7KQ4M-X2P9R`), derived from the document's verification id (an oficio's id, or
`acuse-<entrega_id>`). Drafting prints it; signing keeps a table code -> id and resolves it. Typing
is forgiving: case, spaces and hyphens are ignored, and O, I and L are read as 0, 1 and 1.
50 bits make a repeated code unlikely (about one in 2,000 for a million documents); signing
answers such a code with every document it names rather than picking one.
"""

from __future__ import annotations

import hashlib

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
_GROUP = 5
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = str.maketrans("", "", " -_.\t")


def short_code(document_id: str) -> str:
    """The grouped code of `document_id`, e.g. `7KQ4M-X2P9R` (the same on every machine)."""
    number = int.from_bytes(hashlib.sha256(document_id.encode("utf-8")).digest()[:8], "big")
    number >>= 64 - 5 * LENGTH
    chars = []
    for _ in range(LENGTH):
        chars.append(ALPHABET[number & 31])
        number >>= 5
    code = "".join(reversed(chars))
    return f"{code[:_GROUP]}-{code[_GROUP:]}"


def parse(text: str) -> str | None:
    """`text` as a grouped code if it is one (any case, with or without hyphen), else None."""
    if len(text) > 3 * LENGTH:
        return None
    plain = text.upper().translate(_IGNORED).translate(_READ_AS)
    if len(plain) != LENGTH or any(c not in ALPHABET for c in plain):
        return None
    return f"{plain[:_GROUP]}-{plain[_GROUP:]}"
