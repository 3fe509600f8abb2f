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

from sagicc_tui.domain.enums import ChannelType, Direction, TicketStatus
from sagicc_tui.i18n import N_, _

Gettext = Callable[..., str]
"""`i18n._`-like: (template, **params) -> text in the reader's language."""

default_gettext: Gettext = _

STATUS_LABELS = {
    TicketStatus.NEW: N_("New"),
    TicketStatus.OPEN: N_("Open"),
    TicketStatus.TRANSFERRED: N_("Transferred"),
    TicketStatus.ESCALATED: N_("Escalated"),
    TicketStatus.CLOSED: N_("Closed"),
}
CHANNEL_LABELS = {
    ChannelType.EMAIL: N_("Email"),
    ChannelType.WHATSAPP: N_("WhatsApp"),
    ChannelType.TELEPHONY: N_("Telephony"),
    ChannelType.CHAT: N_("Chat"),
    ChannelType.SMS: N_("SMS"),
}
DIRECTION_LABELS = {Direction.INCOMING: N_("Incoming"), Direction.OUTGOING: N_("Outgoing")}


def when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else ""
