"""#17.2: one UI I/O pattern. Screens and widgets reach the Backend through
`BackendCalls.call` (widgets/io.py) and its one error policy; no private
`@work` with its own error handling is left, except the documented ones. A
defect (not a SagiccError: a dropped connection, a bug) in a backend method is
one sentence and the app goes on, on the real store of `world`."""

from __future__ import annotations

import ast
from pathlib import Path

from textual.widgets import Input

import sagicc_tui
from sagicc_tui.screens.admin import AdminScreen
from sagicc_tui.screens.customer_form import CustomerFormScreen
from sagicc_tui.screens.customer_profile import CustomerProfileScreen
from tests.ui.conftest import make_app, settle
from tests.ui.test_customers import add, open_customers, open_profile

PACKAGE = Path(sagicc_tui.__file__).parent

# The session's steps share one exclusive "session" group and chain through
# call_next before any screen exists (see the comment above SagiccApp._open).
DOCUMENTED = {("app.py", "_open"), ("app.py", "_signing_in"), ("app.py", "_begin")}


def _is_work(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "work") or (
        isinstance(target, ast.Attribute) and target.attr == "work")


def _ui_files() -> list[Path]:
    files = [PACKAGE / "app.py"]
    for folder in ("screens", "widgets"):
        files += [p for p in sorted((PACKAGE / folder).rglob("*.py")) if p != PACKAGE / "widgets" / "io.py"]
    return files


def test_no_private_work_outside_the_documented_exceptions():
    found = set()
    for path in _ui_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(map(_is_work, node.decorator_list)):
                found.add((path.relative_to(PACKAGE).as_posix(), node.name))
    assert found == DOCUMENTED


def test_the_check_sees_a_work_decorator():
    """The AST check is not vacuous: it finds @work, bare or called, as a name or textual.work."""
    tree = ast.parse("@work\nasync def a(): pass\n@textual.work(exclusive=True)\nasync def b(): pass\n")
    assert [n.name for n in tree.body if any(map(_is_work, n.decorator_list))] == ["a", "b"]


def _broken(*_args, **_kwargs):
    raise RuntimeError("the connection dropped")


def _defect_notices(app) -> list[str]:
    return [n.message for n in app._notifications if "RuntimeError" in n.message]


async def test_a_defect_in_the_profile_is_one_sentence_and_the_app_goes_on(world, monkeypatch):
    c = await add(world, "1020304050", "Pedro", "Pérez")
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customers(pilot)
        profile = await open_profile(pilot, c.id)
        monkeypatch.setattr(world.backend, "disable_customer", _broken)
        await pilot.press("d")
        await settle(pilot)
        assert app.is_running and app.screen is profile
        assert "Something went wrong" in profile.error_text and "RuntimeError" in profile.error_text
        assert "Traceback" not in profile.error_text
        monkeypatch.undo()
        # The app still works: the same key disables the customer now.
        await pilot.press("d")
        await settle(pilot)
        assert "Disabled" in str(profile.query_one("#profile-title").render())


async def test_a_defect_saving_the_customer_form_stays_in_the_form_with_the_typing(world, monkeypatch):
    c = await add(world, "1020304050", "Pedro", "Pérez")
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customers(pilot)
        await open_profile(pilot, c.id)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        form.query_one("#f-middle", Input).value = "José"
        monkeypatch.setattr(world.backend, "update_customer", _broken)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.is_running and app.screen is form
        assert "RuntimeError" in form.error_text
        assert form.query_one("#f-middle", Input).value == "José"
        assert not form._saving  # a second ctrl+s saves again


async def test_a_defect_in_the_admin_screen_is_one_sentence_and_the_app_goes_on(world, monkeypatch):
    app = make_app(world, username="admin")
    async with app.run_test(size=(140, 60)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AdminScreen)
        monkeypatch.setattr(world.backend, "add_user", _broken)
        screen.query_one("#user-name", Input).value = "eva"
        screen.query_one("#user-full-name", Input).value = "Eva"
        screen.query_one("#user-add").press()
        await settle(pilot)
        assert app.is_running and app.screen is screen
        assert len(_defect_notices(app)) == 1
        assert "Traceback" not in _defect_notices(app)[0]
        assert screen.query_one("#user-name", Input).value == "eva"  # the typing stays
        monkeypatch.undo()
        screen.query_one("#user-add").press()
        await settle(pilot)
        assert "eva" in {u.username for u in await world.backend.list_users()}
