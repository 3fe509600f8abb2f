"""Start-up: import cost, who the user is, settings, keymap, language, notices."""

from __future__ import annotations

import json
import subprocess
import sys

from textual.widgets import OptionList

from sagicc_tui.screens.help import HelpScreen
from sagicc_tui.screens.tickets import TicketsScreen
from sagicc_tui.screens.user_picker import UserPickerScreen
from sagicc_tui.settings import Settings, load_settings, save_settings
from tests.ui.conftest import cursor_number, make_app, settle, ticket_list


def test_importing_the_app_does_not_import_the_store():
    code = ("import sys, sagicc_tui.app; "
            "print(any(m in sys.modules for m in ('sqlalchemy', 'sqlmodel', 'httpx', 'sqlite3')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_settings_round_trip_and_tolerance(tmp_path):
    path = tmp_path / "s" / "settings.json"
    assert load_settings(path) == Settings()  # missing: defaults, no problem
    save_settings(Settings(last_user="ana", language="es", theme="nord", keymap={"list.down": "n"}), path)
    loaded = load_settings(path)
    assert (loaded.last_user, loaded.language, loaded.theme, loaded.keymap) == ("ana", "es", "nord", {"list.down": "n"})
    assert loaded.problem is None
    path.write_text("{not json")
    broken = load_settings(path)
    assert broken.last_user is None and broken.problem is not None
    assert "could not be read" in str(broken.problem)
    path.write_text(json.dumps({"last_user": "ana", "language": "fr", "keymap": {"list.down": 3}}))
    partial = load_settings(path)
    assert partial.last_user == "ana" and partial.language is None and partial.keymap == {}
    assert "language" in str(partial.problem) and "keymap.list.down" in str(partial.problem)


async def test_picker_when_nobody_is_known_then_remembered(world, tmp_path):
    await world.incoming("a@x.com", "hola")
    settings = tmp_path / "settings.json"
    app = make_app(world, username=None, settings_path=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UserPickerScreen)
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Ana Agente" in p and "Agent" in p for p in prompts)
        options.highlighted = next(i for i, p in enumerate(prompts) if "Ana Agente" in p)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen)
        assert app.user.username == "ana"
    assert load_settings(settings).last_user == "ana"
    # Next start: no --user, the remembered one is used.
    app = make_app(world, username=None, settings_path=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen) and app.user.username == "ana"


async def test_unknown_user_is_a_sentence_and_the_picker(world):
    app = make_app(world, username="nadie")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UserPickerScreen)
        assert any("There is no user nadie" in n.message for n in app._notifications)
        assert "There is no user nadie" in str(app.screen.query_one(".dialog-error").render())
        await pilot.press("escape")  # leaving the picker quits
        await pilot.pause()
    assert not app.is_running


async def test_corrupt_settings_notify_and_keymap_applies(world, tmp_path):
    await world.incoming("a@x.com", "uno")
    await world.incoming("b@x.com", "dos")
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"keymap": {"list.down": "n"}, "language": 7}))
    app = make_app(world, settings_path=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert any("were ignored" in n.message for n in app._notifications)
        first = cursor_number(app)
        await pilot.press("n")  # the user's key for list.down
        assert cursor_number(app) != first
        await pilot.press("j")  # the default key is replaced
        assert ticket_list(app).cursor_index == 1


async def test_spanish_ui_and_help(world):
    await world.incoming("a@x.com", "hola", name="Pedro")
    app = make_app(world, language="es", notice="Aviso de prueba")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert any(n.message == "Aviso de prueba" for n in app._notifications)
        lines = "\n".join("".join(s.text for s in ticket_list(app).render_line(y)) for y in range(3))
        assert "Nuevo" in lines and "Media" in lines and "sin leer" in lines and "Sin asignar" in lines
        assert "Casos pendientes" in str(app.screen.query_one("#pending").render())
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one("#help-keys").render())
        assert "Marcar todos los que coinciden" in help_text and "Filtros" in help_text and "Salir" in help_text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TicketsScreen)


def palette(screen):
    """What ctrl+p offers on `screen`: its keys' actions and its own commands."""
    from sagicc_tui.screens.commands import ScreenCommands, binding_commands

    assert ScreenCommands in {c() if not isinstance(c, type) else c for c in screen.app.COMMANDS}
    extra = getattr(screen, "palette_commands", None)
    return binding_commands(screen) + (extra() if callable(extra) else [])


async def test_command_palette_offers_list_actions_and_campaigns(world):
    await world.incoming("a@x.com", "hola")
    app = make_app(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        titles = [t for t, _h, _c in palette(app.screen)]
        assert "Tag all matching" in titles and "Filters" in titles
        assert "Switch to campaign Ventas" in titles
        # #12.6: every mass action by name (the admin may run them all).
        for name in ("Close", "Merge", "Assign", "Add Task", "Redistribute"):
            assert f"Mass action: {name}" in titles, name
        switch = next(c for t, _h, c in palette(app.screen) if t == "Switch to campaign Ventas")
        switch()
        await settle(pilot)
        assert app.campaign.name == "Ventas"
        tag_all = next(c for t, _h, c in palette(app.screen) if t == "Tag all matching")
        await tag_all()
        assert ticket_list(app).selection.query is not None


async def test_palette_finds_saved_views_and_the_ticket_screens_actions(world):
    """#12.6: ctrl+p on every screen: saved views by name on the list, the
    ticket screen's own actions inside a ticket."""
    from sagicc_tui.domain.enums import Priority
    from sagicc_tui.domain.query import TicketQuery
    from sagicc_tui.screens.ticket import TicketScreen

    made = await world.incoming("a@x.com", "hola")
    admin = await world.user("admin")
    await world.backend.save_view(admin, "Críticos", TicketQuery(priorities=(Priority.CRITICAL,)))
    app = make_app(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        view = next(c for t, _h, c in palette(app.screen) if t == "View: Críticos")
        view()
        await settle(pilot)
        assert app.screen.current_query.priorities == (Priority.CRITICAL,)
        app.screen.open_ticket(made.ticket_id)
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        titles = [t for t, _h, _c in palette(app.screen)]
        assert "Exit" in titles and len(titles) >= 5, titles


async def test_help_lists_every_key_with_its_id_and_the_mass_keys(world):
    await world.incoming("a@x.com", "hola")
    app = make_app(world, username="sofia")
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        text = str(app.screen.query_one("#help-keys").render())
        for keys, what, bid in (("; c", "Mass action: Close", "mass.close"), ("; d", "Mass action: Redistribute", "mass.redistribute"),
                                (":", "Query", "tickets.query_line"), ("f", "Filters", "tickets.filters")):
            line = next((ln for ln in text.splitlines() if ln.startswith(keys + " ") and what in ln), None)
            assert line is not None and line.rstrip().endswith(bid), (keys, text)


async def test_notifications_never_parse_markup(world):
    """A sentence carrying customer text is shown as written, never as markup or an action."""
    from tests.ui.conftest import make_app, settle

    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.screen.notify("Cliente [@click=app.quit]X[/] [b]negrita[/b]")
        await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert any("[@click=app.quit]X[/] [b]negrita[/b]" in m for m in shown)
        assert all(not n.markup for n in app._notifications)
