"""The page engine of the virtual lists (tickets, customers): count, pages, read-ahead.

One `ScrollView` whose lines are drawn from a few cached pages of 100 rows
(`PageCache`), never from the whole list. A subclass says how to read
(`_read_count`, `_read_page`), how tall a row is (`ROW_HEIGHT`) and whether
a fixed header sits above the rows (`HEADER_LINES`); it draws its own lines.

A count may be a lower bound ("more than 1,000": a search's count stops
early, as counting every match of a common word costs more than the page):
the list then grows as pages arrive, and a short page tells where it ends.

A line asks for its page while drawing (`_request_page`); the read starts
after the frame, keyset from the page before when it is known, else by
offset. When the view nears a page not read yet, that page is read ahead, one
at a time. Every reset bumps a generation so late answers are dropped. Reads
go through the one worker pattern (widgets/io.py), errors through its policy.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from textual.color import Color
from textual.geometry import Size
from textual.scroll_view import ScrollView

from sagicc_tui.widgets.io import BackendCalls
from sagicc_tui.widgets.ticket_pages import PAGE_SIZE, PageCache


class PagedList(BackendCalls, ScrollView):
    ROW_HEIGHT = 1
    HEADER_LINES = 0

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._pages = PageCache()
        self._generation = 0  # bumped on every reset/refresh: late results are dropped
        self._total: int | None = None  # None until counted
        self._more = False  # the count was a lower bound: rows past _total - 1 may exist
        self._cursor = 0
        self._anchor: int | None = None  # row id the cursor should stay on after a refresh
        self._fetching: frozenset[int] = frozenset()
        self._fetch_scheduled = False
        self._failed: set[int] = set()  # pages that failed in this generation: no retry loop
        self._chain = 0  # bumped by every _fetch_pages: an older chain of page reads stops

    # --- what a subclass provides ------------------------------------------------------------

    async def _read_count(self, exact: bool = False) -> tuple[int, bool]:
        """(rows, more): `more` says the count stopped early and rows past it
        may exist. `exact`: count them all (a mass action over every match)."""
        raise NotImplementedError

    async def _read_page(self, after: Any, offset: int) -> Any:
        """One page of PAGE_SIZE rows; `after` is the keyset cursor or None."""
        raise NotImplementedError

    def _total_arrived(self, total: int, more: bool) -> None:
        """The count is in, or grew (`more`: at least `total`): post the widget's own message."""

    def _page_arrived(self, page_no: int, page: Any) -> None:
        """A page is in the cache (after the anchor was followed)."""

    def _set_cursor(self, index: int, *, scroll: bool = True) -> None:
        raise NotImplementedError

    def _cleared(self) -> None:
        """A reset from the top: drop any per-row drawing cache."""

    # --- state ---------------------------------------------------------------------------------

    @property
    def total(self) -> int | None:
        return self._total

    @property
    def more(self) -> bool:
        """`total` is a lower bound: the list may go on past it."""
        return self._more

    @property
    def cursor_index(self) -> int:
        return self._cursor

    def cached_pages(self) -> int:
        return len(self._pages)

    def _cursor_row(self) -> Any:
        return self._pages.card(self._cursor) if self._total else None

    # --- theming ------------------------------------------------------------------------------

    def component_style(self, name: str) -> Style:
        """One of the list's COMPONENT_CLASSES as a Rich style, for the lines it draws.

        Like `get_component_rich_style(name, partial=True)`, but a colour with
        alpha ($foreground-muted, "$primary 30%") is blended over the list's
        background, as Textual does for a widget's own CSS; Rich colours carry
        no alpha, so the partial style alone would draw it at full strength."""
        styles = self.get_component_styles(name)
        under = Color.from_rich_color(self.rich_style.bgcolor) if self.rich_style.bgcolor else Color(0, 0, 0)

        def solid(colour: Color) -> Color:
            return under + colour if colour.a < 1 else colour

        style = Style(
            color=solid(styles.color).rich_color if styles.has_rule("color") and styles.color.a > 0 else None,
            bgcolor=(solid(styles.background).rich_color
                     if styles.has_rule("background") and styles.background.a > 0 else None),
        )
        return style + styles.text_style

    # --- loading --------------------------------------------------------------------------------

    def shown_ids(self) -> set[int]:
        """Ids of the rows in the pages on screen (read, fresh or not)."""
        ids: set[int] = set()
        for page_no in self._visible_pages():
            for row in range(page_no * PAGE_SIZE, (page_no + 1) * PAGE_SIZE):
                card = self._pages.card(row)
                if card is None:
                    break
                ids.add(card.id)
        return ids

    def shows_customers(self, customer_ids: frozenset[int]) -> bool:
        """Does a row on screen belong to one of these customers?"""
        for page_no in self._visible_pages():
            for row in range(page_no * PAGE_SIZE, (page_no + 1) * PAGE_SIZE):
                card = self._pages.card(row)
                if card is None:
                    break
                if getattr(card, "customer_id", None) in customer_ids:
                    return True
        return False

    def refresh_shown(self) -> None:
        """Re-read only the pages on screen, not the count: a live change to rows
        shown (the others are read again when the view reaches them)."""
        self._start(keep_position=True, count=False)

    def _start(self, *, keep_position: bool, count: bool = True) -> None:
        """Read the list again; `count=False` keeps the count (a tick's rows, the same rows in another order)."""
        self._generation += 1
        self._failed.clear()
        self._fetching = frozenset()
        if keep_position:
            row = self._cursor_row()
            self._anchor = row.id if row is not None else None
            self._pages.invalidate()
        else:
            self._anchor = None
            self._pages.clear()
            if count:  # else the same rows in another order: the count stands
                self._total = None
                self._more = False
            self._cursor = 0
            self._cleared()
            self.virtual_size = Size(0, (self._total or 0) * self.ROW_HEIGHT + self.HEADER_LINES)
            self.scroll_to(y=0, animate=False, immediate=True)
        if count or self._total is None:
            self._count(self._generation)
        self._start_fetch()
        self.refresh()

    def _count(self, generation: int, *, exact: bool = False) -> None:
        # A failed count (offline) arrives as None: the rows read so far stay on screen.
        self.call("list-count", lambda: self._read_count(exact), lambda counted: self._on_counted(generation, counted),
                  lambda _e: self._on_counted(generation, None), settle=True)

    def count_exactly(self) -> None:
        """Replace a lower-bound count by the exact one (it visits every match)."""
        if self._more:
            self._count(self._generation, exact=True)

    def _fetch_pages(self, generation: int, pages: list[int]) -> None:
        """Read the wanted pages in order, one call per page, each chained from the
        answer of the one before (the one worker pattern of widgets/io.py: one
        exclusive worker per group, the result back on the message loop).

        A chain rather than one worker reading every page: each page reaches
        the screen as soon as it is read, the page before is in the cache when
        the next read starts (so the keyset cursor continues from it: cost
        independent of depth), and a newer `_start_fetch` replaces the worker
        (exclusive group) and bumps `_chain`, so an older chain never goes on."""
        self._chain += 1
        self._fetch_next(generation, self._chain, pages)

    def _fetch_next(self, generation: int, chain: int, pages: list[int]) -> None:
        page_no, rest = pages[0], pages[1:]
        # Keyset from the page before when it is cached; otherwise jump with the offset.
        after = self._pages.after(page_no)

        def arrived(page: Any) -> None:
            self._on_page_arrived(generation, page_no, page)
            if rest and chain == self._chain and generation == self._generation:
                self._fetch_next(generation, chain, rest)

        self.call("list-pages", lambda: self._read_page(after, page_no * PAGE_SIZE), arrived,
                  lambda _e: self._on_page_failed(generation, page_no), settle=True)

    def _rows_height(self) -> int:
        """Lines available for rows (the header, if any, stays on top)."""
        return max(self.scrollable_content_region.height - self.HEADER_LINES, 1)

    def _rows_per_screen(self) -> int:
        return max(1, self._rows_height() // self.ROW_HEIGHT)

    # --- cursor keys (the same in every list) ------------------------------------

    def action_cursor_down(self) -> None:
        self._set_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self._set_cursor(self._cursor - 1)

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor((self._total or 1) - 1)

    def action_page_down(self) -> None:
        step = self._rows_per_screen()
        self.scroll_to(y=self.scroll_offset.y + step * self.ROW_HEIGHT, animate=False, immediate=True)
        self._set_cursor(self._cursor + step)

    def action_page_up(self) -> None:
        step = self._rows_per_screen()
        self.scroll_to(y=max(0, self.scroll_offset.y - step * self.ROW_HEIGHT), animate=False, immediate=True)
        self._set_cursor(self._cursor - step)

    def _row_range(self, top: int, bottom: int) -> list[int]:
        first = max(0, top) // self.ROW_HEIGHT
        last = bottom // self.ROW_HEIGHT
        if self._total is not None:
            last = min(last, self._total - 1)
        return list(range(first // PAGE_SIZE, last // PAGE_SIZE + 1)) if last >= first else []

    def _visible_pages(self) -> list[int]:
        top = int(self.scroll_offset.y)
        pages = self._row_range(top, top + self._rows_height() - 1)
        # The cursor's page first: it is where the eye is.
        cursor_page = self._cursor // PAGE_SIZE
        return sorted(pages, key=lambda p: (p != cursor_page, p))

    def _near_pages(self) -> list[int]:
        """Pages within one screen above or below the view: the next ones it will enter."""
        height = self._rows_height()
        top = int(self.scroll_offset.y)
        return self._row_range(top - height, top + 2 * height - 1)

    def _request_page(self, page_no: int) -> None:
        """Called while drawing: schedule a read after this frame, never during it."""
        if page_no in self._fetching or page_no in self._failed or self._fetch_scheduled:
            return
        self._fetch_scheduled = True
        self.call_after_refresh(self._start_fetch)

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
        # One chain of reads covers every wanted page; starting it replaces the
        # previous chain (exclusive group, newer `_chain`), which cannot be left
        # half-done because the new set includes everything still on screen.
        self._fetching = frozenset(wanted)
        self._fetch_pages(self._generation, wanted)

    def _on_counted(self, generation: int, counted: tuple[int, bool] | None) -> None:
        if generation != self._generation:
            return
        if counted is None:
            # The store did not answer (a server offline): the last rows stay on
            # screen, drawn from the pages already read, rather than an empty list.
            if self._total is not None:
                return
            counted = (0, False)
        self._set_total(*counted)
        if self._cursor >= self._total:
            self._cursor = max(0, self._total - 1)
        self._start_fetch()
        self.refresh()

    def _set_total(self, total: int, more: bool) -> None:
        self._total, self._more = total, more
        self.virtual_size = Size(0, total * self.ROW_HEIGHT + self.HEADER_LINES)
        self._total_arrived(total, more)

    def _grow(self, page_no: int, page: Any) -> None:
        """A lower-bound count meets a page at its edge: a short page ends the
        list there; a full one makes room for at least one row more."""
        if not self._more or self._total is None:
            return
        end = page_no * PAGE_SIZE + len(page.rows)
        if len(page.rows) < PAGE_SIZE:
            self._set_total(end, False)
        elif end >= self._total:
            self._set_total(end + 1, True)

    def _on_page_arrived(self, generation: int, page_no: int, page: Any) -> None:
        if generation != self._generation:
            return
        self._fetching = self._fetching - {page_no}
        self._pages.put(page_no, page)
        self._grow(page_no, page)
        if not self._fetching:
            self.call_after_refresh(self._start_fetch)  # read ahead, if the view is near an edge
        if self._anchor is not None:
            self._follow_anchor(page_no)
        self._page_arrived(page_no, page)
        self.refresh()

    def _on_page_failed(self, generation: int, page_no: int) -> None:
        """The sentence is already shown (widgets/io.py); this page is not retried in this generation."""
        if generation != self._generation:
            return
        self._fetching = self._fetching - {page_no}
        self._failed.add(page_no)

    def _follow_anchor(self, page_no: int) -> None:
        """Keep the cursor on the same row after a refresh, else on the same index."""
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
