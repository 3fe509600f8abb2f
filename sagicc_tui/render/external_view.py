"""The external view of a ticket (T3 Open external view): one read-only HTML
page, safe to hand to people outside the company.

What it shows: the ticket's number, status, dates, type and description, the
customer's name, and the conversation (sender, direction, channel, time,
subject, text, attachment names). What it never shows: notes (the renderer is
never given them), tasks, contact values (addresses and phone numbers), who
else is working on it.

Every text comes from customers or agents, so every one is escaped (and
control characters made visible); the page runs no script and loads nothing
(a Content-Security-Policy that allows only its own inline style), so even an
escaping mistake could not run code.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from sagicc_tui.domain.models import Interaction, Ticket
from sagicc_tui.i18n import N_
from sagicc_tui.render import CHANNEL_LABELS, DIRECTION_LABELS, STATUS_LABELS, Gettext, default_gettext, when
from sagicc_tui.render.transcript import is_transcript
from sagicc_tui.sanitize import clean

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'"

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: bold; }
article { border: 1px solid #ccc; border-radius: .4rem; padding: .6rem .8rem; margin: .8rem 0; }
article.outgoing { background: #eef5ff; margin-left: 3rem; }
article.incoming { background: #fafafa; margin-right: 3rem; }
.meta { color: #555; font-size: .9rem; }
.body { white-space: pre-wrap; overflow-wrap: anywhere; }
footer { color: #777; font-size: .8rem; margin-top: 2rem; }
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalViewInput:
    ticket: Ticket
    customer_name: str
    campaign_name: str
    interactions: tuple[Interaction, ...]  # oldest first
    generated_at: datetime


def render(data: ExternalViewInput, gettext: Gettext = default_gettext) -> str:
    _ = gettext
    e = _escape
    t = data.ticket
    title = _(N_("Ticket #{number}"), number=t.number)
    rows = [
        (_(N_("Status")), _(STATUS_LABELS[t.status])),
        (_(N_("Created")), when(t.created_at)),
        (_(N_("Customer")), data.customer_name),
        (_(N_("Campaign")), data.campaign_name),
        (_(N_("Description")), t.description),
    ]
    if t.closed_at:
        rows.insert(2, (_(N_("Closed")), when(t.closed_at)))
    out = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="robots" content="noindex, nofollow">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head><body>",
        f"<header><h1>{e(title)}</h1><dl>",
        *(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows),
        "</dl></header>",
        f"<main><h2>{e(_(N_('Conversation')))}</h2>",
    ]
    shown = [i for i in data.interactions if not is_transcript(i)]
    if not shown:
        out.append(f"<p>{e(_(N_('No messages yet.')))}</p>")
    for i in shown:
        out.append(f'<article class="{i.direction.value}">')
        out.append(
            f'<p class="meta"><b>{e(i.sender)}</b> · {e(_(DIRECTION_LABELS[i.direction]))} · '
            f'{e(_(CHANNEL_LABELS[i.channel]))} · <time>{e(when(i.created_at))}</time></p>'
        )
        if i.subject:
            out.append(f"<h3>{e(i.subject)}</h3>")
        out.append(f'<div class="body">{e(i.content)}</div>')
        if i.attachments:
            out.append(f'<p class="meta">{e(_(N_("Attachments")))}:</p><ul>')
            out.extend(f"<li>{e(a.name)}</li>" for a in i.attachments)
            out.append("</ul>")
        out.append("</article>")
    out.append("</main>")
    out.append(f"<footer>{e(_(N_('Read-only view, generated {when}.'), when=when(data.generated_at)))}</footer>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _escape(value: object) -> str:
    return html.escape(clean(value), quote=True)
