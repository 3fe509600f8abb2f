"""THE customer list (C1): one virtual, line-API widget for any number of customers.

Built like the ticket list (widgets/ticket_list.py): nothing here is per
customer. The list knows the total (``count_customers``), keeps a few pages of
100 rows (the generic `PageCache` of widgets/ticket_pages.py) and draws only
the lines on screen. A missing page is read by a worker after the frame
(keyset ``after`` from the page before when known, else ``offset``), and a
placeholder line is drawn until it arrives.

One line per customer; line 0 is the column header and stays in place while
the rows scroll under it. Tags (space) are kept as id -> row so the merge
dialog has the tagged rows even when their pages left the cache.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip

from sagicc_tui import sanitize
from sagicc_tui.backend import Backend
from sagicc_tui.domain.customers import CustomerListItem, CustomerPage, CustomerQuery
from sagicc_tui.domain.enums import CustomerStatus
from sagicc_tui.domain.models import User
from sagicc_tui.i18n import N_, _
from sagicc_tui.session import Session
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.ticket_card import format_created
from sagicc_tui.widgets.paged_list import PagedList
from sagicc_tui.widgets.ticket_pages import PAGE_SIZE

HEADER_LINES = 1

# The enum labels live with the others in labels.py; these names stay for the customer screens.
customer_type_label = labels.customer_type
customer_status_label = labels.customer_status
id_type_label = labels.id_type


def list_name(item: CustomerListItem) -> tuple[str, str]:
    """(names, last names) as the list shows them."""
    first = " ".join(p for p in (item.first_name, item.middle_name) if p)
    last = " ".join(p for p in (item.last_name, item.second_last_name) if p)
    return first, last


@dataclass(frozen=True, slots=True)
class Columns:
    """Column widths for one list width; 0 hides a column."""

    mark: int
    type: int
    id_type: int
    number: int
    name: int
    last: int
    status: int
    created: int


def columns(width: int) -> Columns:
    mark = 6
    type_w, id_type_w, number_w, status_w = 9, 10, 15, 10
    created_w = 17 if width >= 100 else 0
    if width < 70:
        type_w = 0
    rest = width - mark - type_w - id_type_w - number_w - status_w - created_w
    rest = max(rest, 10)
    name_w = rest // 2
    return Columns(mark, type_w, id_type_w, number_w, name_w, rest - name_w, status_w, created_w)


def _cell(text: str, width: int) -> str:
    if width <= 0:
        return ""
    text = sanitize.one_line(text, max_len=max(1, width - 1))
    return text.ljust(width)


class CustomerList(PagedList, can_focus=True, inherit_bindings=False):
    HEADER_LINES = HEADER_LINES
    COMPONENT_CLASSES = {
        "customer-list--header",
        "customer-list--cursor",
        "customer-list--tagged",
        "customer-list--disabled",
        "customer-list--muted",
    }

    BINDINGS = [
        Binding("down,j", "cursor_down", N_("Down"), show=False, id="customers.down"),
        Binding("up,k", "cursor_up", N_("Up"), show=False, id="customers.up"),
        Binding("home,g", "first", N_("First customer"), show=False, id="customers.first"),
        Binding("end,G", "last", N_("Last customer"), show=False, id="customers.last"),
        Binding("pageup", "page_up", N_("Page up"), show=False, id="customers.page_up"),
        Binding("pagedown", "page_down", N_("Page down"), show=False, id="customers.page_down"),
        Binding("enter", "open", N_("Open customer"), id="customers.open"),
        Binding("space,t", "toggle_tag", N_("Tag"), id="customers.tag"),
        Binding("u", "clear_tags", N_("Untag all"), show=False, id="customers.untag_all"),
    ]

    @dataclass
    class Selected(Message):
        customer_id: int
        item: CustomerListItem

    @dataclass
    class TagsChanged(Message):
        count: int

    @dataclass
    class TotalChanged(Message):
        total: int

    def __init__(self, backend: Backend, user: User, query: CustomerQuery, *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._backend = backend
        self._user = user
        self._query = query
        self._tags: dict[int, CustomerListItem] = {}

    @property
    def _session(self) -> Session:
        """The backend as this widget's user (made again when the user changes)."""
        return self._backend.session(self._user)

    # --- public state ------------------------------------------------------------------

    @property
    def query(self) -> CustomerQuery:
        return self._query

    @property
    def cursor_item(self) -> CustomerListItem | None:
        return self._pages.card(self._cursor) if self._total else None  # type: ignore[return-value]

    @property
    def tag_count(self) -> int:
        return len(self._tags)

    def tagged_items(self) -> list[CustomerListItem]:
        return list(self._tags.values())

    def is_tagged(self, customer_id: int) -> bool:
        return customer_id in self._tags

    # --- loading -----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._start(keep_position=False)

    def set_query(self, query: CustomerQuery) -> None:
        if query == self._query:
            return
        self._query = query
        self._start(keep_position=False)

    def reload(self) -> None:
        """Re-read everything (after an edit, a merge...), keeping the cursor's customer."""
        self._start(keep_position=True)

    def forget(self, customer_ids: set[int]) -> None:
        """Customers that no longer exist (deleted, merged away) leave the tags."""
        if any(cid in self._tags for cid in customer_ids):
            for cid in customer_ids:
                self._tags.pop(cid, None)
            self.post_message(self.TagsChanged(len(self._tags)))

    # --- the page engine's hooks (widgets/paged_list.py) ---------------------------------------

    async def _read_count(self, exact: bool = False) -> tuple[int, bool]:
        return await self._session.customers.count_customers(self._query), False

    async def _read_page(self, after, offset: int) -> CustomerPage:
        return await self._session.customers.list_customers(self._query, limit=PAGE_SIZE, after=after,
                                                  offset=0 if after is not None else offset)

    def _total_arrived(self, total: int, more: bool) -> None:
        self.post_message(self.TotalChanged(total))

    def _page_arrived(self, page_no: int, page: CustomerPage) -> None:
        for item in page.rows:  # tagged rows follow their fresh copy
            if item.id in self._tags:
                self._tags[item.id] = item

    # --- drawing -------------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        return self.component_style(name)  # transparent colours blended, as the ticket list

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y < HEADER_LINES:
            return self._header_line(width, base)
        index = int(self.scroll_offset.y) + y - HEADER_LINES
        if self._total == 0:
            if index == 0:
                text = "      " + _("No customers match the search.")
                return Strip([Segment(text, base + self._style("customer-list--muted"))]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if self._total is not None and index >= self._total:
            return Strip.blank(width, base)
        if self._total is None:
            return Strip.blank(width, base)
        page_no = index // PAGE_SIZE
        if not self._pages.has(page_no):
            self._request_page(page_no)
        item = self._pages.card(index)
        if item is None:
            text = "      " + _("Loading…")
            return Strip([Segment(text, base + self._style("customer-list--muted"))]).crop_extend(0, width, base)
        return self._row_line(index, item, width, base)  # type: ignore[arg-type]

    def _header_line(self, width: int, base: Style) -> Strip:
        c = columns(width)
        text = (" " * c.mark + _cell(_("Type"), c.type) + _cell(_("ID type"), c.id_type)
                + _cell(_("ID number"), c.number) + _cell(_("Name"), c.name) + _cell(_("Last name"), c.last)
                + _cell(_("Status"), c.status) + _cell(_("Created"), c.created))
        return Strip([Segment(text, base + self._style("customer-list--header"))]).crop_extend(0, width, base)

    def _row_line(self, index: int, item: CustomerListItem, width: int, base: Style) -> Strip:
        c = columns(width)
        cursor = index == self._cursor
        tagged = item.id in self._tags
        style = base
        if item.status is CustomerStatus.DISABLED:
            style = style + self._style("customer-list--disabled")
        if cursor:
            style = style + self._style("customer-list--cursor")
        first, last = list_name(item)
        mark = ("▸ " if cursor else "  ") + ("[x] " if tagged else "[ ] ")
        segments = [
            Segment(mark, style + self._style("customer-list--tagged") if tagged else style),
            Segment(
                _cell(customer_type_label(item.type), c.type) + _cell(id_type_label(item.id_type), c.id_type)
                + _cell(item.id_number, c.number) + _cell(first, c.name) + _cell(last, c.last)
                + _cell(customer_status_label(item.status), c.status)
                + _cell(format_created(item.created_at), c.created),
                style,
            ),
        ]
        return Strip(segments).crop_extend(0, width, style)

    def _refresh_row(self, index: int) -> None:
        y = index - int(self.scroll_offset.y) + HEADER_LINES
        self.refresh(Region(0, y, self.size.width, 1))

    # --- cursor ----------------------------------------------------------------------------------

    def _set_cursor(self, index: int, *, scroll: bool = True) -> None:
        total = self._total or 0
        index = max(0, min(index, total - 1)) if total else 0
        old, self._cursor = self._cursor, index
        if old != index:
            self._refresh_row(old)
            self._refresh_row(index)
        if scroll:
            y = int(self.scroll_offset.y)
            height = self._rows_height()
            if index < y:
                self.scroll_to(y=index, animate=False, immediate=True)
            elif index >= y + height:
                self.scroll_to(y=index - height + 1, animate=False, immediate=True)

    def action_open(self) -> None:
        item = self.cursor_item
        if item is not None:
            self.post_message(self.Selected(item.id, item))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or not self._total or offset.y < HEADER_LINES:
            return
        index = offset.y - HEADER_LINES + int(self.scroll_offset.y)
        if index >= self._total:
            return
        self._set_cursor(index, scroll=False)
        if 2 <= offset.x <= 4:
            self.action_toggle_tag()
        elif event.chain >= 2:
            self.action_open()

    # --- tags ----------------------------------------------------------------------------------------

    def action_toggle_tag(self) -> None:
        item = self.cursor_item
        if item is None:
            return
        if item.id in self._tags:
            del self._tags[item.id]
        else:
            self._tags[item.id] = item
        self._refresh_row(self._cursor)
        self.post_message(self.TagsChanged(len(self._tags)))
        if self._cursor + 1 < (self._total or 0):
            self._set_cursor(self._cursor + 1)

    def action_clear_tags(self) -> None:
        self.clear_tags()

    def clear_tags(self) -> None:
        self._tags.clear()
        self.refresh()
        self.post_message(self.TagsChanged(0))
