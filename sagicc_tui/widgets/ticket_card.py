"""One ticket card as three terminal lines: pure functions, no widget.

Layout (L3: the 14 components of a card; numbers refer to seed 000)::

    ▸ [x] #100123 New         High     ●3 unread ◷ in 8 min !SLA » Solved     Mail 2026-11-25 12:01
          1034567 Pedro Pérez       Ana Agente      Invoice twice  ← Hello, I was charged…
    ───────────────────────────────────────────────────────────────────────────────────────────

line 1: go-to marker at the cursor (13, Enter opens), selection mark (14),
number (1), status (2), priority, unread count (4), next-task indicator (11),
SLA breach (12), last task outcome (3), last incoming channel (10), created (9);
line 2: customer document and name (6), assignee (7), description (8), last
interaction with its direction (5); line 3: the separator.

Every state is also a word or a symbol, so a monochrome terminal (NO_COLOR)
loses nothing; colour comes from the theme through the list's component classes
(see `palette_from_components`).
Customer text is sanitized and emitted as plain Segments: never markup.
Truncation counts terminal cells (CJK, emoji), not code points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from sagicc_tui.domain.enums import Priority, TicketStatus
from sagicc_tui.domain.models import TicketCard
from sagicc_tui.domain.rules import NextTaskState, next_task_state
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import ELLIPSIS, one_line
from sagicc_tui.widgets import labels

CARD_HEIGHT = 3
"""Two lines of text and a separator; fixed, so row y of the list is card y // 3."""
INDENT = 6  # "▸ [x] "
COMPACT_WIDTH = 90
SEPARATOR = "─"


@dataclass(frozen=True, slots=True, kw_only=True)
class CardPalette:
    """Rich styles for the card parts, resolved once per theme."""

    base: Style
    cursor: Style  # laid over `base` on the cursor card's text lines
    muted: Style
    number: Style
    name: Style
    separator: Style
    tag: Style
    status: Mapping[TicketStatus, Style]
    priority: Mapping[Priority, Style]
    unread: Style
    due: Style
    overdue: Style
    sla: Style
    outcome: Style


def plain_palette(base: Style | None = None) -> CardPalette:
    """No colour at all (NO_COLOR, monochrome): attributes only; the cursor is reversed."""
    base = base or Style()
    bold, dim, plain = Style(bold=True), Style(dim=True), Style()
    return CardPalette(
        base=base, cursor=Style(reverse=True), muted=dim, number=bold, name=bold, separator=dim,
        tag=bold, status={s: bold if s is TicketStatus.NEW else plain for s in TicketStatus},
        priority={p: bold if p is Priority.CRITICAL else plain for p in Priority},
        unread=bold, due=bold, overdue=Style(bold=True, underline=True),
        sla=Style(bold=True, underline=True), outcome=Style(italic=True),
    )


#: The card parts as TicketList component classes ("ticket-list--<part>"): the
#: list is themed like every other widget, in CSS (TicketList.DEFAULT_CSS).
PARTS = ("cursor", "muted", "number", "name", "separator", "tag", "unread", "due", "overdue", "sla", "outcome")


def palette_from_components(style: Callable[[str], Style], base: Style | None = None) -> CardPalette:
    """Styles from the list's component classes; `style(part)` resolves one."""
    parts = {part: style(part) for part in PARTS}
    return CardPalette(
        base=base or Style(),
        status={s: style("status-" + s.value) for s in TicketStatus},
        priority={p: style("priority-" + p.value) for p in Priority},
        **parts,
    )


# --- text fitting -------------------------------------------------------------------


def fit(text: str, width: int) -> str:
    """Cut `text` to at most `width` cells, ending with … when cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    if width == 1:
        return ELLIPSIS
    # set_cell_size pads with a space when it splits a wide character.
    return set_cell_size(text, width - 1).rstrip() + ELLIPSIS


def pad(text: str, width: int) -> str:
    """Exactly `width` cells: cut with … or padded with spaces."""
    return set_cell_size(fit(text, width), max(width, 0))


def _widest(values: list[str]) -> int:
    return max(cell_len(v) for v in values)


# --- the card -------------------------------------------------------------------------


def format_created(at: datetime, *, short: bool = False) -> str:
    """Local date and time, ISO order: unambiguous in both languages.

    `short` drops the year (narrow terminals); the year shows from COMPACT_WIDTH columns.
    """
    return at.astimezone().strftime("%m-%d %H:%M" if short else "%Y-%m-%d %H:%M")


def next_task_flag(next_task_at: datetime | None, now: datetime, *, when: bool = False) -> tuple[str, NextTaskState]:
    """L3 item 11: shown from 10 minutes before the scheduled time, then overdue.

    `when` also gives a later task its date and time (the card shows when the
    next task is, #12.5), in the muted style the caller picks for SCHEDULED."""
    state = next_task_state(next_task_at, now)
    if state is NextTaskState.DUE and next_task_at is not None:
        minutes = max(1, math.ceil((next_task_at - now).total_seconds() / 60))
        return _("◷ in {minutes} min", minutes=minutes), state
    if state is NextTaskState.OVERDUE:
        return _("◷ overdue"), state
    if when and next_task_at is not None:
        return "◷ " + format_created(next_task_at, short=True), state
    return "", state


SLA_HORIZON_MINUTES = 240  # the countdown shows from four hours before the deadline


def sla_countdown(due: datetime | None, now: datetime) -> str:
    """"SLA 1h20m": the time left before the next SLA deadline, when it is near."""
    if due is None:
        return ""
    minutes = math.ceil((due - now).total_seconds() / 60)
    if minutes <= 0 or minutes > SLA_HORIZON_MINUTES:
        return ""
    hours, mins = divmod(minutes, 60)
    left = f"{hours}h{mins:02d}m" if hours else f"{mins}m"
    return _("SLA {left}", left=left)


def card_lines(
    card: TicketCard,
    *,
    now: datetime,
    width: int,
    palette: CardPalette,
    cursor: bool = False,
    tagged: bool = False,
    campaign: str = "",
) -> tuple[Strip, Strip, Strip]:
    """`campaign`: the ticket's campaign name, given when the list shows several."""
    line_style = palette.base + palette.cursor if cursor else palette.base
    return (
        _header(card, now, width, palette, line_style, cursor, tagged, campaign),
        _body(card, width, palette, line_style),
        separator_line(width, palette),
    )


def _strip(pieces: list[tuple[str, Style]], width: int, line_style: Style) -> Strip:
    segments = [Segment(text, line_style + style) for text, style in pieces if text]
    return Strip(segments).crop_extend(0, width, line_style)


def _header(card: TicketCard, now: datetime, width: int, p: CardPalette, line_style: Style,
            cursor: bool, tagged: bool, campaign: str) -> Strip:
    # Below COMPACT_WIDTH the priority shrinks to its initial and the unread
    # count loses its word, so the outcome still fits on an 80-column terminal.
    compact = width < COMPACT_WIDTH
    status_w = _widest([labels.status(s) for s in TicketStatus])
    priority = labels.priority(card.priority)
    if compact:
        priority = priority[:1]
    priority_w = 1 if compact else _widest([labels.priority(x) for x in Priority])
    fixed: list[tuple[str, Style]] = [
        ("▸ " if cursor else "  ", p.tag),
        ("[x] " if tagged else "[ ] ", p.tag if tagged else p.muted),
        (f"#{card.number} ", p.number),
        (pad(labels.status(card.status), status_w) + " ", p.status[card.status]),
        (pad(priority, priority_w) + " ", p.priority[card.priority]),
    ]
    if card.unread_count:
        unread = f"●{card.unread_count}" if compact else _("●{n} unread", n=card.unread_count)
        fixed.append((unread + " ", p.unread))
    due_text, due_state = next_task_flag(card.next_task_at, now, when=not compact)
    if due_text:
        style = {NextTaskState.OVERDUE: p.overdue, NextTaskState.DUE: p.due}.get(due_state, p.muted)
        fixed.append((due_text + " ", style))
    if card.sla_breached:
        fixed.append(("!SLA", p.sla))
        fixed.append((" ", Style()))
    elif countdown := sla_countdown(card.sla_due_at, now):
        fixed.append((countdown + " ", p.due))
    right: list[tuple[str, Style]] = []
    if campaign:
        right.append((fit(one_line(campaign), 16) + " · ", p.muted))
    if card.last_channel is not None:
        right.append((labels.channel_short(card.last_channel) + " ", p.muted))
    right.append((format_created(card.created_at, short=compact), p.muted))

    used = sum(cell_len(t) for t, _s in fixed)
    # Narrow terminals drop the channel first, then the date; the state flags stay.
    while right and used + 1 + sum(cell_len(t) for t, _s in right) > width:
        right.pop(0)
    right_w = sum(cell_len(t) for t, _s in right)
    room = width - used - right_w - (1 if right else 0)
    pieces = list(fixed)
    if card.last_outcome and room >= 4:
        outcome = fit("» " + one_line(card.last_outcome), room)
        pieces.append((outcome, p.outcome))
        used += cell_len(outcome)
    if right:
        pieces.append((" " * max(1, width - used - right_w), Style()))
        pieces.extend(right)
    return _strip(pieces, width, line_style)


def _body(card: TicketCard, width: int, p: CardPalette, line_style: Style) -> Strip:
    avail = width - INDENT
    customer_w = min(max(avail * 30 // 100, 14), 36)
    assignee_w = min(max(avail * 16 // 100, 10), 24)
    rest = max(avail - customer_w - assignee_w - 4, 0)

    pieces: list[tuple[str, Style]] = [(" " * INDENT, Style())]
    doc = one_line(card.customer_id_number)
    name = one_line(card.customer_name)
    if doc and cell_len(doc) + 1 + 6 <= customer_w:
        pieces.append((doc + " ", p.muted))
        pieces.append((pad(name, customer_w - cell_len(doc) - 1), p.name))
    else:
        pieces.append((pad(name or doc, customer_w), p.name))
    pieces.append(("  ", Style()))
    if card.assignee_name:
        pieces.append((pad(one_line(card.assignee_name), assignee_w), Style()))
    else:
        pieces.append((pad(_("Unassigned"), assignee_w), p.muted + Style(italic=True)))
    pieces.append(("  ", Style()))

    description = one_line(card.description)
    arrow = labels.direction_arrow(card.last_direction)
    preview = one_line(card.last_summary)
    if preview:
        preview = f"{arrow} {preview}" if arrow else preview
    # The description takes what it needs up to 40% of the rest; the preview the remainder.
    desc_w = min(cell_len(description), rest * 2 // 5) if preview else rest
    if description:
        pieces.append((fit(description, desc_w), Style()))
        rest -= min(cell_len(description), desc_w) + 2
        pieces.append(("  ", Style()))
    if preview and rest > 3:
        pieces.append((fit(preview, rest), p.muted))
    return _strip(pieces, width, line_style)


def separator_line(width: int, palette: CardPalette) -> Strip:
    return Strip([Segment(SEPARATOR * width, palette.base + palette.separator)], width)


def placeholder_lines(width: int, palette: CardPalette) -> tuple[Strip, Strip, Strip]:
    """What a card looks like while its page is being read."""
    text = Strip([Segment(" " * INDENT + _("Loading…"), palette.base + palette.muted)])
    return (
        text.crop_extend(0, width, palette.base),
        Strip.blank(width, palette.base),
        separator_line(width, palette),
    )
