"""The filter sidebar (L4) builds its fields only when needed (#16.6).

Its hundred widgets cost the first card about 0.1 s of CPU, and it starts
hidden: the screen has it build them once the count is in, or when `f`
shows it. Before that the bar is its query alone, and every call the screen
makes on it must give what the fields would: these tests make those calls
with no fields, then build them and look.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import App, ComposeResult
from textual.widgets import Input, SelectionList

from sagicc_tui.domain.enums import Priority, TicketStatus, UserFilter
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.widgets.filter_bar import FilterBar
from tests.ui.conftest import make_app, settle


class _Bar(App):
    def __init__(self, world, user, campaigns) -> None:
        super().__init__()
        self.world, self.user, self.campaigns = world, user, campaigns
        self.changed: list[TicketQuery] = []

    def compose(self) -> ComposeResult:
        yield FilterBar(self.world.backend, self.user, TicketQuery(campaign_ids=(1,)), self.campaigns, 1)

    def on_filter_bar_changed(self, event: FilterBar.Changed) -> None:
        self.changed.append(event.query)


async def _bar_app(world) -> _Bar:
    admin = await world.backend.get_user("admin")
    return _Bar(world, admin, await world.backend.list_campaigns(admin))


async def test_a_query_shown_before_the_fields_is_in_them_once_built(world):
    app = await _bar_app(world)
    view = TicketQuery(campaign_ids=(1,), statuses=(TicketStatus.OPEN,), priorities=(Priority.HIGH,),
                       created_from=datetime(2026, 11, 20).astimezone(), user_filter=UserFilter.UNASSIGNED)
    async with app.run_test() as pilot:
        bar = app.query_one(FilterBar)
        assert not bar.query("#statuses")  # nothing built yet
        bar.show_query(view)
        assert bar.build_query() == view  # what the fields will show
        bar.ensure_fields()
        await settle(pilot)
        assert bar.query_one("#statuses", SelectionList).selected == [TicketStatus.OPEN]
        assert bar.query_one("#priorities", SelectionList).selected == [Priority.HIGH]
        assert bar.query_one("#created-from", Input).value == "2026-11-20"
        assert bar.query_one("#user-filter").pressed_button.id == "uf-unassigned"
        assert bar.build_query() == view  # read back from the fields now
        assert app.changed == []  # building the fields applies nothing


async def test_clear_and_campaign_before_the_fields(world):
    app = await _bar_app(world)
    async with app.run_test() as pilot:
        bar = app.query_one(FilterBar)
        bar.show_query(TicketQuery(campaign_ids=(1,), statuses=(TicketStatus.NEW,)))
        bar.clear()
        await pilot.pause()
        assert app.changed == [TicketQuery(campaign_ids=(1,))]  # the filters went, the campaign stays
        bar.clear()
        await pilot.pause()
        assert len(app.changed) == 1  # nothing left to clear: nothing posted
        bar.set_campaign(2)
        assert bar.build_query().campaign_ids == (2,)
        bar.ensure_fields()
        await settle(pilot)
        assert bar.query_one("#campaigns", SelectionList).selected == [2]


async def test_the_screen_builds_the_fields_after_the_count_and_f_focuses_them(world):
    await world.incoming("a@example.com", "hola", name="Ana")
    app = make_app(world)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(FilterBar)
        assert bar.query("#statuses")  # built once the count came, sidebar still hidden
        assert not bar.has_class("-shown")
        await pilot.press("f")
        await pilot.pause()
        assert app.focused is bar.query_one("#statuses")
