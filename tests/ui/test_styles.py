"""Stylesheets load once, at start (App.CSS_PATH): a Screen's CSS_PATH would join the
app-wide sheet only when that screen is first shown, so a screen's look would depend on
which screens were opened before it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from textual.screen import Screen

import sagicc_tui.screens
from sagicc_tui.app import SagiccApp

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
