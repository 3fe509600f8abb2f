"""A ticket card from one row of the list's columns (ticket_query.card_columns).

No ORM here: the ORM's pages (tickets.py) and the first page read before the
ORM is imported (first_page.py) build their cards with this one function, so
a card looks the same whichever read it came from.
"""

from __future__ import annotations

from sagicc_tui.domain.enums import ChannelType, Direction, Priority, TicketStatus, TicketType
from sagicc_tui.domain.models import Campaign, TicketCard
from sagicc_tui.domain.rules import sla_breached, sla_due
from sagicc_tui.local_store.convert import from_epoch


def _name(*parts: str) -> str:
    return " ".join(p for p in parts if p)


# Value -> member dicts: a page builds 100 cards, and Enum(value) calls add up.
_PRIORITY = {m.value: m for m in Priority}
_STATUS = {m.value: m for m in TicketStatus}
_TYPE = {m.value: m for m in TicketType}
_DIRECTION = {m.value: m for m in Direction}
_CHANNEL = {m.value: m for m in ChannelType}


def card_from_row(r, campaigns: dict[int, Campaign], now) -> TicketCard:
    created = from_epoch(r.created_at)
    campaign = campaigns.get(r.campaign_id)
    priority = _PRIORITY[r.priority]
    first_response, closed = from_epoch(r.first_response_at), from_epoch(r.closed_at)
    breached = campaign is not None and sla_breached(campaign, priority, created, first_response, closed, now)
    status = _STATUS[r.status]
    due = (sla_due(campaign, priority, created, first_response, closed)
           if campaign is not None and status is not TicketStatus.CLOSED else None)
    return TicketCard(
        id=r.id, number=r.number, campaign_id=r.campaign_id, status=status,
        priority=priority, type=_TYPE[r.type], last_outcome=r.last_outcome,
        unread_count=r.unread_count, unread_at=from_epoch(r.unread_at),
        last_summary=r.last_summary,
        last_direction=_DIRECTION[r.last_direction] if r.last_direction else None,
        customer_id=r.customer_id, customer_id_number=r.customer_id_number,
        customer_name=_name(r.c_first, r.c_middle, r.c_last, r.c_second),
        assignee_id=r.assignee_id, assignee_name=r.assignee_name, description=r.description,
        created_at=created,
        last_channel=_CHANNEL[r.last_channel] if r.last_channel else None,
        next_task_at=from_epoch(r.next_task_at), sla_breached=breached, version=r.version,
        assigned_at=from_epoch(r.assigned_at), sla_due_at=due,
    )
