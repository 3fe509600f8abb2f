"""Filters (L4), orders (L5), search (L6), campaigns (L1) and the pending list (L7) through the UI."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from textual.widgets import Input, RadioButton, SelectionList

from sagicc_tui.domain.enums import ChannelType, Priority, TicketOrder, TicketStatus
from sagicc_tui.domain.models import TaskInput
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.screens.choose import ChoiceScreen
from sagicc_tui.widgets.filter_bar import FilterBar
from tests.ui.conftest import make_app, on_list_calls, settle, shown_numbers, ticket_list


@pytest.fixture
async def six(world):
    made = [await world.incoming(f"cliente{i}@x.com", f"mensaje {i}" + (" factura" if i == 3 else ""),
                                 name=f"Cliente{i} Apellido{i}") for i in range(6)]
    world.set_ticket(made[0].ticket_id, priority=Priority.CRITICAL.value)
    world.set_ticket(made[1].ticket_id, status=TicketStatus.ESCALATED.value, assignee_id=1)
    world.set_ticket(made[2].ticket_id, unread_count=0, unread_at=None, assignee_id=4)
    return made


def _count_label(app) -> str:
    return str(app.screen.query_one("#count-label").render())


async def _after_filters(pilot) -> None:
    await settle(pilot)  # the sidebar's pause is patched to a millisecond (conftest)


async def test_sidebar_filters_change_list_and_count(world, six):
    n = [r.ticket_number for r in six]
    app = make_app(world)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert _count_label(app).startswith("6 tickets")
        await pilot.press("f")
        await pilot.pause()
        bar = app.screen.query_one(FilterBar)
        assert bar.has_class("-shown")

        bar.query_one("#statuses", SelectionList).select(TicketStatus.ESCALATED)
        await _after_filters(pilot)
        assert shown_numbers(app) == [n[1]]
        assert _count_label(app).startswith("1 ticket")
        bar.query_one("#statuses", SelectionList).deselect_all()

        bar.query_one("#priorities", SelectionList).select(Priority.CRITICAL)
        await _after_filters(pilot)
        assert shown_numbers(app) == [n[0]]
        bar.query_one("#priorities", SelectionList).deselect_all()

        bar.query_one("#uf-unassigned", RadioButton).value = True
        await _after_filters(pilot)
        assert set(shown_numbers(app)) == {n[0], n[3], n[4], n[5]}
        assert _count_label(app).startswith("4 tickets")

        bar.query_one("#uf-all", RadioButton).value = True
        bar.query_one("#users", SelectionList).select(4)  # bruno: "specific users"
        await _after_filters(pilot)
        assert shown_numbers(app) == [n[2]]
        assert bar.query_one("#uf-specific", RadioButton).value

        await pilot.press("escape")  # hide the sidebar: the summary line names the filters
        await pilot.pause()
        assert not bar.has_class("-shown")
        assert "1 users" in str(app.screen.query_one("#filter-summary").render())


async def test_created_date_filter_validates(world, six):
    app = make_app(world)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        bar = app.screen.query_one(FilterBar)
        bar.query_one("#created-from", Input).value = "2026-13-01"
        await _after_filters(pilot)
        assert "YYYY-MM-DD" in str(bar.query_one("#created-error").render())
        assert len(shown_numbers(app)) == 6  # nothing applied
        bar.query_one("#created-from", Input).value = "2026-11-26"
        await _after_filters(pilot)
        assert str(bar.query_one("#created-error").render()) == ""
        assert shown_numbers(app) == []
        assert "No tickets match" in "".join(
            "".join(s.text for s in ticket_list(app).render_line(y)) for y in range(3))
        bar.query_one("#created-from", Input).value = "2026-11-25"
        bar.query_one("#created-to", Input).value = "2026-11-25"
        await _after_filters(pilot)
        assert len(shown_numbers(app)) == 6


async def test_customer_filter_by_document_or_name(world, six):
    app = make_app(world)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        bar = app.screen.query_one(FilterBar)
        search = bar.query_one("#customer-search", Input)
        search.focus()
        search.value = "Apellido4"
        await pilot.press("enter")
        await _after_filters(pilot)
        assert shown_numbers(app) == [six[4].ticket_number]
        assert bar.query_one("#customers", SelectionList).selected == [six[4].customer_id]


async def test_search_box(world, six):
    app = make_app(world)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.screen.focused is app.screen.query_one("#search", Input)
        await pilot.press(*"factura")
        await settle(pilot)  # debounce patched to a millisecond (conftest)
        assert shown_numbers(app) == [six[3].ticket_number]
        await pilot.press("enter")  # back to the list
        assert app.screen.focused is ticket_list(app)
        assert ticket_list(app).query.search == "factura"


async def test_campaign_switch_and_several_campaigns(world, six):
    sales = [await world.incoming(f"+57 300 000 000{i}", f"llamada {i}", channel=ChannelType.TELEPHONY)
             for i in range(2)]
    app = make_app(world)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert len(shown_numbers(app)) == 6
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.campaign is not None and app.campaign.name == "Ventas"
        assert "Ventas" in str(app.screen.query_one("#campaign").render())
        assert set(shown_numbers(app)) == {r.ticket_number for r in sales}
        await pilot.press("f")
        bar = app.screen.query_one(FilterBar)
        bar.query_one("#campaigns", SelectionList).select(1)  # both campaigns
        await _after_filters(pilot)
        assert ticket_list(app).total == 8


async def _choose_order(pilot, order: TicketOrder) -> None:
    await pilot.press("o")
    await pilot.pause()
    await pilot.press("home", *["down"] * list(TicketOrder).index(order), "enter")
    await settle(pilot)


async def test_each_order(world, six):
    n = [r.ticket_number for r in six]
    admin = await world.user("admin")
    for i, hours in ((4, 5), (1, 1), (3, 3)):
        await world.backend.add_task(admin, six[i].ticket_id, TaskInput(
            values={"resultado": "Pendiente"}, next_task_at=world.clock() + timedelta(hours=hours)))
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _choose_order(pilot, TicketOrder.CREATED_ASC)
        assert ticket_list(app).query.order is TicketOrder.CREATED_ASC
        assert shown_numbers(app) == n
        await _choose_order(pilot, TicketOrder.CREATED_DESC)
        assert shown_numbers(app) == n[::-1]
        await _choose_order(pilot, TicketOrder.UNREAD_ASC)
        assert shown_numbers(app) == [n[0], n[1], n[3], n[4], n[5], n[2]]  # no unread: last
        await _choose_order(pilot, TicketOrder.UNREAD_DESC)
        assert shown_numbers(app) == [n[5], n[4], n[3], n[1], n[0], n[2]]
        await _choose_order(pilot, TicketOrder.NEXT_TASK_CLOSEST)
        assert shown_numbers(app)[:3] == [n[1], n[3], n[4]]
        await _choose_order(pilot, TicketOrder.NEXT_TASK_FURTHEST)
        assert shown_numbers(app)[:3] == [n[4], n[3], n[1]]
        assert "Next task, furthest first" in str(app.screen.query_one("#order-label").render())
        text = "\n".join("".join(s.text for s in ticket_list(app).render_line(y)) for y in range(3))
        assert "» Pendiente" in text  # the last task's outcome on the card


async def test_another_order_keeps_the_count_and_a_search_counts_again(world, six):
    """L5 (#16): the same tickets in another order keep their count, so no
    count is asked; a search (another set of tickets) asks for one."""
    counted = []
    on_list_calls(world.backend, "count_tickets", lambda query, **kw: counted.append(query))
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first = len(counted)
        assert first >= 1 and "6 tickets" in _count_label(app)
        await _choose_order(pilot, TicketOrder.CREATED_ASC)
        await _choose_order(pilot, TicketOrder.PRIORITY)
        assert ticket_list(app).query.order is TicketOrder.PRIORITY
        assert len(counted) == first  # the order changed twice, the count stood
        assert ticket_list(app).total == 6 and "6 tickets" in _count_label(app)
        assert shown_numbers(app)[0] == six[0].ticket_number  # the critical one first: the new order's page
        await pilot.press("slash", *"factura", "enter")
        await settle(pilot)
        assert counted[-1].search == "factura" and counted[-1].order is TicketOrder.PRIORITY
        assert ticket_list(app).total == 1 and "1 ticket" in _count_label(app)


async def test_pending_count_list_and_new_assignment_notice(world, six):
    app = make_app(world, poll_interval=0.1)
    notes: list[str] = []
    async with app.run_test(size=(140, 40)) as pilot:
        real_notify = app.notify
        app.notify = lambda message, **kw: (notes.append(message), real_notify(message, **kw))[1]
        await settle(pilot)
        assert "Pending tickets: 1" in str(app.screen.query_one("#pending").render())
        sofia = await world.user("sofia")
        t = await world.backend.get_ticket(sofia, six[4].ticket_id)
        # Someone assigns a ticket to me (admin, id 1).
        await world.backend.reassign_ticket(sofia, t.id, assignee_id=1, expected_version=t.version)
        for _ in range(20):
            await asyncio.sleep(0.1)
            await settle(pilot, rounds=1)
            if any(f"#{six[4].ticket_number}" in m for m in notes):
                break
        assert any(f"Ticket #{six[4].ticket_number}" in m and "assigned to you" in m for m in notes)
        assert "Pending tickets: 2" in str(app.screen.query_one("#pending").render())
        # p: the list shows the pending tickets; p again: back to the filters.
        await pilot.press("p")
        await settle(pilot)
        assert ticket_list(app).total == 2
        assert set(shown_numbers(app)) == {c.number for c in (await world.backend.list_tickets(
            await world.user("admin"), TicketQuery.pending(1, 1))).rows}
        await pilot.press("enter")
        await settle(pilot)
        from sagicc_tui.screens.ticket import TicketScreen

        assert isinstance(app.screen, TicketScreen)
        # The ticket screen's bar shows the same count as the list's (it said 0).
        assert "Pending tickets: 2" in str(app.screen.query_one("#pending").render())
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert ticket_list(app).total == len(six)


async def test_a_redistribution_announces_every_ticket_past_the_first_page(world):
    """#12.4: 60 tickets given to me at once: every one is announced (three by
    number, then the count of the rest), and the count has no 50+ cap."""
    made = [await world.incoming(f"r{i}@x.com", f"m{i}") for i in range(60)]
    app = make_app(world, username="ana", poll_interval=0.1)
    notes: list[str] = []
    async with app.run_test(size=(140, 40)) as pilot:
        real_notify = app.notify
        app.notify = lambda message, **kw: (notes.append(message), real_notify(message, **kw))[1]
        await settle(pilot)
        before = int(str(app.screen.query_one("#pending").render()).rsplit(" ", 1)[-1])
        sofia = await world.user("sofia")
        from sagicc_tui.domain.enums import MassActionKind
        from sagicc_tui.domain.query import MassAction, RedistributeSpec, TicketSelection

        await world.backend.run_mass_action(sofia, MassAction(
            kind=MassActionKind.REDISTRIBUTE, selection=TicketSelection(ids=frozenset(r.ticket_id for r in made)),
            redistribute=RedistributeSpec(agent_ids=(3,))))
        for _ in range(30):
            await asyncio.sleep(0.1)
            await settle(pilot, rounds=1)
            if any("more tickets are now assigned" in m for m in notes):
                break
        named = [m for m in notes if "is now assigned to you" in m]
        rest = [m for m in notes if "more tickets are now assigned to you" in m]
        assert len(named) == 3 and rest == ["57 more tickets are now assigned to you."]
        assert f"Pending tickets: {before + 60}" in str(app.screen.query_one("#pending").render())


async def test_agent_status_toggle(world, six):
    app = make_app(world, username="ana")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert "Available" in str(app.screen.query_one("#status").render())
        await pilot.press("s")
        await settle(pilot)
        assert "Busy" in str(app.screen.query_one("#status").render())
        assert (await world.user("ana")).status.value == "busy"
        assert app.user.status.value == "busy"
