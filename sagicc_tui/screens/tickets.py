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

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from sagicc_tui.backend import Backend
from sagicc_tui.domain import live
from sagicc_tui.domain import query_line
from sagicc_tui.domain.enums import AgentStatus, MassActionKind, TicketOrder
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.live import Change
from sagicc_tui.domain.models import Campaign, User
from sagicc_tui.domain.query import MassResult, SavedView, TicketQuery
from sagicc_tui.domain.rules import mass_actions_for
from sagicc_tui.i18n import N_, _, plural
from sagicc_tui.sanitize import one_line
from sagicc_tui.screens.choose import ChoiceScreen
from sagicc_tui.screens.commands import PaletteCommand
from sagicc_tui.screens.mass_prompt import MassActionPrompt
from sagicc_tui.screens.text_prompt import TextPrompt
from sagicc_tui.session import Session
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.io import BackendCalls
from sagicc_tui.widgets.filter_bar import FilterBar, filter_summary
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.next_unread import ListPosition
from sagicc_tui.widgets.ticket_list import TicketList
from sagicc_tui.widgets.top_bar import TopBar
from sagicc_tui.widgets.translated import TranslatedBindings

SEARCH_DELAY = 0.25


def local_tz():
    """The user's time zone: the query line's days are the user's days."""
    return datetime.now().astimezone().tzinfo
LEAVE_GRACE = 0.4  # seconds after a ticket closes during which keys still arriving are dropped


class TicketsScreen(BackendCalls, TranslatedBindings, Screen[None]):
    BINDINGS = [
        Binding("f", "toggle_filters", N_("Filters"), id="tickets.filters"),
        Binding("slash", "search", N_("Search"), id="tickets.search"),
        Binding("colon", "query_line", N_("Query"), id="tickets.query_line"),
        Binding("o", "order", N_("Order"), show=False, id="tickets.order"),
        Binding("r", "refresh", N_("Refresh"), show=False, id="tickets.refresh"),
        Binding("semicolon", "mass_action", N_("Mass actions"), id="tickets.mass"),
        Binding("p", "pending", N_("Pending tickets"), id="tickets.pending"),
        Binding("c", "campaign", N_("Campaign"), show=False, id="tickets.campaign"),
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
        self._reload_due: float | None = None  # monotonic time of a deferred list reload
        self._last_reload = 0.0
        self._keys_blocked_until = 0.0  # monotonic time; see _ticket_left
        self._search_timer: Timer | None = None
        self._views: list[SavedView] = []
        self._before_pending: TicketQuery | None = None  # the query `p` replaced
        self._line_names: query_line.Names | None = None  # users are read on the first `:`
        self._typed_line: tuple[str, TicketQuery] | None = None  # the last line applied, and what it gave
        self._position: ListPosition | None = None  # of the ticket open from this list

    @property
    def session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self.backend.session(self.user)

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
                yield Input(id="query-line", classes="-hidden", compact=True,
                            placeholder=_("priority:critical assignee:none status:open,new created:<7d"))
                yield Static(id="filter-summary")
                yield TicketList(self.backend, self.user, self._query, clock=self._clock, id="ticket-list")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.ticket_list.campaign_names = {c.id: c.name for c in self.campaigns}
        self._refresh_views()  # the palette offers them by name
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
        if tl.total is None:
            parts = [_("Loading…")]
        elif tl.more:  # a search's count stopped early; the list grows as it is read
            parts = [_("more than {n} tickets", n=tl.total - 1)]
        else:
            parts = [plural(tl.total, "{n} ticket", "{n} tickets")]
        if tl.tag_count:
            parts.append(_("{n} tagged", n=tl.tag_count) if not tl.more else _("all matching tagged"))
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
        # The count comes after the first cards: the sidebar's fields can be built now.
        self.filter_bar.ensure_fields()

    @on(TicketList.AllMatchingDropped)
    def _all_matching_dropped(self, event: TicketList.AllMatchingDropped) -> None:
        self.notify(plural(event.count, "The filters changed, so the {n} ticket tagged with T is untagged; press T again to tag the new matches.",
                           "The filters changed, so the {n} tickets tagged with T are untagged; press T again to tag the new matches."),
                    severity="warning", timeout=6)

    @on(TicketList.TicketSelected)
    def _open_ticket(self, event: TicketList.TicketSelected) -> None:
        self.open_ticket(event.ticket_id, index=self.ticket_list.cursor_index)

    def open_ticket(self, ticket_id: int, *, index: int | None = None) -> None:
        # Imported when first used: the ticket screen is off the first-paint path.
        from sagicc_tui.screens.ticket import TicketScreen

        # The list's query and the ticket's place in it travel along: `n` inside
        # the ticket goes on in this order (#12.2).
        position = ListPosition(self._query, index if index is not None else -1, {ticket_id})
        self._position = position
        self.app.push_screen(TicketScreen(self.backend, self.user, ticket_id, position=position),
                             self._ticket_left)

    # --- keys -------------------------------------------------------------------------

    def action_toggle_filters(self) -> None:
        bar = self.filter_bar
        bar.toggle_class("-shown")
        self.query_one("#filter-summary").set_class(bar.has_class("-shown"), "-hidden")
        if bar.has_class("-shown"):
            bar.ensure_fields(focus=True)
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
            self._hide_query_line()
            self.ticket_list.focus()

    # --- the query line (+L12) -----------------------------------------------------

    def action_query_line(self) -> None:
        """`:` — the current filters as one line of text, to edit and apply with Enter."""
        line = self.query_one("#query-line", Input)
        line.value = query_line.format(self._query, names=self._line_names or self._known_names(),
                                       current_campaign=self.campaign.id if self.campaign else None,
                                       tz=local_tz())
        line.remove_class("-hidden")
        self.query_one("#filter-summary").add_class("-hidden")
        line.focus()
        line.cursor_position = len(line.value)

    def _hide_query_line(self) -> None:
        line = self.query_one("#query-line", Input)
        if not line.has_class("-hidden"):
            line.add_class("-hidden")
            self.query_one("#filter-summary").set_class(self.filter_bar.has_class("-shown"), "-hidden")

    def _known_names(self) -> query_line.Names:
        """Campaigns are known at once; user names after the first read of the users."""
        return query_line.Names.of({c.id: c.name for c in self.campaigns}, {self.user.id: self.user.username},
                                   me=self.user.id)

    @on(Input.Submitted, "#query-line")
    def _query_line_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply_query_line(event.value)

    def _apply_query_line(self, text: str) -> None:
        async def parse() -> TicketQuery:
            if self._line_names is None:
                users = await self.session.agent.list_users()
                self._line_names = query_line.Names.of(
                    {c.id: c.name for c in self.campaigns}, {u.id: u.username for u in users}, me=self.user.id)
            return query_line.parse(text, base=self._query, names=self._line_names, now=self._clock(),
                                    tz=local_tz())

        # A refusal keeps the line as typed; the sentence (widgets/io.py) says what to change.
        self.call("query-line", parse, lambda query: self._line_applied(query, text))

    def _line_applied(self, query: TicketQuery, text: str) -> None:
        self.query_one("#search", Input).value = query.search
        self.filter_bar.show_query(query)
        self.set_query(query)
        self._typed_line = (text, query)  # a view saved now keeps the text as typed
        self._hide_query_line()
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
        """L7: the list shows my pending tickets (all of them, paged like any
        list; a scheduled next task first); `p` again goes back to the filters."""
        if self.campaign is None:
            return
        pending = TicketQuery.pending(self.user.id, self.campaign.id)
        if self._before_pending is not None and self._query == pending:
            back, self._before_pending = self._before_pending, None
            self.set_query(back)
            return
        self._before_pending = self._query
        self.set_query(pending)
        self.notify(_("Your pending tickets; press p again to go back to your filters."), timeout=4)

    def _ticket_left(self, user: User | None) -> None:
        """Back from the ticket screen: the agent status it left (Available), and a fresh list.
        Keys still arriving from the ticket (typing that went on while it closed) are
        dropped for LEAVE_GRACE seconds, so they never tag tickets or change the order."""
        if LEAVE_GRACE > 0:
            self._keys_blocked_until = time.monotonic() + LEAVE_GRACE
            self.call_after_refresh(self._hold_keys)
        if user is not None:
            self._status_set(user)
        position, self._position = self._position, None
        if position is not None and position.query == self._query and position.index >= 0:
            self.ticket_list.move_cursor(position.index)  # where `n` inside the ticket got to
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

    def _offered_mass_actions(self) -> list[MassActionKind]:
        """What the user's role may run on what is tagged (the store refuses the rest anyway)."""
        allowed = mass_actions_for(self.user)
        if not self._mass_close_allowed():
            allowed = [k for k in allowed if k is not MassActionKind.CLOSE]
        return allowed

    def _can_start_mass(self) -> bool:
        tl = self.ticket_list
        if tl.selection.is_empty or tl.tag_count == 0:
            self.notify(_("No tickets are tagged; tag tickets first (space or t, or T for all)."), severity="warning")
            return False
        if not self._offered_mass_actions():
            self.notify(_("Your role may not apply mass actions here; ask a supervisor."), severity="warning")
            return False
        return True

    def action_mass_action(self) -> None:
        if self._can_start_mass():
            self.app.push_screen(MassActionPrompt(self._offered_mass_actions(), self.ticket_list.tag_count),
                                 self._mass_kind_chosen)

    def help_sequences(self) -> list[tuple[str, str, str]]:
        """`?` also lists the mass actions' second keys (L10): `;` then c/m/a/k/d."""
        first = next((self.app.get_key_display(a.binding) for a in self.active_bindings.values()
                      if a.binding.action == "mass_action"), ";")
        rows = []
        for binding in MassActionPrompt.BINDINGS:
            if binding.action.startswith("choose"):
                kind = MassActionKind(binding.action.split("'")[1])
                if kind in self._offered_mass_actions():
                    rows.append((f"{first} {binding.key}", _("Mass action: {action}", action=labels.mass_action(kind)),
                                 binding.id or ""))
        return rows

    def _start_mass(self, kind: MassActionKind) -> None:
        """A mass action chosen by name (the palette), without the `;` prompt."""
        if self._can_start_mass():
            self._mass_kind_chosen(kind)

    def _mass_close_allowed(self) -> bool:
        """Close is offered when a campaign the tagged tickets can come from
        allows closing in bulk (L8); the store still refuses ticket by ticket."""
        tl = self.ticket_list
        by_id = {c.id: c for c in self.campaigns}
        if tl.selection.query is None:
            loaded = {c.id: c.campaign_id for c in tl.tagged_cards()}
            ids = {loaded[i] for i in tl.selection.ids if i in loaded}
            if len(ids) < len(tl.selection.ids) or not ids:  # tags outside the loaded pages, or none yet
                ids |= set(tl.query.campaign_ids or ((self.campaign.id,) if self.campaign else ()))
        else:
            ids = set(tl.selection.query.campaign_ids or ((self.campaign.id,) if self.campaign else ()))
        return any(by_id[i].mass_close_allowed for i in ids if i in by_id)

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

    def _load_views(self) -> None:
        self.call("views", lambda: self.session.lists.list_views(), self._views_arrived)

    def _refresh_views(self) -> None:
        # Quiet: the palette goes without views; `v` says what went wrong.
        self.call("views-quiet", lambda: self.session.lists.list_views(),
                  lambda views: self._views_arrived(views, show=False), quiet=True)

    def _views_arrived(self, views: list[SavedView], show: bool = True) -> None:
        self._views = views
        if not show:
            return
        names = self._line_names or self._known_names()
        current = self.campaign.id if self.campaign else None

        def shown(v: SavedView) -> Content:
            # Each view with its filters as query-line text: what it will show.
            line = v.line or query_line.format(v.query, names=names, current_campaign=current, tz=local_tz())
            return Content.assemble(one_line(v.name), ("  " + one_line(line, max_len=60), "dim") if line else "")

        options: list[tuple[Content, tuple[str, SavedView | None]]] = [
            (shown(v), ("apply", v)) for v in views
        ]
        options.append((Content(_("Save the current filters as a view…")), ("save", None)))
        if views:
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
        """A view's filters, search and order; in the current campaign unless the view names campaigns.

        A view saved from the query line is its line read again now, so
        "created:<7d" is the last seven days of today."""
        query = view.query
        if view.line:
            try:
                base = TicketQuery(campaign_ids=view.query.campaign_ids, order=view.query.order)
                query = query_line.parse(view.line, base=base, names=self._line_names or self._known_names(),
                                         now=self._clock(), tz=local_tz())
            except SagiccError:
                pass  # a name it used is gone: the filters as they were saved
        if not query.campaign_ids and self.campaign is not None:
            query = query.with_(campaign_ids=(self.campaign.id,))
        self.query_one("#search", Input).value = query.search
        self.filter_bar.show_query(query)
        self.set_query(query)
        self.notify(_("View {name} applied.", name=one_line(view.name)))

    def _save_view(self, name: str | None) -> None:
        if not name:
            return
        typed = self._typed_line
        line = typed[0] if typed is not None and typed[1] == self._query else ""
        self.call("view-write", lambda: self.session.lists.save_view(name, self._query, line=line),
                  self._view_saved)

    def _view_saved(self, view: SavedView) -> None:
        self.notify(_("View {name} saved.", name=one_line(view.name)))
        self._refresh_views()

    def _delete_view(self, view: SavedView | None) -> None:
        if view is None:
            return
        self.call("view-write", lambda: self.session.lists.delete_view(view.id),
                  lambda _none: self._view_deleted(view))

    def _view_deleted(self, view: SavedView) -> None:
        self.notify(_("View {name} deleted.", name=one_line(view.name)))
        self._refresh_views()

    # --- palette -------------------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        tl = self.ticket_list
        # The keys' actions come from ScreenCommands; here what has no key of its own.
        commands: list[PaletteCommand] = []
        for kind in self._offered_mass_actions():
            commands.append((_("Mass action: {action}", action=labels.mass_action(kind)),
                             _("On the tagged tickets (; then its key)"),
                             lambda kind=kind: self._start_mass(kind)))
        for view in self._views:
            commands.append((_("View: {name}", name=one_line(view.name)), _("Apply this saved view"),
                             lambda view=view: self.apply_view(view)))
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
        if self._reload_due is not None and time.monotonic() >= self._reload_due:
            self._reload_all()
        self._check_token()

    def _check_token(self) -> None:
        async def read() -> tuple[int, Change | None]:  # change None: unknown (first token, or reload all)
            if self._token is None:
                return await self.session.lists.change_token(), None
            found = await self.session.lists.changed_since(self._token)
            return found.token, found.change

        # Quiet: a locked store is retried at the next tick.
        self.call("change-token", read, self._token_arrived, quiet=True)

    def _token_arrived(self, found: tuple[int, Change | None]) -> None:
        token, change = found
        outbox = self.backend.outbox_state()
        self.query_one(TopBar).set_connection(self.backend.connection_state(), outbox)
        self._say_refused(outbox)
        changed = self._token is not None and token != self._token
        self._token = token
        if not changed:
            return
        if change is None or change.tickets is None:
            self._reload_all()
            return
        self._apply_change(change)

    def _apply_change(self, change: Change) -> None:
        """Re-read only what shows a changed ticket (domain/live.py): the pages
        on screen when one of their cards changed; the count, the pages and
        the pending tickets when tickets may have entered or left the list --
        at most every live.MEMBERSHIP_EVERY seconds (plus a spread drawn per
        reload), however many agents write."""
        tickets = change.tickets or {}
        if any(parts & live.MEMBERSHIP_PARTS for parts in tickets.values()):
            if self._reload_due is None:
                self._reload_due = live.membership_reload_at(self._last_reload)
        shown = self.ticket_list.shown_ids()
        cards = {i for i, parts in tickets.items() if parts & live.CARD_PARTS}
        if cards & shown or (change.customers and self.ticket_list.shows_customers(change.customers)):
            self.ticket_list.refresh_shown()
        # My pending count and notices (L7) are read again with the deferred
        # reload that membership changes schedule (_reload_all), not per event.

    def _reload_all(self) -> None:
        self._reload_due = None
        self._last_reload = time.monotonic()
        self.ticket_list.reload()
        self._load_pending()

    def _say_refused(self, outbox) -> None:
        """#10.7: a write kept offline that the server refused is said, once, with the server's sentence."""
        if outbox is None:
            return
        said = getattr(self, "_refused_said", set())
        self._refused_said = said
        for refused in outbox.refused:
            if refused.id in said or refused.username != self.user.username:
                continue
            said.add(refused.id)
            self.notify(_("The server refused a message kept while it was away: {reason} It is back in its "
                          "ticket's composer as a draft (ticket id {id}).", reason=labels.message(refused.reason),
                          id=refused.ticket_id), severity="error", timeout=30)

    def _load_pending(self) -> None:
        watch = getattr(self.app, "pending_watch", None)
        if watch is not None and self.campaign is not None:
            watch.refresh(self.user, self.campaign.id)

    def _set_status(self, status: AgentStatus) -> None:
        self.call("agent-status", lambda: self.session.agent.set_agent_status(status), self._status_set)

    def _status_set(self, user: User) -> None:
        self.user = user
        self.top_bar.set_user(user)
        self.ticket_list.set_user(user)
        self.post_message(self.UserChanged(user))

    @on(TopBar.CampaignRequested)
    def _campaign_clicked(self) -> None:
        self.action_campaign()

    @on(TopBar.PendingRequested)
    def _pending_clicked(self) -> None:
        self.action_pending()

    @on(TopBar.StatusToggleRequested)
    def _status_clicked(self) -> None:
        self.action_toggle_status()

