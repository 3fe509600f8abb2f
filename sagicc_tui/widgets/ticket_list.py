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

from textual import events, on, work
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.theme import Theme

from sagicc_tui.backend import Backend
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.models import TicketCard, User
from sagicc_tui.domain.query import TicketPage, TicketQuery, TicketSelection
from sagicc_tui.i18n import N_, _
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.ticket_card import (
    CARD_HEIGHT,
    CardPalette,
    card_lines,
    palette_from_variables,
    placeholder_lines,
    plain_palette,
)
from sagicc_tui.widgets.ticket_pages import PAGE_SIZE, PageCache
from sagicc_tui.widgets.translated import TranslatedBindings

Clock = Callable[[], datetime]


class TicketList(TranslatedBindings, ScrollView, can_focus=True, inherit_bindings=False):
    DEFAULT_CSS = """
    TicketList {
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-gutter: stable;
    }
    """

    BINDINGS = [
        Binding("down,j", "cursor_down", N_("Down"), show=False, id="list.down"),
        Binding("up,k", "cursor_up", N_("Up"), show=False, id="list.up"),
        Binding("home,g", "first", N_("First ticket"), show=False, id="list.first"),
        Binding("end,G", "last", N_("Last ticket"), show=False, id="list.last"),
        Binding("pageup", "page_up", N_("Page up"), show=False, id="list.page_up"),
        Binding("pagedown", "page_down", N_("Page down"), show=False, id="list.page_down"),
        Binding("enter", "open", N_("Open ticket"), id="list.open"),
        Binding("space,t", "toggle_tag", N_("Tag"), id="list.tag"),
        Binding("T", "tag_all", N_("Tag all matching"), id="list.tag_all"),
        Binding("u", "clear_tags", N_("Untag all"), id="list.untag_all"),
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
    class TotalChanged(Message):
        total: int

    # Internal: worker results, delivered on the event loop as messages.
    @dataclass
    class _PageArrived(Message):
        generation: int
        page_no: int
        page: TicketPage

    @dataclass
    class _PageFailed(Message):
        generation: int
        page_no: int
        error: SagiccError

    @dataclass
    class _Counted(Message):
        generation: int
        total: int

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
        self._pages = PageCache()
        self._generation = 0  # bumped on every reset/refresh: late results are dropped
        self._total: int | None = None  # None until counted
        self._cursor = 0
        self._anchor: int | None = None  # ticket id the cursor should stay on after a refresh
        self._fetching: frozenset[int] = frozenset()
        self._fetch_scheduled = False
        self._failed: set[int] = set()  # pages that failed in this generation: no retry loop
        self._tag_ids: set[int] = set()
        self._tag_query: TicketQuery | None = None
        self._excluded: set[int] = set()
        self._palette: CardPalette | None = None
        self._strips: LRUCache[int, tuple[tuple[object, ...], tuple[Strip, Strip, Strip]]] = LRUCache(256)
        self._minute = self._clock().replace(second=0, microsecond=0)

    # --- public state ----------------------------------------------------------------------

    @property
    def query(self) -> TicketQuery:
        return self._query

    @property
    def total(self) -> int | None:
        return self._total

    @property
    def cursor_index(self) -> int:
        return self._cursor

    @property
    def cursor_card(self) -> TicketCard | None:
        return self._pages.card(self._cursor) if self._total else None

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

    def cached_pages(self) -> int:
        return len(self._pages)

    # --- loading -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._start(keep_position=False)

    def set_query(self, query: TicketQuery) -> None:
        """A new filter, order or search: start again from the top."""
        if query == self._query:
            return
        self._query = query
        if self._tag_query is not None:
            # "All matching" meant the old query; it cannot follow a new one.
            self._clear_tags(post=True)
        self._start(keep_position=False)

    def set_user(self, user: User) -> None:
        """The same person with fresh details (e.g. agent status); no reload."""
        self._user = user

    def reload(self) -> None:
        """Re-read everything that changed, keeping cursor, tags and scroll (live refresh)."""
        self._start(keep_position=True)

    def _start(self, *, keep_position: bool) -> None:
        self._generation += 1
        self._failed.clear()
        self._fetching = frozenset()
        if keep_position:
            card = self.cursor_card
            self._anchor = card.id if card is not None else None
            self._pages.invalidate()
        else:
            self._anchor = None
            self._pages.clear()
            self._total = None
            self._cursor = 0
            self._strips.clear()
            self.virtual_size = Size(0, 0)
            self.scroll_to(y=0, animate=False, immediate=True)
        self._count(self._generation)
        self._start_fetch()
        self.refresh()

    @work(exclusive=True, group="ticket-count")
    async def _count(self, generation: int) -> None:
        try:
            total = await self._backend.count_tickets(self._user, self._query)
        except SagiccError as e:
            self.notify(labels.error_sentence(e), severity="error")
            total = 0
        self.post_message(self._Counted(generation, total))

    @work(exclusive=True, group="ticket-pages")
    async def _fetch_pages(self, generation: int, pages: list[int]) -> None:
        """Read the missing visible pages, in order; one worker at a time (exclusive)."""
        previous_no, previous = -1, None
        for page_no in pages:
            # Keyset from the page before when known (cached, or just read here):
            # cost independent of depth. Otherwise jump with the offset.
            after = self._pages.after(page_no)
            if after is None and previous is not None and previous_no == page_no - 1:
                after = previous.next_cursor
            try:
                page = await self._backend.list_tickets(
                    self._user, self._query, limit=PAGE_SIZE, after=after, offset=page_no * PAGE_SIZE
                )
            except SagiccError as e:
                self.post_message(self._PageFailed(generation, page_no, e))
                return
            previous_no, previous = page_no, page
            self.post_message(self._PageArrived(generation, page_no, page))

    def _visible_pages(self) -> list[int]:
        height = max(self.scrollable_content_region.height, 1)
        top = int(self.scroll_offset.y)
        first = top // CARD_HEIGHT
        last = (top + height - 1) // CARD_HEIGHT
        if self._total is not None:
            last = min(last, self._total - 1)
        if last < first:
            return []
        pages = range(first // PAGE_SIZE, last // PAGE_SIZE + 1)
        # The cursor's page first: it is where the eye is.
        cursor_page = self._cursor // PAGE_SIZE
        return sorted(pages, key=lambda p: (p != cursor_page, p))

    def _request_page(self, page_no: int) -> None:
        """Called while drawing: schedule a read after this frame, never during it."""
        if page_no in self._fetching or page_no in self._failed or self._fetch_scheduled:
            return
        self._fetch_scheduled = True
        self.call_after_refresh(self._start_fetch)

    def _near_pages(self) -> list[int]:
        """Pages within one screen above or below the view: the next ones it will enter."""
        height = max(self.scrollable_content_region.height, 1)
        top = int(self.scroll_offset.y)
        first = max(0, top - height) // CARD_HEIGHT
        last = (top + 2 * height - 1) // CARD_HEIGHT
        if self._total is not None:
            last = min(last, self._total - 1)
        return list(range(first // PAGE_SIZE, last // PAGE_SIZE + 1)) if last >= first else []

    def _start_fetch(self) -> None:
        self._fetch_scheduled = False
        wanted = [p for p in self._visible_pages() if not self._pages.has(p) and p not in self._failed]
        if not wanted:
            if self._fetching or self._total is None:
                return
            # Read ahead, one page at a time, when the view comes within a screen
            # of a page not read yet: a page down then rarely waits for the store.
            wanted = [p for p in self._near_pages() if not self._pages.has(p) and p not in self._failed][:1]
        if not wanted or set(wanted) <= self._fetching:
            return
        # One worker reads every missing visible page; starting it cancels the
        # previous one (exclusive), which cannot be left half-done because the
        # new set includes everything still on screen.
        self._fetching = frozenset(wanted)
        self._fetch_pages(self._generation, wanted)

    @on(_Counted)
    def _on_counted(self, message: _Counted) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self._total = message.total
        self.virtual_size = Size(0, message.total * CARD_HEIGHT)
        if self._cursor >= message.total:
            self._cursor = max(0, message.total - 1)
        self.post_message(self.TotalChanged(message.total))
        self._start_fetch()
        self.refresh()

    @on(_PageArrived)
    def _on_page_arrived(self, message: _PageArrived) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self._fetching = self._fetching - {message.page_no}
        self._pages.put(message.page_no, message.page)
        if not self._fetching:
            self.call_after_refresh(self._start_fetch)  # read ahead, if the view is near an edge
        if self._anchor is not None:
            self._follow_anchor(message.page_no)
        self.refresh()
        if message.page_no == self._cursor // PAGE_SIZE:
            self.post_message(self.CursorMoved(self._cursor, self.cursor_card))

    @on(_PageFailed)
    def _on_page_failed(self, message: _PageFailed) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self._fetching = self._fetching - {message.page_no}
        self._failed.add(message.page_no)
        self.notify(labels.error_sentence(message.error), severity="error")

    def _follow_anchor(self, page_no: int) -> None:
        """Keep the cursor on the same ticket after a refresh, else on the same index."""
        cursor_page = self._cursor // PAGE_SIZE
        if abs(page_no - cursor_page) > 1 or self._anchor is None:
            return
        found = self._pages.find(self._anchor, (cursor_page, cursor_page - 1, cursor_page + 1))
        if found is not None:
            self._anchor = None
            if found != self._cursor:
                self._set_cursor(found)
        elif page_no == cursor_page:
            self._anchor = None  # it moved far away or left the list: stay on the index

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
                self._palette = plain_palette(base)
            else:
                self._palette = palette_from_variables(self.app.theme_variables, base)
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
        strips = card_lines(card, now=self._clock(), width=width, palette=palette,
                            cursor=cursor, tagged=tagged)
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

    def _cards_per_screen(self) -> int:
        return max(1, self.scrollable_content_region.height // CARD_HEIGHT)

    def action_cursor_down(self) -> None:
        self._set_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self._set_cursor(self._cursor - 1)

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor((self._total or 1) - 1)

    def action_page_down(self) -> None:
        step = self._cards_per_screen()
        self.scroll_to(y=self.scroll_offset.y + step * CARD_HEIGHT, animate=False, immediate=True)
        self._set_cursor(self._cursor + step)

    def action_page_up(self) -> None:
        step = self._cards_per_screen()
        self.scroll_to(y=max(0, self.scroll_offset.y - step * CARD_HEIGHT), animate=False, immediate=True)
        self._set_cursor(self._cursor - step)

    def action_open(self) -> None:
        card = self.cursor_card
        if card is not None:
            self.post_message(self.TicketSelected(card.id, card))

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
