"""The small dialogs of the ticket screen (T3): confirm, read a text, merge,
related tickets, change log. Untrusted text is shown as plain `Content`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    DataTable,
    Input,
    Label,
    OptionList,
    Select,
    Static,
)
from textual.widgets.option_list import Option

from sagicc_tui.backend import Backend
from sagicc_tui.domain.enums import Direction, EntityKind
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.models import (
    ChangeLogEntry,
    Customer,
    RuleLogEntry,
    Ticket,
    TicketRelation,
    User,
)
from sagicc_tui.i18n import N_, _
from sagicc_tui.sanitize import clean, one_line
from sagicc_tui.session import Session
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.conversation import when
from sagicc_tui.widgets.io import BackendCalls
from sagicc_tui.widgets.toggles import Checkbox  # on and off told apart without colour (#12.7)
from sagicc_tui.widgets.translated import TranslatedBindings


class ConfirmScreen(TranslatedBindings, ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="ticket.confirm.cancel")]

    def __init__(self, title: str, text: str, *, yes: str | None = None, no: str | None = None) -> None:
        super().__init__()
        self._title, self._text, self._yes, self._no = title, text, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self._title), classes="dialog-title")
            yield Static(Content(self._text))
            with Horizontal(classes="buttons"):
                yield Button(self._yes or _("Yes"), id="confirm-yes", variant="primary", compact=True)
                yield Button(self._no or _("Cancel"), id="confirm-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_cancel(self) -> None:
        self.dismiss(False)


class TextScreen(TranslatedBindings, ModalScreen[None]):
    """Plain text in full (an interaction, a task, the external view's path)."""

    BINDINGS = [Binding("escape,enter", "close", N_("Close"), id="ticket.text.close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self._title, self._text = title, text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog"):
            yield Label(Content(self._title), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(Content(self._text), id="text-body")
            yield Label(Content(_("Esc closes")), classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)


class PromptScreen(TranslatedBindings, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="ticket.prompt.cancel")]

    def __init__(self, title: str, label: str, *, number: bool = False) -> None:
        super().__init__()
        self._title, self._label, self._number = title, label, number

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self._title), classes="dialog-title")
            yield Label(Content(self._label))
            yield Input(id="prompt-value", type="integer" if self._number else "text")
            yield Label(Content(_("Enter accepts · Esc cancels")), classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class MergeScreen(BackendCalls, TranslatedBindings, ModalScreen[Ticket | None]):
    """Merge another ticket into this one (by number); optionally merge the customers."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="ticket.merge.cancel")]

    def __init__(self, backend: Backend, user: User, ticket: Ticket, customer: Customer | None) -> None:
        super().__init__()
        self.backend, self.user, self.ticket, self.customer = backend, user, ticket, customer
        self._other: Ticket | None = None
        self._other_customer: Customer | None = None

    @property
    def session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self.backend.session(self.user)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(_("Merge ticket #{number} with another", number=self.ticket.number)),
                        classes="dialog-title")
            yield Label(Content(_("Number of the other ticket (it ends Closed)")))
            yield Input(id="merge-number", type="integer")
            yield Checkbox(_("Also merge the customers"), id="merge-customers", compact=True)
            yield Select([], prompt=_("Customer that stays"), id="merge-keep", compact=True)
            yield Static("", id="merge-preview")
            yield Label("", classes="dialog-error", id="merge-error")
            with Horizontal(classes="buttons"):
                yield Button(_("Merge (irreversible)"), id="merge-go", variant="error", compact=True)
                yield Button(_("Cancel"), id="merge-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#merge-keep").display = False
        self.query_one("#merge-number", Input).focus()

    @on(Input.Submitted, "#merge-number")
    @on(Input.Blurred, "#merge-number")
    def _look_up(self) -> None:
        text = self.query_one("#merge-number", Input).value.strip()
        if not text.isdigit():
            return
        number = int(text)
        self.call("look", lambda: self.session.tickets.get_ticket_by_number(number), self._found, self._error)

    def _found(self, other: Ticket) -> None:
        self._other = other
        self.query_one("#merge-error", Label).update("")
        if other.customer_id != self.ticket.customer_id:
            self.call("cust", lambda: self.session.customers.get_customer(other.customer_id), self._other_cust)
        self._preview()

    def _other_cust(self, c: Customer) -> None:
        self._other_customer = c
        options = []
        if self.customer is not None:
            options.append((one_line(self.customer.full_name, 40), self.customer.id))
        options.append((one_line(c.full_name, 40), c.id))
        keep = self.query_one("#merge-keep", Select)
        keep.set_options(options)
        if self.customer is not None:
            keep.value = self.customer.id
        self._preview()

    @on(Checkbox.Changed, "#merge-customers")
    def _toggle(self, event: Checkbox.Changed) -> None:
        self.query_one("#merge-keep").display = event.value and self._other_customer is not None
        self._preview()

    @on(Select.Changed, "#merge-keep")
    def _keep_changed(self) -> None:
        self._preview()

    def _preview(self) -> None:
        other = self._other
        if other is None:
            return
        text = _("Ticket #{other} and everything in it moves into #{this}; #{other} ends Closed. "
                 "This cannot be undone.", other=other.number, this=self.ticket.number)
        if self.query_one("#merge-customers", Checkbox).value and self._other_customer is not None:
            keep = self.query_one("#merge-keep", Select).value
            names = {self._other_customer.id: self._other_customer.full_name}
            if self.customer is not None:
                names[self.customer.id] = self.customer.full_name
            text += " " + _("The customers are merged; {name} stays.", name=one_line(names.get(keep, ""), 50))
        self.query_one("#merge-preview", Static).update(Content(text))

    def _error(self, e: SagiccError) -> None:
        self.query_one("#merge-error", Label).update(Content(labels.error_sentence(e)))

    @on(Button.Pressed, "#merge-go")
    def _go(self) -> None:
        if self._other is None:
            self._look_up()
            self.query_one("#merge-error", Label).update(Content(_("Give the number of the other ticket first.")))
            return
        merge_customers = self.query_one("#merge-customers", Checkbox).value and self._other_customer is not None
        keep = self.query_one("#merge-keep", Select).value if merge_customers else None
        number, version = self._other.number, self.ticket.version
        self.call("merge", lambda: self.session.tickets.merge_ticket(
            self.ticket.id, number, merge_customers=merge_customers,
            keep_customer_id=keep if isinstance(keep, int) else None, expected_version=version),
            self.dismiss, self._error)

    @on(Button.Pressed, "#merge-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class RelatedScreen(BackendCalls, TranslatedBindings, ModalScreen[int | None]):
    """Related tickets: the list (Enter jumps to one), relate by number."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="ticket.related.cancel")]

    def __init__(self, backend: Backend, user: User, ticket: Ticket) -> None:
        super().__init__()
        self.backend, self.user, self.ticket = backend, user, ticket
        self._related: list[TicketRelation] = []

    @property
    def session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self.backend.session(self.user)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog"):
            yield Label(Content(_("Related tickets")), classes="dialog-title")
            yield OptionList(id="related-list")
            yield Label(Content(_("Relate a ticket by number")))
            yield Input(id="related-number", type="integer")
            yield Label("", classes="dialog-error", id="related-error")
            yield Label(Content(_("Enter on a ticket opens it · Esc closes")), classes="dialog-help")

    def on_mount(self) -> None:
        self.call("list", lambda: self.session.tickets.related_tickets(self.ticket.id), self._show)
        self.query_one("#related-number", Input).focus()

    def _show(self, related: list[TicketRelation]) -> None:
        self._related = related
        box = self.query_one("#related-list", OptionList)
        box.clear_options()
        for r in related:
            # Status, customer and subject tell the related tickets apart (T3).
            box.add_option(Option(Content.assemble(
                (f"#{r.related_number}", "bold"), "  ", (labels.status(r.status) if r.status else "", "bold"),
                "  ", one_line(r.customer_name, 40), "  ", (one_line(r.subject, 60), "dim"))))
        if not related:
            box.add_option(Option(Content(_("No related tickets.")), disabled=True))

    @on(Input.Submitted, "#related-number")
    def _relate(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip().isdigit():
            return
        number = int(event.value.strip())
        self.call("relate", lambda: self.session.tickets.relate_ticket(self.ticket.id, number), self._related_done,
                  lambda e: self.query_one("#related-error", Label).update(Content(labels.error_sentence(e))))

    def _related_done(self, related: list[TicketRelation]) -> None:
        self.query_one("#related-number", Input).value = ""
        self.query_one("#related-error", Label).update("")
        self._show(related)

    @on(OptionList.OptionSelected, "#related-list")
    def _jump(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._related):
            self.dismiss(self._related[event.option_index].related_ticket_id)

    def action_cancel(self) -> None:
        self.dismiss(None)


_KIND_HEADERS = (N_("Type"), N_("Field"), N_("Previous"), N_("New"), N_("Date"), N_("User"))
_RULE_HEADERS = (N_("Rule"), N_("Detail"), N_("Date"))


def fill_table(table: DataTable, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns as wide as their widest cell, set with the rows. A DataTable
    measures rows that arrive later on an idle pass and may keep the header it
    already drew at the old widths; fixed widths drawn once never disagree."""
    titles = [_(h) for h in headers]
    widths = [max([cell_len(h), *(cell_len(r[i]) for r in rows)]) for i, h in enumerate(titles)]
    table.clear(columns=True)
    for label, width in zip(titles, widths, strict=True):
        table.add_column(label, width=width)
    # Text cells, never str: DataTable parses str cells as markup, and
    # values can be text a customer wrote.
    table.add_rows([tuple(Text(v) for v in r) for r in rows])


class ChangeLogScreen(BackendCalls, TranslatedBindings, ModalScreen[None]):
    """Administrators: the ticket's change log, with a date filter; ids shown as names."""

    BINDINGS = [Binding("escape", "cancel", N_("Close"), id="ticket.changelog.close")]

    def __init__(self, backend: Backend, user: User, ticket_id: int) -> None:
        super().__init__()
        self.backend, self.user, self.ticket_id = backend, user, ticket_id

    @property
    def session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self.backend.session(self.user)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog", id="log-dialog"):
            yield Label(Content(_("Change log")), classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Input(placeholder=_("From YYYY-MM-DD"), id="log-since", compact=True)
                yield Input(placeholder=_("To YYYY-MM-DD"), id="log-until", compact=True)
            yield DataTable(id="log-table", cursor_type="row", zebra_stripes=True)
            yield Label(Content(_("Business rule log")), classes="dialog-title")
            yield DataTable(id="rule-table", cursor_type="row", zebra_stripes=True)
            yield Label("", classes="dialog-error", id="log-error")
            yield Label(Content(_("Enter in a date filters · Esc closes")), classes="dialog-help")

    def on_mount(self) -> None:
        table = self.query_one("#log-table", DataTable)
        fill_table(table, _KIND_HEADERS, [])
        fill_table(self.query_one("#rule-table", DataTable), _RULE_HEADERS, [])
        self._load()
        self.call("rules", lambda: self.session.admin.rule_log(self.ticket_id), self._show_rules,
                  lambda e: self.query_one("#log-error", Label).update(Content(labels.error_sentence(e))))
        table.focus()

    def _date(self, sel: str, end: bool) -> datetime | None:
        text = self.query_one(sel, Input).value.strip()
        if not text:
            return None
        d = date.fromisoformat(text)
        at = datetime.combine(d, time.min).astimezone(UTC)
        return at + timedelta(days=1) if end else at

    @on(Input.Submitted)
    def _load(self) -> None:
        try:
            since, until = self._date("#log-since", False), self._date("#log-until", True)
        except ValueError:
            self.query_one("#log-error", Label).update(Content(_("Write dates as YYYY-MM-DD.")))
            return
        self.query_one("#log-error", Label).update("")
        self.call("log", lambda: self.session.admin.change_log(EntityKind.TICKET, self.ticket_id, since=since,
                                                         until=until), self._show,
                  lambda e: self.query_one("#log-error", Label).update(Content(labels.error_sentence(e))))

    def _show(self, entries: list[ChangeLogEntry]) -> None:
        # Names and labels, not ids (T3); values cut so date and user stay in view.
        fill_table(self.query_one("#log-table", DataTable), _KIND_HEADERS, [(
            labels.change_kind(e.kind), one_line(labels.change_field(e.field), 20),
            one_line(labels.change_value(e.field, e.previous, e.previous_name), 30),
            one_line(labels.change_value(e.field, e.new, e.new_name), 30), when(e.at),
            one_line(e.user_name, 22)) for e in entries])

    def _show_rules(self, entries: list[RuleLogEntry]) -> None:
        fill_table(self.query_one("#rule-table", DataTable), _RULE_HEADERS,
                   [(one_line(e.rule, 20), one_line(e.detail, 70), when(e.at)) for e in entries])

    def action_cancel(self) -> None:
        self.dismiss(None)


def interaction_text(i) -> str:
    """An interaction in full, as plain text."""
    if i.direction is Direction.INCOMING:
        # #15.3: the customer wrote it: they are the sender (name and number or address), not "To".
        sender, contact = one_line(i.sender), one_line(i.contact)
        who = [_("From: {sender}", sender=sender if not contact or contact == sender else f"{sender} <{contact}>")]
    else:
        who = [_("From: {sender}", sender=one_line(i.sender)), _("To: {contact}", contact=one_line(i.contact))]
    lines = [
        *who,
        _("Channel: {channel}", channel=labels.channel(i.channel)),
        _("Date: {when}", when=when(i.created_at)),
    ]
    if i.subject:
        lines.append(_("Subject: {subject}", subject=one_line(i.subject)))
    if i.cc:
        lines.append(_("Cc: {list}", list=one_line(i.cc)))
    if i.delivery_error:
        lines.append(_("Not delivered: {reason} (R retries)", reason=one_line(i.delivery_error)))
    if i.attachments:
        lines.append(_("Attachments: {names}", names=", ".join(one_line(a.name, 60) for a in i.attachments)))
    lines.append("")
    lines.append(clean(i.content))
    return "\n".join(lines)
