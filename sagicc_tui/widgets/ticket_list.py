"""THE ticket list: one virtual, line-API widget for any number of tickets (L1, L3, L9, L10).

Nothing here is per ticket: the list knows the total (``count_tickets``), keeps
a few pages of 100 cards (`PageCache`) and draws only the lines on screen
(``render_line``). A line asks for its page when it is missing and draws a
placeholder until the page arrives, so scrolling to the middle of a million
tickets reads one page (``offset``), and reading on from a known page uses the
keyset cursor (``after``). Cost per frame: the visible lines, never the total.

Tags live here too: either a set of ids, or "everything matching the query"
(`T`), kept as a query plus exclusions so tagging 100,000 tickets loads none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.theme import Theme

from sagicc_tui.backend import Backend
from sagicc_tui.domain.enums import Priority, TicketStatus
from sagicc_tui.domain.models import TicketCard, User
from sagicc_tui.domain.query import SEARCH_COUNT_AT_MOST, TicketPage, TicketQuery, TicketSelection
from sagicc_tui.i18n import N_, _
from sagicc_tui.session import Session
from sagicc_tui.widgets.ticket_card import (
    CARD_HEIGHT,
    PARTS,
    CardPalette,
    card_lines,
    palette_from_components,
    placeholder_lines,
    plain_palette,
)
from sagicc_tui.widgets.next_unread import find_next_unread
from sagicc_tui.widgets.paged_list import PagedList
from sagicc_tui.widgets.ticket_pages import PAGE_SIZE

Clock = Callable[[], datetime]


class TicketList(PagedList, can_focus=True, inherit_bindings=False):
    ROW_HEIGHT = CARD_HEIGHT
    DEFAULT_CSS = """
    TicketList {
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-gutter: stable;
    }
    """
    # Themed like the customer list: one component class per card part, the
    # rules in styles/tickets.tcss under TicketsScreen.
    COMPONENT_CLASSES = {
        *(f"ticket-list--{part}" for part in PARTS),
        *(f"ticket-list--status-{s.value}" for s in TicketStatus),
        *(f"ticket-list--priority-{p.value}" for p in Priority),
    }

    BINDINGS = [
        Binding("down,j", "cursor_down", N_("Down"), show=False, id="list.down"),
        Binding("up,k", "cursor_up", N_("Up"), show=False, id="list.up"),
        Binding("home,g", "first", N_("First ticket"), show=False, id="list.first"),
        Binding("end,G", "last", N_("Last ticket"), show=False, id="list.last"),
        Binding("pageup", "page_up", N_("Page up"), show=False, id="list.page_up"),
        Binding("pagedown", "page_down", N_("Page down"), show=False, id="list.page_down"),
        Binding("enter", "open", N_("Open ticket"), id="list.open"),
        Binding("space,t", "toggle_tag", N_("Tag"), id="list.tag"),
        # The footer keeps the keys an agent needs at 80 columns; the rest are in ? and ctrl+p.
        Binding("T", "tag_all", N_("Tag all matching"), show=False, id="list.tag_all"),
        Binding("u", "clear_tags", N_("Untag all"), show=False, id="list.untag_all"),
        Binding("n", "next_unread", N_("Next unread ticket"), id="list.next_unread"),
    ]

    # --- messages the list posts -------------------------------------------------------

    @dataclass
    class TicketSelected(Message):
        """Enter (or a double click) on a card: open this ticket."""

        ticket_id: int
        card: TicketCard

    @dataclass
    class CursorMoved(Message):
        index: int
        card: TicketCard | None  # None while its page is loading

    @dataclass
    class TagsChanged(Message):
        count: int
        all_matching: bool  # True after `T`: the selection is a query

    @dataclass
    class AllMatchingDropped(Message):
        """A new filter ended a `T` selection: it meant the old filter's tickets."""

        count: int  # how many were tagged

    @dataclass
    class TotalChanged(Message):
        total: int
        more: bool = False  # `total` is a lower bound: "more than total - 1"

    # Internal: worker results, delivered on the event loop as messages.
    def __init__(
        self,
        backend: Backend,
        user: User,
        query: TicketQuery,
        *,
        clock: Clock,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._backend = backend
        self._user = user
        self._query = query
        self._clock = clock
        self.campaign_names: dict[int, str] = {}  # id -> name, shown when several campaigns are listed
        self._tag_ids: set[int] = set()
        self._tag_query: TicketQuery | None = None
        self._excluded: set[int] = set()
        self._palette: CardPalette | None = None
        self._strips: LRUCache[int, tuple[tuple[object, ...], tuple[Strip, Strip, Strip]]] = LRUCache(256)
        self._minute = self._clock().replace(second=0, microsecond=0)

    @property
    def _session(self) -> Session:
        """The backend as this widget's user (made again when the user changes)."""
        return self._backend.session(self._user)

    # --- public state ----------------------------------------------------------------------

    @property
    def query(self) -> TicketQuery:
        return self._query

    @property
    def cursor_card(self) -> TicketCard | None:
        return self._pages.card(self._cursor) if self._total else None

    @property
    def cursor_index(self) -> int:
        return self._cursor

    def move_cursor(self, index: int) -> None:
        """Put the cursor on a list index (back from a ticket `n` moved on from)."""
        if self._total:
            self._set_cursor(index)

    @property
    def user(self) -> User:
        return self._user

    @property
    def selection(self) -> TicketSelection:
        if self._tag_query is not None:
            return TicketSelection(query=self._tag_query, excluded=frozenset(self._excluded))
        return TicketSelection(ids=frozenset(self._tag_ids))

    @property
    def tag_count(self) -> int:
        if self._tag_query is not None:
            return max(0, (self._total or 0) - len(self._excluded))
        return len(self._tag_ids)

    def is_tagged(self, ticket_id: int) -> bool:
        if self._tag_query is not None:
            return ticket_id not in self._excluded
        return ticket_id in self._tag_ids

    def tagged_cards(self) -> list[TicketCard]:
        """The tagged cards that are in memory (a query selection may have more)."""
        seen: dict[int, TicketCard] = {}
        for card in self._pages.cards():
            if self.is_tagged(card.id):
                seen.setdefault(card.id, card)
        return list(seen.values())

    # --- loading -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._start(keep_position=False)

    def set_query(self, query: TicketQuery) -> None:
        """A new filter, order or search: start again from the top."""
        if query == self._query:
            return
        # Another order shows the same tickets: their count stands (the live
        # refresh keeps it true), and a count is a third of what a list asks.
        reordered = query.with_(order=self._query.order) == self._query
        self._query = query
        if self._tag_query is not None:
            # "All matching" meant the old query; it cannot follow a new one.
            dropped = self.tag_count
            self._clear_tags(post=True)
            self.post_message(self.AllMatchingDropped(dropped))
        self._start(keep_position=False, count=not reordered)

    def set_user(self, user: User) -> None:
        """The same person with fresh details (e.g. agent status); no reload."""
        self._user = user

    def reload(self) -> None:
        """Re-read everything that changed, keeping cursor, tags and scroll (live refresh)."""
        self._start(keep_position=True)

    # --- the page engine's hooks (widgets/paged_list.py) ---------------------------------------

    async def _read_count(self, exact: bool = False) -> tuple[int, bool]:
        # A search's count stops early (the list grows as its pages arrive):
        # every match of a common word costs more than the page itself.
        exact = exact or self._tag_query is not None  # "N tagged" counts every match
        at_most = None if exact or not self._query.search.strip() else SEARCH_COUNT_AT_MOST
        n = await self._session.lists.count_tickets(self._query, at_most=at_most)
        return n, at_most is not None and n > at_most

    async def _read_page(self, after, offset: int) -> TicketPage:
        return await self._session.lists.list_tickets(self._query, limit=PAGE_SIZE, after=after,
                                                offset=offset)

    def _total_arrived(self, total: int, more: bool) -> None:
        self.post_message(self.TotalChanged(total, more))

    def _page_arrived(self, page_no: int, page: TicketPage) -> None:
        if page_no == self._cursor // PAGE_SIZE:
            self.post_message(self.CursorMoved(self._cursor, self.cursor_card))

    def _cleared(self) -> None:
        self._strips.clear()

    def tick(self) -> None:
        """Called every second: redraw when the minute changes (next-task flags)."""
        minute = self._clock().replace(second=0, microsecond=0)
        if minute != self._minute:
            self._minute = minute
            self._strips.clear()
            self.refresh()

    # --- drawing ---------------------------------------------------------------------------------

    def _theme_changed(self, _theme: Theme) -> None:
        self.notify_style_update()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._palette = None
        self._strips.clear()
        self.refresh()

    def _get_palette(self) -> CardPalette:
        if self._palette is None:
            base = self.rich_style
            if self.app.no_color:
                # NO_COLOR: attributes only (the cursor reversed), whatever the theme says.
                self._palette = plain_palette(base)
            else:
                self._palette = palette_from_components(
                    lambda part: self.component_style(f"ticket-list--{part}"), base)
        return self._palette

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        palette = self._get_palette()
        index, row = divmod(int(self.scroll_offset.y) + y, CARD_HEIGHT)
        if self._total == 0:
            if index == 0 and row == 1:
                return self._message_line(_("No tickets match the current filters."), width, palette)
            return Strip.blank(width, palette.base)
        if self._total is not None and index >= self._total:
            return Strip.blank(width, palette.base)
        page_no = index // PAGE_SIZE
        if not self._pages.has(page_no):
            self._request_page(page_no)
        card = self._pages.card(index)
        if card is None:
            return placeholder_lines(width, palette)[row]
        return self._card_strips(index, card, width, palette)[row]

    def _card_strips(self, index: int, card: TicketCard, width: int,
                     palette: CardPalette) -> tuple[Strip, Strip, Strip]:
        cursor = index == self._cursor
        tagged = self.is_tagged(card.id)
        key = (card, cursor, tagged, width)
        cached = self._strips.get(index)
        if cached is not None and cached[0][0] is card and cached[0][1:] == key[1:]:
            return cached[1]
        # Several campaigns listed: each card says its campaign (#12.5).
        campaign = self.campaign_names.get(card.campaign_id, "") if len(self._query.campaign_ids) != 1 else ""
        strips = card_lines(card, now=self._clock(), width=width, palette=palette,
                            cursor=cursor, tagged=tagged, campaign=campaign)
        self._strips.set(index, (key, strips))
        return strips

    def _message_line(self, text: str, width: int, palette: CardPalette) -> Strip:
        from rich.segment import Segment

        return Strip([Segment("      " + text, palette.base + palette.muted)]).crop_extend(0, width, palette.base)

    def _refresh_card(self, index: int) -> None:
        """Repaint one card only (cursor moves, tag toggles)."""
        y = index * CARD_HEIGHT - int(self.scroll_offset.y)
        self.refresh(Region(0, y, self.size.width, CARD_HEIGHT))

    # --- cursor ----------------------------------------------------------------------------------

    def _set_cursor(self, index: int, *, scroll: bool = True) -> None:
        total = self._total or 0
        index = max(0, min(index, total - 1)) if total else 0
        old, self._cursor = self._cursor, index
        if old != index:
            self._refresh_card(old)
            self._refresh_card(index)
        if scroll:
            self._scroll_to_card(index)
        self._start_fetch()
        self.post_message(self.CursorMoved(index, self.cursor_card))

    def _scroll_to_card(self, index: int) -> None:
        top = index * CARD_HEIGHT
        bottom = top + CARD_HEIGHT
        height = self.scrollable_content_region.height
        y = int(self.scroll_offset.y)
        if top < y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif bottom > y + height:
            self.scroll_to(y=bottom - height, animate=False, immediate=True)

    def action_open(self) -> None:
        card = self.cursor_card
        if card is not None:
            self.post_message(self.TicketSelected(card.id, card))

    # --- n: the next ticket with unread interactions, in the list's order (mutt's n) ----

    def action_next_unread(self) -> None:
        self.open_next_unread(after=self._cursor)

    def open_next_unread(self, *, after: int) -> None:
        """Move to the first ticket after index `after` that has unread
        interactions and open it; pages not in memory are read (a few at most)."""
        if self._total:
            self._find_unread(after, self._generation_token())

    def _generation_token(self) -> tuple[TicketQuery, int | None]:
        return (self._query, self._total)

    def _find_unread(self, after: int, token: tuple) -> None:
        total = self._total or 0

        more = self._more

        async def read_page(page_no: int) -> tuple[list[TicketCard | None], bool]:
            last = (page_no + 1) * PAGE_SIZE >= total and not more
            if self._pages.has(page_no):
                return [self._pages.card(page_no * PAGE_SIZE + i) for i in range(PAGE_SIZE)], last
            # read, not cached: the cursor's move reads it the usual way
            rows = list((await self._read_page(None, page_no * PAGE_SIZE)).rows)
            return rows, last or len(rows) < PAGE_SIZE

        async def find() -> tuple[int, TicketCard] | None:
            return await find_next_unread(read_page, after=after) if after + 1 < total else None

        def found(hit: tuple[int, TicketCard] | None) -> None:
            if token != self._generation_token():
                return  # the list changed meanwhile: its answer is not about this list
            if hit is None:
                self.notify(_("No unread ticket after this one in this order."), timeout=3)
                return
            index, card = hit
            self._set_cursor(index)
            self.post_message(self.TicketSelected(card.id, card))

        self.call("next-unread", find, found)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or not self._total:
            return
        index = (offset.y + int(self.scroll_offset.y)) // CARD_HEIGHT
        if index >= self._total:
            return
        self._set_cursor(index, scroll=False)
        if 2 <= offset.x <= 4:  # the [ ] mark
            self.action_toggle_tag()
        elif event.chain >= 2:
            self.action_open()

    # --- tags ----------------------------------------------------------------------------------------

    def action_toggle_tag(self) -> None:
        card = self.cursor_card
        if card is None:
            return
        if self._tag_query is not None:
            self._excluded ^= {card.id}
        else:
            self._tag_ids ^= {card.id}
        self._refresh_card(self._cursor)
        self._post_tags()
        if self._cursor + 1 < (self._total or 0):
            self._set_cursor(self._cursor + 1)  # mutt: tag and move on

    def action_tag_all(self) -> None:
        """Tag every ticket matching the current query, without loading them."""
        self._tag_query = self._query
        self.count_exactly()  # "N tagged" needs every match counted, not "more than 1,000"
        self._excluded.clear()
        self._tag_ids.clear()
        self._strips.clear()
        self.refresh()
        self._post_tags()

    def action_clear_tags(self) -> None:
        self._clear_tags(post=True)

    def clear_tags(self) -> None:
        self._clear_tags(post=True)

    def _clear_tags(self, *, post: bool) -> None:
        self._tag_query = None
        self._excluded.clear()
        self._tag_ids.clear()
        self._strips.clear()
        self.refresh()
        if post:
            self._post_tags()

    def _post_tags(self) -> None:
        self.post_message(self.TagsChanged(self.tag_count, self._tag_query is not None))
