"""`n` (mutt's next unread): the first ticket after a position, in a list's order,
that has unread interactions -- on the list and inside a ticket (#12.2).

One search for both: the list passes its cached pages, the ticket screen reads
pages of the query the list showed (`ListPosition` travels from the list to
the ticket screen), so `n` inside a ticket continues where the list is, past
the pages in memory. At most UNREAD_PAGES pages are read ahead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field

from sagicc_tui.domain.models import TicketCard
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.widgets.ticket_pages import PAGE_SIZE

UNREAD_PAGES = 10  # n reads ahead at most this many pages (1,000 tickets) for the next unread

#: page number -> (its cards, whether it is the last page)
PageReader = Callable[[int], Awaitable[tuple[Sequence[TicketCard | None], bool]]]


@dataclass
class ListPosition:
    """Where the open ticket stands in the list it was opened from: the list's
    query (filters, search, order) and the ticket's index in that order. `seen`
    are the tickets opened on this trail: `n` never offers them again, even if
    the order moved them (reading changes the unread orders)."""

    query: TicketQuery
    index: int = -1  # -1: before the first ticket
    seen: set[int] = field(default_factory=set)


async def find_next_unread(read_page: PageReader, *, after: int,
                           skip: Collection[int] = ()) -> tuple[int, TicketCard] | None:
    """(index, card) of the first ticket after index `after` with unread
    interactions and not in `skip`; None when there is none within reach."""
    index = after + 1
    first = max(index, 0) // PAGE_SIZE
    for page_no in range(first, first + UNREAD_PAGES):
        rows, last = await read_page(page_no)
        for i, card in enumerate(rows):
            at = page_no * PAGE_SIZE + i
            if card is not None and at >= index and card.unread_count > 0 and card.id not in skip:
                return at, card
        if last:
            break
    return None
