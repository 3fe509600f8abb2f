"""The ticket list screen (L1-L7, L9, L10): top bar, filters, search, order, the list.

The screen only wires widgets together: each widget owns its state and says
what happened with a message. The screen holds the one current query (filters
+ search + order + campaign), the live-refresh poll and the key actions that
open dialogs (order, campaign, pending, mass actions, the ticket).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from sagicc_tui.backend import Backend
from sagicc_tui.domain.enums import AgentStatus, MassActionKind, TicketOrder
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.models import Campaign, User
from sagicc_tui.domain.query import MassResult, SavedView, TicketPage, TicketQuery
from sagicc_tui.domain.rules import mass_actions_for
from sagicc_tui.i18n import N_, _, plural
from sagicc_tui.sanitize import one_line
from sagicc_tui.screens.choose import ChoiceScreen
from sagicc_tui.screens.commands import PaletteCommand, ScreenCommands
from sagicc_tui.screens.mass_prompt import MassActionPrompt
from sagicc_tui.screens.text_prompt import TextPrompt
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.filter_bar import FilterBar, filter_summary
from sagicc_tui.widgets.ticket_card import next_task_flag
from sagicc_tui.widgets.ticket_list import TicketList
from sagicc_tui.widgets.top_bar import TopBar
from sagicc_tui.widgets.translated import TranslatedBindings

SEARCH_DELAY = 0.25
LEAVE_GRACE = 0.4  # seconds after a ticket closes during which keys still arriving are dropped
PENDING_LIMIT = 50


class TicketsScreen(TranslatedBindings, Screen[None]):
    COMMANDS = {ScreenCommands}
    BINDINGS = [
        Binding("f", "toggle_filters", N_("Filters"), id="tickets.filters"),
        Binding("slash", "search", N_("Search"), id="tickets.search"),
        Binding("o", "order", N_("Order"), id="tickets.order"),
        Binding("r", "refresh", N_("Refresh"), id="tickets.refresh"),
        Binding("semicolon", "mass_action", N_("Mass actions"), id="tickets.mass"),
        Binding("p", "pending", N_("Pending tickets"), id="tickets.pending"),
        Binding("c", "campaign", N_("Campaign"), id="tickets.campaign"),
        Binding("s", "toggle_status", N_("Available/Busy"), id="tickets.status"),
        Binding("escape", "back_to_list", N_("Back to the list"), show=False, id="tickets.back"),
        Binding("C", "customers", N_("Customers"), show=False, id="tickets.customers"),
        Binding("v", "views", N_("Views"), show=False, id="tickets.views"),
    ]

    @dataclass
    class CampaignChanged(Message):
        """Bubbles to the app: the session's current campaign."""

        campaign: Campaign

    @dataclass
    class UserChanged(Message):
        """Bubbles to the app: the user's details changed (agent status)."""

        user: User

    @dataclass
    class _Token(Message):
        token: int

    @dataclass
    class _Pending(Message):
        campaign_id: int
        page: TicketPage

    @dataclass
    class _StatusSet(Message):
        user: User

    def __init__(self, backend: Backend, user: User, campaigns: list[Campaign], campaign: Campaign | None,
                 *, clock: Callable[[], datetime], poll_interval: float = 1.0) -> None:
        super().__init__()
        self.backend = backend
        self.user = user
        self.campaigns = campaigns
        self.campaign = campaign
        self._clock = clock
        self._poll_interval = poll_interval
        self._query = TicketQuery(campaign_ids=(campaign.id,) if campaign else ())
        self._token: int | None = None
        self._keys_blocked_until = 0.0  # monotonic time; see _ticket_left
        self._search_timer: Timer | None = None
        self._views: list[SavedView] = []

    # --- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(self.user, self.campaign, id="top-bar")
        with Horizontal(id="tickets-body"):
            yield FilterBar(self.backend, self.user, self._query, self.campaigns,
                            self.campaign.id if self.campaign else None, id="filter-bar")
            with Vertical(id="list-pane"):
                with Horizontal(id="list-header"):
                    yield Input(placeholder=_("Search: number, customer, description, message"),
                                id="search", compact=True)
                    yield Static(id="order-label")
                    yield Static(id="count-label")
                yield Static(id="filter-summary")
                yield TicketList(self.backend, self.user, self._query, clock=self._clock, id="ticket-list")
        yield Footer()

    def on_mount(self) -> None:
        self._show_header()
        self.ticket_list.focus()
        self._load_pending()
        self._poll()
        self.set_interval(self._poll_interval, self._poll)

    @property
    def ticket_list(self) -> TicketList:
        return self.query_one(TicketList)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    @property
    def top_bar(self) -> TopBar:
        return self.query_one(TopBar)

    @property
    def current_query(self) -> TicketQuery:
        return self._query

    # --- the query ------------------------------------------------------------------

    def set_query(self, query: TicketQuery) -> None:
        self._query = query
        self.filter_bar.set_base(query)
        self.ticket_list.set_query(query)
        self._show_header()

    def _show_header(self) -> None:
        names = {c.id: c.name for c in self.campaigns}
        current = self.campaign.id if self.campaign else None
        self.query_one("#filter-summary", Static).update(
            Content(filter_summary(self._query, current, names)))
        self.query_one("#order-label", Static).update(
            Content.assemble(("o ", "bold"), labels.order(self._query.order)))
        self._show_count()

    def _show_count(self) -> None:
        tl = self.ticket_list
        parts = [plural(tl.total, "{n} ticket", "{n} tickets") if tl.total is not None else _("Loading…")]
        if tl.tag_count:
            parts.append(_("{n} tagged", n=tl.tag_count))
        self.query_one("#count-label", Static).update(Content(" · ".join(parts)))

    @on(FilterBar.Changed)
    def _filters_changed(self, event: FilterBar.Changed) -> None:
        # The filter bar built on an older base: keep the current search and order.
        self.set_query(event.query.with_(search=self._query.search, order=self._query.order))

    @on(Input.Changed, "#search")
    def _search_typed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._apply_search)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._apply_search()
        self.ticket_list.focus()

    def _apply_search(self) -> None:
        text = self.query_one("#search", Input).value
        if text != self._query.search:
            self.set_query(self._query.with_(search=text))

    @on(TicketList.TotalChanged)
    @on(TicketList.TagsChanged)
    def _counts_changed(self) -> None:
        self._show_count()

    @on(TicketList.TicketSelected)
    def _open_ticket(self, event: TicketList.TicketSelected) -> None:
        self.open_ticket(event.ticket_id)

    def open_ticket(self, ticket_id: int) -> None:
        # Imported when first used: the ticket screen is off the first-paint path.
        from sagicc_tui.screens.ticket import TicketScreen

        self.app.push_screen(TicketScreen(self.backend, self.user, ticket_id), self._ticket_left)

    # --- keys -------------------------------------------------------------------------

    def action_toggle_filters(self) -> None:
        bar = self.filter_bar
        bar.toggle_class("-shown")
        self.query_one("#filter-summary").set_class(bar.has_class("-shown"), "-hidden")
        if bar.has_class("-shown"):
            # Not a text field: f and Esc keep working to close the sidebar.
            bar.query_one("#statuses").focus()
        else:
            self.ticket_list.focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_customers(self) -> None:
        from sagicc_tui.screens.customers import CustomersScreen

        self.app.push_screen(CustomersScreen(self.backend, self.user))

    def action_back_to_list(self) -> None:
        if self.filter_bar.has_class("-shown") and self.filter_bar.has_focus_within:
            self.action_toggle_filters()
        else:
            self.ticket_list.focus()

    def action_refresh(self) -> None:
        self.ticket_list.reload()
        self._load_pending()

    def action_order(self) -> None:
        options = [(Content(labels.order(o)), o) for o in TicketOrder]
        self.app.push_screen(ChoiceScreen(_("Order"), options, current=self._query.order), self._order_chosen)

    def _order_chosen(self, order: TicketOrder | None) -> None:
        if order is not None and order is not self._query.order:
            self.set_query(self._query.with_(order=order))

    def action_campaign(self) -> None:
        options = [(Content(one_line(c.name)), c) for c in self.campaigns]
        self.app.push_screen(ChoiceScreen(_("Campaign"), options, current=self.campaign), self.switch_campaign)

    def switch_campaign(self, campaign: Campaign | None) -> None:
        if campaign is None or campaign == self.campaign:
            return
        self.campaign = campaign
        self.top_bar.set_campaign(campaign)
        self.filter_bar.set_campaign(campaign.id)
        self.set_query(self._query.with_(campaign_ids=(campaign.id,)))
        self._load_pending()
        self.post_message(self.CampaignChanged(campaign))

    def action_pending(self) -> None:
        now = self._clock()
        options = []
        for card in self.top_bar.pending:
            flag, _state = next_task_flag(card.next_task_at, now)
            options.append((Content.assemble(
                (f"#{card.number} ", "bold"), (labels.status(card.status) + " ", "dim"),
                (flag + " " if flag else "", "bold"), one_line(card.customer_name, max_len=30),
                (" · " + one_line(card.description, max_len=40), "dim"),
            ), card.id))
        self.app.push_screen(
            ChoiceScreen(_("Pending tickets"), options, empty=_("No pending tickets: nothing is assigned to you.")),
            self._pending_chosen,
        )

    def _pending_chosen(self, ticket_id: int | None) -> None:
        if ticket_id is not None:
            self.open_ticket(ticket_id)

    def _ticket_left(self, user: User | None) -> None:
        """Back from the ticket screen: the agent status it left (Available), and a fresh list.
        Keys still arriving from the ticket (typing that went on while it closed) are
        dropped for LEAVE_GRACE seconds, so they never tag tickets or change the order."""
        if LEAVE_GRACE > 0:
            self._keys_blocked_until = time.monotonic() + LEAVE_GRACE
            self.call_after_refresh(self._hold_keys)
        if user is not None:
            self.post_message(self._StatusSet(user))
        self.action_refresh()

    def _hold_keys(self) -> None:
        """No widget has focus during the grace, so no widget binding can act either."""
        self.set_focus(None)
        self.set_timer(LEAVE_GRACE, self._release_keys)

    def _release_keys(self) -> None:
        self._keys_blocked_until = 0.0
        if self.focused is None:
            self.ticket_list.focus()

    def on_key(self, event) -> None:
        if time.monotonic() < self._keys_blocked_until:
            event.stop()
            event.prevent_default()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return time.monotonic() >= self._keys_blocked_until

    def action_toggle_status(self) -> None:
        new = AgentStatus.BUSY if self.user.status is AgentStatus.AVAILABLE else AgentStatus.AVAILABLE
        self._set_status(new)

    def action_mass_action(self) -> None:
        tl = self.ticket_list
        if tl.selection.is_empty or tl.tag_count == 0:
            self.notify(_("No tickets are tagged; tag tickets first (space or t, or T for all)."), severity="warning")
            return
        allowed = mass_actions_for(self.user)
        if self.campaign is not None and not self.campaign.mass_close_allowed:
            allowed = [k for k in allowed if k is not MassActionKind.CLOSE]
        if not allowed:
            self.notify(_("Your role may not apply mass actions here; ask a supervisor."), severity="warning")
            return
        self.app.push_screen(MassActionPrompt(allowed, tl.tag_count), self._mass_kind_chosen)

    def _mass_kind_chosen(self, kind: MassActionKind | None) -> None:
        if kind is None or self.campaign is None:
            return
        try:
            # A colleague's screen; imported here so the list works before it exists.
            from sagicc_tui.screens.mass_action import MassActionScreen
        except ImportError:
            self.notify(_("Mass actions are not available in this version yet."), severity="warning")
            return
        tl = self.ticket_list
        screen = MassActionScreen(backend=self.backend, user=self.user, campaign=self.campaign, kind=kind,
                                  selection=tl.selection, cards=tl.tagged_cards())
        self.app.push_screen(screen, self._mass_done)

    def _mass_done(self, result: MassResult | None) -> None:
        if result is None:
            return
        self.ticket_list.clear_tags()
        self.action_refresh()

    # --- saved views (L11) -------------------------------------------------------------

    def action_views(self) -> None:
        self._load_views()

    @work(exclusive=True, group="views")
    async def _load_views(self) -> None:
        try:
            views = await self.backend.list_views(self.user)
        except SagiccError as e:
            self.notify(labels.error_sentence(e), severity="error")
            return
        self.post_message(self._Views(views))

    @dataclass
    class _Views(Message):
        views: list[SavedView]

    @on(_Views)
    def _views_arrived(self, message: _Views) -> None:
        self._views = message.views
        options: list[tuple[Content, tuple[str, SavedView | None]]] = [
            (Content(one_line(v.name)), ("apply", v)) for v in message.views
        ]
        options.append((Content(_("Save the current filters as a view…")), ("save", None)))
        if message.views:
            options.append((Content(_("Delete a view…")), ("delete", None)))
        self.app.push_screen(ChoiceScreen(_("Views"), options), self._view_chosen)

    def _view_chosen(self, choice: tuple[str, SavedView | None] | None) -> None:
        if choice is None:
            return
        what, view = choice
        if what == "apply" and view is not None:
            self.apply_view(view)
        elif what == "save":
            self.app.push_screen(TextPrompt(_("Name of the view"), placeholder=_("e.g. Critical unassigned"),
                                            max_length=60), self._save_view)
        elif what == "delete":
            options = [(Content(one_line(v.name)), v) for v in self._views]
            self.app.push_screen(ChoiceScreen(_("Delete which view?"), options), self._delete_view)

    def apply_view(self, view: SavedView) -> None:
        """A view's filters, search and order; in the current campaign unless the view names campaigns."""
        query = view.query
        if not query.campaign_ids and self.campaign is not None:
            query = query.with_(campaign_ids=(self.campaign.id,))
        self.query_one("#search", Input).value = query.search
        self.filter_bar.show_query(query)
        self.set_query(query)
        self.notify(_("View {name} applied.", name=one_line(view.name)))

    @work(group="views")
    async def _save_view(self, name: str | None) -> None:
        if not name:
            return
        try:
            view = await self.backend.save_view(self.user, name, self._query)
        except SagiccError as e:
            self.notify(labels.error_sentence(e), severity="error")
            return
        self.notify(_("View {name} saved.", name=one_line(view.name)))

    @work(group="views")
    async def _delete_view(self, view: SavedView | None) -> None:
        if view is None:
            return
        try:
            await self.backend.delete_view(self.user, view.id)
        except SagiccError as e:
            self.notify(labels.error_sentence(e), severity="error")
            return
        self.notify(_("View {name} deleted.", name=one_line(view.name)))

    # --- palette -------------------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        tl = self.ticket_list
        commands: list[PaletteCommand] = []
        seen: set[str] = set()
        for active in self.active_bindings.values():
            b = active.binding
            if not b.description or b.action in seen or b.system or not active.enabled:
                continue
            seen.add(b.action)
            key = self.app.get_key_display(b)
            namespace = active.node
            commands.append((b.description, _("Key: {key}", key=key),
                             lambda ns=namespace, action=b.action: self.app.run_action(action, ns)))
        for c in self.campaigns:
            if c != self.campaign:
                commands.append((_("Switch to campaign {name}", name=one_line(c.name)),
                                 _("Show the tickets of this campaign"),
                                 lambda c=c: self.switch_campaign(c)))
        card = tl.cursor_card
        if card is not None:
            commands.append((_("Only the tickets of {name}", name=one_line(card.customer_name, max_len=40)),
                             _("Filter by the customer of the ticket under the cursor"),
                             lambda cid=card.customer_id: self.set_query(self._query.with_(customer_ids=(cid,)))))
        if self._query.active_filters():
            commands.append((_("Clear filters"), _("Show every ticket of the campaign"), self._clear_all))
        return commands

    def _clear_all(self) -> None:
        self.query_one("#search", Input).value = ""
        self.filter_bar.clear()
        self.set_query(TicketQuery(campaign_ids=self._query.campaign_ids, order=self._query.order))

    # --- live refresh and workers --------------------------------------------------------

    def _poll(self) -> None:
        self.ticket_list.tick()
        self._check_token()

    @work(exclusive=True, group="change-token")
    async def _check_token(self) -> None:
        try:
            token = await self.backend.change_token()
        except SagiccError:
            return  # a locked store is retried at the next tick
        self.post_message(self._Token(token))

    @on(_Token)
    def _token_arrived(self, message: _Token) -> None:
        self.query_one(TopBar).set_connection(self.backend.connection_state())
        changed = self._token is not None and message.token != self._token
        self._token = message.token
        if changed:
            self.ticket_list.reload()
            self._load_pending()

    @work(exclusive=True, group="pending")
    async def _load_pending(self) -> None:
        if self.campaign is None:
            return
        campaign_id = self.campaign.id
        try:
            page = await self.backend.pending_tickets(self.user, campaign_id, limit=PENDING_LIMIT)
        except SagiccError as e:
            self.notify(labels.error_sentence(e), severity="error")
            return
        self.post_message(self._Pending(campaign_id, page))

    @on(_Pending)
    def _pending_arrived(self, message: _Pending) -> None:
        if self.campaign is not None and message.campaign_id == self.campaign.id:
            self.top_bar.update_pending(message.page, PENDING_LIMIT)

    @work(exclusive=True, group="agent-status")
    async def _set_status(self, status: AgentStatus) -> None:
        try:
            user = await self.backend.set_agent_status(self.user, status)
        except SagiccError as e:
            self.notify(labels.error_sentence(e), severity="error")
            return
        self.post_message(self._StatusSet(user))

    @on(_StatusSet)
    def _status_set(self, message: _StatusSet) -> None:
        self.user = message.user
        self.top_bar.set_user(message.user)
        self.ticket_list.set_user(message.user)
        self.post_message(self.UserChanged(message.user))

    @on(TopBar.CampaignRequested)
    def _campaign_clicked(self) -> None:
        self.action_campaign()

    @on(TopBar.PendingRequested)
    def _pending_clicked(self) -> None:
        self.action_pending()

    @on(TopBar.StatusToggleRequested)
    def _status_clicked(self) -> None:
        self.action_toggle_status()

