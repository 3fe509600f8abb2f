"""Renderings of a ticket for people outside the terminal: the transcript
(T3 Send transcript) and the external view (T3 Open external view).

Kept free of the store and of Textual so the server can serve the same pages
later. Renderers take exactly what they show: they are never given notes, so
notes cannot leak into them. Every customer-controlled text is made safe
(`sanitize.clean`) and, in HTML, escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sagicc_tui.domain import labels
from sagicc_tui.i18n import _

Gettext = Callable[..., str]
"""`i18n._`-like: (template, **params) -> text in the reader's language."""

default_gettext: Gettext = _

# One table each for the whole app (domain/labels.py), read in the reader's language.
STATUS_LABELS = labels.STATUS
CHANNEL_LABELS = labels.CHANNEL
DIRECTION_LABELS = labels.DIRECTION


def when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else ""
