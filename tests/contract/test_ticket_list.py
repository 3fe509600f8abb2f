"""L4 filters, L5 orders, L6 search and paging through the contract."""

from __future__ import annotations

import asyncio

from datetime import timedelta

import pytest

from sagicc_tui.domain.enums import ChannelType, Priority, TicketOrder, TicketStatus, TicketType, UserFilter
from sagicc_tui.domain.models import TaskInput
from sagicc_tui.domain.query import TicketQuery


@pytest.fixture
async def tickets(world):
    made = []
    for i in range(12):
        r = await world.incoming(f"cliente{i}@x.com", f"mensaje {i} sobre factura" if i % 3 == 0 else f"mensaje {i}",
                                 name=f"Cliente{i} Apellido{i}")
        made.append(r)
    world.set_ticket(made[0].ticket_id, priority=Priority.CRITICAL.value, assignee_id=3, type=TicketType.CLAIM.value)
    world.set_ticket(made[1].ticket_id, status=TicketStatus.ESCALATED.value, assignee_id=4)
    world.set_ticket(made[2].ticket_id, unread_count=0, unread_at=None, description="Devolución de producto")
    world.set_ticket(made[3].ticket_id, origin_channel=ChannelType.WHATSAPP.value)
    return made


async def _all(world, query, username="admin", limit=100):
    user = await world.user(username)
    page = await world.backend.list_tickets(user, query, limit=limit)
    return [c.number for c in page.rows]


async def test_filters(world, tickets):
    n = [r.ticket_number for r in tickets]
    assert await _all(world, TicketQuery(priorities=(Priority.CRITICAL,))) == [n[0]]
    assert await _all(world, TicketQuery(statuses=(TicketStatus.ESCALATED,))) == [n[1]]
    assert await _all(world, TicketQuery(types=(TicketType.CLAIM,))) == [n[0]]
    assert await _all(world, TicketQuery(channels=(ChannelType.WHATSAPP,))) == [n[3]]
    assert await _all(world, TicketQuery(user_filter=UserFilter.SPECIFIC, user_ids=(3, 4))) == [n[1], n[0]]
    assert len(await _all(world, TicketQuery(user_filter=UserFilter.UNASSIGNED))) == 10
    assert await _all(world, TicketQuery(customer_ids=(tickets[5].customer_id,))) == [n[5]]
    # Ticket i was created i+1 minutes after the start; the range is [from, to).
    start = world.clock() - timedelta(minutes=12)
    window = TicketQuery(created_from=start + timedelta(minutes=4), created_to=start + timedelta(minutes=8))
    assert await _all(world, window) == n[3:7][::-1]
    assert len(await _all(world, TicketQuery(campaign_ids=(2,)))) == 0


async def test_feature_and_primary_value_filters(world, tickets):
    from sqlalchemy import insert

    from sagicc_tui.local_store import schema

    world.sql(insert(schema.CustomerFeature.__table__).values(customer_id=tickets[4].customer_id, feature="VIP"))
    assert await _all(world, TicketQuery(features=("VIP",))) == [tickets[4].ticket_number]
    admin = await world.user("admin")
    await world.backend.add_task(admin, tickets[6].ticket_id, TaskInput(values={"resultado": "Escalado"}, next_task_at=world.clock() + timedelta(days=1)))
    assert await _all(world, TicketQuery(primary_values=("Escalado",))) == [tickets[6].ticket_number]
    day = world.clock() + timedelta(hours=12)
    assert await _all(world, TicketQuery(next_task_from=day, next_task_to=day + timedelta(days=1))) == [tickets[6].ticket_number]


async def test_search(world, tickets):
    n = [r.ticket_number for r in tickets]
    assert await _all(world, TicketQuery(search=str(n[7]))) == [n[7]]
    assert await _all(world, TicketQuery(search="#" + str(n[7]))) == [n[7]]
    assert await _all(world, TicketQuery(search="apellido5")) == [n[5]]
    assert await _all(world, TicketQuery(search="devolucion")) == [n[2]]  # accents ignored
    assert set(await _all(world, TicketQuery(search="factura"))) == {n[0], n[3], n[6], n[9]}
    assert await _all(world, TicketQuery(search="   ")) != []  # blank search: no filter
    assert await _all(world, TicketQuery(search='"*) OR (')) == []  # FTS syntax is escaped, not an error


async def test_a_search_count_can_stop_early_and_a_kept_count_never_does(world, tickets):
    """#16.5: with at_most, a search's count stops at at_most + 1 ("more than
    at_most"); counts the store keeps are exact at any size; at_most < 1 is refused."""
    from sagicc_tui.domain.errors import InvalidInput

    b, admin = world.backend, await world.user("admin")
    ana = await world.user("ana")
    factura = TicketQuery(search="factura")  # 4 tickets
    assert [await b.count_tickets(admin, factura, at_most=k) for k in (1, 3, 4, 10)] == [2, 4, 4, 4]
    assert await b.count_tickets(admin, factura) == 4
    assert await b.count_tickets(admin, TicketQuery(search="mensaje"), at_most=5) == 6  # 12 match
    world.set_ticket(tickets[0].ticket_id, assignee_id=4)  # bruno's: outside ana's scope
    assert await b.count_tickets(ana, factura, at_most=3) == 3  # the scope comes first, then the cap
    assert await b.count_tickets(admin, TicketQuery(), at_most=2) == 12  # the counters: exact
    assert await b.count_tickets(admin, TicketQuery(statuses=(TicketStatus.ESCALATED,)), at_most=1) == 1
    for bad in (0, -5, 2**63 - 1):
        with pytest.raises(InvalidInput) as err:
            await b.count_tickets(admin, factura, at_most=bad)
        assert err.value.field == "at_most"


async def test_orders(world, tickets):
    n = [r.ticket_number for r in tickets]
    assert await _all(world, TicketQuery(order=TicketOrder.CREATED_ASC)) == n
    assert await _all(world, TicketQuery(order=TicketOrder.CREATED_DESC)) == n[::-1]
    unread_asc = await _all(world, TicketQuery(order=TicketOrder.UNREAD_ASC))
    assert unread_asc[-1] == n[2] and unread_asc[:-1] == [x for x in n if x != n[2]]  # no unread: last
    unread_desc = await _all(world, TicketQuery(order=TicketOrder.UNREAD_DESC))
    assert unread_desc[-1] == n[2] and unread_desc[0] == n[-1]
    admin = await world.user("admin")
    for i, hours in ((4, 5), (8, 1), (10, 3)):
        await world.backend.add_task(admin, tickets[i].ticket_id, TaskInput(values={"resultado": "Pendiente"}, next_task_at=world.clock() + timedelta(hours=hours)))
    closest = await _all(world, TicketQuery(order=TicketOrder.NEXT_TASK_CLOSEST))
    assert closest[:3] == [n[8], n[10], n[4]]
    furthest = await _all(world, TicketQuery(order=TicketOrder.NEXT_TASK_FURTHEST))
    assert furthest[:3] == [n[4], n[10], n[8]]


@pytest.mark.parametrize("order", list(TicketOrder))
async def test_keyset_pages_equal_offset_pages(world, tickets, order):
    admin = await world.user("admin")
    q = TicketQuery(order=order)
    everything = await _all(world, q)
    seen, after = [], None
    while True:
        page = await world.backend.list_tickets(admin, q, limit=5, after=after)
        seen += [c.number for c in page.rows]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == everything
    by_offset = [c.number for c in (await world.backend.list_tickets(admin, q, limit=5, offset=5)).rows]
    assert by_offset == everything[5:10]


async def test_pending_list_puts_scheduled_next_tasks_first(world, tickets):
    ana = await world.user("ana")
    for r in tickets[5:8]:
        world.set_ticket(r.ticket_id, assignee_id=3)
    await world.backend.add_task(ana, tickets[7].ticket_id, TaskInput(values={"resultado": "Pendiente"}, next_task_at=world.clock() + timedelta(hours=2)))
    page = await world.backend.pending_tickets(ana, 1)
    numbers = [c.number for c in page.rows]
    assert numbers[0] == tickets[7].ticket_number
    assert set(numbers) == {tickets[i].ticket_number for i in (0, 5, 6, 7)}


async def test_pending_query_counts_and_pages_past_fifty_and_says_each_assignment(world):
    """#12.4 (L7): the pending list has no cap; every assignment to me carries
    its time, so "assigned since" finds each one, however many I have."""
    made = [await world.incoming(f"p{i}@x.com", f"m{i}") for i in range(57)]
    sofia, ana = await world.user("sofia"), await world.user("ana")
    q = TicketQuery.pending(ana.id, 1)
    before = await world.backend.count_tickets(ana, q)
    world.clock.advance(minutes=1)
    since = world.clock()
    for r in made[:55]:
        t = await world.backend.get_ticket(sofia, r.ticket_id)
        await world.backend.reassign_ticket(sofia, r.ticket_id, assignee_id=ana.id, expected_version=t.version)
    assert await world.backend.count_tickets(ana, q) == before + 55
    seen, after = [], None
    while True:
        page = await world.backend.list_tickets(ana, q, limit=20, after=after)
        seen += [c.id for c in page.rows if c.assignee_id == ana.id]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert len(set(seen)) == before + 55
    news = q.with_(assigned_since=since)
    assert await world.backend.count_tickets(ana, news) == 55
    cards = (await world.backend.list_tickets(ana, news, limit=100)).rows
    assert {c.id for c in cards} == {r.ticket_id for r in made[:55]}
    assert all(c.assigned_at is not None and c.assigned_at >= since for c in cards)
    # Nothing new later; an unassignment is not news for anyone.
    world.clock.advance(minutes=1)
    later = q.with_(assigned_since=world.clock())
    t = await world.backend.get_ticket(sofia, made[0].ticket_id)
    await world.backend.reassign_ticket(sofia, made[0].ticket_id, assignee_id=None, expected_version=t.version)
    assert await world.backend.count_tickets(ana, later) == 0


async def test_order_by_priority_most_urgent_first_then_oldest_by_keyset_pages(world):
    """+L5 (#12.5): critical first; within a priority the oldest first; pages
    continue by cursor without repeating or skipping."""
    made = [await world.incoming(f"o{i}@x.com", f"m{i}") for i in range(9)]
    prios = [Priority.LOW, Priority.CRITICAL, Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL,
             Priority.LOW, Priority.HIGH, Priority.MEDIUM, Priority.CRITICAL]
    for r, p in zip(made, prios, strict=True):
        world.set_ticket(r.ticket_id, priority=p.value)
    admin = await world.user("admin")
    q = TicketQuery(campaign_ids=(1,), order=TicketOrder.PRIORITY)
    seen, after = [], None
    while True:
        page = await world.backend.list_tickets(admin, q, limit=4, after=after)
        seen += [c.number for c in page.rows]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    expected = [r.ticket_number for r, _p in sorted(zip(made, prios, strict=True), key=lambda x: (x[1].rank, x[0].ticket_number))]
    assert seen == expected
    by_offset = [c.number for c in (await world.backend.list_tickets(admin, q, limit=3, offset=3)).rows]
    assert by_offset == expected[3:6]


async def test_sla_breach_on_cards(world):
    r = await world.incoming("a@x.com", "hola")
    admin = await world.user("admin")
    card = (await world.backend.list_tickets(admin, TicketQuery())).rows[0]
    assert not card.sla_breached
    world.clock.advance(minutes=61)  # medium: first response within 60 minutes
    card = (await world.backend.list_tickets(admin, TicketQuery())).rows[0]
    assert card.sla_breached and card.number == r.ticket_number


async def test_change_token_moves_when_another_connection_writes(world):
    first = await world.backend.change_token()
    assert await world.backend.change_token() == first
    other = await world.other_terminal()
    try:
        await other.ingest(__import__("sagicc_tui.domain.ingest", fromlist=["IncomingMessage"]).IncomingMessage(
            channel=ChannelType.EMAIL, sender="z@x.com", text="desde otra terminal"))
    finally:
        await other.aclose()
    # A remote client learns of the change from the server's event stream:
    # eventually, not necessarily before the other terminal's call returns.
    for _ in range(100):
        if await world.backend.change_token() != first:
            break
        await asyncio.sleep(0.05)
    assert await world.backend.change_token() != first
