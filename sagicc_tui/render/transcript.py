"""The transcript of a ticket's conversation (T3 Send transcript): plain text
and HTML, oldest first, without notes (never given them) and without earlier
transcripts (so a transcript never contains another one)."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from sagicc_tui.domain.models import Interaction, Ticket
from sagicc_tui.i18n import N_
from sagicc_tui.render import CHANNEL_LABELS, DIRECTION_LABELS, STATUS_LABELS, Gettext, default_gettext, when
from sagicc_tui.sanitize import clean

# The client_key of a transcript's own outgoing interaction starts with this.
TRANSCRIPT_KEY_PREFIX = "transcript:"


@dataclass(frozen=True, slots=True, kw_only=True)
class TranscriptInput:
    ticket: Ticket
    customer_name: str
    interactions: tuple[Interaction, ...]  # oldest first


def is_transcript(i: Interaction) -> bool:
    return bool(i.client_key and i.client_key.startswith(TRANSCRIPT_KEY_PREFIX))


def _shown(items: Iterable[Interaction]) -> list[Interaction]:
    return [i for i in items if not is_transcript(i)]


def subject(ticket: Ticket, gettext: Gettext = default_gettext) -> str:
    return gettext(N_("Transcript of ticket #{number}"), number=ticket.number)


def text(data: TranscriptInput, gettext: Gettext = default_gettext) -> str:
    _ = gettext
    t = data.ticket
    lines = [
        subject(t, gettext),
        f"{_(N_('Customer'))}: {clean(data.customer_name, single_line=True)}",
        f"{_(N_('Created'))}: {when(t.created_at)}",
        f"{_(N_('Status'))}: {_(STATUS_LABELS[t.status])}",
        "",
    ]
    shown = _shown(data.interactions)
    if not shown:
        lines.append(_(N_("No messages yet.")))
    for i in shown:
        lines.append(f"[{when(i.created_at)}] {_(DIRECTION_LABELS[i.direction])} · "
                     f"{_(CHANNEL_LABELS[i.channel])} · {clean(i.sender, single_line=True)}")
        if i.subject:
            lines.append(f"{_(N_('Subject'))}: {clean(i.subject, single_line=True)}")
        lines.append(clean(i.content))
        if i.attachments:
            names = ", ".join(clean(a.name, single_line=True) for a in i.attachments)
            lines.append(f"{_(N_('Attachments'))}: {names}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def html_page(data: TranscriptInput, gettext: Gettext = default_gettext) -> str:
    _ = gettext
    t = data.ticket
    e = _escape
    parts = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8">',
        f"<title>{e(subject(t, gettext))}</title></head><body>",
        f"<h1>{e(subject(t, gettext))}</h1>",
        (
            f"<p>{e(_(N_('Customer')))}: {e(data.customer_name)}<br>"
            f"{e(_(N_('Created')))}: {e(when(t.created_at))}<br>"
            f"{e(_(N_('Status')))}: {e(_(STATUS_LABELS[t.status]))}</p>"
        ),
    ]
    shown = _shown(data.interactions)
    if not shown:
        parts.append(f"<p>{e(_(N_('No messages yet.')))}</p>")
    for i in shown:
        parts.append("<div>")
        parts.append(f"<p><b>{e(i.sender)}</b> · {e(_(DIRECTION_LABELS[i.direction]))} · "
                     f"{e(_(CHANNEL_LABELS[i.channel]))} · {e(when(i.created_at))}</p>")
        if i.subject:
            parts.append(f"<p><b>{e(_(N_('Subject')))}:</b> {e(i.subject)}</p>")
        parts.append(f'<p style="white-space: pre-wrap">{e(i.content)}</p>')
        if i.attachments:
            names = ", ".join(e(a.name) for a in i.attachments)
            parts.append(f"<p>{e(_(N_('Attachments')))}: {names}</p>")
        parts.append("</div><hr>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _escape(value: object) -> str:
    return html.escape(clean(value), quote=True)
