"""The ticket screen's header and options (T2, T3, T10, T12).

Reassign and Merge reuse the mass-action rules (`mass_actions`): one
implementation of who may receive a ticket and of what a merge moves, for one
ticket or for a thousand. What the ticket screen adds is the stale-version
check: the change is refused, naming who changed the ticket, when the ticket
changed since the screen loaded it.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, func, insert, select

from sagicc_tui.domain.enums import (
    ChangeKind,
    EntityKind,
    IdType,
    MassActionKind,
    Role,
    TicketStatus,
)
from sagicc_tui.domain.errors import InvalidInput, PermissionDenied, RuleViolation
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Task, Ticket, TicketRelation, User
from sagicc_tui.domain.query import MassAction, TicketSelection
from sagicc_tui.domain.rules import Permission, require, sla_breached
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.domain.ticket_screen import AgendaItem, ExternalView, TicketHeader
from sagicc_tui.local_store import customer_merge, external_links, mail_thread, mass_actions, presence, schema
from sagicc_tui.local_store import ticket_query as tq
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.attachments import refs_for
from sagicc_tui.local_store.convert import (
    customer_from_row,
    from_epoch,
    interaction_from_row,
    task_from_row,
    ticket_from_row,
    to_epoch,
)
from sagicc_tui.local_store.core import LogLine, Store
from sagicc_tui.local_store.ticket_actions import check_ticket_version, refuse_closed, update_fields
from sagicc_tui.render import Gettext
from sagicc_tui.render import external_view as external_render

t = schema.ticket.c
cu = schema.CustomerRow.__table__
rel = schema.TicketRelationRow.__table__
it = schema.InteractionRow.__table__


def _fresh(conn: Connection, ticket_id: int) -> Ticket:
    return ticket_from_row(conn.execute(select(schema.ticket).where(t.id == ticket_id)).one())


def check_version(store: Store, conn: Connection, ticket: Ticket, expected_version: int | None) -> None:
    """Refuse a change to a ticket that changed since the caller loaded it
    (the same sentence as `ticket_actions.write_ticket`); nothing is written."""
    # Read again under the row lock: on PostgreSQL the ticket read earlier in
    # this transaction may already be behind a commit that came in since.
    check_ticket_version(store, conn, ticket, expected_version)


# --- T2 header ------------------------------------------------------------------------


def header(store: Store, conn: Connection, user: User, ticket_id: int) -> TicketHeader:
    ticket = reads.get(store, conn, user, ticket_id=ticket_id)
    campaign = store.campaign(conn, ticket.campaign_id)
    customer = customer_from_row(conn.execute(select(cu).where(cu.c.id == ticket.customer_id)).one(), ())
    account_number = None
    if ticket.account_id is not None:
        acc = schema.AccountRow.__table__
        account_number = conn.execute(select(acc.c.number).where(acc.c.id == ticket.account_id)).scalar()
    # Counted within what this user may see: an agent must not learn of
    # tickets outside their scope from a number.
    sc, _campaigns = reads.scope(store, conn, user)
    open_count = conn.execute(
        select(func.count()).select_from(schema.ticket)
        .where(t.customer_id == ticket.customer_id, t.status.in_(tq.OPEN), tq.scope_predicate(sc))
    ).scalar_one()
    breached = campaign is not None and sla_breached(
        campaign, ticket.priority, ticket.created_at, ticket.first_response_at, ticket.closed_at, store.clock()
    )
    return TicketHeader(
        ticket=ticket, campaign_name=campaign.name if campaign else "",
        customer_name=customer.full_name, customer_id_type=IdType(customer.id_type),
        customer_id_number=customer.id_number, account_number=account_number,
        assignee_name=store.user_name(conn, ticket.assignee_id) or None,
        open_tickets_of_customer=int(open_count), sla_breached=breached,
        last_survey_at=ticket.last_survey_at,
        others_viewing=presence.others(store, conn, user.id, ticket.id),
        reply_subject=mail_thread.default_subject(conn, ticket),
    )


# --- T3 Reassign ---------------------------------------------------------------------


def reassign(
    store: Store, conn: Connection, user: User, ticket_id: int, assignee_id: int | None,
    campaign_id: int | None, expected_version: int,
) -> Ticket:
    """To a user of this or another campaign, or unassigned (assignee_id None);
    optionally moving the ticket to campaign_id. Anyone who works the ticket may
    reassign it (the manual's options menu); the mass Assign stays a
    supervisor's action."""
    me = store.fresh_user(conn, user)
    ticket = reads.get(store, conn, me, ticket_id=ticket_id)
    refuse_closed(ticket)
    check_version(store, conn, ticket, expected_version)
    if ticket.assignee_id == assignee_id and campaign_id in (None, ticket.campaign_id):
        return ticket
    _assign_one(store, conn, me, ticket, MassAction(
        kind=MassActionKind.ASSIGN, selection=TicketSelection(ids=frozenset({ticket.id})),
        assignee_id=assignee_id, unassign=assignee_id is None, campaign_id=campaign_id,
    ))
    return _fresh(conn, ticket.id)


def _assign_one(store: Store, conn: Connection, me: User, ticket: Ticket, action: MassAction) -> None:
    """One ticket through the mass Assign's own plan and run: the rules (members only,
    closed stays closed, who keeps the ticket on a campaign move) and the change log
    are written once, in mass_actions."""
    row = conn.execute(select(schema.ticket).where(t.id == ticket.id)).one()
    plan = mass_actions.Plan(MassActionKind.ASSIGN)
    mass_actions._plan_assign(store, conn, me, action, [row], {c.id: c for c in store.campaigns(conn)}, plan)
    if plan.refused:
        reason = plan.refused[0].reason
        raise RuleViolation(reason.template, **reason.params)
    mass_actions._run_assign(store, conn, me, action, plan, store.now())


# --- T7 the Ticket tab's save (fields and campaign) ----------------------------------------


def update_ticket(
    store: Store, conn: Connection, user: User, ticket_id: int, changes: TicketChanges,
    expected_version: int,
) -> Ticket:
    """The Ticket tab's Save in one transaction: its fields (ticket_actions.update_fields)
    and, when `campaign_id` is among the changes, the move to that campaign exactly as
    Assign -> move to a campaign does it (the assignee stays only where they belong)."""
    fields = changes.given()
    campaign_id = fields.pop("campaign_id", None)
    ticket = update_fields(store, conn, user, ticket_id, fields, expected_version)
    if campaign_id is None or campaign_id == ticket.campaign_id:
        return ticket
    me = store.fresh_user(conn, user)
    try:
        target = int(campaign_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise InvalidInput(N_("{value} is not a valid {label}."), value=campaign_id, label="campaign_id",
                           field="campaign_id") from None
    # An agent moves tickets only into campaigns they work in (the ones the tab offers them).
    if me.role is Role.AGENT and target not in me.campaign_ids:
        raise PermissionDenied(N_("You are not a member of that campaign; choose one of your campaigns."))
    _assign_one(store, conn, me, ticket, MassAction(
        kind=MassActionKind.ASSIGN, selection=TicketSelection(ids=frozenset({ticket.id})), campaign_id=target))
    return _fresh(conn, ticket.id)


# --- T3 Merge ------------------------------------------------------------------------------


def merge(
    store: Store, conn: Connection, user: User, ticket_id: int, other_number: int, merge_customers: bool,
    keep_customer_id: int | None, expected_version: int,
) -> Ticket:
    """This ticket stays as it is and receives the other's conversation, tasks,
    notes and attachments; the other ends Closed. Optionally the two customers
    become one: `keep_customer_id` (one of the two; default this ticket's)
    stays, the other is merged into it and deleted. Irreversible."""
    me = store.fresh_user(conn, user)
    require(me, Permission.MASS_MERGE)
    ticket = reads.get(store, conn, me, ticket_id=ticket_id)
    refuse_closed(ticket)
    check_version(store, conn, ticket, expected_version)
    other = reads.get(store, conn, me, number=other_number)
    if other.id == ticket.id:
        raise InvalidInput(N_("A ticket cannot be merged with itself; give the number of another ticket."))
    refuse_closed(other)
    keep = keep_customer_id if keep_customer_id is not None else ticket.customer_id
    if merge_customers:
        require(me, Permission.MERGE_CUSTOMERS)
        if keep not in (ticket.customer_id, other.customer_id):
            raise InvalidInput(N_("Choose which of the two tickets' customers stays."))
    action = MassAction(
        kind=MassActionKind.MERGE, selection=TicketSelection(ids=frozenset({ticket.id, other.id})),
        primary_ticket_id=ticket.id, merge_customers=False,
    )
    rows = conn.execute(select(schema.ticket).where(t.id.in_([ticket.id, other.id])).order_by(t.number)).all()
    plan = mass_actions.Plan(MassActionKind.MERGE)
    mass_actions._plan_merge(store, conn, me, action, rows, {c.id: c for c in store.campaigns(conn)}, plan)
    mass_actions._run_merge(store, conn, me, action, plan, store.now())
    if merge_customers and ticket.customer_id != other.customer_id:
        drop = other.customer_id if keep == ticket.customer_id else ticket.customer_id
        customer_merge.merge_customers(store, conn, me, keep, [drop], customer_merge.MergeParts())
    return _fresh(conn, ticket.id)


# --- T3 Related tickets ----------------------------------------------------------------------


def related(store: Store, conn: Connection, user: User, ticket_id: int) -> list[TicketRelation]:
    """The tickets related to this one that the user can see, by number, with their
    status, customer and subject (the list tells them apart without opening each)."""
    ticket = reads.get(store, conn, user, ticket_id=ticket_id)
    sc, _ = reads.scope(store, conn, user)
    ix = schema.InteractionRow.__table__.c
    first_subject = (select(ix.subject).where(ix.ticket_id == t.id, ix.subject != "")
                     .order_by(ix.created_at, ix.id).limit(1).scalar_subquery())
    rows = conn.execute(
        select(rel.c.related_ticket_id, rel.c.created_at, t.number, t.status, t.description, t.last_summary,
               cu.c.first_name, cu.c.middle_name, cu.c.last_name, cu.c.second_last_name,
               first_subject.label("subject"))
        .join(schema.ticket, t.id == rel.c.related_ticket_id)
        .outerjoin(cu, cu.c.id == t.customer_id)
        .where(rel.c.ticket_id == ticket.id, tq.scope_predicate(sc))
        .order_by(t.number)
    )
    return [TicketRelation(
        ticket_id=ticket.id, related_ticket_id=r.related_ticket_id, related_number=r.number,
        created_at=from_epoch(r.created_at), status=TicketStatus(r.status),
        customer_name=" ".join(p for p in (r.first_name, r.middle_name, r.last_name, r.second_last_name) if p),
        subject=r.subject or r.description or r.last_summary or "") for r in rows]


def relate(store: Store, conn: Connection, user: User, ticket_id: int, other_number: int) -> list[TicketRelation]:
    """Relate two tickets (both ways); relating them again changes nothing.
    The other ticket may be closed: relating to an old case is the point."""
    me = store.fresh_user(conn, user)
    ticket = reads.get(store, conn, me, ticket_id=ticket_id)
    refuse_closed(ticket)
    other = reads.get(store, conn, me, number=other_number)
    if other.id == ticket.id:
        raise InvalidInput(N_("A ticket cannot be related to itself; give the number of another ticket."))
    now = store.now()
    lines = []
    for a, b in ((ticket, other), (other, ticket)):
        have = conn.execute(select(rel.c.ticket_id).where(rel.c.ticket_id == a.id, rel.c.related_ticket_id == b.id)).first()
        if have is None:
            conn.execute(insert(rel).values(ticket_id=a.id, related_ticket_id=b.id, created_at=now))
            lines.append(LogLine(EntityKind.TICKET, a.id, ChangeKind.RELATED, "related", "", f"#{b.number}"))
    store.log(conn, me, lines, at=now)
    return related(store, conn, me, ticket.id)


# --- T3 Open external view --------------------------------------------------------------------


def external_dir(store: Store) -> Path:
    return store.blob_dir / "external"


def external_view(store: Store, conn: Connection, user: User, ticket_id: int, gettext: Gettext) -> ExternalView:
    """Render the read-only page (no notes) to `<files>/external/<token>.html`.

    The link (external_links.py) is kept while it works, so the shared
    address stays the same; each call renders the page again with the
    conversation as it is now.
    """
    me = store.fresh_user(conn, user)
    ticket = reads.get(store, conn, me, ticket_id=ticket_id)
    token, expires_at = external_links.issue(store, conn, me, ticket)
    html = _render(store, conn, ticket, gettext)
    path = _write_private(external_dir(store), f"{token}.html", html)
    return ExternalView(token=token, path=str(path), html=html, expires_at=from_epoch(expires_at))


def _render(store: Store, conn: Connection, ticket: Ticket, gettext: Gettext) -> str:
    rows = conn.execute(select(it).where(it.c.ticket_id == ticket.id).order_by(it.c.created_at, it.c.id)).all()
    refs = refs_for(conn, [r.id for r in rows])
    campaign = store.campaign(conn, ticket.campaign_id)
    customer = customer_from_row(conn.execute(select(cu).where(cu.c.id == ticket.customer_id)).one(), ())
    return external_render.render(
        external_render.ExternalViewInput(
            ticket=ticket, customer_name=customer.full_name, campaign_name=campaign.name if campaign else "",
            interactions=tuple(replace(interaction_from_row(r), attachments=refs.get(r.id, ())) for r in rows),
            generated_at=store.clock(),
        ),
        gettext,
    )


def _write_private(folder: Path, name: str, content: str) -> Path:
    """Atomic write, readable by the owner only: the page holds customer data
    and its name is the secret."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / name
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(content)
    os.replace(tmp, target)
    return target


def external_token_ticket(store: Store, conn: Connection, token: str) -> int | None:
    """For the server: the ticket a working external-view link opens (None:
    unknown, expired, revoked, or its creator lost access)."""
    return external_links.ticket_of(store, conn, token)


def external_page(store: Store, conn: Connection, token: str, gettext: Gettext) -> str | None:
    """For the server (/external/{token}): the page as the conversation is now,
    without notes; None for an unknown token. Needs no user: the token is the key."""
    ticket_id = external_token_ticket(store, conn, token)
    if ticket_id is None:
        return None
    return _render(store, conn, _fresh(conn, ticket_id), gettext)


# --- T10 Agenda, T12 History -------------------------------------------------------------------


def agenda(store: Store, conn: Connection, user: User, assignee_id: int, since: datetime | None,
           until: datetime | None, limit: int = 500) -> list[AgendaItem]:
    """The assignee's open tickets with a next task scheduled in [since, until),
    soonest first; only tickets the user can see."""
    sc, _ = reads.scope(store, conn, user)
    stmt = (
        select(t.id, t.number, t.campaign_id, t.status, t.next_task_at, cu.c.first_name, cu.c.middle_name,
               cu.c.last_name, cu.c.second_last_name)
        .join(cu, cu.c.id == t.customer_id)
        .where(t.assignee_id == assignee_id, t.next_task_at.is_not(None), t.status.in_(tq.OPEN),
               tq.scope_predicate(sc))
        .order_by(t.next_task_at, t.id).limit(max(1, min(limit, 2000)))
    )
    if since is not None:
        stmt = stmt.where(t.next_task_at >= to_epoch(since))
    if until is not None:
        stmt = stmt.where(t.next_task_at < to_epoch(until))
    return [
        AgendaItem(ticket_id=r.id, ticket_number=r.number, campaign_id=r.campaign_id, status=TicketStatus(r.status),
                   customer_name=" ".join(p for p in (r.first_name, r.middle_name, r.last_name, r.second_last_name) if p),
                   next_task_at=from_epoch(r.next_task_at))
        for r in conn.execute(stmt)
    ]


def task_page(store: Store, conn: Connection, user: User, ticket_id: int, before_id: int | None,
              limit: int) -> list[Task]:
    """History, newest first, continuing below `before_id` (the last id shown)."""
    reads.get(store, conn, user, ticket_id=ticket_id)
    tk = schema.TaskRow.__table__
    us = schema.UserRow.__table__
    stmt = (
        select(tk, us.c.full_name.label("author_name")).join(us, us.c.id == tk.c.author_id)
        .where(tk.c.ticket_id == ticket_id).order_by(tk.c.id.desc()).limit(max(1, min(limit, 500)))
    )
    if before_id is not None:
        stmt = stmt.where(tk.c.id < before_id)
    return [task_from_row(r, r.author_name) for r in conn.execute(stmt)]
