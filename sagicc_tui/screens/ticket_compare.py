"""The comparison a refused save opens (T15): theirs, mine, the one I started from.

One block per field that differs between my form and the store: the value
in the store now (with who saved it and when), mine, and the one the form
was filled from; Keep mine / Take theirs for each. "Save my choices"
dismisses with the choices (the form then saves them with the current
version); Esc dismisses with None and the form keeps my typing, so the
next Save is refused again rather than writing over the other change.
Every value is customer or colleague text: shown as plain Content.
"""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, RadioSet, Static

from sagicc_tui.domain.collision import FieldVersions, Keep
from sagicc_tui.i18n import N_, _
from sagicc_tui.sanitize import clean, one_line
from sagicc_tui.widgets.conversation import when
from sagicc_tui.widgets.toggles import RadioButton  # on and off told apart without colour (#12.7)
from sagicc_tui.widgets.translated import TranslatedBindings

COMPARE_CSS = """
CompareScreen { align: center middle; }
CompareScreen > #compare { width: 100%; max-width: 120; height: auto; max-height: 100%;
                           border: thick $error 60%; background: $surface; padding: 0 1; }
CompareScreen #compare-title { text-style: bold; color: $error; width: 100%; }
CompareScreen #compare-help { width: 100%; }
CompareScreen #compare-fields { height: auto; max-height: 1fr; }
CompareScreen .compare-field { height: auto; margin-bottom: 1; }
CompareScreen .compare-label { text-style: bold; }
CompareScreen .compare-conflict { color: $warning; }
CompareScreen .compare-value { padding-left: 2; }
CompareScreen RadioSet { border: none; padding: 0 1; height: auto; width: auto; layout: horizontal; }
CompareScreen RadioSet:focus-within { background: $boost; }
CompareScreen RadioButton { width: auto; margin-right: 3; }
CompareScreen .buttons { height: auto; margin-top: 1; }
CompareScreen .buttons Button { margin-right: 1; }
"""


def _shown(field: FieldVersions, which: Keep | None) -> str:
    text = clean(field.text(which))
    return text if text.strip() else _("(empty)")


class CompareScreen(TranslatedBindings, ModalScreen[dict[str, Keep] | None]):
    DEFAULT_CSS = COMPARE_CSS
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="ticket.compare.cancel")]

    def __init__(self, what: str, fields: list[FieldVersions], *, by: str, at: datetime | None) -> None:
        super().__init__()
        self._what = what
        self.fields = fields
        self._by = by
        self._at = at

    def compose(self) -> ComposeResult:
        by = one_line(self._by, max_len=50) or _("Someone else")
        at = when(self._at) if self._at is not None else ""
        with Vertical(id="compare"):
            yield Label(Content(_("{name} saved {what} on {when} while you were editing it.",
                                  name=by, what=self._what, when=at)), id="compare-title")
            yield Label(Content(_("Nothing was written. For each field, keep yours or take theirs, then save.")),
                        id="compare-help")
            with VerticalScroll(id="compare-fields"):
                for f in self.fields:
                    with Vertical(classes="compare-field", id=f"compare-{f.key}"):
                        title = Content(one_line(f.label))
                        if f.conflict:
                            title = Content.assemble(title, ("  " + _("changed by both"), "$warning"))
                        yield Label(title, classes="compare-label")
                        yield Static(Content.assemble((_("Theirs ({name}, {when}):", name=by, when=at) + " ", "bold"),
                                                      _shown(f, Keep.THEIRS)), classes="compare-value")
                        yield Static(Content.assemble((_("Mine:") + " ", "bold"), _shown(f, Keep.MINE)),
                                     classes="compare-value")
                        yield Static(Content.assemble((_("Started from:") + " ", "dim"), _shown(f, None)),
                                     classes="compare-value")
                        with RadioSet(id=f"keep-{f.key}"):
                            yield RadioButton(_("Keep mine"), value=f.default is Keep.MINE, id=f"keep-{f.key}-mine")
                            yield RadioButton(_("Take theirs"), value=f.default is Keep.THEIRS,
                                              id=f"keep-{f.key}-theirs")
            with Horizontal(classes="buttons"):
                yield Button(_("Save my choices"), id="compare-save", variant="primary", compact=True)
                yield Button(_("Cancel (keep editing)"), id="compare-cancel", compact=True)

    def on_mount(self) -> None:
        self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        for widget in (*self.query(RadioSet), *self.query("#compare-save")):
            widget.focus()
            return

    def choices(self) -> dict[str, Keep]:
        chosen: dict[str, Keep] = {}
        for f in self.fields:
            theirs = self.query_one(f"#keep-{f.key}-theirs", RadioButton).value
            chosen[f.key] = Keep.THEIRS if theirs else Keep.MINE
        return chosen

    def choose(self, key: str, keep: Keep) -> None:
        """Set one field's choice (what a click on its radio button does)."""
        self.query_one(f"#keep-{key}-{keep.value}", RadioButton).value = True

    @on(Button.Pressed, "#compare-save")
    def _save(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.choices())

    @on(Button.Pressed, "#compare-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)
