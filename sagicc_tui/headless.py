"""Text output and argument parsing for the headless verbs (no Textual here)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime

from sagicc_tui.domain.days import NotADay, parse_day
from sagicc_tui.domain.enums import ChannelType, Priority, TicketOrder, TicketStatus, TicketType, UserFilter
from sagicc_tui.domain.models import Customer, Interaction, Task, Ticket, TicketCard
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.sanitize import clean, one_line
from sagicc_tui.commands.session import UserError


def _list(value: str, enum, what: str) -> tuple:
    out = []
    for part in (p.strip() for p in value.split(",") if p.strip()):
        try:
            out.append(enum(part.lower()))
        except ValueError:
            raise UserError(f"{part!r} is not a {what}; use one of {', '.join(e.value for e in enum)}.") from None
    return tuple(out)


def _day(value: str, flag: str) -> datetime | None:
    """The user's local midnight, as the TUI's sidebar reads the same date (domain.days)."""
    try:
        return parse_day(value)
    except NotADay:
        raise UserError(f"{flag} {value!r} is not a date; write it as YYYY-MM-DD.") from None


def _when(at: datetime | None) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M") if at else ""


def ticket_table(rows: tuple[TicketCard, ...]) -> str:
    """One line a ticket; customer text sanitized (a terminal is a UI too)."""
    lines = [f"{'NUMBER':>8}  {'STATUS':<11} {'PRIORITY':<8} {'CREATED':<16} {'ASSIGNEE':<18} CUSTOMER / LAST MESSAGE"]
    for c in rows:
        unread = f" ●{c.unread_count}" if c.unread_count else ""
        who = one_line(c.assignee_name or "-", 18)
        lines.append(
            f"{c.number:>8}  {c.status.value:<11} {c.priority.value:<8} {_when(c.created_at):<16} {who:<18} "
            f"{one_line(c.customer_name, 30)}{unread}: {one_line(c.last_summary, 60)}"
        )
    return "\n".join(lines)


def ticket_detail(t: Ticket, customer: Customer, interactions: list[Interaction], tasks: list[Task]) -> str:
    out = [
        f"Ticket #{t.number}  {t.status.value}  priority {t.priority.value}  type {t.type.value}",
        f"Created {_when(t.created_at)}   campaign {t.campaign_id}   assignee {t.assignee_id or '-'}",
        f"Customer {one_line(customer.full_name)} ({customer.id_type.value} {one_line(customer.id_number)})",
        f"Description: {one_line(t.description)}",
        "",
        "Conversation:",
    ]
    for i in interactions:
        arrow = "←" if i.direction.value == "incoming" else "→"
        out.append(f"  {arrow} {_when(i.created_at)} {i.channel.value} {one_line(i.sender, 40)}")
        for line in clean(i.content).splitlines() or [""]:
            out.append(f"      {line}")
    if tasks:
        out += ["", "Tasks (newest first):"]
        for task in tasks:
            values = ", ".join(f"{k}={one_line(str(v))}" for k, v in task.values.items())
            out.append(f"  {_when(task.created_at)} {one_line(task.author_name)}: {values} {one_line(task.observations)}")
    return "\n".join(out)
