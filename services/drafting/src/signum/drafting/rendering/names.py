"""How an oficio names people: a title already says which office it heads.

"Secretario del Ayuntamiento" needs no "Secretaría del Ayuntamiento" under it, nor "Oficina del C.
Secretario del Ayuntamiento" beside it; "Director de Egresos" does need "Tesorería Municipal".
"""

from __future__ import annotations

import re
import unicodedata

_STOPWORDS = frozenset({"a", "al", "de", "del", "e", "el", "en", "la", "las", "los", "para", "por", "y"})
# "Oficina del C. Secretario ...", "Despacho de la Tesorera ...": the office of whoever the title names.
_OFFICE_OF = re.compile(r"^(oficina|despacho)\s+(del|de\s+la|de)\s+(c\.?\s+)?", re.IGNORECASE)


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return [w for w in re.findall(r"[a-z0-9]+", plain) if len(w) > 1 and w not in _STOPWORDS]


def _same_stem(a: str, b: str) -> bool:
    # Secretaría/Secretario, Dirección/Director, Tesorería/Tesorero, Presidencia/Presidente, but not
    # Administración/Administrativo: the common start may leave at most three letters of the shorter.
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common == len(a) == len(b) or common >= max(5, min(len(a), len(b)) - 3)


def implied_by(name: str, title: str) -> bool:
    """Whether the office `name` adds nothing to `title` (every word of it is in the title)."""
    words = _words(_OFFICE_OF.sub("", name.strip()))
    if not words:
        return True
    in_title = _words(title)
    return all(any(_same_stem(w, t) for t in in_title) for w in words)


def title_and_office(title: str, office: str) -> list[str]:
    """The lines under a name: the title, then the office unless the title already says it."""
    lines = [title] if title else []
    if office and not (title and implied_by(office, title)):
        lines.append(office)
    return lines
