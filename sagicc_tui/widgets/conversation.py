"""The conversation timeline (T8): one virtual, line-API widget for any number of interactions.

Nothing here is per interaction: the widget keeps a window of at most a few
pages of `ConversationItem`s read with `backend.conversation(...)` (pages of
100, keyset on (created_at, id)) and draws only the lines on screen. Reaching
the top or bottom of the window reads the page before or after it; `g`/`G`
jump to the start or the end of the whole conversation (a fresh window).

Customer text goes through `sanitize` and is drawn as plain segments: never
markup, never an escape sequence.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime

from rich.segment import Segment
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from sagicc_tui.backend import Backend
from sagicc_tui.domain.enums import ChannelType, DeliveryState, Direction
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.models import Interaction, User
from sagicc_tui.domain.quoting import split_quoted
from sagicc_tui.domain.ticket_screen import (
    ConversationItem,
    ConversationKey,
    ConversationPage,
)
from sagicc_tui.i18n import N_, _
from sagicc_tui.sanitize import clean, one_line
from sagicc_tui.session import Session
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.io import BackendCalls, error_text

PAGE = 100
WINDOW_PAGES = 5  # at most this many pages kept; the far end is dropped
PREVIEW_LINES = 6  # content lines per interaction; Enter shows it in full


def when(at: datetime) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


_DELIVERY = {
    DeliveryState.PENDING: N_("sending…"),
    DeliveryState.SENT: N_("sent"),
    DeliveryState.FAILED: N_("FAILED"),
    DeliveryState.RECORDED: N_("recorded"),
}


def delivery_label(state: DeliveryState) -> str:
    return _(_DELIVERY[state]) if state in _DELIVERY else ""


@dataclass(frozen=True)
class _Line:
    item: int  # index into the window
    text: str
    kind: str  # "head", "body", "meta", "gap"


class ConversationView(BackendCalls, ScrollView, can_focus=True, inherit_bindings=False):
    COMPONENT_CLASSES = {
        "conversation--incoming",
        "conversation--outgoing",
        "conversation--body",
        "conversation--meta",
        "conversation--cursor",
        "conversation--failed",
        "conversation--previous",
    }
    DEFAULT_CSS = """
    ConversationView {
        overflow-x: hidden;
        overflow-y: scroll;
    }
    """
    BINDINGS = [
        Binding("down,j", "cursor_down", N_("Next interaction"), show=False, id="ticket.conv.down"),
        Binding("up,k", "cursor_up", N_("Previous interaction"), show=False, id="ticket.conv.up"),
        Binding("g,home", "start", N_("Start"), id="ticket.conv.start"),
        Binding("G,end", "end", N_("End"), id="ticket.conv.end"),
        Binding("enter", "open", N_("View in full"), id="ticket.conv.open"),
        Binding("R", "retry", N_("Retry delivery"), id="ticket.conv.retry"),
        Binding("pagedown", "page_down", N_("Page down"), show=False, id="ticket.conv.pagedown"),
        Binding("pageup", "page_up", N_("Page up"), show=False, id="ticket.conv.pageup"),
    ]

    @dataclass
    class OpenRequested(Message):
        interaction_id: int

    @dataclass
    class RetryRequested(Message):
        interaction_id: int

    def __init__(self, backend: Backend, user: User, ticket_id: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._backend = backend
        self._user = user
        self._ticket_id = ticket_id
        self.channels: tuple[ChannelType, ...] = ()
        self.include_previous = False
        self.since: datetime | None = None
        self.until: datetime | None = None
        self._items: list[ConversationItem] = []
        self._next_key: ConversationKey | None = None
        self._prev_key: ConversationKey | None = None
        self._lines: list[_Line] = []
        self._starts: list[int] = []  # first line of each item
        self._cursor = 0
        self._generation = 0
        self._loading = False
        self._width = 0
        self.loaded = False

    @property
    def _session(self) -> Session:
        """The backend as this widget's user (made again when the user changes)."""
        return self._backend.session(self._user)

    # --- reading ----------------------------------------------------------------------

    def reload(self, *, at_end: bool = True) -> None:
        self._generation += 1
        self._fetch(self._generation, "reset-end" if at_end else "reset-start", None, None)

    def refresh_live(self) -> None:
        """Something arrived or a delivery moved (T8, +T16): read the newest page and
        merge it into what is shown, keeping the cursor and the scroll position;
        a reader at the end follows the new messages. A reader paging through
        older messages is left alone (the newest page is read when they reach it)."""
        if not self.loaded or self._next_key is not None:
            return
        self._fetch(self._generation, "live", None, None)

    def set_filter(self, channels: tuple[ChannelType, ...], include_previous: bool,
                   since: datetime | None = None, until: datetime | None = None) -> None:
        self.channels = channels
        self.include_previous = include_previous
        self.since, self.until = since, until
        self.reload()

    def _fetch(self, generation: int, mode: str, after: ConversationKey | None,
               before: ConversationKey | None) -> None:
        """`mode`: "reset-start", "reset-end", "after", "before" or "live"."""
        # Exclusive: a reset (g, G, a filter) cancels a page still on its way;
        # the generation drops any answer that belongs to an older window.
        # Quiet and settled: a refusal or a defect is one notification, as
        # before, and the view stops "loading" so the next key reads again.
        self._loading = True
        channels, include_previous, since, until = self.channels, self.include_previous, self.since, self.until
        self.call("conversation-page", lambda: self._session.tickets.conversation(
            self._ticket_id, channels=channels, include_previous=include_previous, since=since, until=until,
            after_key=after, before_key=before, from_end=mode in ("reset-end", "live"), limit=PAGE),
            lambda page: self._page_arrived(generation, page, mode), self._page_failed, quiet=True, settle=True)

    def _page_failed(self, error: SagiccError) -> None:
        self._loading = False
        self.notify(error_text(error), severity="error")

    def _page_arrived(self, generation: int, page: ConversationPage, mode: str) -> None:
        self._loading = False
        if generation != self._generation:
            return
        items = list(page.items)
        if mode.startswith("reset"):
            self._items = items
            self._next_key, self._prev_key = page.next_key, page.prev_key
            self._cursor = max(0, len(items) - 1) if mode == "reset-end" else 0
            self._rebuild()
            self._scroll_to_cursor(end=mode == "reset-end")
        elif mode == "after":
            known = {i.interaction.id for i in self._items}
            self._items.extend(i for i in items if i.interaction.id not in known)
            self._next_key = page.next_key
            if len(self._items) > PAGE * WINDOW_PAGES:
                drop = len(self._items) - PAGE * WINDOW_PAGES
                dropped_lines = self._starts[drop] if drop < len(self._starts) else 0
                last = self._items[drop - 1].interaction
                self._items = self._items[drop:]
                self._prev_key = ConversationKey(last.created_at, last.id)
                self._cursor = max(0, self._cursor - drop)
                self._rebuild()
                self.scroll_to(y=max(0, self.scroll_y - dropped_lines), animate=False)
            else:
                self._rebuild()
        elif mode == "live":
            self._merge_newest(items)
        else:  # before
            known = {i.interaction.id for i in self._items}
            new = [i for i in items if i.interaction.id not in known]
            self._items = new + self._items
            self._prev_key = page.prev_key
            self._cursor += len(new)
            old_lines = len(self._lines)
            self._rebuild()
            self.scroll_to(y=self.scroll_y + (len(self._lines) - old_lines), animate=False)
        self.loaded = True

    def _merge_newest(self, items: list[ConversationItem]) -> None:
        following = self._cursor >= len(self._items) - 1
        current = self.cursor_interaction
        newest = {i.interaction.id: i for i in items}
        merged = [newest.pop(i.interaction.id, i) for i in self._items]
        merged.extend(i for i in items if i.interaction.id in newest)  # the new ones, in order
        self._items = merged
        if following:
            self._cursor = max(0, len(merged) - 1)
        elif current is not None:
            self._cursor = next((n for n, i in enumerate(merged) if i.interaction.id == current.id), self._cursor)
        y = self.scroll_y
        self._rebuild()
        if following:
            self._scroll_to_cursor(end=True)
        else:
            self.scroll_to(y=y, animate=False)

    def _maybe_extend(self) -> None:
        if self._loading or not self._items:
            return
        height = self.scrollable_content_region.height
        if self._next_key is not None and self.scroll_y + height * 2 >= len(self._lines):
            self._fetch(self._generation, "after", self._next_key, None)
        elif self._prev_key is not None and self.scroll_y <= height:
            self._fetch(self._generation, "before", None, self._prev_key)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._maybe_extend()

    # --- layout --------------------------------------------------------------------------

    @property
    def items(self) -> list[ConversationItem]:
        return self._items

    @property
    def cursor_interaction(self) -> Interaction | None:
        if 0 <= self._cursor < len(self._items):
            return self._items[self._cursor].interaction
        return None

    def replace_interaction(self, interaction: Interaction) -> None:
        """A delivery changed state (sent, retried): redraw that one, or read the end."""
        for n, item in enumerate(self._items):
            if item.interaction.id == interaction.id:
                self._items[n] = ConversationItem(interaction=interaction, ticket_number=item.ticket_number,
                                                  previous=item.previous)
                self._rebuild()
                return
        self.reload(at_end=True)

    def _rebuild(self) -> None:
        width = max(20, self.scrollable_content_region.width or self.size.width or 80)
        self._width = width
        lines: list[_Line] = []
        starts: list[int] = []
        for n, item in enumerate(self._items):
            starts.append(len(lines))
            lines.extend(self._item_lines(n, item, width))
        self._lines = lines
        self._starts = starts
        self.virtual_size = Size(width, len(lines))
        self.refresh()

    def _item_lines(self, n: int, item: ConversationItem, width: int) -> list[_Line]:
        i = item.interaction
        arrow = labels.direction_arrow(i.direction)
        who = _("Customer") if i.direction is Direction.INCOMING else _("Agent")
        parts = [f"{arrow} {who}: {one_line(i.sender, max_len=40)}", labels.channel(i.channel), when(i.created_at)]
        if i.direction is Direction.INCOMING:
            parts.append(_("read") if i.read else _("unread"))
        else:
            state = delivery_label(i.delivery)
            if state:
                parts.append(state)
        if item.previous:
            parts.append(_("ticket #{number}", number=item.ticket_number))
        out = [_Line(n, " · ".join(parts), "head")]
        if i.subject:
            out.append(_Line(n, "  " + _("Subject: {subject}", subject=one_line(i.subject, max_len=200)), "meta"))
        body: list[str] = []
        text = clean(i.content, max_len=PREVIEW_LINES * width * 2)
        folded = 0
        if i.channel is ChannelType.EMAIL and i.direction is Direction.INCOMING:
            text, folded = split_quoted(text)  # the customer's new words first; the history is kept
        for para in text.split("\n"):
            body.extend(textwrap.wrap(para, width=max(10, width - 4)) or [""])
            if len(body) > PREVIEW_LINES:
                break
        if len(body) > PREVIEW_LINES:
            body = body[:PREVIEW_LINES]
            body.append(_("… Enter shows it in full"))
        out.extend(_Line(n, "  " + b, "body") for b in body)
        if folded:
            out.append(_Line(n, "  " + _("▸ Quoted history or signature folded ({count} lines); Enter shows it",
                                         count=folded), "meta"))
        if i.attachments:
            names = ", ".join(one_line(a.name, max_len=40) for a in i.attachments)
            out.append(_Line(n, "  " + _("Attachments: {names}", names=names), "meta"))
        if i.delivery is DeliveryState.FAILED:
            reason = one_line(i.delivery_error, max_len=120)
            out.append(_Line(n, "  " + _("Not delivered: {reason} (R retries)", reason=reason), "failed"))
        out.append(_Line(n, "", "gap"))
        return out

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width and width != self._width:
            self._rebuild()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_y) + y
        base = self.rich_style
        if index >= len(self._lines):
            if not self._lines and y == 0:
                text = _("Loading…") if not self.loaded else _("No interactions yet.")
                return Strip([Segment(" " + text, base)]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        line = self._lines[index]
        item = self._items[line.item]
        direction = item.interaction.direction
        if line.kind == "head":
            cls = "conversation--incoming" if direction is Direction.INCOMING else "conversation--outgoing"
            style = base + self.get_component_rich_style(cls)
            if item.previous:
                style += self.get_component_rich_style("conversation--previous")
        elif line.kind == "failed":
            style = base + self.get_component_rich_style("conversation--failed")
        elif line.kind == "meta":
            style = base + self.get_component_rich_style("conversation--meta")
        else:
            style = base + self.get_component_rich_style("conversation--body")
        if line.item == self._cursor and self.has_focus and line.kind != "gap":
            style += self.get_component_rich_style("conversation--cursor")
        indent = "" if direction is Direction.INCOMING else "    "
        text = indent + line.text
        return Strip([Segment(text, style)]).crop_extend(0, width, style)

    # --- keys ------------------------------------------------------------------------------

    def _scroll_to_cursor(self, *, end: bool = False) -> None:
        if not self._starts:
            return
        if end:
            self.call_after_refresh(self.scroll_end, animate=False)
            return
        top = self._starts[self._cursor]
        nxt = self._starts[self._cursor + 1] if self._cursor + 1 < len(self._starts) else len(self._lines)
        height = self.scrollable_content_region.height or 1
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False)
        elif nxt > self.scroll_y + height:
            self.scroll_to(y=max(top, nxt - height), animate=False)
        self.refresh()

    def _move(self, delta: int) -> None:
        if not self._items:
            return
        self._cursor = max(0, min(len(self._items) - 1, self._cursor + delta))
        self._scroll_to_cursor()
        self._maybe_extend()

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_page_down(self) -> None:
        self._move(5)

    def action_page_up(self) -> None:
        self._move(-5)

    def action_start(self) -> None:
        self._generation += 1
        self._fetch(self._generation, "reset-start", None, None)

    def action_end(self) -> None:
        self.reload(at_end=True)

    def action_open(self) -> None:
        i = self.cursor_interaction
        if i is not None:
            self.post_message(self.OpenRequested(i.id))

    def action_retry(self) -> None:
        i = self.cursor_interaction
        if i is None:
            return
        if i.delivery is not DeliveryState.FAILED:
            self.notify(_("Only a message that failed can be sent again."), severity="warning")
            return
        self.post_message(self.RetryRequested(i.id))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def text_lines(self) -> list[str]:
        """Every line of the window as plain text (tests, screen readers)."""
        return [ln.text for ln in self._lines]


__all__ = ["ConversationView", "delivery_label", "when"]
