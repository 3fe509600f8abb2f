"""Stylesheets load once, at start (App.CSS_PATH): a Screen's CSS_PATH would join the
app-wide sheet only when that screen is first shown, so a screen's look would depend on
which screens were opened before it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from textual.color import Color
from textual.screen import Screen
from textual.widgets import Static

import sagicc_tui.screens
from sagicc_tui.app import SagiccApp
from sagicc_tui.domain.enums import TicketStatus
from sagicc_tui.widgets.customer_list import CustomerList
from sagicc_tui.widgets.ticket_list import TicketList
from sagicc_tui.widgets.top_bar import TopBar
from tests.ui.conftest import make_app, settle, ticket_list

STYLES = Path(sagicc_tui.screens.__file__).parent.parent / "styles"


def _screens() -> list[type[Screen]]:
    found = []
    for info in pkgutil.iter_modules(sagicc_tui.screens.__path__):
        module = importlib.import_module(f"sagicc_tui.screens.{info.name}")
        found += [c for _n, c in inspect.getmembers(module, inspect.isclass)
                  if issubclass(c, Screen) and c.__module__ == module.__name__]
    return found


def test_no_screen_loads_a_stylesheet():
    screens = _screens()
    assert len(screens) > 15
    assert [s.__name__ for s in screens if s.CSS_PATH] == []


def test_the_app_loads_every_stylesheet():
    assert sorted(Path(p).name for p in SagiccApp.CSS_PATH) == sorted(p.name for p in STYLES.glob("*.tcss"))


def test_screen_type_names_are_unique():
    """Rules are scoped by screen type name: two screens called alike would share them."""
    names = [s.__name__ for s in _screens()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_no_bare_form_classes_outside_a_screen_type():
    """.field, .buttons, .-hidden ... at the top level of a sheet would style every screen."""
    for sheet in STYLES.glob("*.tcss"):
        for line in sheet.read_text().splitlines():
            if line.startswith((".field", ".buttons", ".form-", ".-hidden", ".section-title", "TabPane")):
                raise AssertionError(f"{sheet.name}: {line!r} is not under a screen type")


# --- #17.4: one way to theme a list, and a reusable widget that carries its rules ---------------

def _sheets() -> str:
    return "\n".join(p.read_text() for p in STYLES.glob("*.tcss"))


def test_every_list_part_is_styled_in_the_sheets():
    """Both virtual lists draw their parts from COMPONENT_CLASSES, each with a rule."""
    sheets = _sheets()
    for widget in (TicketList, CustomerList):
        assert widget.COMPONENT_CLASSES
        missing = sorted(c for c in widget.COMPONENT_CLASSES if f"{widget.__name__} > .{c}" not in sheets)
        assert missing == [], missing


def test_the_top_bar_carries_its_own_rules():
    assert "TopBar" not in _sheets()
    assert "TopBar #connection.-offline" in TopBar.DEFAULT_CSS


async def test_the_ticket_list_colours_come_from_its_component_classes(world):
    await world.incoming("a@x.com", "hola", name="Ana")
    app = make_app(world, username="sofia")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        tl = ticket_list(app)
        palette = tl._get_palette()  # noqa: SLF001 - what the cards are drawn with
        theme = app.theme_variables
        assert palette.status[TicketStatus.NEW].color.triplet == Color.parse(theme["success"]).rich_color.triplet
        assert palette.status[TicketStatus.NEW].bold
        # A colour with alpha is blended over the list's background, not drawn at full strength.
        muted = Color.parse(theme["foreground-muted"])
        assert muted.a < 1
        under = Color.from_rich_color(tl.rich_style.bgcolor)
        assert palette.muted.color.triplet == (under + muted).rich_color.triplet
        assert palette.muted.color.triplet != muted.rich_color.triplet


async def test_the_narrow_top_bar_shows_the_short_name(world):
    """`.-narrow` is the screen's class: the bar's rules must not be scoped under TopBar."""
    app = make_app(world, username="sofia")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#top-bar")
        assert not bar.query_one("#user", Static).display
        assert bar.query_one("#user-short", Static).display
    app = make_app(world, username="sofia")
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#top-bar")
        assert bar.query_one("#user", Static).display
        assert not bar.query_one("#user-short", Static).display
