"""L8 mass actions: resolve the selection, judge each ticket, preview, run.

`plan()` is shared by the preview and the run: the run re-plans inside its
write transaction (BEGIN IMMEDIATE), so what it does is judged on the data as
it is then, not as it was when the preview was shown.
"""

from __future__ import annotations

import random
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from sagicc_tui.domain.enums import ChangeKind, EntityKind, MassActionKind, Role, TicketStatus
from sagicc_tui.domain.errors import InvalidInput, NotFound
from sagicc_tui.domain.messages import Msg, N_, msg
from sagicc_tui.domain.models import Campaign, User
from sagicc_tui.domain.query import MassAction, MassPreview, MassResult, TicketOutcome
from sagicc_tui.domain.rules import MASS_PERMISSION, require
from sagicc_tui.domain.taskform import validate_task
from sagicc_tui.local_store import schema
from sagicc_tui.local_store import ticket_query as tq
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.convert import ticket_from_row
from sagicc_tui.local_store.core import LogLine, Store
from sagicc_tui.local_store.customer_merge import MergeParts, merge_customers
from sagicc_tui.local_store.ticket_actions import insert_task, refresh_summary, task_effects

t = schema.ticket.c
CHUNK = 500  # ids per IN (...) list: well under SQLite's variable limit


@dataclass
class Plan:
    kind: MassActionKind
    ok: list[Any] = field(default_factory=list)  # ticket rows that will change
    refused: list[TicketOutcome] = field(default_factory=list)
    changes: list[Msg] = field(default_factory=list)
    assign_to: dict[int, int | None] = field(default_factory=dict)  # ticket id -> user id
    task_values: dict[int, dict] = field(default_factory=dict)  # campaign id -> clean values
    primary: Any = None  # merge: the primary ticket's row


def _chunks(ids: list[int]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def selected_rows(store: Store, conn: Connection, user: User, action: MassAction) -> list[Any]:
    sel = action.selection
    sc, _ = reads.scope(store, conn, user)
    base = select(schema.ticket).where(tq.scope_predicate(sc))
    if sel.query is not None:
        stmt = base.where(*tq.filter_predicates(sel.query, store.dialect)).order_by(t.number)
        rows = [r for r in conn.execute(stmt) if r.id not in sel.excluded]
        return rows
    rows = []
    ids = sorted(sel.ids)
    for part in _chunks(ids):
        rows += conn.execute(base.where(t.id.in_(part))).all()
    rows.sort(key=lambda r: r.number)
    return rows


def plan(store: Store, conn: Connection, user: User, action: MassAction) -> Plan:
    user = store.fresh_user(conn, user)
    require(user, MASS_PERMISSION[action.kind])
    if action.selection.is_empty:
        raise InvalidInput(N_("No tickets are tagged; tag tickets first (space or t, or T for all)."))
    rows = selected_rows(store, conn, user, action)
    if action.selection.query is None and len(rows) < len(action.selection.ids):
        missing = len(action.selection.ids) - len(rows)
        p = Plan(action.kind)
        p.refused += [TicketOutcome(0, 0, False, msg(N_("Tagged tickets that no longer exist or are outside your scope: {count}."), count=missing))]
    else:
        p = Plan(action.kind)
    campaigns = {c.id: c for c in store.campaigns(conn)}
    judge = {
        MassActionKind.CLOSE: _plan_close,
        MassActionKind.MERGE: _plan_merge,
        MassActionKind.ASSIGN: _plan_assign,
        MassActionKind.ADD_TASK: _plan_add_task,
        MassActionKind.REDISTRIBUTE: _plan_redistribute,
    }[action.kind]
    judge(store, conn, user, action, rows, campaigns, p)
    return p


def _refuse(p: Plan, r: Any, template: str, **params: Any) -> None:
    p.refused.append(TicketOutcome(r.id, r.number, False, msg(template, **params)))


def _split_closed(p: Plan, rows: list[Any]) -> list[Any]:
    open_rows = []
    for r in rows:
        if r.status == TicketStatus.CLOSED.value:
            _refuse(p, r, N_("already closed; a closed ticket cannot change"))
        else:
            open_rows.append(r)
    return open_rows


def _plan_close(store, conn, user, action, rows, campaigns, p: Plan) -> None:
    for r in _split_closed(p, rows):
        c = campaigns[r.campaign_id]
        if not c.mass_close_allowed:
            _refuse(p, r, N_("campaign {campaign} does not allow closing tickets in bulk"), campaign=c.name)
        else:
            p.ok.append(r)
    p.changes.append(msg(N_("Tickets to close: {count}. Closing is final."), count=len(p.ok)))


def _plan_merge(store, conn, user, action, rows, campaigns, p: Plan) -> None:
    # By id (picked from the list) or by number (typed): any ticket of the
    # selection, loaded in the list or not (a `T` selection of 10,000 too).
    primary = next(
        (r for r in rows if r.id == action.primary_ticket_id
         or (action.primary_ticket_number is not None and r.number == action.primary_ticket_number)),
        None,
    )
    if primary is None:
        if action.primary_ticket_number is not None:
            raise InvalidInput(N_("Ticket #{number} is not among the tagged tickets; give the number of a tagged ticket."),
                               number=action.primary_ticket_number)
        raise InvalidInput(N_("Choose the primary ticket among the tagged tickets."))
    p.primary = primary
    if primary.status == TicketStatus.CLOSED.value:
        raise InvalidInput(N_("The primary ticket #{number} is closed; choose an open one."), number=primary.number)
    for r in _split_closed(p, rows):
        if r.id != primary.id:
            p.ok.append(r)
    if not p.ok:
        raise InvalidInput(N_("Tag at least two open tickets to merge them."))
    p.changes.append(msg(N_("Ticket #{number} stays open and receives the conversations, tasks, notes and attachments of the others, which will be closed (tickets: {count})."), number=primary.number, count=len(p.ok)))
    if action.merge_customers:
        keep, others = _kept_customer(action, primary, p.ok)
        stays = conn.execute(select(schema.CustomerRow.__table__).where(schema.CustomerRow.__table__.c.id == keep)).first()
        name = " ".join(x for x in (stays.first_name, stays.middle_name, stays.last_name, stays.second_last_name)
                        if x) if stays is not None else str(keep)
        p.changes.append(msg(N_("The customer {name} (id {id}) stays; the other customers are merged into it and "
                                "deleted: {count}."), name=name, id=keep, count=len(others)))
    p.changes.append(msg(N_("A merge cannot be undone.")))


def _kept_customer(action, primary, merged) -> tuple[int, list[int]]:
    """T3/L8: which customer stays (one of the merged tickets' customers; the
    primary ticket's by default) and the others, to merge into it."""
    involved = {primary.customer_id} | {r.customer_id for r in merged}
    keep = action.keep_customer_id if action.keep_customer_id is not None else primary.customer_id
    if keep not in involved:
        raise InvalidInput(N_("The customer to keep (id {id}) is not a customer of the tickets to merge; "
                              "choose one of theirs."), id=keep)
    return keep, sorted(involved - {keep})


def _members(store: Store, conn: Connection) -> dict[int, User]:
    return {u.id: u for u in store.users(conn) if u.active}


def _plan_assign(store, conn, user, action, rows, campaigns, p: Plan) -> None:
    users = _members(store, conn)
    target_campaign = None
    if action.campaign_id is not None:
        target_campaign = campaigns.get(action.campaign_id)
        if target_campaign is None:
            raise NotFound(N_("There is no campaign with id {id}; choose one from the list."), id=action.campaign_id)
    assignee = None
    if not action.unassign and action.assignee_id is not None:
        assignee = users.get(action.assignee_id)
        if assignee is None:
            raise NotFound(N_("There is no active user with id {id}; choose one from the list."), id=action.assignee_id)
    if assignee is None and not action.unassign and target_campaign is None:
        raise InvalidInput(N_("Choose a user, Unassigned, or a campaign to move the tickets to."))
    for r in _split_closed(p, rows):
        dest = target_campaign.id if target_campaign else r.campaign_id
        if assignee is not None:
            if assignee.role is Role.AGENT and dest not in assignee.campaign_ids:
                _refuse(p, r, N_("{user} is not a member of campaign {campaign}"), user=assignee.full_name, campaign=campaigns[dest].name)
                continue
            p.assign_to[r.id] = assignee.id
        elif action.unassign:
            p.assign_to[r.id] = None
        else:  # campaign move only: keep the assignee where they belong to the new campaign
            cur = users.get(r.assignee_id) if r.assignee_id else None
            keep = cur is not None and (cur.role is not Role.AGENT or dest in cur.campaign_ids)
            p.assign_to[r.id] = r.assignee_id if keep else None
        p.ok.append(r)
    if assignee is not None:
        p.changes.append(msg(N_("Tickets to assign to {user}: {count}."), count=len(p.ok), user=assignee.full_name))
    elif action.unassign:
        p.changes.append(msg(N_("Tickets to leave unassigned: {count}."), count=len(p.ok)))
    if target_campaign is not None:
        p.changes.append(msg(N_("Tickets to move to campaign {campaign}: {count}."), count=len(p.ok), campaign=target_campaign.name))
        dropped = sum(1 for r in p.ok if r.assignee_id and p.assign_to.get(r.id) is None and not action.unassign)
        if dropped and assignee is None:
            p.changes.append(msg(N_("Of them, tickets that lose their assignee (not in that campaign): {count}."), count=dropped))


def _plan_add_task(store, conn, user, action, rows, campaigns, p: Plan) -> None:
    if action.task is None:
        raise InvalidInput(N_("Fill in the task form first."))
    errors: dict[int, InvalidInput] = {}
    for r in _split_closed(p, rows):
        c = campaigns[r.campaign_id]
        if c.id not in p.task_values and c.id not in errors:
            try:
                p.task_values[c.id] = validate_task(c, action.task)
            except InvalidInput as e:
                errors[c.id] = e
        if c.id in errors:
            p.refused.append(TicketOutcome(r.id, r.number, False, errors[c.id].message))
        else:
            p.ok.append(r)
    if not p.ok and errors:
        # Every ticket fails the same form check: say it once, as an input error.
        raise next(iter(errors.values()))
    p.changes.append(msg(N_("Tickets that will each get the same new task: {count}."), count=len(p.ok)))
    if action.task.next_task_at:
        p.changes.append(msg(N_("Their next task will be scheduled for {when} (UTC)."), when=action.task.next_task_at.strftime("%Y-%m-%d %H:%M")))


def _plan_redistribute(store, conn, user, action, rows, campaigns, p: Plan) -> None:
    users = _members(store, conn)
    if action.redistribute.agent_ids:
        pool = [users[i] for i in action.redistribute.agent_ids if i in users]
        if len(pool) < len(action.redistribute.agent_ids):
            raise InvalidInput(N_("Some chosen agents do not exist or are disabled; choose again."))
    else:
        pool = [u for u in users.values() if u.role is Role.AGENT]
    rng = random.Random(_seed(action, rows, pool))
    candidates = _split_closed(p, rows)
    rng.shuffle(candidates)
    load: Counter[int] = Counter()
    order = list(pool)
    rng.shuffle(order)  # ties go to a random agent, not always the first
    for r in candidates:
        eligible = [a for a in order if r.campaign_id in a.campaign_ids]
        if not eligible:
            _refuse(p, r, N_("no chosen agent belongs to campaign {campaign}"), campaign=campaigns[r.campaign_id].name)
            continue
        agent = min(eligible, key=lambda a: load[a.id])
        load[agent.id] += 1
        p.assign_to[r.id] = agent.id
        p.ok.append(r)
    p.ok.sort(key=lambda r: r.number)
    p.refused.sort(key=lambda o: o.number)
    names = {a.id: a.full_name for a in pool}
    for agent_id, n in sorted(load.items(), key=lambda kv: names[kv[0]]):
        p.changes.append(msg(N_("Tickets for {user}: {count}."), user=names[agent_id], count=n))


def _seed(action: MassAction, rows: list[Any], pool: list[User]) -> int:
    """The draw of a redistribution: the caller's seed, or one taken from the
    selection and the agents, so a preview and its run split the same way."""
    if action.redistribute.seed is not None:
        return action.redistribute.seed
    key = ",".join(str(r.id) for r in rows) + "|" + ",".join(str(a.id) for a in pool)
    return zlib.crc32(key.encode())


def preview(store: Store, conn: Connection, user: User, action: MassAction) -> MassPreview:
    p = plan(store, conn, user, action)
    return MassPreview(
        kind=action.kind, total=len(p.ok) + len([o for o in p.refused if o.ticket_id]),
        changes=tuple(p.changes), refused=tuple(p.refused),
        sample=tuple(TicketOutcome(r.id, r.number, True) for r in p.ok[:20]),
    )


def run(store: Store, conn: Connection, user: User, action: MassAction) -> MassResult:
    p = plan(store, conn, user, action)
    now = store.now()
    apply = {
        MassActionKind.CLOSE: _run_close,
        MassActionKind.MERGE: _run_merge,
        MassActionKind.ASSIGN: _run_assign,
        MassActionKind.ADD_TASK: _run_add_task,
        MassActionKind.REDISTRIBUTE: _run_assign,
    }[action.kind]
    apply(store, conn, user, action, p, now)
    outcomes = [TicketOutcome(r.id, r.number, True) for r in p.ok] + [o for o in p.refused if o.ticket_id]
    outcomes.sort(key=lambda o: o.number)
    return MassResult(kind=action.kind, done=len(p.ok), refused=len(p.refused), outcomes=tuple(outcomes))


def _bump(conn: Connection, ids: list[int], user: User, now: int, **values: Any) -> None:
    for part in _chunks(ids):
        conn.execute(
            update(schema.ticket).where(t.id.in_(part))
            .values(**values, version=t.version + 1, updated_at=now, updated_by=user.id)
        )


def _run_close(store, conn, user, action, p: Plan, now: int) -> None:
    _bump(conn, [r.id for r in p.ok], user, now, status=TicketStatus.CLOSED.value, closed_at=now)
    store.log(conn, user, [LogLine(EntityKind.TICKET, r.id, ChangeKind.CLOSED, "status", r.status, TicketStatus.CLOSED) for r in p.ok], at=now)


def _run_assign(store, conn, user, action, p: Plan, now: int) -> None:
    names = {u.id: u.full_name for u in store.users(conn)}
    by_target: dict[int | None, list[int]] = {}
    lines: list[LogLine] = []
    for r in p.ok:
        new = p.assign_to.get(r.id, r.assignee_id)
        by_target.setdefault(new, []).append(r.id)
        if new != r.assignee_id:
            lines.append(LogLine(EntityKind.TICKET, r.id, ChangeKind.ASSIGNED, "assignee", names.get(r.assignee_id, ""), names.get(new, "")))
        if action.kind is MassActionKind.ASSIGN and action.campaign_id is not None and action.campaign_id != r.campaign_id:
            lines.append(LogLine(EntityKind.TICKET, r.id, ChangeKind.CAMPAIGN, "campaign_id", r.campaign_id, action.campaign_id))
    changed = {r.id for r in p.ok if p.assign_to.get(r.id, r.assignee_id) != r.assignee_id}
    for target, ids in by_target.items():
        values: dict[str, Any] = {"assignee_id": target}
        if action.kind is MassActionKind.ASSIGN and action.campaign_id is not None:
            values["campaign_id"] = action.campaign_id
        kept = [i for i in ids if i not in changed]
        given = [i for i in ids if i in changed]
        if kept:
            _bump(conn, kept, user, now, **values)
        if given:  # a new assignee: the time their pending list says "now yours"
            _bump(conn, given, user, now, **values, assigned_at=now if target is not None else None)
    store.log(conn, user, lines, at=now)


def _run_add_task(store, conn, user, action, p: Plan, now: int) -> None:
    campaigns = {c.id: c for c in store.campaigns(conn)}
    for r in p.ok:
        ticket = ticket_from_row(r)
        c: Campaign = campaigns[r.campaign_id]
        values = p.task_values[c.id]
        insert_task(store, conn, user, ticket, c, values, action.task, now)
        effects, lines = task_effects(ticket, c, values, action.task)
        _bump(conn, [r.id], user, now, **effects)
        store.log(conn, user, lines, at=now)


def _latest_outcome(conn: Connection, rows: list[Any]) -> str | None:
    """The card's last outcome after a merge: that of the ticket whose latest
    task is the newest (the tasks move to the primary, so its last task is
    theirs), or the primary's own when no ticket has a task."""
    tk = schema.TaskRow.__table__.c
    ids = [r.id for r in rows]
    latest: dict[int, tuple[int, int]] = {}
    for part in _chunks(ids):
        for tid, at, last_id in conn.execute(
            select(tk.ticket_id, func.max(tk.created_at), func.max(tk.id)).where(tk.ticket_id.in_(part)).group_by(tk.ticket_id)
        ):
            latest[tid] = (int(at), int(last_id))
    worked = [r for r in rows if r.id in latest]
    if not worked:
        return rows[0].last_outcome
    newest = max(worked, key=lambda r: latest[r.id])
    return newest.last_outcome


def _run_merge(store, conn, user, action, p: Plan, now: int) -> None:
    primary_id = p.primary.id
    primary = ticket_from_row(conn.execute(select(schema.ticket).where(t.id == primary_id)).one())
    sec_ids = [r.id for r in p.ok]
    outcome = _latest_outcome(conn, [p.primary, *p.ok])
    for tb in (schema.InteractionRow, schema.TaskRow, schema.NoteRow, schema.AttachmentRow):
        table = tb.__table__
        for part in _chunks(sec_ids):
            conn.execute(update(table).where(table.c.ticket_id.in_(part)).values(ticket_id=primary_id))
    draft = schema.DraftRow.__table__
    for part in _chunks(sec_ids):
        conn.execute(delete(draft).where(draft.c.ticket_id.in_(part)))
    _bump(conn, sec_ids, user, now, status=TicketStatus.CLOSED.value, closed_at=now, merged_into_id=primary_id,
          unread_count=0, unread_at=None, next_task_at=None)
    # The primary keeps its own next task, or takes the earliest of the merged ones.
    nexts = [x for x in [primary.next_task_at and int(primary.next_task_at.timestamp())] + [r.next_task_at for r in p.ok] if x]
    summary = refresh_summary(conn, primary_id)
    summary["next_task_at"] = min(nexts) if nexts else None
    summary["last_outcome"] = outcome
    _bump(conn, [primary_id], user, now, **summary)
    lines = []
    for r in p.ok:
        lines.append(LogLine(EntityKind.TICKET, primary_id, ChangeKind.MERGED, "merged", "", f"#{r.number}"))
        lines.append(LogLine(EntityKind.TICKET, r.id, ChangeKind.MERGED_INTO, "merged_into", "", f"#{primary.number}"))
    store.log(conn, user, lines, at=now)
    if action.merge_customers:
        keep, others = _kept_customer(action, p.primary, p.ok)
        if others:
            merge_customers(store, conn, user, keep, others, MergeParts())
