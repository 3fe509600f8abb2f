"""Saved views (L11) from the list: save the current filters, clear, apply, delete."""

from __future__ import annotations

from textual.widgets import Input, SelectionList

from sagicc_tui.domain.enums import Priority, TicketStatus
from sagicc_tui.screens.choose import ChoiceScreen
from sagicc_tui.screens.text_prompt import TextPrompt
from sagicc_tui.widgets.filter_bar import FilterBar
from tests.ui.conftest import make_app, settle, shown_numbers


async def _pick(pilot, app, label: str) -> None:
    from textual.widgets import OptionList

    options = app.screen.query_one(OptionList)
    for i in range(options.option_count):
        if label in str(options.get_option_at_index(i).prompt):
            options.highlighted = i
            await pilot.press("enter")
            await settle(pilot)
            return
    raise AssertionError(f"{label!r} not offered")


async def test_save_apply_and_delete_a_view(world):
    made = [await world.incoming(f"c{i}@x.com", f"mensaje {i}", name=f"Cliente{i}") for i in range(4)]
    world.set_ticket(made[1].ticket_id, priority=Priority.CRITICAL.value, status=TicketStatus.ESCALATED.value)
    world.set_ticket(made[2].ticket_id, priority=Priority.CRITICAL.value)
    app = make_app(world, username="sofia")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(FilterBar)
        bar.query_one("#priorities", SelectionList).select(Priority.CRITICAL)
        await settle(pilot)
        app.screen.query_one("#search", Input).value = "mensaje 1"
        await settle(pilot)
        assert shown_numbers(app) == [made[1].ticket_number]

        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await _pick(pilot, app, "Save the current filters")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"Criticos", "enter")
        await settle(pilot)
        sofia = await world.user("sofia")
        views = await world.backend.list_views(sofia)
        assert [v.name for v in views] == ["Criticos"]
        assert views[0].query.priorities == (Priority.CRITICAL,) and views[0].query.search == "mensaje 1"

        # Clear everything, then apply the view: list, search box and sidebar follow it.
        app.screen._clear_all()
        await settle(pilot)
        assert len(shown_numbers(app)) == 4
        await pilot.press("v")
        await settle(pilot)
        await _pick(pilot, app, "Criticos")
        await settle(pilot)
        assert shown_numbers(app) == [made[1].ticket_number]
        assert app.screen.query_one("#search", Input).value == "mensaje 1"
        assert list(bar.query_one("#priorities", SelectionList).selected) == [Priority.CRITICAL]

        await pilot.press("v")
        await settle(pilot)
        await _pick(pilot, app, "Delete a view")
        await _pick(pilot, app, "Criticos")
        assert await world.backend.list_views(sofia) == []
