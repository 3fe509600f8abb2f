"""The one sanitizer for untrusted text (customer names, messages, subjects,
file names) before it reaches the terminal.

Threat model: a customer controls these strings. Raw control characters could
drive the terminal (clear the screen, set the clipboard via OSC 52, forge
hyperlinks via OSC 8), and invisible format characters could disguise text
("user\\u202egpj.exe" displays as "userexe.jpg"). Everything dangerous is made
*visible* rather than silently dropped, so an agent can see that something
odd was sent.

Renderings (all printable ASCII, so cleaning is idempotent):

* C0 controls U+0000-U+001F and DEL U+007F -> caret notation: ``\\x1b`` ->
  ``^[``, ``\\x07`` -> ``^G``, ``\\x00`` -> ``^@``, DEL -> ``^?``. ``\\n`` and
  ``\\t`` are kept unless ``single_line`` is set (then they become a space).
* ``\\r\\n`` and a lone ``\\r`` become ``\\n`` (a space with ``single_line``);
  so do U+2028/U+2029, which some terminals and ``str.splitlines`` treat as
  line breaks while Rich/Textual do not.
* C1 controls U+0080-U+009F -> ``<U+009B>`` (a UTF-8 terminal may execute
  U+009B as CSI, so it must never be emitted raw).
* Every Unicode format character (general category Cf): bidi controls
  (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), zero-width
  characters (U+200B-U+200D, U+2060, U+FEFF), soft hyphen, tag characters
  (U+E0000 block, used for "ASCII smuggling") and the rest -> ``<U+XXXX>``.
  Consequence: emoji ZWJ sequences show their parts with ``<U+200D>`` between
  them; this is deliberate, as terminals disagree on their width anyway.
* Lone surrogates (any U+D800-U+DFFF code point in a ``str``) -> U+FFFD.

Markup characters (``[``, ``]``, ``$``) are NOT escaped: the result must be
shown as plain :class:`~textual.content.Content` / :class:`~rich.text.Text`,
never parsed as markup. Use :func:`content` or :func:`text` for that.

Caret and ``<U+XXXX>`` forms are textually ambiguous with a customer typing
them literally; that is acceptable because they are inert either way.

This module must stay free of Textual/Rich imports at module level: headless
CLI verbs import it and must not pay Textual's import cost.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from rich.text import Text
    from textual.content import Content

__all__ = ["ELLIPSIS", "clean", "one_line", "content", "text"]

ELLIPSIS = "…"

# Unicode general category Cf (format characters), as of Unicode 15.0.
# tests/test_sanitize.py checks this against the running interpreter's
# unicodedata, so a Python upgrade that adds Cf characters fails loudly.
_FORMAT_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_C1_RANGE = (0x0080, 0x009F)
_SURROGATE_RANGE = (0xD800, 0xDFFF)
_LINE_SEPARATORS = "\u2028\u2029"


def _code_point(cp: int) -> str:
    return f"<U+{cp:04X}>"


def _build_table(single_line: bool) -> dict[int, str]:
    """Build a ``str.translate`` table: one C-level pass over the text."""
    table: dict[int, str] = {}
    for cp in range(0x20):
        table[cp] = "^" + chr(cp + 0x40)
    table[0x7F] = "^?"
    for cp in range(_C1_RANGE[0], _C1_RANGE[1] + 1):
        table[cp] = _code_point(cp)
    for first, last in _FORMAT_RANGES:
        for cp in range(first, last + 1):
            table[cp] = _code_point(cp)
    for cp in range(_SURROGATE_RANGE[0], _SURROGATE_RANGE[1] + 1):
        table[cp] = "\ufffd"
    newline = " " if single_line else "\n"
    for ch in "\r" + _LINE_SEPARATORS:
        table[ord(ch)] = newline
    if single_line:
        table[ord("\n")] = " "
        table[ord("\t")] = " "
    else:
        del table[ord("\n")]
        del table[ord("\t")]
    return table


def _build_detector(table: dict[int, str]) -> re.Pattern[str]:
    """A regex matching any character the table would change.

    Most text is clean; a C-level ``search`` lets us return it untouched
    without building a new string.
    """
    cps = sorted(table)
    ranges: list[tuple[int, int]] = []
    for cp in cps:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    parts = [
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    ]
    return re.compile("[" + "".join(parts) + "]")


_TABLE_MULTI = _build_table(single_line=False)
_TABLE_SINGLE = _build_table(single_line=True)
_DIRTY_MULTI = _build_detector(_TABLE_MULTI)
_DIRTY_SINGLE = _build_detector(_TABLE_SINGLE)
_WHITESPACE_RUN = re.compile(r"\s+")


def _is_attached_mark(ch: str) -> bool:
    """True for characters that belong to the preceding one (combining marks,
    variation selectors, emoji skin tones), so a cut must not strand them."""
    return unicodedata.category(ch)[0] == "M" or 0x1F3FB <= ord(ch) <= 0x1F3FF


def _truncate(value: str, max_len: int) -> str:
    """Cut to at most ``max_len`` code points, ellipsis included."""
    if max_len < 0:
        raise ValueError(f"max_len must be >= 0, got {max_len}")
    if len(value) <= max_len:
        return value
    if max_len == 0:
        return ""
    cut = max_len - 1
    # Back off so a base character keeps its combining marks.
    while cut > 0 and _is_attached_mark(value[cut]):
        cut -= 1
    return value[:cut].rstrip(" \t\n") + ELLIPSIS


def clean(
    text: object, *, single_line: bool = False, max_len: int | None = None
) -> str:
    """Return ``text`` made safe to display as plain text in a terminal.

    ``None`` becomes ``""``; other non-strings go through ``str()``.
    ``max_len`` counts code points (not cells) and includes the ``…``.
    Idempotent: ``clean(clean(x)) == clean(x)`` for the same arguments.
    """
    if text is None:
        value = ""
    elif type(text) is str:
        value = text
    else:
        value = str(text)
    detector = _DIRTY_SINGLE if single_line else _DIRTY_MULTI
    if detector.search(value) is not None:
        if "\r\n" in value:
            # Collapse first so CRLF becomes one newline / one space.
            value = value.replace("\r\n", "\n")
        value = value.translate(_TABLE_SINGLE if single_line else _TABLE_MULTI)
    if max_len is not None:
        value = _truncate(value, max_len)
    return value


def one_line(text: object, max_len: int | None = None) -> str:
    """``clean(single_line=True)``, with whitespace runs collapsed and the
    ends stripped: for table cells, titles and card headers."""
    value = _WHITESPACE_RUN.sub(" ", clean(text, single_line=True)).strip()
    if max_len is not None:
        value = _truncate(value, max_len)
    return value


def content(
    text: object, *, single_line: bool = False, max_len: int | None = None
) -> Content:
    """Cleaned text as Textual ``Content``; markup is never parsed."""
    from textual.content import Content  # lazy: keep CLI imports light

    return Content(clean(text, single_line=single_line, max_len=max_len))


def text(
    text: object,
    *,
    style: str = "",
    single_line: bool = False,
    max_len: int | None = None,
) -> Text:
    """Cleaned text as a Rich ``Text``; markup is never parsed."""
    from rich.text import Text  # lazy: keep CLI imports light

    return Text(clean(text, single_line=single_line, max_len=max_len), style=style)
