"""The ticket list's memory: a few pages of cards, never the whole list.

Pages are `PAGE_SIZE` cards; at most `MAX_PAGES` are kept (least recently
used goes first), so memory and work do not grow with the number of tickets.
After a live refresh the old pages become *stale*: they are still drawn until
their fresh copy arrives, so nothing flickers, but they are never used as the
keyset cursor of a new read.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator

from sagicc_tui.domain.models import TicketCard
from sagicc_tui.domain.query import TicketCursor, TicketPage

PAGE_SIZE = 100
MAX_PAGES = 8


class PageCache:
    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        self.max_pages = max_pages
        self._fresh: OrderedDict[int, TicketPage] = OrderedDict()
        self._stale: dict[int, TicketPage] = {}

    def __len__(self) -> int:
        return len(self._fresh)

    @staticmethod
    def page_of(index: int) -> int:
        return index // PAGE_SIZE

    def has(self, page_no: int) -> bool:
        return page_no in self._fresh

    def card(self, index: int) -> TicketCard | None:
        """The card at a list index, fresh if possible, else stale, else None."""
        page_no, row = divmod(index, PAGE_SIZE)
        page = self._fresh.get(page_no)
        if page is not None:
            self._fresh.move_to_end(page_no)
        else:
            page = self._stale.get(page_no)
        if page is None or row >= len(page.rows):
            return None
        return page.rows[row]

    def put(self, page_no: int, page: TicketPage) -> None:
        self._fresh[page_no] = page
        self._fresh.move_to_end(page_no)
        self._stale.pop(page_no, None)
        while len(self._fresh) > self.max_pages:
            self._fresh.popitem(last=False)

    def after(self, page_no: int) -> TicketCursor | None:
        """The keyset cursor that continues into `page_no`, when the page before is known."""
        previous = self._fresh.get(page_no - 1)
        return previous.next_cursor if previous is not None else None

    def invalidate(self) -> None:
        """Everything may have changed: keep drawing the old cards until replaced."""
        self._stale = {**self._stale, **self._fresh}
        while len(self._stale) > self.max_pages:
            self._stale.pop(next(iter(self._stale)))
        self._fresh = OrderedDict()

    def clear(self) -> None:
        self._fresh.clear()
        self._stale.clear()

    def find(self, ticket_id: int, pages: Iterable[int]) -> int | None:
        """Index of a ticket among the given fresh pages, if it is there."""
        for page_no in pages:
            page = self._fresh.get(page_no)
            if page is None:
                continue
            for row, card in enumerate(page.rows):
                if card.id == ticket_id:
                    return page_no * PAGE_SIZE + row
        return None

    def cards(self) -> Iterator[TicketCard]:
        """Every fresh card in memory (at most MAX_PAGES × PAGE_SIZE)."""
        for page in self._fresh.values():
            yield from page.rows
