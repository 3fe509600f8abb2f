"""Accent folding, once: "Gómez" matches "gomez" in similar customers, the demo's
e-mail addresses and PostgreSQL's word search alike."""

from __future__ import annotations

import re
import unicodedata

#: The Combining Diacritical Marks block: what NFKD leaves of "ó", "ñ" or "ü" beside
#: the letter. PostgreSQL's fold_sql (local_store/textsearch.py) removes the same
#: range in SQL, so the index and the query side fold alike.
ACCENT_MARKS = "\u0300-\u036f"
_MARKS = re.compile(f"[{ACCENT_MARKS}]+")


def strip_accents(text: str) -> str:
    """NFKD ("ó" is "o" and a mark, "ﬁ" is "fi"), then the accent marks removed.

    Case, punctuation and other scripts are kept: callers lower-case or split as they need.
    """
    return _MARKS.sub("", unicodedata.normalize("NFKD", text))


_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case, accents removed, punctuation as spaces, single spaces."""
    return " ".join(_NON_WORD.sub(" ", strip_accents(text).casefold()).split())
