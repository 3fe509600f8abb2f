"""The customers module (C1-C6): the list, search, status filter and order,
and the keys that open the profile, the form, the export and the merge.

    CustomersScreen(backend, user)

Keys: / search (debounced) · s status filter · o order · a add customer ·
e export (only with the export permission) · m merge the tagged customers
(only with the merge permission) · r refresh · Enter profile · space tag ·
Escape back (leaves the search field first, then the screen).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from sagicc_tui.backend import Backend
from sagicc_tui.domain.customers import (
    CustomerMergeResult,
    CustomerOrder,
    CustomerQuery,
)
from sagicc_tui.domain.enums import CustomerStatus
from sagicc_tui.domain.models import User
from sagicc_tui.domain.rules import Permission, can
from sagicc_tui.i18n import N_, _, plural
from sagicc_tui.screens.choose import ChoiceScreen
from sagicc_tui.widgets.customer_list import CustomerList, customer_status_label
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.translated import TranslatedBindings

SEARCH_DELAY = 0.25

_ORDER = {
    CustomerOrder.CREATED_DESC: N_("Created, newest first"),
    CustomerOrder.CREATED_ASC: N_("Created, oldest first"),
    CustomerOrder.NAME: N_("Name"),
}

ALL_STATUSES = "all"


def order_label(order: CustomerOrder) -> str:
    return _(_ORDER[order])


def status_filter_label(statuses: tuple[CustomerStatus, ...]) -> str:
    if not statuses:
        return _("All statuses")
    return ", ".join(customer_status_label(s) for s in statuses)


class CustomersScreen(TranslatedBindings, Screen[None]):
    BINDINGS = [
        Binding("slash", "search", N_("Search"), id="customers.search"),
        Binding("s", "status_filter", N_("Status"), id="customers.status"),
        Binding("o", "order", N_("Order"), id="customers.order"),
        Binding("a", "add", N_("Add customer"), id="customers.add"),
        Binding("e", "export", N_("Export"), id="customers.export"),
        Binding("m", "merge", N_("Merge"), id="customers.merge"),
        Binding("r", "refresh", N_("Refresh"), id="customers.refresh"),
        Binding("escape", "back", N_("Back"), id="customers.back"),
    ]

    def __init__(self, backend: Backend, user: User, *, export_dir: str | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.user = user
        self.export_dir = export_dir
        self._query = CustomerQuery()
        self._search_timer: Timer | None = None

    # --- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="customers-body"):
            with Horizontal(id="customers-header"):
                yield Static(Content(_("Customers")), id="customers-title")
                yield Input(placeholder=_("Search: name, document, e-mail or phone"), id="customers-search",
                            compact=True)
                yield Static(id="customers-status")
                yield Static(id="customers-order")
                yield Static(id="customers-count")
            yield CustomerList(self.backend, self.user, self._query, id="customer-list")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._show_header()
        self.customer_list.focus()

    @property
    def customer_list(self) -> CustomerList:
        return self.query_one(CustomerList)

    @property
    def current_query(self) -> CustomerQuery:
        return self._query

    def set_query(self, query: CustomerQuery) -> None:
        self._query = query
        self.customer_list.set_query(query)
        self._show_header()

    def _show_header(self) -> None:
        self.query_one("#customers-status", Static).update(
            Content.assemble(("s ", "bold"), status_filter_label(self._query.statuses)))
        self.query_one("#customers-order", Static).update(
            Content.assemble(("o ", "bold"), order_label(self._query.order)))
        self._show_count()

    def _show_count(self) -> None:
        cl = self.customer_list
        parts = [plural(cl.total, "{n} customer", "{n} customers") if cl.total is not None else _("Loading…")]
        if cl.tag_count:
            parts.append(_("{n} tagged", n=cl.tag_count))
        self.query_one("#customers-count", Static).update(Content(" · ".join(parts)))

    @on(CustomerList.TotalChanged)
    @on(CustomerList.TagsChanged)
    def _counts_changed(self) -> None:
        self._show_count()

    # --- search ------------------------------------------------------------------------

    @on(Input.Changed, "#customers-search")
    def _search_typed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._apply_search)

    @on(Input.Submitted, "#customers-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._apply_search()
        self.customer_list.focus()

    def _apply_search(self) -> None:
        text = self.query_one("#customers-search", Input).value.strip()
        if text != self._query.search:
            self.set_query(self._query.with_(search=text))

    # --- keys ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return can(self.user, Permission.EXPORT_CUSTOMERS)
        if action == "merge":
            return can(self.user, Permission.MERGE_CUSTOMERS)
        return True

    def action_search(self) -> None:
        self.query_one("#customers-search", Input).focus()

    def action_back(self) -> None:
        search = self.query_one("#customers-search", Input)
        if search.has_focus:
            self.customer_list.focus()
            return
        self.app.pop_screen()

    def action_refresh(self) -> None:
        self.customer_list.reload()

    def action_status_filter(self) -> None:
        options = [
            (Content(_("All statuses")), ALL_STATUSES),
            (Content(customer_status_label(CustomerStatus.ACTIVE)), CustomerStatus.ACTIVE),
            (Content(customer_status_label(CustomerStatus.DISABLED)), CustomerStatus.DISABLED),
        ]
        current = self._query.statuses[0] if len(self._query.statuses) == 1 else ALL_STATUSES
        self.app.push_screen(ChoiceScreen(_("Status"), options, current=current), self._status_chosen)

    def _status_chosen(self, value: object) -> None:
        if value is None:
            return
        statuses = () if value == ALL_STATUSES else (CustomerStatus(value),)
        if statuses != self._query.statuses:
            self.set_query(self._query.with_(statuses=statuses))

    def action_order(self) -> None:
        options = [(Content(order_label(o)), o) for o in CustomerOrder]
        self.app.push_screen(ChoiceScreen(_("Order"), options, current=self._query.order), self._order_chosen)

    def _order_chosen(self, order: CustomerOrder | None) -> None:
        if order is not None and order is not self._query.order:
            self.set_query(self._query.with_(order=order))

    @on(CustomerList.Selected)
    def _open_profile(self, event: CustomerList.Selected) -> None:
        self.open_profile(event.customer_id)

    def open_profile(self, customer_id: int) -> None:
        from sagicc_tui.screens.customer_profile import CustomerProfileScreen

        self.app.push_screen(CustomerProfileScreen(self.backend, self.user, customer_id), self._profile_closed)

    def _profile_closed(self, changed: bool | None) -> None:
        if changed:
            self.customer_list.reload()

    def action_add(self) -> None:
        from sagicc_tui.screens.customer_form import CustomerFormScreen, FormResult

        def done(result: FormResult | None) -> None:
            if result is None:
                return
            if result.open_id is not None:
                self.open_profile(result.open_id)
                return
            if result.customer is not None:
                self.notify(_("Customer saved."))
                self.customer_list.reload()

        self.app.push_screen(CustomerFormScreen(self.backend, self.user), done)

    def action_export(self) -> None:
        if not can(self.user, Permission.EXPORT_CUSTOMERS):
            return
        from sagicc_tui.screens.customer_export import CustomerExportScreen

        self.app.push_screen(CustomerExportScreen(self.backend, self.user, directory=self.export_dir))

    def action_merge(self) -> None:
        if not can(self.user, Permission.MERGE_CUSTOMERS):
            return
        items = self.customer_list.tagged_items()
        if len(items) < 2:
            self.notify(_("Tag at least two customers to merge (space), then press m."), severity="warning")
            return
        from sagicc_tui.screens.customer_merge import CustomerMergeScreen

        self.app.push_screen(CustomerMergeScreen(self.backend, self.user, items), self._merged)

    def _merged(self, result: CustomerMergeResult | None) -> None:
        if result is None:
            return
        self.customer_list.forget(set(result.deleted_ids) | {result.main.id})
        self.customer_list.reload()

