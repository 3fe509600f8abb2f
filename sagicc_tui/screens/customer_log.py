"""C6 / #15.1: a customer's change log, from the profile (administrators).

    CustomerLogScreen(backend, user, customer)   # dismisses None

Every entry of the customer -- created, edited, contacts, accounts, relations,
assigned user, merged -- and, for each customer merged into this one, that
customer's own entries up to its deletion, marked with its id: what a merge
took in stays readable after the customer it came from is gone. Newest first.
Values are untrusted: plain Text cells, never markup.

Keys: Escape closes.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from sagicc_tui import sanitize
from sagicc_tui.backend import Backend
from sagicc_tui.domain.enums import ChangeKind, EntityKind
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.models import ChangeLogEntry, Customer, User
from sagicc_tui.i18n import N_, _
from sagicc_tui.session import Session
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.conversation import when
from sagicc_tui.widgets.io import BackendCalls
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.translated import TranslatedBindings

HEADERS = (N_("Date"), N_("Type"), N_("Field"), N_("Previous"), N_("New"), N_("User"))


def merged_ids(entries: list[ChangeLogEntry]) -> list[int]:
    """The customers merged into this one, as its log records them."""
    found: list[int] = []
    for e in entries:
        if e.kind is ChangeKind.CUSTOMER_MERGED and e.field == "customer" and e.previous.isdigit():
            if int(e.previous) not in found:
                found.append(int(e.previous))
    return found


class CustomerLogScreen(BackendCalls, TranslatedBindings, ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", N_("Close"), id="customers.log.close")]

    def __init__(self, backend: Backend, user: User, customer: Customer) -> None:
        super().__init__()
        self.backend, self.user, self.customer = backend, user, customer
        self.entries: list[tuple[int, ChangeLogEntry]] = []  # (whose entry, the entry)

    @property
    def session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self.backend.session(self.user)

    def compose(self) -> ComposeResult:
        with Vertical(id="customer-log", classes="customer-dialog"):
            yield Static(sanitize.content(_("Change log of {name} (id {id})",
                                            name=sanitize.one_line(self.customer.full_name, max_len=60),
                                            id=self.customer.id)), classes="customer-dialog-title")
            yield Static(Content(_("Loading…")), id="log-status")
            yield DataTable(id="customer-log-table", cursor_type="row", zebra_stripes=True)
            yield Label("", id="log-error", classes="customer-error")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#customer-log-table", DataTable)
        table.add_columns(*(_(h) for h in HEADERS))
        table.focus()
        self.call("log", self._read, self._show, self._error)

    async def _read(self) -> list[tuple[int, ChangeLogEntry]]:
        own = await self.session.admin.change_log(EntityKind.CUSTOMER, self.customer.id)
        rows = [(self.customer.id, e) for e in own]
        for other in merged_ids(own):
            rows += [(other, e) for e in await self.session.admin.change_log(EntityKind.CUSTOMER, other)]
        rows.sort(key=lambda r: (r[1].at, r[1].id), reverse=True)
        return rows

    def _show(self, rows: list[tuple[int, ChangeLogEntry]]) -> None:
        self.entries = rows
        table = self.query_one("#customer-log-table", DataTable)
        table.clear()
        for whose, e in rows:
            field = sanitize.one_line(e.field, max_len=30)
            if whose != self.customer.id:
                field = f"id {whose}: {field}"
            table.add_row(*(Text(v) for v in (
                when(e.at), labels.change_kind(e.kind), field, sanitize.one_line(e.previous, max_len=40),
                sanitize.one_line(e.new, max_len=40), sanitize.one_line(e.user_name, max_len=30))))
        status = self.query_one("#log-status", Static)
        status.update(Content(_("No changes recorded.") if not rows else
                              _("{count} changes, newest first.", count=len(rows))))

    def _error(self, e: SagiccError) -> None:
        self.query_one("#log-status", Static).update("")
        label = self.query_one("#log-error", Label)
        label.update(Content(labels.error_sentence(e)))
        label.add_class("-shown")

    @property
    def error_text(self) -> str:
        label = self.query_one("#log-error", Label)
        return str(label.render()) if label.has_class("-shown") else ""

    def action_close(self) -> None:
        self.dismiss(None)

    @on(DataTable.RowSelected)
    def _row(self, event: DataTable.RowSelected) -> None:
        event.stop()  # nothing opens from a log line
