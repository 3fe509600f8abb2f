"""Quoted history and signatures in a message's text (#13): what the
conversation folds. The text itself is kept whole; this only says where the
customer's new words end.

The fold starts at the first line that begins quoted history -- a line
quoted with ">", an attribution ("On ... wrote:", "El ... escribió:"), an
"-----Original Message-----" separator, an Outlook header block ("From:" /
"De:" right after a blank line followed by "Sent:"/"Enviado:") -- or at a
signature separator ("-- "). Nothing is folded when it would hide
everything.
"""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"^(on|el|em|le|am|il|op)\b.{4,200}\b(wrote|escribió|escribio|escreveu|a écrit|schrieb|ha scritto|schreef)\s*:\s*$",
    re.IGNORECASE)
_SEPARATOR = re.compile(r"^-{2,}\s*(original message|mensaje original|mensagem original|forwarded message|"
                        r"mensaje reenviado)\s*-{2,}\s*$", re.IGNORECASE)
_HEADER_BLOCK = re.compile(r"^(from|de)\s*:\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^(sent|enviado|date|fecha|to|para)\s*:", re.IGNORECASE)
_SIGNATURE = re.compile(r"^--\s?$")


def fold_start(lines: list[str]) -> int | None:
    """The index of the first folded line, or None."""
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            continue
        starts = (
            s.startswith(">")
            or _ATTRIBUTION.match(s) is not None
            or _SEPARATOR.match(s) is not None
            or _SIGNATURE.match(line.rstrip("\n")) is not None
            or (_HEADER_BLOCK.match(s) is not None and (i == 0 or not lines[i - 1].strip())
                and i + 1 < len(lines) and _HEADER_NEXT.match(lines[i + 1].strip()) is not None)
        )
        if starts:
            return i
    return None


def split_quoted(text: str) -> tuple[str, int]:
    """(the new words, how many lines are folded after them)."""
    lines = text.split("\n")
    start = fold_start(lines)
    if start is None:
        return text, 0
    head = "\n".join(lines[:start]).rstrip()
    if not head.strip():
        return text, 0
    folded = [ln for ln in lines[start:] if ln.strip()]
    return head, len(folded)
