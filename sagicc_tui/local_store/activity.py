"""The open ticket's activity stamp (T8, +T16): one read of counts and newest ids.

Each query runs on an index that starts with ticket_id (interactions, tasks,
notes, attachments) or (entity, entity_id) (the change log), so the stamp
costs a handful of index probes whatever the size of the store.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from sagicc_tui.domain.enums import DeliveryState, EntityKind
from sagicc_tui.domain.models import User
from sagicc_tui.domain.ticket_screen import PartStamp, TicketActivity
from sagicc_tui.local_store import schema
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.core import Store


def _part(conn: Connection, table, ticket_id: int) -> PartStamp:
    count, last = conn.execute(
        select(func.count(), func.coalesce(func.max(table.c.id), 0)).where(table.c.ticket_id == ticket_id)).one()
    return PartStamp(count=int(count), last_id=int(last))


def _last_change(conn: Connection, entity: EntityKind, entity_id: int):
    cl = schema.ChangeLogRow.__table__
    return conn.execute(
        select(cl.c.id, cl.c.field, cl.c.user_id).where(cl.c.entity == entity.value, cl.c.entity_id == entity_id)
        .order_by(cl.c.id.desc()).limit(1)).first()


def ticket_activity(store: Store, conn: Connection, user: User, ticket_id: int) -> TicketActivity:
    ticket = reads.get(store, conn, user, ticket_id=ticket_id)  # NotFound outside the user's scope
    it = schema.InteractionRow.__table__
    interactions = _part(conn, it, ticket_id)
    pending = conn.execute(select(func.count()).where(
        it.c.ticket_id == ticket_id, it.c.delivery == DeliveryState.PENDING.value)).scalar_one()
    direction, author = "", ""
    if interactions.last_id:
        row = conn.execute(select(it.c.direction, it.c.author_id).where(it.c.id == interactions.last_id)).one()
        direction, author = row.direction, store.user_name(conn, row.author_id)
    cu = schema.CustomerRow.__table__
    customer_version = conn.execute(select(cu.c.version).where(cu.c.id == ticket.customer_id)).scalar() or 0
    change = _last_change(conn, EntityKind.TICKET, ticket_id)
    customer_change = _last_change(conn, EntityKind.CUSTOMER, ticket.customer_id)
    return TicketActivity(
        ticket_id=ticket_id, ticket_version=ticket.version,
        ticket_updated_by=store.user_name(conn, ticket.updated_by), status=ticket.status,
        customer_id=ticket.customer_id, customer_version=int(customer_version),
        customer_change_id=int(customer_change.id) if customer_change else 0,
        customer_change_by=store.user_name(conn, customer_change.user_id) if customer_change else "",
        change_id=int(change.id) if change else 0, change_field=change.field if change else "",
        change_by=store.user_name(conn, change.user_id) if change else "",
        interactions=interactions, pending_deliveries=int(pending), last_direction=direction, last_author=author,
        tasks=_part(conn, schema.TaskRow.__table__, ticket_id),
        notes=_part(conn, schema.NoteRow.__table__, ticket_id),
        attachments=_part(conn, schema.AttachmentRow.__table__, ticket_id),
    )
