"""Key descriptions in the UI language through Screen.active_bindings (public), not node._bindings.

One screen mixin translates what the Footer, `?` and the palette read: the
screen's own bindings, the focused widget's and the app's; the class
bindings themselves keep their English source, and a user keymap still
moves the keys."""

from __future__ import annotations

from sagicc_tui.widgets.ticket_list import TicketList
from tests.ui.conftest import make_app, settle


def _descriptions(app) -> dict[str, str]:
    return {a.binding.id or "": a.binding.description for a in app.screen.active_bindings.values()}


async def test_spanish_descriptions_of_screen_widget_and_app_bindings(world):
    await world.incoming("a@x.com", "hola", name="Ana")
    app = make_app(world, username="sofia", language="es")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, TicketList)
        shown = _descriptions(app)
        assert shown["tickets.filters"] == "Filtros"  # the screen's
        assert shown["list.down"] == "Abajo"  # the focused widget's
        assert shown["app.help"] == "Ayuda"  # the app's
        # The class bindings are untouched: the English source, translated only where shown.
        assert {b.description for b in TicketList._merged_bindings.key_to_bindings["j"]} == {"Down"}


async def test_english_app_in_the_same_process_and_a_keymap(world):
    app = make_app(world, username="sofia", language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert _descriptions(app)["tickets.filters"] == "Filters"
        app.set_keymap({"tickets.filters": "F"})
        await settle(pilot)
        keys = {a.binding.id: a.binding.key for a in app.screen.active_bindings.values()}
        assert keys["tickets.filters"] == "F"
        assert _descriptions(app)["tickets.filters"] == "Filters"

