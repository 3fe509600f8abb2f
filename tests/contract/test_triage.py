"""#12.5 the SLA-due order (+L5) and #13's default reply subject, on every backend.

The order: the closest SLA deadline first (domain/rules.sla_due: first response
while unanswered, then resolution), tickets without one (closed, no rule for
their priority) last; keyset pages give the same order; the deadline follows
every write that changes it (priority, a reply, closing, the campaign's rules).
"""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

from sqlalchemy import update

from sagicc_tui.domain.enums import ChannelType, Priority, TicketOrder
from sagicc_tui.domain.models import SlaRule
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.domain.rules import sla_due
from sagicc_tui.domain.ticket_screen import OutgoingMessage
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.convert import campaign_to_config
from tests.factory import SERVICE

SLA = TicketQuery(campaign_ids=(1,), order=TicketOrder.SLA_DUE)


async def _order(world, user, *, limit: int = 100) -> list[int]:
    ids, after = [], None
    while True:
        page = await world.backend.list_tickets(user, SLA, limit=limit, after=after)
        ids += [c.id for c in page.rows]
        if page.next_cursor is None:
            return ids
        after = page.next_cursor


async def _expected(world, user, ids) -> list[int]:
    campaign = await world.backend.get_campaign(user, 1)
    never = (1, 0)

    def key(t):
        due = sla_due(campaign, t.priority, t.created_at, t.first_response_at, t.closed_at)
        return (0, due.timestamp()) if due is not None else never, t.id

    tickets = [await world.backend.get_ticket(user, i) for i in ids]
    return [t.id for t in sorted(tickets, key=key)]


async def test_the_sla_order_follows_each_campaigns_rules_and_every_write(world):
    admin = await world.user("admin")
    made = [await world.incoming(f"s{i}@x.com", f"hola {i}") for i in range(7)]
    ids = [r.ticket_id for r in made]
    # Critical: 10 min to answer; low has no rule (no deadline: last); medium 60 min.
    rules = (SlaRule(priority=Priority.MEDIUM, first_response_minutes=60, resolution_minutes=600),
             SlaRule(priority=Priority.CRITICAL, first_response_minutes=10, resolution_minutes=120))
    world.sql(update(schema.CampaignRow.__table__).where(schema.CampaignRow.__table__.c.id == 1)
              .values(config=campaign_to_config(replace(SERVICE, sla_rules=rules))))
    for i in (made[5].ticket_id, made[6].ticket_id):
        t = await world.backend.get_ticket(admin, i)
        await world.backend.update_ticket(admin, i, TicketChanges(priority=Priority.CRITICAL), expected_version=t.version)
    t = await world.backend.get_ticket(admin, made[2].ticket_id)
    await world.backend.update_ticket(admin, made[2].ticket_id, TicketChanges(priority=Priority.LOW),
                                      expected_version=t.version)
    # The oldest is answered: its deadline becomes the resolution's (600 min).
    (contact,) = await world.backend.list_contacts(admin, made[0].customer_id)
    await world.backend.send_message(admin, made[0].ticket_id, OutgoingMessage(
        client_key=uuid4().hex, channel=ChannelType.EMAIL, contact=contact.id, text="Lo revisamos"))
    t = await world.backend.get_ticket(admin, made[1].ticket_id)
    await world.backend.close_ticket(admin, made[1].ticket_id, expected_version=t.version)

    got = await _order(world, admin, limit=2)  # keyset pages of two
    assert got == await _expected(world, admin, ids) == await _order(world, admin)
    assert got[:2] == [made[5].ticket_id, made[6].ticket_id]  # critical: 10 minutes
    assert got[-1] in (made[1].ticket_id, made[2].ticket_id) and got[-2] in (made[1].ticket_id, made[2].ticket_id)
    assert got.index(made[0].ticket_id) == 4  # answered: after the unanswered medium ones

    # New rules for the campaign: every ticket's deadline follows (low now has one, 5 min).
    rules += (SlaRule(priority=Priority.LOW, first_response_minutes=5, resolution_minutes=30),)
    world.sql(update(schema.CampaignRow.__table__).where(schema.CampaignRow.__table__.c.id == 1)
              .values(config=campaign_to_config(replace(SERVICE, sla_rules=rules))))
    got = await _order(world, admin, limit=3)
    assert got == await _expected(world, admin, ids)
    assert got[0] == made[2].ticket_id and got[-1] == made[1].ticket_id  # closed: no deadline


async def test_the_header_carries_the_default_reply_subject(world):
    """#13.4: what the store applies to a reply left without subject, shown before sending."""
    admin = await world.user("admin")
    r = await world.incoming("p@x.com", "Me cobraron dos veces", subject="RE: Factura duplicada")
    header = await world.backend.ticket_header(admin, r.ticket_id)
    assert header.reply_subject == f"Re: Factura duplicada [#{r.ticket_number}]"
