"""E-mail threading rules that need no store: Message-IDs, the ticket tag in a
subject, the default subject of a reply.

Standard library only: the store's ingest and outgoing code import it.
"""

from __future__ import annotations

import re

# A Message-ID as written in headers: <local@domain>. Some mailers omit the
# angle brackets in In-Reply-To; `message_ids` accepts a bare token too.
_BRACKETED = re.compile(r"<([^<>\s]+)>")
_TAG = re.compile(r"\[#(\d{4,12})\]")
# Reply and forward prefixes of the mail programs our customers use (English,
# Spanish, Portuguese, German, Nordic): "Re:", "RE:", "Rv:", "Fwd:", "AW:" ...
_PREFIX = re.compile(r"^\s*(?:(?:re|rv|res|fw|fwd|aw|wg|sv|vs|tr)(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def normalize_message_id(raw: str) -> str:
    """`<x@y>` for `<x@y>`, ` x@y ` or `<x@y> (comment)`; '' when there is none."""
    raw = (raw or "").strip()
    found = _BRACKETED.search(raw)
    if found:
        return f"<{found.group(1)}>"
    token = raw.split()[0] if raw.split() else ""
    return f"<{token}>" if "@" in token and "<" not in token and ">" not in token else ""


# Our own Message-IDs: <sagicc-<interaction>.<12 random hex>@<the sender's domain>>.
# They are known by their local part, so a reply still finds its ticket after
# the sender address (SAGICC_SMTP_FROM) changed; the random part makes them
# unguessable.
_OURS = re.compile(r"^<(sagicc-\d+\.[0-9a-f]{12})@[^<>\s]*>$")


def own_local_part(interaction_id: int, random_hex: str) -> str:
    return f"sagicc-{interaction_id}.{random_hex}"


def identity_of(message_id: str) -> str:
    """What a Message-ID is known by in the store: `<local@domain>`, or the
    local part alone for ours."""
    mid = normalize_message_id(message_id) or (message_id or "").strip()
    ours = _OURS.match(mid)
    return ours.group(1) if ours else mid


def message_ids(header: str) -> list[str]:
    """Every Message-ID in a References or In-Reply-To value, in order."""
    found = [f"<{m}>" for m in _BRACKETED.findall(header or "")]
    if not found and header:
        one = normalize_message_id(header)
        return [one] if one else []
    return found


def ticket_tag(subject: str) -> int | None:
    """The ticket number of a `[#100123]` tag in a subject (the last one)."""
    found = _TAG.findall(subject or "")
    return int(found[-1]) if found else None


def tag(number: int) -> str:
    return f"[#{number}]"


def thread_subject(subject: str) -> str:
    """The subject without reply prefixes and without our ticket tag."""
    s = _TAG.sub("", subject or "")
    s = _PREFIX.sub("", s)
    return " ".join(s.split())


def reply_subject(subject: str, number: int) -> str:
    """`Re: <thread subject> [#N]`: the default subject of our reply."""
    base = thread_subject(subject)
    return f"Re: {base} {tag(number)}" if base else f"Re: {tag(number)}"
