"""T8/T9: the conversation with its filters, and the composer."""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Select

from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.i18n import _
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.composer import Composer
from sagicc_tui.widgets.conversation import ConversationView
from sagicc_tui.widgets.toggles import Checkbox  # on and off told apart without colour (#12.7)
from sagicc_tui.widgets.ticket_tabs.base import TicketTabBase, selection


class ConversationTab(TicketTabBase):
    def compose(self) -> ComposeResult:
        ctx = self.ctx
        channels = [(labels.channel(c), c.value) for c in ChannelType]
        with Horizontal(id="conv-filter"):
            yield Select(channels, prompt=_("All channels"), id="conv-channel", compact=True)
            yield Checkbox(_("Previous interactions"), id="conv-previous", compact=True)
            yield Input(placeholder=_("From YYYY-MM-DD"), id="conv-since", compact=True)
            yield Input(placeholder=_("To YYYY-MM-DD"), id="conv-until", compact=True)
        yield ConversationView(ctx.backend, ctx.user, ctx.ticket_id, id="conversation")
        if ctx.campaign is not None:
            with VerticalScroll(id="composer-box"):
                yield Composer(ctx.campaign, id="composer")

    def load(self) -> None:
        self.query_one(ConversationView).reload()

    def _day(self, selector: str, *, end: bool) -> datetime | None:
        from sagicc_tui.domain.days import parse_day  # the one day parser (local midnight)

        return parse_day(self.query_one(selector, Input).value, end=end)

    @on(Select.Changed, "#conv-channel")
    @on(Checkbox.Changed, "#conv-previous")
    @on(Input.Submitted, "#conv-since")
    @on(Input.Submitted, "#conv-until")
    def _filter(self, event: Message) -> None:
        event.stop()
        value = selection(self.query_one("#conv-channel", Select))
        channels = (ChannelType(value),) if value else ()
        try:
            since, until = self._day("#conv-since", end=False), self._day("#conv-until", end=True)
        except ValueError:
            self.feedback(_("Write dates as YYYY-MM-DD."), "warning")
            return
        self.query_one(ConversationView).set_filter(channels, self.query_one("#conv-previous", Checkbox).value,
                                                    since, until)
