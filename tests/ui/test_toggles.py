"""#12.7 on and off read differently without colour: a glyph each, not a shade."""

from __future__ import annotations

from textual.app import App, ComposeResult

from sagicc_tui.widgets.toggles import Checkbox, RadioButton, SelectionList


class Toggles(App):
    def compose(self) -> ComposeResult:
        yield Checkbox("on", value=True, id="c-on")
        yield Checkbox("off", id="c-off")
        yield RadioButton("on", value=True, id="r-on")
        yield RadioButton("off", id="r-off")
        yield SelectionList[int](("uno", 1, True), ("dos", 2, False), id="sel")


def text_of(widget) -> str:
    return "".join(seg.text for seg in widget.render_line(0)) if isinstance(widget, SelectionList) else \
        widget.render().plain


async def test_on_and_off_have_different_glyphs_also_without_colour(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = Toggles()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        assert text_of(app.query_one("#c-on")).startswith("▐X▌")
        assert text_of(app.query_one("#c-off")).startswith("▐ ▌")
        assert text_of(app.query_one("#r-on")).startswith("▐●▌")
        assert text_of(app.query_one("#r-off")).startswith("▐ ▌")
        sel = app.query_one("#sel", SelectionList)
        rows = ["".join(seg.text for seg in sel.render_line(y)) for y in range(2)]
        assert rows[0].startswith("▐X▌ uno") and rows[1].startswith("▐ ▌ dos")
        # Toggling changes the glyph, not only the colour.
        app.query_one("#c-off", Checkbox).value = True
        sel.select(2)
        await pilot.pause()
        assert text_of(app.query_one("#c-off")).startswith("▐X▌")
        assert "".join(seg.text for seg in sel.render_line(1)).startswith("▐X▌ dos")


def test_no_screen_or_tab_uses_textuals_own_toggles():
    """#12.7: the ticket screen, its tabs and its dialogs draw check boxes and
    radio buttons through widgets/toggles.py."""
    import ast
    from pathlib import Path

    import sagicc_tui

    root = Path(sagicc_tui.__file__).parent
    ticket_screen = [*(root / "screens").glob("ticket*.py"), *(root / "widgets" / "ticket_tabs").glob("*.py"),
                     root / "widgets" / "composer.py", root / "widgets" / "conversation.py",
                     root / "widgets" / "task_form.py"]
    offenders = []
    for path in ticket_screen:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("textual.widgets"):
                names = {a.name for a in node.names} & {"Checkbox", "RadioButton", "SelectionList"}
                if names:
                    offenders.append(f"{path.relative_to(root)}: {sorted(names)}")
    assert not offenders, offenders


async def test_the_conversation_filter_box_shows_off_with_its_own_glyph(world):
    from tests.ui.conftest import make_app, settle

    await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        box = app.screen.query_one("#conv-previous", Checkbox)
        assert text_of(box).startswith("▐ ▌")
        box.value = True
        await pilot.pause()
        assert text_of(box).startswith("▐X▌")
