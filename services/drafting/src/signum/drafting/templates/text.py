"""The rules every text of a template or an oficio obeys before it reaches the PDF.

Texts are never parsed as Typst (the renderer passes them as string data), so there is nothing to
escape. What is checked here is what could still spoil an official letter: control characters
(refused, with the position, so the author can find them), bidirectional overrides (refused: they
can make the printed text read differently from the text a machine extracts), characters that no
bundled font can draw (refused: PDF/A forbids them, and a blank box would hide what was meant) and
very long runs without spaces (given break opportunities so they wrap instead of running off the page).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from fontTools.ttLib import TTFont
from pydantic_core import PydanticCustomError

ZERO_WIDTH_SPACE = "\u200b"
ZERO_WIDTH_JOINER = "\u200d"

# Runs of non-space characters longer than this get a break opportunity every BREAK_EVERY characters.
LONG_RUN = 30
BREAK_EVERY = 20

_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_LINE_SEPARATORS = {"\u2028", "\u2029", "\x85"}
_LONG_RUN_RE = re.compile(rf"\S{{{LONG_RUN + 1},}}")
# Everything refused outright: C0 controls but tab and newlines, DEL, C1 controls but NEL, bidi
# embeddings/overrides/isolates, lone surrogates and the noncharacters U+FFFE/U+FFFF.
_REFUSED_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
# Default-ignorable code points (joiners, variation selectors, invisible operators, tags): shaping
# consumes them, so they need no glyph.
_IGNORABLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)

FONTS_DIR = Path(__file__).parent.parent / "fonts"


@functools.cache
def covered_characters() -> frozenset[str]:
    """Every character some bundled font has a glyph for (Typst falls back across all of them)."""
    covered: set[int] = set()
    for path in sorted(FONTS_DIR.glob("*.ttf")):
        font = TTFont(path, lazy=True)
        try:
            covered |= set(font.getBestCmap() or {})
        finally:
            font.close()
    return frozenset(map(chr, covered)) | frozenset("\t\n\r")


@functools.cache
def family_characters(family: str) -> frozenset[str]:
    """The characters every bundled style of `family` draws (empty if the family is not bundled)."""
    files = sorted(FONTS_DIR.glob(family.replace(" ", "") + "-*.ttf"))
    common: set[int] | None = None
    for path in files:
        font = TTFont(path, lazy=True)
        try:
            cmap = set(font.getBestCmap() or {})
        finally:
            font.close()
        common = cmap if common is None else common & cmap
    return frozenset(map(chr, common or ()))


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _refusal(ch: str, index: int) -> PydanticCustomError:
    if ch in _BIDI_CONTROLS:
        return PydanticCustomError(
            "bidi_control",
            "contiene un carácter invisible de control de dirección del texto ({char}, posición {pos}); "
            "no se permite porque puede hacer que el texto impreso se lea distinto. Elimínelo.",
            {"char": _describe(ch), "pos": index + 1},
        )
    if 0xD800 <= ord(ch) <= 0xDFFF or ord(ch) in (0xFFFE, 0xFFFF):
        return PydanticCustomError(
            "invalid_unicode",
            "contiene un carácter Unicode inválido ({char}, posición {pos}).",
            {"char": _describe(ch), "pos": index + 1},
        )
    return PydanticCustomError(
        "control_character",
        "contiene un carácter de control no permitido ({char}, posición {pos}). "
        "Elimínelo e intente de nuevo.",
        {"char": _describe(ch), "pos": index + 1},
    )


def _check_characters(value: str) -> None:
    refused = _REFUSED_RE.search(value)
    if refused is not None:
        raise _refusal(refused.group(0), refused.start())
    missing = set(value) - covered_characters()
    missing = {ch for ch in missing if not _IGNORABLE_RE.match(ch)}
    if missing:
        # PDF/A forbids a character drawn without a glyph, and a blank box would not say what was meant.
        first = min(missing, key=value.index)
        raise PydanticCustomError(
            "unsupported_character",
            "contiene el carácter «{ch}» ({char}, posición {pos}), que las fuentes del documento no pueden "
            "mostrar. Sustitúyalo o elimínelo.",
            {"ch": first, "char": _describe(first), "pos": value.index(first) + 1},
        )


def clean_line(value: str) -> str:
    """A one-line text: characters checked, NFC, whitespace (tabs, newlines) collapsed to spaces.

    Raises PydanticCustomError (a Spanish message without the field name) for refused characters.
    """
    _check_characters(value)
    return " ".join(unicodedata.normalize("NFC", value).split())


def clean_multiline(value: str) -> str:
    """A text that keeps its line breaks (as `\\n`): characters checked, NFC, tabs to spaces."""
    _check_characters(value)
    value = unicodedata.normalize("NFC", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    for sep in _LINE_SEPARATORS:
        value = value.replace(sep, "\n")
    return value


def _breaks_after(ch: str, following: str) -> bool:
    """Whether a zero-width break may go between `ch` and `following` without splitting a glyph."""
    if ch == ZERO_WIDTH_JOINER or following == ZERO_WIDTH_JOINER:
        return False
    if unicodedata.category(following) in {"Mn", "Mc", "Me", "Sk"} or "\ufe00" <= following <= "\ufe0f":
        return False
    if "\U0001f3fb" <= following <= "\U0001f3ff":  # skin-tone modifiers belong to the emoji before
        return False
    return not ("\ud800" <= ch <= "\udfff")


def _break_run(match: re.Match[str]) -> str:
    run = match.group(0)
    out: list[str] = []
    since_break = 0
    for i, ch in enumerate(run):
        out.append(ch)
        since_break += 1
        following = run[i + 1] if i + 1 < len(run) else ""
        if since_break >= BREAK_EVERY and following and _breaks_after(ch, following):
            out.append(ZERO_WIDTH_SPACE)
            since_break = 0
    return "".join(out)


def breakable(value: str) -> str:
    """`value` with zero-width spaces inside runs of more than LONG_RUN non-space characters.

    Typst breaks lines only at spaces and hyphenation points; a 100 KB word (a pasted hash, a URL,
    a hostile input) would otherwise overflow the page.
    """
    if len(value) <= LONG_RUN:
        return value
    return _LONG_RUN_RE.sub(_break_run, value)
