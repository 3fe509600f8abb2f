"""The virtual ticket list through the real app: cards, cursor, tags, paging, live refresh."""

from __future__ import annotations

import asyncio

from sagicc_tui.domain.ingest import IncomingMessage
from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.screens.ticket import TicketScreen
from sagicc_tui.widgets.conversation import ConversationView
from sagicc_tui.widgets.ticket_header import TicketHeaderBar
from sagicc_tui.screens.tickets import TicketsScreen
from tests.ui.conftest import (
    cursor_number,
    list_lines,
    make_app,
    on_list_calls,
    settle,
    shown_numbers,
    ticket_list,
)


async def _tickets(world, n: int, **kw):
    return [await world.incoming(f"cliente{i}@x.com", f"mensaje {i}", name=f"Cliente{i} Apellido{i}", **kw)
            for i in range(n)]


async def test_list_shows_the_cards(world):
    made = await _tickets(world, 5)
    app = make_app(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen)
        assert shown_numbers(app) == [r.ticket_number for r in reversed(made)]  # newest first
        text = "\n".join(list_lines(app))
        assert "Cliente4 Apellido4" in text
        assert "← mensaje 4" in text  # last interaction with its direction
        assert "New" in text and "●1 unread" in text and "Unassigned" in text
        assert "Mail 2026-11-25 12:05" in text  # channel and creation time (year from 100 columns)
        assert ticket_list(app).total == 5
        assert app.startup_seconds is not None and app.startup_seconds > 0


async def test_cursor_keys_home_end_and_pages(world):
    made = await _tickets(world, 12)
    numbers = [r.ticket_number for r in reversed(made)]
    app = make_app(world)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        assert cursor_number(app) == numbers[0]
        await pilot.press("j", "down", "j")
        assert cursor_number(app) == numbers[3]
        await pilot.press("k", "up")
        assert cursor_number(app) == numbers[1]
        await pilot.press("G")
        await settle(pilot)
        assert cursor_number(app) == numbers[-1]
        assert shown_numbers(app)[-1] == numbers[-1]  # scrolled to show it
        await pilot.press("g")
        assert cursor_number(app) == numbers[0]
        assert shown_numbers(app)[0] == numbers[0]
        await pilot.press("pagedown")
        assert ticket_list(app).cursor_index > 1
        await pilot.press("pageup")
        assert ticket_list(app).cursor_index == 0
        await pilot.press("k")  # stays at the top
        assert ticket_list(app).cursor_index == 0


async def test_cursor_move_repaints_only_two_cards(world):
    await _tickets(world, 6)
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        tl = ticket_list(app)
        regions = []
        original = tl.refresh

        def spy(*regions_args, **kw):
            regions.extend(regions_args)
            return original(*regions_args, **kw)

        tl.refresh = spy
        await pilot.press("j")
        tl.refresh = original
        assert len(regions) == 2 and all(r.height == 3 for r in regions)
        assert {r.y for r in regions} == {0, 3}


async def test_tagging_with_space_and_T(world):
    made = await _tickets(world, 5)
    numbers = [r.ticket_number for r in reversed(made)]
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        tl = ticket_list(app)
        await pilot.press("space")  # tags and moves on
        await pilot.press("t")
        assert tl.tag_count == 2
        selection = tl.selection
        assert selection.query is None
        tagged_ids = {r.ticket_id for r in made if r.ticket_number in numbers[:2]}
        assert selection.ids == tagged_ids
        lines = list_lines(app)
        assert lines[0].startswith("  [x] ") and lines[3].startswith("  [x] ") and "[ ]" in lines[6]
        await pilot.press("u")
        assert tl.selection.is_empty
        await pilot.press("T")
        selection = tl.selection
        assert selection.query == tl.query and not selection.ids  # a query, not ids
        assert tl.tag_count == 5
        assert all("[x]" in line for line in list_lines(app)[0:15:3])
        await pilot.press("g", "space")  # untag one: it becomes an exclusion
        assert tl.selection.excluded == {made[-1].ticket_id}
        assert tl.tag_count == 4
        assert "4 tagged" in str(app.screen.query_one("#count-label").render())


async def test_enter_opens_the_ticket_and_escape_returns(world):
    made = await _tickets(world, 3)
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert f"#{made[1].ticket_number}" in app.screen.query_one(TicketHeaderBar).plain()
        assert any("mensaje 1" in line for line in app.screen.query_one(ConversationView).text_lines())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen)
        assert cursor_number(app) == made[1].ticket_number  # the list kept its place


async def test_hostile_customer_text_renders_literally(world):
    evil = "\x1b[31mX[@click=app.quit]"
    await world.incoming("malo@x.com", evil, name=evil)
    app = make_app(world)
    async with app.run_test(size=(160, 20)) as pilot:
        await settle(pilot)
        text = "\n".join(list_lines(app))
        assert "\x1b" not in text
        assert "^[[31mX[@click=app.quit]" in text  # name and preview, shown as typed
        assert app.is_running  # nothing was clicked


async def test_no_widget_per_ticket(world):
    await _tickets(world, 3)
    app = make_app(world)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        few = len(list(app.screen.walk_children()))
    for i in range(3, 300):
        await world.incoming(f"otro{i}@x.com", f"hola {i}")
    app = make_app(world)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert ticket_list(app).total == 300
        await pilot.press("G")
        await settle(pilot)
        assert len(list(app.screen.walk_children())) == few


async def test_pages_of_100_never_more(world):
    for i in range(250):
        await world.incoming(f"c{i}@x.com", f"hola {i}")
    calls = []
    # The list's pages, not the pending watcher's news.
    on_list_calls(world.backend, "list_tickets",
                  lambda query, **kw: calls.append(kw) if query.assigned_since is None else None)
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert [c["offset"] for c in calls] == [0]
        await pilot.press("G")  # jump to the end: one page read by offset
        await settle(pilot)
        assert calls[-1]["offset"] == 200 and calls[-1]["after"] is None
        await pilot.press("g")
        for _ in range(40):  # walk down into page 1: continues from page 0 by keyset
            await pilot.press("pagedown")
        await settle(pilot)
        assert any(c["offset"] == 100 and c["after"] is not None for c in calls)
        assert calls and all(c["limit"] == 100 for c in calls)
        assert ticket_list(app).cached_pages() <= 8


async def test_live_refresh_from_another_connection(world):
    made = await _tickets(world, 4)
    app = make_app(world, poll_interval=0.1)
    other = await LocalBackend.open(world.path, clock=world.clock)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("j", "space")  # cursor on the second newest, tagged
            on = cursor_number(app)
            scroll = ticket_list(app).scroll_offset
            world.clock.advance(minutes=1)
            new = await other.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="nueva@x.com",
                                                     text="llegó algo", name="Nueva Cliente", at=world.clock()))
            for _ in range(20):
                await asyncio.sleep(0.1)
                await settle(pilot, rounds=1)
                if new.ticket_number in shown_numbers(app):
                    break
            assert shown_numbers(app)[0] == new.ticket_number
            assert ticket_list(app).total == 5
            assert cursor_number(app) == on  # same ticket, now one card lower
            assert ticket_list(app).tag_count == 1  # tags kept
            assert ticket_list(app).scroll_offset == scroll
            assert made
    finally:
        await other.aclose()


async def test_agent_scope(world):
    made = await _tickets(world, 3)
    world.set_ticket(made[0].ticket_id, assignee_id=4)  # bruno's
    world.set_ticket(made[1].ticket_id, assignee_id=3)  # ana's
    app = make_app(world, username="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        shown = shown_numbers(app)
        assert made[0].ticket_number not in shown
        assert set(shown) == {made[1].ticket_number, made[2].ticket_number}
        assert "Pending tickets: 1" in str(app.screen.query_one("#pending").render())


async def test_query_selection_reaches_mass_action_prompt(world):
    await _tickets(world, 3)
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("semicolon")
        await pilot.pause()
        assert isinstance(app.screen, TicketsScreen)  # nothing tagged: a sentence, no prompt
        await pilot.press("T", "semicolon")
        await pilot.pause()
        from sagicc_tui.screens.mass_prompt import MassActionPrompt

        assert isinstance(app.screen, MassActionPrompt)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TicketsScreen)
        assert ticket_list(app).selection.query == TicketQuery(campaign_ids=(1,))


async def test_mass_close_from_the_list_refreshes_and_clears_tags(world):
    made = await _tickets(world, 3)
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("space", "space")  # the two newest
        await pilot.press("semicolon")
        await pilot.pause()
        await pilot.press("c")
        await settle(pilot)
        from sagicc_tui.screens.mass_action import MassActionScreen

        assert isinstance(app.screen, MassActionScreen)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen)
        tl = ticket_list(app)
        assert tl.selection.is_empty
        text = "\n".join(list_lines(app))
        assert text.count("Closed") == 2
        assert made


async def test_mass_close_is_not_offered_for_tickets_of_a_campaign_that_forbids_it(world):
    """#12.3 (L8): the list shows campaign Ventas (no mass close) while the
    current campaign Servicio allows it: the tagged tickets decide."""
    for i in range(2):
        await world.incoming(f"30011122{i}3", f"llamada {i}", channel=ChannelType.TELEPHONY)  # Ventas
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketsScreen) and screen.campaign.mass_close_allowed
        screen.set_query(TicketQuery(campaign_ids=(2,)))
        await settle(pilot)
        assert ticket_list(app).total == 2
        await pilot.press("space", "space", "semicolon")
        await settle(pilot)
        from sagicc_tui.domain.enums import MassActionKind
        from sagicc_tui.screens.mass_prompt import MassActionPrompt

        assert isinstance(app.screen, MassActionPrompt)
        assert MassActionKind.CLOSE not in app.screen._allowed
        assert MassActionKind.MERGE in app.screen._allowed
        await pilot.press("c")  # the key does nothing when Close is not offered
        await settle(pilot)
        assert isinstance(app.screen, MassActionPrompt)


async def test_next_page_is_read_ahead_near_the_edge(world):
    """Page down must rarely wait for the store: within a screen of a page not
    read yet, the list reads it before the view gets there (and only then)."""
    for i in range(250):
        await world.incoming(f"c{i}@x.com", f"hola {i}")
    calls = []
    on_list_calls(world.backend, "list_tickets",  # the list's pages, not the pending watcher's news
                  lambda query, **kw: calls.append(kw["offset"]) if query.assigned_since is None else None)
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        tl = ticket_list(app)
        tl._set_cursor(80)
        await settle(pilot)
        assert calls == [0]  # far from the edge: nothing read ahead
        tl._set_cursor(97)
        await settle(pilot)
        assert calls == [0, 100] and tl.cursor_index == 97  # read before the cursor enters page 1


async def test_a_search_counts_only_so_far_and_the_list_grows_to_its_end(world, monkeypatch):
    """#16.5: a search's count stops after SEARCH_COUNT_AT_MOST matches ("more
    than N tickets"); the list grows as its pages arrive and a short page says
    where it ends. T (tag every match) asks for the exact count."""
    from sagicc_tui.widgets import ticket_list as ticket_list_mod

    monkeypatch.setattr(ticket_list_mod, "SEARCH_COUNT_AT_MOST", 120)
    for i in range(250):
        await world.incoming(f"c{i}@x.com", f"hola {i}")
    await world.incoming("otro@x.com", "nada que ver")
    asked = []
    on_list_calls(world.backend, "count_tickets",
                  lambda query, **kw: asked.append(kw.get("at_most")) if query.search else None)

    def count_label() -> str:
        return str(app.screen.query_one("#count-label").render())

    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "251 tickets" in count_label()  # no search: the exact count
        await pilot.press("slash", *"hola", "enter")
        await settle(pilot)
        tl = ticket_list(app)
        assert asked and set(asked) == {120} and (tl.total, tl.more) == (121, True)  # one per key typed
        assert "more than 120 tickets" in count_label()
        await pilot.press("G")  # the last row counted so far: its page comes, full, and the list grows
        await settle(pilot)
        assert (tl.total, tl.more) == (201, True) and "more than 200 tickets" in count_label()
        await pilot.press("G")  # the third page is short: the end is known
        await settle(pilot)
        assert (tl.total, tl.more) == (250, False) and "250 tickets" in count_label()
        assert tl.cursor_index == 200
        await pilot.press("G")
        await settle(pilot)
        assert tl.cursor_index == 249 and shown_numbers(app)[-1] == tl.cursor_card.number
        # A new search counts early again; T then counts every match.
        await pilot.press("slash", *"hol", "enter")  # "/" selects the old search: typing replaces it
        await settle(pilot)
        assert tl.query.search == "hol" and tl.more and asked[-1] == 120
        await pilot.press("T")
        await settle(pilot)
        assert asked[-1] is None and (tl.total, tl.more, tl.tag_count) == (250, False, 250)
        assert "250 tickets · 250 tagged" in count_label()
        assert len(app.screen.query("TicketCard")) == 0  # still no widget per row
