"""Check boxes, radio buttons and selection lists readable without colour.

Textual draws on and off with the same glyph (▐X▌, ▐●▌) and tells them apart
by colour alone; under NO_COLOR or on a monochrome terminal "off" is grey on
grey. Ours draw a different glyph for each state (#12.7): ▐X▌ on, ▐ ▌ off.
Use these instead of textual.widgets' three everywhere.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Checkbox as _Checkbox
from textual.widgets import RadioButton as _RadioButton
from textual.widgets import SelectionList as _SelectionList
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist

OFF = " "
T = TypeVar("T")


class Checkbox(_Checkbox):
    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 - Textual's name, read on every render
        return "X" if self.value else OFF


class RadioButton(_RadioButton):
    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802
        return "●" if self.value else OFF


class SelectionList(_SelectionList[T], Generic[T]):
    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        try:
            option = self.get_option_at_index(int(self.scroll_offset.y) + y)
        except OptionDoesNotExist:
            return line
        if option.value in self.selected:
            return line
        segments = list(line)
        # [left side, inner glyph, right side, space, prompt...]: blank the glyph when off.
        if len(segments) > 1 and segments[1].text == ToggleButton.BUTTON_INNER:
            segments[1] = Segment(OFF, segments[1].style, segments[1].control)
            return Strip(segments, line.cell_length)
        return line
