"""The filter sidebar (L4) and the one-line summary shown when it is hidden.

Every L4 filter: creation date range, next task date range, statuses,
priorities, customers, users (all / specific / unassigned), campaigns,
ticket types, channel types, customer features and the values of the
campaign's primary task field. Changes apply by themselves after a short
pause (no Apply button to forget); a date that is not YYYY-MM-DD is named
under its field and nothing is applied until it is fixed.

Customers are found by document or name (Enter in the field): the matches
come from the tickets the user can see (``list_tickets`` with that search),
which are exactly the customers a ticket filter can match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import (
    Button,
    Input,
    Label,
    RadioSet,
    Static,
)
from textual.widgets.selection_list import Selection

from sagicc_tui.backend import Backend
from sagicc_tui.domain import days
from sagicc_tui.domain.enums import (
    ChannelType,
    Priority,
    TicketStatus,
    TicketType,
    UserFilter,
)
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.models import Campaign, User
from sagicc_tui.domain.query import FilterChoices, TicketQuery
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import one_line
from sagicc_tui.session import Session
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.io import BackendCalls, error_text
from sagicc_tui.widgets.toggles import RadioButton, SelectionList

APPLY_DELAY = 0.3


class DateProblem(ValueError):
    pass


def parse_day(text: str, *, end: bool = False) -> datetime | None:
    """domain.days.parse_day (local midnight), its complaint in the UI's language."""
    try:
        return days.parse_day(text, end=end)
    except days.NotADay:
        raise DateProblem(_(days.NOT_A_DAY)) from None


def _option_values(widget: SelectionList) -> set:
    # select() would record a value that is not an option; only tick real ones.
    return {widget.get_option_at_index(i).value for i in range(widget.option_count)}


def _local_day(at: datetime | None, *, end: bool = False) -> str:
    """The YYYY-MM-DD a date field shows for a query bound (an end bound is exclusive)."""
    if at is None:
        return ""
    local = at.astimezone()
    return (local - timedelta(days=1)).date().isoformat() if end else local.date().isoformat()


def _range(start: str, stop: str) -> tuple[datetime | None, datetime | None]:
    first, last = parse_day(start), parse_day(stop, end=True)
    if first and last and first >= last:
        raise DateProblem(_("The start date is after the end date."))
    return first, last


def _without_filters(query: TicketQuery, campaign_ids: tuple[int, ...]) -> TicketQuery:
    """`query` with none of the sidebar's filters (what Clear filters leaves)."""
    return query.with_(created_from=None, created_to=None, next_task_from=None, next_task_to=None,
                       statuses=(), priorities=(), user_filter=UserFilter.ALL, user_ids=(), customer_ids=(),
                       campaign_ids=campaign_ids, types=(), channels=(), features=(), primary_values=())


def filter_summary(query: TicketQuery, current_campaign_id: int | None,
                   campaign_names: dict[int, str]) -> str:
    """The active filters in one line, for when the sidebar is hidden."""
    parts: list[str] = []
    if query.created_from or query.created_to:
        parts.append(_("Created") + " " + _day_range(query.created_from, query.created_to))
    if query.next_task_from or query.next_task_to:
        parts.append(_("Next task") + " " + _day_range(query.next_task_from, query.next_task_to))
    if query.statuses:
        parts.append(", ".join(labels.status(s) for s in query.statuses))
    if query.priorities:
        parts.append(", ".join(labels.priority(p) for p in query.priorities))
    if query.user_filter is UserFilter.UNASSIGNED:
        parts.append(_("Unassigned"))
    elif query.user_filter is UserFilter.SPECIFIC and query.user_ids:
        parts.append(_("{count} users", count=len(query.user_ids)))
    if query.customer_ids:
        parts.append(_("{count} customers", count=len(query.customer_ids)))
    if query.campaign_ids and tuple(query.campaign_ids) != (current_campaign_id,):
        parts.append(", ".join(one_line(campaign_names.get(c, str(c))) for c in query.campaign_ids))
    if query.types:
        parts.append(", ".join(labels.ticket_type(t) for t in query.types))
    if query.channels:
        parts.append(", ".join(labels.channel(c) for c in query.channels))
    if query.features:
        parts.append(", ".join(one_line(f) for f in query.features))
    if query.primary_values:
        parts.append("» " + ", ".join(one_line(v) for v in query.primary_values))
    if not parts:
        return _("No filters (f to filter)")
    return _("Filters") + ": " + " · ".join(parts)


def _day_range(start: datetime | None, stop: datetime | None) -> str:
    first = start.date().isoformat() if start else "…"
    last = (stop - timedelta(days=1)).date().isoformat() if stop else "…"
    return f"{first} – {last}"


class FilterBar(BackendCalls, VerticalScroll):
    @dataclass
    class Changed(Message):
        """The filters changed: `query` is the base query with the new filters."""

        query: TicketQuery

    def __init__(self, backend: Backend, user: User, base: TicketQuery, campaigns: list[Campaign],
                 current_campaign_id: int | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._backend = backend
        self._user = user
        self._base = base
        self._campaigns = campaigns
        self._current = current_campaign_id
        self._timer: Timer | None = None
        self._customers: dict[int, str] = {}
        self._wanted: dict[str, set] = {}  # a shown view's values waiting for their choices
        self._fields_mounted = False
        self._focus_when_ready = False
        self._ready = False  # the fields are mounted and show the query

    @property
    def _session(self) -> Session:
        """The backend as this widget's user (made again when the user changes)."""
        return self._backend.session(self._user)

    # --- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The fields come later (ensure_fields): the sidebar starts hidden, and its
        # ~100 widgets cost the first card about 0.1 s of CPU (#16.6). Until then
        # the bar is its query alone: set_base, show_query, set_campaign, clear
        # and build_query keep working on it, and the fields start from it.
        return ()

    def ensure_fields(self, *, focus: bool = False) -> None:
        """Mount the fields (once), showing the current query: the screen calls it
        once the list is up, and before showing the sidebar (`focus`: then the
        first list of choices takes the focus, now or once mounted)."""
        self._focus_when_ready = self._focus_when_ready or focus
        if self._ready:
            self._focus_first()
        elif not self._fields_mounted:
            self._fields_mounted = True
            self.call_later(self._mount_fields)

    async def _mount_fields(self) -> None:
        await self.mount_all(self._fields())
        self._show_fields(self._base)
        self._ready = True
        self._load_choices(self._campaign_ids())
        self._focus_first()

    def _focus_first(self) -> None:
        if self._focus_when_ready:
            self._focus_when_ready = False
            # Not a text field: f and Esc keep working to close the sidebar.
            self.query_one("#statuses").focus()

    def _fields(self) -> list[Widget]:
        def label(text: str) -> Label:
            return Label(text, classes="filter-label")

        def dates(prefix: str) -> Horizontal:
            return Horizontal(Input(placeholder=_("from"), id=f"{prefix}-from", compact=True),
                              Input(placeholder=_("to"), id=f"{prefix}-to", compact=True),
                              classes="filter-dates")

        return [
            Label(_("Filters"), classes="filter-title"),
            label(_("Created between (YYYY-MM-DD)")), dates("created"),
            Static("", id="created-error", classes="filter-error"),
            label(_("Next task between (YYYY-MM-DD)")), dates("next"),
            Static("", id="next-error", classes="filter-error"),
            label(_("Status")),
            SelectionList[TicketStatus](
                *(Selection(Content(labels.status(s)), s) for s in TicketStatus), id="statuses"),
            label(_("Priority")),
            SelectionList[Priority](
                *(Selection(Content(labels.priority(p)), p) for p in Priority), id="priorities"),
            label(_("Users")),
            RadioSet(*(RadioButton(Content(labels.user_filter(uf)), value=uf is UserFilter.ALL, id=f"uf-{uf.value}")
                       for uf in UserFilter), id="user-filter"),
            SelectionList[int](id="users"),
            label(_("Customers")),
            Input(placeholder=_("Document or name, then Enter"), id="customer-search", compact=True),
            SelectionList[int](id="customers"),
            label(_("Campaigns")),
            SelectionList[int](
                *(Selection(Content(one_line(c.name)), c.id, c.id == self._current) for c in self._campaigns),
                id="campaigns"),
            label(_("Ticket type")),
            SelectionList[TicketType](
                *(Selection(Content(labels.ticket_type(t)), t) for t in TicketType), id="types"),
            label(_("Channel")),
            SelectionList[ChannelType](
                *(Selection(Content(labels.channel(c)), c) for c in ChannelType), id="channels"),
            label(_("Features")),
            SelectionList[str](id="features"),
            label(_("Outcome of the last task")),
            SelectionList[str](id="primary-values"),
            Button(_("Clear filters"), id="clear-filters", compact=True),
        ]

    # --- public -------------------------------------------------------------------------

    @property
    def base(self) -> TicketQuery:
        return self._base

    def set_base(self, query: TicketQuery) -> None:
        """Search or order changed elsewhere; the filters stay, nothing is posted."""
        self._base = query

    def show_query(self, query: TicketQuery) -> None:
        """Put a whole query (a saved view, L11) into the sidebar's fields.

        Nothing is posted: the caller applies the query itself. Values of the
        lists that load from the store (users, features, outcomes) are ticked
        when their choices arrive; customers not found yet are listed by id.
        """
        self._base = query
        if self._ready:
            self._show_fields(query)

    def _show_fields(self, query: TicketQuery) -> None:
        for prefix, start, stop in (("created", query.created_from, query.created_to),
                                    ("next", query.next_task_from, query.next_task_to)):
            self.query_one(f"#{prefix}-from", Input).value = _local_day(start)
            self.query_one(f"#{prefix}-to", Input).value = _local_day(stop, end=True)
        self._wanted = {"#users": set(query.user_ids), "#features": set(query.features),
                        "#primary-values": set(query.primary_values)}
        for list_id, values in (("#statuses", query.statuses), ("#priorities", query.priorities),
                                ("#types", query.types), ("#channels", query.channels),
                                ("#campaigns", query.campaign_ids), ("#users", query.user_ids),
                                ("#features", query.features), ("#primary-values", query.primary_values)):
            widget = self.query_one(list_id, SelectionList)
            widget.deselect_all()
            present = _option_values(widget)
            for value in values:
                if value in present:  # others are ticked when their choices arrive (_refill)
                    widget.select(value)
        customers = self.query_one("#customers", SelectionList)
        customers.clear_options()
        customers.add_options([Selection(Content(self._customers.get(cid, f"#{cid}")), cid, True)
                               for cid in query.customer_ids])
        self.query_one(f"#uf-{query.user_filter.value}", RadioButton).value = True
        if self._timer is not None:
            self._timer.stop()

    def set_campaign(self, campaign_id: int | None) -> None:
        """Another current campaign: the campaign filter starts from it alone."""
        self._current = campaign_id
        if not self._ready:
            self._base = self._base.with_(campaign_ids=self._campaign_ids())
            return
        campaigns = self.query_one("#campaigns", SelectionList)
        campaigns.deselect_all()
        if campaign_id is not None:
            campaigns.select(campaign_id)
        self._base = self._base.with_(campaign_ids=self._campaign_ids())
        self._load_choices(self._campaign_ids())

    def clear(self) -> None:
        if not self._ready:
            cleared = _without_filters(self._base, self._campaign_ids_of(()))
            if cleared != self._base:
                self._base = cleared
                self.post_message(self.Changed(cleared))
            return
        for input_id in ("#created-from", "#created-to", "#next-from", "#next-to", "#customer-search"):
            self.query_one(input_id, Input).value = ""
        for list_id in ("#statuses", "#priorities", "#users", "#customers", "#types", "#channels",
                        "#features", "#primary-values"):
            choices = self.query_one(list_id, SelectionList)
            choices.deselect_all()
            if choices.option_count:  # back to the top, as after a fresh start (#12.7)
                choices.highlighted = 0
                choices.scroll_home(animate=False)
        self.query_one("#uf-all", RadioButton).value = True
        self.set_campaign(self._current)
        self._schedule()

    def build_query(self, *, show_errors: bool = True) -> TicketQuery | None:
        """The base query with the sidebar's filters; None while a date is invalid."""
        if not self._ready:
            return self._base  # what the fields will show
        problems = False
        dates: dict[str, datetime | None] = {}
        for prefix, error_id, names in (("created", "#created-error", ("created_from", "created_to")),
                                        ("next", "#next-error", ("next_task_from", "next_task_to"))):
            start = self.query_one(f"#{prefix}-from", Input).value
            stop = self.query_one(f"#{prefix}-to", Input).value
            error = self.query_one(error_id, Static)
            try:
                dates[names[0]], dates[names[1]] = _range(start, stop)
                # A day the sidebar shows for a finer bound (the query line's
                # "<7d", a view) keeps that bound: the box shows days only.
                for name, typed, end in ((names[0], start, False), (names[1], stop, True)):
                    kept = getattr(self._base, name)
                    if kept is not None and typed.strip() == _local_day(kept, end=end):
                        dates[name] = kept
                error.update("")
                error.display = False
            except DateProblem as e:
                problems = True
                if show_errors:
                    error.update(Content(str(e)))
                    error.display = True
        if problems:
            return None
        pressed = self.query_one("#user-filter", RadioSet).pressed_button
        user_filter = UserFilter(pressed.id.removeprefix("uf-")) if pressed and pressed.id else UserFilter.ALL
        user_ids = tuple(self._selected("#users"))
        if user_filter is UserFilter.SPECIFIC and not user_ids:
            user_filter = UserFilter.ALL  # nobody chosen yet: no filter
        return self._base.with_(
            **dates,
            statuses=tuple(self._selected("#statuses")),
            priorities=tuple(self._selected("#priorities")),
            user_filter=user_filter,
            user_ids=user_ids if user_filter is UserFilter.SPECIFIC else (),
            customer_ids=tuple(self._selected("#customers")),
            campaign_ids=self._campaign_ids(),
            types=tuple(self._selected("#types")),
            channels=tuple(self._selected("#channels")),
            features=tuple(self._selected("#features")),
            primary_values=tuple(self._selected("#primary-values")),
        )

    # --- internals --------------------------------------------------------------------

    def _selected(self, list_id: str) -> list:
        return list(self.query_one(list_id, SelectionList).selected)

    def _campaign_ids(self) -> tuple[int, ...]:
        return self._campaign_ids_of(tuple(sorted(self._selected("#campaigns"))) if self._ready else ())

    def _campaign_ids_of(self, chosen: tuple[int, ...]) -> tuple[int, ...]:
        if chosen:
            return chosen
        return (self._current,) if self._current is not None else ()

    def _schedule(self, *, show_errors: bool = False) -> None:
        """Apply after a pause: a burst of ticks or keystrokes reloads the list once."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(APPLY_DELAY, lambda: self._apply(show_errors=show_errors))

    def _apply(self, *, show_errors: bool = False) -> None:
        query = self.build_query(show_errors=show_errors)
        if query is not None and query != self._base:
            self._base = query
            self.post_message(self.Changed(query))

    @on(Input.Changed, ".filter-dates Input")
    def _date_typed(self, event: Input.Changed) -> None:
        # Validate once the date is complete, not at every keystroke.
        complete = all(len(i.value.strip()) in (0, 10) for i in self.query(".filter-dates Input").results(Input))
        if complete:
            self._schedule(show_errors=True)

    @on(Input.Submitted, ".filter-dates Input")
    def _date_submitted(self, event: Input.Submitted) -> None:
        self._apply(show_errors=True)

    @on(SelectionList.SelectedChanged)
    def _selection_changed(self, event: SelectionList.SelectedChanged) -> None:
        if event.selection_list.id == "users" and event.selection_list.selected:
            self.query_one("#uf-specific", RadioButton).value = True
        if event.selection_list.id == "campaigns":
            self._load_choices(self._campaign_ids())
        self._schedule()

    @on(RadioSet.Changed)
    def _user_filter_changed(self, event: RadioSet.Changed) -> None:
        self._schedule()

    @on(Button.Pressed, "#clear-filters")
    def _clear_pressed(self) -> None:
        self.clear()

    @on(Input.Submitted, "#customer-search")
    def _customer_search(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            self._find_customers(text)

    # --- workers -------------------------------------------------------------------------

    # Through BackendCalls.call, quiet and settled: the sentence (a defect's too)
    # is a notification, as it was, never the list screen's status line, which
    # is about the list and not about the sidebar's choices.

    def _refused(self, error: SagiccError) -> None:
        self.notify(error_text(error), severity="error")

    def _load_choices(self, campaign_ids: tuple[int, ...]) -> None:
        self.call("filter-choices", lambda: self._session.lists.filter_choices(campaign_ids),
                  self._choices_arrived, self._refused, quiet=True, settle=True)

    def _choices_arrived(self, choices: FilterChoices) -> None:
        self._refill("#users", [(Content(one_line(u.full_name)), u.id) for u in choices.users])
        self._refill("#features", [(Content(one_line(f)), f) for f in choices.features])
        self._refill("#primary-values", [(Content(one_line(v)), v) for v in choices.primary_values])

    def _refill(self, list_id: str, options: list[tuple[Content, object]]) -> None:
        widget = self.query_one(list_id, SelectionList)
        keep = set(widget.selected) | self._wanted.pop(list_id, set())
        values = {v for _p, v in options}
        widget.clear_options()
        widget.add_options([Selection(p, v, v in keep) for p, v in options])
        if keep - values:
            self._schedule()  # a chosen value is gone with the campaign change

    def _find_customers(self, text: str) -> None:
        query = TicketQuery(search=text, campaign_ids=self._campaign_ids())

        async def find() -> dict[int, str]:
            page = await self._session.lists.list_tickets(query, limit=100)
            wanted = text.lower().lstrip("#")
            found: dict[int, str] = {}
            for card in page.rows:
                name = one_line(card.customer_name)
                if wanted in card.customer_id_number.lower() or wanted in name.lower():
                    found.setdefault(card.customer_id, f"{one_line(card.customer_id_number)} {name}")
            return found

        self.call("filter-customers", find, lambda found: self._customers_arrived(text, found),
                  self._refused, quiet=True, settle=True)

    def _customers_arrived(self, text: str, found: dict[int, str]) -> None:
        if not found:
            self.notify(_("No customer with tickets you can see matches {text}.", text=one_line(text)),
                        severity="warning")
            return
        self._customers.update(found)
        widget = self.query_one("#customers", SelectionList)
        keep = set(widget.selected)
        # Chosen customers stay; the new matches are added after them, unticked
        # except when there is exactly one (the usual: a document number).
        only = next(iter(found)) if len(found) == 1 else None
        options = [(cid, label) for cid, label in self._customers.items()
                   if cid in keep or cid in found]
        widget.clear_options()
        widget.add_options([Selection(Content(label), cid, cid in keep or cid == only)
                            for cid, label in options])
        self._schedule()
