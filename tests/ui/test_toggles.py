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
