"""Changing one ticket: close, edit, add a task. Versions are checked on every write.

Each function runs inside the caller's write transaction and writes its
change-log entries on the same connection.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from sagicc_tui.domain.enums import (
    ChangeKind,
    EntityKind,
    Priority,
    TicketStatus,
    TicketType,
)
from sagicc_tui.domain.errors import InvalidInput, RuleViolation, StaleWrite
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Campaign, Task, TaskInput, Ticket, User
from sagicc_tui.domain.taskform import validate_task
from sagicc_tui.local_store import schema
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.convert import from_epoch, ticket_from_row, to_epoch
from sagicc_tui.local_store.core import LogLine, Store

t = schema.ticket.c


def refuse_closed(ticket: Ticket) -> None:
    if ticket.is_closed:
        raise RuleViolation(
            N_("Ticket #{number} is closed; a closed ticket cannot be reopened or changed."),
            number=ticket.number,
        )


def stale_ticket(store: Store, conn: Connection, number: int, current: Any) -> StaleWrite:
    """The sentence for a write against a ticket that changed since it was loaded."""
    who = store.user_name(conn, current.updated_by) or N_("someone")
    when = current.updated_at if isinstance(current.updated_at, datetime) else from_epoch(current.updated_at)
    return StaleWrite(
        N_("Ticket #{number} was changed by {who} at {when} since you opened it; nothing was "
           "saved. Reload it and apply your change again."),
        number=number, who=who, when=when.strftime("%H:%M:%S"), current_version=current.version,
    )


def write_ticket(
    store: Store, conn: Connection, user: User, ticket: Ticket, expected_version: int | None,
    values: dict[str, Any], lines: list[LogLine], *, bump: bool = True,
) -> Ticket:
    """Update one ticket if its version is still the expected one (else StaleWrite).

    The version guards what people edit (status, priority, type, description,
    account, assignee, campaign, tasks); `bump=False` for derived card fields.
    """
    expected = ticket.version if expected_version is None else expected_version
    store.versioned_update(conn, user, schema.ticket, ticket.id, expected, values, lines,
                           lambda current: stale_ticket(store, conn, ticket.number, current), bump=bump)
    return ticket_from_row(conn.execute(select(schema.ticket).where(t.id == ticket.id)).one())


def check_ticket_version(store: Store, conn: Connection, ticket: Ticket, expected_version: int | None) -> None:
    """A write that changes nothing still refuses a stale version (P10)."""
    store.check_version(conn, schema.ticket, ticket.id, expected_version,
                        lambda current: stale_ticket(store, conn, ticket.number, current))


def close(store: Store, conn: Connection, user: User, ticket_id: int, expected_version: int) -> Ticket:
    ticket = reads.get(store, conn, user, ticket_id=ticket_id)
    refuse_closed(ticket)
    return write_ticket(
        store, conn, user, ticket, expected_version,
        {"status": TicketStatus.CLOSED.value, "closed_at": store.now()},
        [LogLine(EntityKind.TICKET, ticket.id, ChangeKind.CLOSED, "status", ticket.status,
                 TicketStatus.CLOSED)],
    )


_EDITABLE = {"status", "priority", "type", "description", "account_id"}


def update_fields(
    store: Store, conn: Connection, user: User, ticket_id: int, changes: dict[str, object],
    expected_version: int,
) -> Ticket:
    ticket = reads.get(store, conn, user, ticket_id=ticket_id)
    refuse_closed(ticket)
    unknown = sorted(set(changes) - _EDITABLE)
    if unknown:
        raise InvalidInput(N_("The ticket field {label} cannot be edited here."), label=unknown[0],
                           field=unknown[0])
    values: dict[str, Any] = {}
    lines: list[LogLine] = []
    for name, raw in changes.items():
        new = _coerce(conn, ticket, name, raw)
        old = getattr(ticket, name)
        if new == old:
            continue
        if name == "status" and new is TicketStatus.CLOSED:
            raise InvalidInput(N_("Use Close to close a ticket: closing is final and asks for confirmation."))
        values[name] = new.value if hasattr(new, "value") else new
        kind = ChangeKind.STATUS if name == "status" else ChangeKind.FIELD
        lines.append(LogLine(EntityKind.TICKET, ticket.id, kind, name, old, new))
    if not values:
        check_ticket_version(store, conn, ticket, expected_version)
        return ticket
    return write_ticket(store, conn, user, ticket, expected_version, values, lines)


def _coerce(conn: Connection, ticket: Ticket, name: str, raw: object) -> Any:
    try:
        if name == "status":
            return TicketStatus(raw)
        if name == "priority":
            return Priority(raw)
        if name == "type":
            return TicketType(raw)
    except ValueError:
        raise InvalidInput(N_("{value} is not a valid {label}."), value=raw, label=name, field=name) from None
    if name == "account_id":
        if raw is None:
            return None
        acc = schema.AccountRow.__table__
        owner = conn.execute(select(acc.c.customer_id).where(acc.c.id == raw)).scalar()
        if owner != ticket.customer_id:
            raise InvalidInput(N_("That account does not belong to the ticket's customer; pick one of theirs."))
        return int(raw)  # type: ignore[arg-type]
    return str(raw)


def insert_task(
    store: Store, conn: Connection, user: User, ticket: Ticket, campaign: Campaign,
    values: dict[str, Any], task: TaskInput, now: int,
) -> int:
    """Insert the task row; the caller updates the ticket (outcome, next task)."""
    res = conn.execute(
        insert(schema.TaskRow.__table__).values(
            ticket_id=ticket.id, values_json=json.dumps(values, ensure_ascii=False),
            observations=task.observations, next_task_at=to_epoch(task.next_task_at),
            author_id=user.id, created_at=now,
        )
    )
    return int(res.inserted_primary_key[0])


def task_effects(ticket: Ticket, campaign: Campaign, values: dict[str, Any], task: TaskInput) -> tuple[dict, list[LogLine]]:
    """What saving a task does to its ticket: the primary field becomes the
    card's outcome, the next task date schedules (or clears) the reminder, and
    a New ticket that someone worked on is Open."""
    out: dict[str, Any] = {"next_task_at": to_epoch(task.next_task_at)}
    lines = [LogLine(EntityKind.TICKET, ticket.id, ChangeKind.TASK_ADDED, "task", "",
                     task.observations[:200])]
    if campaign.primary_field and campaign.primary_field in values:
        out["last_outcome"] = str(values[campaign.primary_field])
    if ticket.next_task_at != task.next_task_at:
        lines.append(LogLine(EntityKind.TICKET, ticket.id, ChangeKind.FIELD, "next_task_at",
                             ticket.next_task_at, task.next_task_at))
    if ticket.status is TicketStatus.NEW:
        out["status"] = TicketStatus.OPEN.value
        lines.append(LogLine(EntityKind.TICKET, ticket.id, ChangeKind.STATUS, "status",
                             TicketStatus.NEW, TicketStatus.OPEN))
    return out, lines


def add_task(
    store: Store, conn: Connection, user: User, ticket_id: int, task: TaskInput,
    expected_version: int | None,
) -> Task:
    ticket = reads.get(store, conn, user, ticket_id=ticket_id)
    refuse_closed(ticket)
    campaign = store.campaign(conn, ticket.campaign_id)
    assert campaign is not None
    values = validate_task(campaign, task)
    now = store.now()
    task_id = insert_task(store, conn, user, ticket, campaign, values, task, now)
    effects, lines = task_effects(ticket, campaign, values, task)
    write_ticket(store, conn, user, ticket, expected_version, effects, lines)
    return next(x for x in reads.tasks(conn, ticket.id, 5) if x.id == task_id)


def refresh_summary(conn: Connection, ticket_id: int) -> dict[str, Any]:
    """Recompute the card fields a ticket derives from its interactions (after a merge)."""
    it = schema.InteractionRow.__table__.c
    unread = conn.execute(
        select(func.count(), func.min(it.created_at)).where(
            it.ticket_id == ticket_id, it.read.is_(False), it.direction == "incoming"
        )
    ).one()
    last = conn.execute(
        select(it.created_at, it.content, it.direction, it.channel)
        .where(it.ticket_id == ticket_id).order_by(it.created_at.desc(), it.id.desc()).limit(1)
    ).first()
    last_in = conn.execute(
        select(it.channel).where(it.ticket_id == ticket_id, it.direction == "incoming")
        .order_by(it.created_at.desc(), it.id.desc()).limit(1)
    ).scalar()
    first_out = conn.execute(
        select(func.min(it.created_at)).where(it.ticket_id == ticket_id, it.direction == "outgoing")
    ).scalar()
    return {
        "unread_count": unread[0], "unread_at": unread[1],
        "last_interaction_at": last.created_at if last else None,
        "last_summary": summary(last.content) if last else "",
        "last_direction": last.direction if last else None,
        "last_channel": last_in, "first_response_at": first_out,
    }


def summary(content: str) -> str:
    """The card's one-line preview of a message (raw text; the UI sanitizes)."""
    return " ".join(content.split())[:160]
