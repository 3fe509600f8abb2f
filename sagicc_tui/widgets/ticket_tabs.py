"""The tabs of the ticket screen (T4-T14): one widget per tab.

Every tab reads and writes through the Backend in workers (`BackendCalls`):
the result comes back as a message and lands on the UI thread; a Backend
error becomes one sentence on the tab, and what the user typed stays.

Tabs find the ticket (id, current version), the campaign and the header
variables on their screen (`TicketContext`); a write that changed the ticket
posts `TicketChanged` so the screen refreshes its header and version.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option

from sagicc_tui.backend import Backend
from sagicc_tui.domain.customers import (
    REASON_LABELS,
    AccountInput,
    ContactInput,
    CustomerAssignment,
    CustomerInput,
    CustomerPage,
    CustomerProfile,
    CustomerQuery,
    RelatedCustomer,
    SimilarCustomer,
)
from sagicc_tui.domain.enums import (
    ChannelType,
    ContactKind,
    IdType,
    NoteColor,
    Priority,
    TicketType,
)
from sagicc_tui.domain.errors import SagiccError, StaleWrite, as_error
from sagicc_tui.domain.models import (
    Account,
    Attachment,
    Campaign,
    ContactInfo,
    Customer,
    Note,
    Task,
    Ticket,
    User,
)
from sagicc_tui.domain.ticket_screen import AgendaItem
from sagicc_tui.i18n import N_, _
from sagicc_tui.sanitize import clean, one_line
from sagicc_tui.widgets import labels
from sagicc_tui.screens.choose import ChoiceScreen
from sagicc_tui.widgets.composer import Composer
from sagicc_tui.widgets.conversation import ConversationView, when
from sagicc_tui.widgets.task_form import TaskForm


class TicketContext(Protocol):
    backend: Backend
    user: User
    ticket_id: int
    ticket: Ticket | None
    campaign: Campaign | None
    customer: Customer | None


# --- worker plumbing ---------------------------------------------------------------------


class CallResult(Message, bubble=False, namespace="backend_calls"):
    def __init__(self, callback: Callable[[Any], None], value: Any) -> None:
        super().__init__()
        self.callback = callback
        self.value = value


class BackendCalls:
    """Mixin for widgets and screens: `self.call(group, make, done)` runs `make()` in an
    exclusive worker of that group; the result (or the error, to `error`)
    arrives as a `CallResult` message handled on the UI thread.

    Every exception becomes a SagiccError sentence (`as_error`): a disk that
    is full, a store that is read-only, a bug -- the worker never ends the
    app, and the screen keeps what was typed."""

    def call(self, group: str, make: Callable[[], Awaitable[Any]], done: Callable[[Any], None],
             error: Callable[[SagiccError], None] | None = None) -> None:
        on_error = error or self.default_error

        async def job() -> None:
            try:
                value = await make()
            except SagiccError as e:
                self.post_message(CallResult(on_error, e))  # type: ignore[attr-defined]
                return
            except Exception as e:  # noqa: BLE001 - one sentence on screen, never a traceback that ends the app
                self.log.error(f"{group} failed", e)  # type: ignore[attr-defined]
                self.post_message(CallResult(on_error, as_error(e)))  # type: ignore[attr-defined]
                return
            self.post_message(CallResult(done, value))  # type: ignore[attr-defined]

        self.run_worker(job(), group=f"{id(self)}-{group}", exclusive=True)  # type: ignore[attr-defined]

    def default_error(self, e: SagiccError) -> None:
        # A tab's failure goes to its screen's policy when it has one: a store
        # or server that is away is said once there, not once per tab.
        screen = getattr(self, "screen", None)
        if screen is not None and screen is not self and isinstance(screen, BackendCalls):
            screen.default_error(e)
            return
        self.notify(labels.error_sentence(e), severity="error")  # type: ignore[attr-defined]

    async def on_backend_calls_call_result(self, message: CallResult) -> None:
        message.stop()
        result = message.callback(message.value)
        if inspect.iscoroutine(result):
            await result


@dataclass
class TicketChanged(Message):
    """A tab wrote something that changed the ticket: `ticket` is the new one (None: read it)."""

    ticket: Ticket | None = None


class TicketTabBase(BackendCalls, Widget):
    DEFAULT_CSS = """
    TicketTabBase { height: 1fr; }
    """

    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ctx = ctx

    @property
    def backend(self) -> Backend:
        return self.ctx.backend

    @property
    def user(self) -> User:
        return self.ctx.user

    def load(self) -> None:
        """Read what the tab shows (called when the ticket is known and on refresh)."""

    def set_error(self, text: str) -> None:
        for label in self.query(".form-error").results(Label):
            label.update(Content(text))
            break

    def error_here(self, e: SagiccError) -> None:
        self.set_error(labels.error_sentence(e))


def _value(widget: Select) -> Any:
    return widget.selection  # None when nothing is chosen


def _field(label: str, widget: Widget) -> Vertical:
    return Vertical(Label(Content(label), classes="field-label"), widget, classes="field")


# --- T4 Customer -------------------------------------------------------------------------


class CustomerTab(TicketTabBase):
    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self._customer: Customer | None = None
        self._similar: list[SimilarCustomer] = []
        self._relations: list[RelatedCustomer] = []
        self._assignments: tuple[CustomerAssignment, ...] = ()

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            with Horizontal(classes="form-row"):
                yield _field(_("Document type"), Select([(t.value.upper(), t.value) for t in IdType],
                                                        allow_blank=False, id="cust-id-type", compact=True))
                yield _field(_("Document number"), Input(id="cust-id-number", compact=True))
            with Horizontal(classes="form-row"):
                yield _field(_("First name"), Input(id="cust-first", compact=True))
                yield _field(_("Middle name"), Input(id="cust-middle", compact=True))
            with Horizontal(classes="form-row"):
                yield _field(_("Last name"), Input(id="cust-last", compact=True))
                yield _field(_("Second last name"), Input(id="cust-second", compact=True))
            yield _field(_("Date of birth (YYYY-MM-DD)"), Input(id="cust-birth", compact=True))
            with Horizontal(classes="buttons"):
                yield Button(_("Save customer"), id="cust-save", variant="primary", compact=True)
            yield Label("", classes="form-error")
            yield Label(Content(_("Similar customers (Enter switches the ticket to one)")), classes="section-title")
            yield OptionList(id="cust-similar", compact=True)
            yield Label(Content(_("Related customers")), classes="section-title")
            yield OptionList(id="cust-related", compact=True)
            with Horizontal(classes="buttons"):
                yield Button(_("Add related customer"), id="cust-rel-add", compact=True)
                yield Button(_("Edit relation"), id="cust-rel-edit", compact=True)
                yield Button(_("Remove relation"), id="cust-rel-remove", variant="error", compact=True)
            yield Label(Content(_("Assigned user")), classes="section-title")
            yield Static(id="cust-assignees")
            with Horizontal(classes="buttons"):
                yield Button(_("Change assigned user"), id="cust-assign", compact=True)
            yield Label("", id="cust-sections-error")

    def load(self) -> None:
        t = self.ctx.ticket
        if t is None:
            return
        self.call("customer", lambda: self.backend.get_customer(self.user, t.customer_id), self._show)
        self.call("similar", lambda: self.backend.similar_customers(self.user, t.customer_id), self._show_similar)
        self._load_sections(t.customer_id)

    def _load_sections(self, customer_id: int) -> None:
        self.call("relations", lambda: self.backend.list_relations(self.user, customer_id), self._show_relations,
                  self._section_error)
        self.call("assignees", lambda: self.backend.customer_profile(self.user, customer_id), self._show_assignees,
                  self._section_error)

    def _show(self, c: Customer) -> None:
        self._customer = c
        self.query_one("#cust-id-type", Select).value = c.id_type.value
        for sel, value in (("#cust-id-number", c.id_number), ("#cust-first", c.first_name),
                           ("#cust-middle", c.middle_name), ("#cust-last", c.last_name),
                           ("#cust-second", c.second_last_name),
                           ("#cust-birth", c.birth_date.isoformat() if c.birth_date else "")):
            self.query_one(sel, Input).value = one_line(value)

    def _show_similar(self, similar: list[SimilarCustomer]) -> None:
        self._similar = similar
        box = self.query_one("#cust-similar", OptionList)
        box.clear_options()
        if not similar:
            box.add_option(Option(Content(_("No similar customers.")), disabled=True))
        for s in similar:
            reasons = ", ".join(_(REASON_LABELS[r]) for r in s.reasons)
            c = s.customer
            box.add_option(Option(Content.assemble(
                (f"{s.percentage:3d}% ", "bold"), f"{c.id_type.value.upper()} {one_line(c.id_number)} ",
                one_line(c.full_name, max_len=50), (f"  {reasons}", "dim"))))

    @on(Button.Pressed, "#cust-save")
    def save(self) -> None:
        c = self._customer
        if c is None:
            return
        birth_text = self.query_one("#cust-birth", Input).value.strip()
        birth: date | None = None
        if birth_text:
            try:
                birth = date.fromisoformat(birth_text)
            except ValueError:
                self.set_error(_("The date of birth must be a date as YYYY-MM-DD."))
                return
        data = CustomerInput(
            type=c.type, id_type=IdType(self.query_one("#cust-id-type", Select).value),
            id_number=self.query_one("#cust-id-number", Input).value,
            first_name=self.query_one("#cust-first", Input).value,
            middle_name=self.query_one("#cust-middle", Input).value,
            last_name=self.query_one("#cust-last", Input).value,
            second_last_name=self.query_one("#cust-second", Input).value, birth_date=birth,
        )
        self.set_error("")
        self.call("save", lambda: self.backend.update_customer(self.user, c.id, data, expected_version=c.version),
                  self._saved, self.error_here)

    def _saved(self, c: Customer) -> None:
        self._customer = c
        self.notify(_("Customer saved."))
        self.post_message(TicketChanged())

    @on(OptionList.OptionSelected, "#cust-similar")
    def _switch(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not (0 <= event.option_index < len(self._similar)):
            return
        other = self._similar[event.option_index].customer
        from sagicc_tui.screens.ticket_dialogs import ConfirmScreen

        text = _("Switch this ticket to the customer {name} ({document})?",
                 name=one_line(other.full_name, max_len=50), document=one_line(other.id_number))
        self.app.push_screen(ConfirmScreen(_("Switch customer"), text),
                             lambda ok: self._do_switch(other.id) if ok else None)

    def _do_switch(self, customer_id: int) -> None:
        t = self.ctx.ticket
        if t is None:
            return
        self.call("switch", lambda: self.backend.switch_ticket_customer(
            self.user, t.id, customer_id, expected_version=t.version), self._switched, self.error_here)

    def _switched(self, ticket: Ticket) -> None:
        self.notify(_("The ticket now belongs to the chosen customer."))
        self.post_message(TicketChanged(ticket))

    # Related customers (T4) and the customer's assigned user (T4), below the form.

    def _section_error(self, e: SagiccError | None) -> None:
        self._section_text(labels.error_sentence(e) if e is not None else "")

    def _section_text(self, text: str) -> None:
        label = self.query_one("#cust-sections-error", Label)
        label.set_class(bool(text), "form-error")
        label.update(Content(text))

    def _show_relations(self, relations: list[RelatedCustomer]) -> None:
        self._relations = relations
        box = self.query_one("#cust-related", OptionList)
        box.clear_options()
        for r in relations:
            box.add_option(Option(Content.assemble(
                one_line(r.related_name, max_len=50),
                (f"  {r.related_id_type.value.upper()} {one_line(r.related_id_number)}", "dim"),
                "  · ", (one_line(r.relation, max_len=40), "italic"))))
        if not relations:
            box.add_option(Option(Content(_("No related customers.")), disabled=True))

    def _show_assignees(self, profile: CustomerProfile) -> None:
        self._customer = profile.customer if self._customer is None else self._customer
        self._assignments = profile.assignments
        everyone = one_line(profile.assigned_user_name, max_len=50) or _("nobody")
        lines = [Content.assemble((_("All campaigns") + ": ", "dim"), everyone)]
        for a in profile.assignments:
            lines.append(Content.assemble((one_line(a.campaign_name, max_len=40) + ": ", "dim"),
                                          one_line(a.user_name, max_len=50)))
        self.query_one("#cust-assignees", Static).update(Content("\n").join(lines))

    def _relation_chosen(self) -> RelatedCustomer | None:
        index = self.query_one("#cust-related", OptionList).highlighted
        if index is None or not (0 <= index < len(self._relations)):
            self._section_text(_("Choose a related customer in the list first."))
            return None
        return self._relations[index]

    def _relations_written(self, _result: object = None) -> None:
        self._section_error(None)
        t = self.ctx.ticket
        if t is not None:
            self._load_sections(t.customer_id)

    @on(Button.Pressed, "#cust-rel-add")
    def add_relation(self) -> None:
        from sagicc_tui.screens.text_prompt import TextPrompt

        self.app.push_screen(TextPrompt(_("Find the related customer by document or name"), max_length=100),
                             self._find_related)

    def _find_related(self, text: str | None) -> None:
        if not text or not text.strip():
            return
        search = text.strip()
        self.call("find", lambda: self.backend.list_customers(self.user, CustomerQuery(search=search), limit=20),
                  lambda page: self._choose_related(search, page), self._section_error)

    def _choose_related(self, search: str, page: CustomerPage) -> None:
        t = self.ctx.ticket
        items = [c for c in page.rows if t is None or c.id != t.customer_id]
        options = [(Content.assemble(f"{c.id_type.value.upper()} {one_line(c.id_number)}  ",
                                     one_line(c.full_name, max_len=50)), c.id) for c in items]
        self.app.push_screen(ChoiceScreen(_("Related customer"), options,
                                          empty=_("No other customer matches {text}.", text=one_line(search, 40))),
                             self._ask_relation)

    def _ask_relation(self, related_id: int | None) -> None:
        if related_id is None:
            return
        from sagicc_tui.screens.text_prompt import TextPrompt

        self.app.push_screen(TextPrompt(_("Relation (like Spouse or Legal representative)"), max_length=80),
                             lambda text: self._add_relation(related_id, text))

    def _add_relation(self, related_id: int, text: str | None) -> None:
        t = self.ctx.ticket
        if text is None or t is None:
            return
        self.call("relation", lambda: self.backend.add_relation(self.user, t.customer_id, related_id, text),
                  self._relations_written, self._section_error)

    @on(Button.Pressed, "#cust-rel-edit")
    def edit_relation(self) -> None:
        r = self._relation_chosen()
        if r is None:
            return
        from sagicc_tui.screens.text_prompt import TextPrompt

        self.app.push_screen(TextPrompt(_("Relation with {name}", name=one_line(r.related_name, max_len=50)),
                                        value=one_line(r.relation), max_length=80),
                             lambda text: self._update_relation(r.id, text, r.version))

    def _update_relation(self, relation_id: int, text: str | None, version: int | None = None) -> None:
        if text is None:
            return
        self.call("relation", lambda: self.backend.update_relation(self.user, relation_id, text,
                                                                   expected_version=version),
                  self._relations_written, self._section_error)

    @on(Button.Pressed, "#cust-rel-remove")
    def remove_relation(self) -> None:
        r = self._relation_chosen()
        if r is None:
            return
        from sagicc_tui.screens.ticket_dialogs import ConfirmScreen

        text = _("Remove the relation with {name}?", name=one_line(r.related_name, max_len=50))
        self.app.push_screen(ConfirmScreen(_("Remove relation"), text),
                             lambda ok: self._remove_relation(r.id) if ok else None)

    def _remove_relation(self, relation_id: int) -> None:
        self.call("relation", lambda: self.backend.remove_relation(self.user, relation_id),
                  self._relations_written, self._section_error)

    @on(Button.Pressed, "#cust-assign")
    def change_assignee(self) -> None:
        self.call("users", self.backend.list_users, self._choose_assignee, self._section_error)

    def _choose_assignee(self, users: list[User]) -> None:
        options: list[tuple[Content, Any]] = [(Content(_("Nobody (remove the assignment)")), ("none", None))]
        options += [(Content.assemble(one_line(u.full_name, 40), ("  " + labels.role(u.role), "dim")), ("user", u.id))
                    for u in users if u.active]
        self.app.push_screen(ChoiceScreen(_("Assigned user of the customer"), options), self._choose_scope)

    def _choose_scope(self, choice: tuple[str, int | None] | None) -> None:
        if choice is None:
            return
        assignee_id = choice[1]
        options: list[tuple[Content, int | None]] = [(Content(_("All campaigns")), None)]
        campaign = self.ctx.campaign
        if campaign is not None:
            options.append((Content(_("This campaign ({name})", name=one_line(campaign.name, max_len=40))),
                            campaign.id))
        self.app.push_screen(ChoiceScreen(_("Assign for"), [(p, ("scope", v)) for p, v in options]),
                             lambda scope: self._set_assignee(assignee_id, scope[1]) if scope else None)

    def _set_assignee(self, assignee_id: int | None, campaign_id: int | None) -> None:
        c = self._customer
        if c is None:
            return
        self.call("assign", lambda: self.backend.set_customer_assignee(
            self.user, c.id, assignee_id, campaign_id=campaign_id, expected_version=c.version),
            self._assigned, self._section_error)

    def _assigned(self, c: Customer) -> None:
        self._customer = c
        self.notify(_("Assigned user of the customer changed."))
        self._relations_written()
        self.post_message(TicketChanged())


# --- T5 Contact ---------------------------------------------------------------------------

_CONTACT_KIND = {
    ContactKind.EMAIL: N_("E-mail"),
    ContactKind.PHONE: N_("Phone"),
    ContactKind.MOBILE: N_("Mobile"),
    ContactKind.ADDRESS: N_("Address"),
    ContactKind.SOCIAL: N_("Social account"),
}


def contact_kind(kind: ContactKind) -> str:
    return _(_CONTACT_KIND[kind])


class ContactTab(TicketTabBase):
    @dataclass
    class ContactsLoaded(Message):
        contacts: list[ContactInfo]

    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self._contacts: list[ContactInfo] = []
        self._editing: int | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield OptionList(id="contact-list", compact=True)
            with Horizontal(classes="form-row"):
                yield _field(_("Type"), Select([(contact_kind(k), k.value) for k in ContactKind],
                                               allow_blank=False, id="contact-kind", compact=True))
                yield _field(_("Value"), Input(id="contact-value", compact=True))
                yield _field(_("Label"), Input(id="contact-label", compact=True))
            with Horizontal(classes="buttons"):
                yield Button(_("Add contact"), id="contact-add", variant="primary", compact=True)
                yield Button(_("Save changes"), id="contact-save", compact=True)
                yield Button(_("Delete"), id="contact-delete", variant="error", compact=True)
            yield Label("", classes="form-error")

    def load(self) -> None:
        t = self.ctx.ticket
        if t is not None:
            self.call("list", lambda: self.backend.list_contacts(self.user, t.customer_id), self._show)

    def _show(self, contacts: list[ContactInfo]) -> None:
        self._contacts = contacts
        box = self.query_one("#contact-list", OptionList)
        box.clear_options()
        for c in contacts:
            box.add_option(Option(Content.assemble(
                (contact_kind(c.kind) + ": ", "dim"), one_line(c.value, max_len=60),
                (f"  {one_line(c.label, max_len=30)}" if c.label else "", "dim"))))
        if not contacts:
            box.add_option(Option(Content(_("No contact information yet.")), disabled=True))
        self.post_message(self.ContactsLoaded(contacts))

    @on(OptionList.OptionHighlighted, "#contact-list")
    def _picked(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._contacts):
            c = self._contacts[event.option_index]
            self._editing = c.id
            self._editing_version = c.version  # If-Match: a colleague's edit meanwhile is refused, not lost
            self.query_one("#contact-kind", Select).value = c.kind.value
            self.query_one("#contact-value", Input).value = one_line(c.value)
            self.query_one("#contact-label", Input).value = one_line(c.label)

    def _input(self) -> ContactInput:
        return ContactInput(kind=ContactKind(self.query_one("#contact-kind", Select).value),
                            value=self.query_one("#contact-value", Input).value,
                            label=self.query_one("#contact-label", Input).value)

    @on(Button.Pressed, "#contact-add")
    def add(self) -> None:
        t = self.ctx.ticket
        if t is None:
            return
        data = self._input()
        self.set_error("")
        self.call("write", lambda: self.backend.add_contact(self.user, t.customer_id, data), self._written,
                  self.error_here)

    @on(Button.Pressed, "#contact-save")
    def save(self) -> None:
        if self._editing is None:
            self.set_error(_("Choose a contact in the list first."))
            return
        cid, data, version = self._editing, self._input(), getattr(self, "_editing_version", None)
        self.set_error("")
        self.call("write", lambda: self.backend.update_contact(self.user, cid, data, expected_version=version),
                  self._written,
                  self.error_here)

    @on(Button.Pressed, "#contact-delete")
    def delete(self) -> None:
        if self._editing is None:
            self.set_error(_("Choose a contact in the list first."))
            return
        cid = self._editing
        self._editing = None
        self.call("write", lambda: self.backend.delete_contact(self.user, cid), self._written, self.error_here)

    def _written(self, _result: object) -> None:
        self.set_error("")
        self.query_one("#contact-value", Input).value = ""
        self.query_one("#contact-label", Input).value = ""
        self.load()


# --- T6 Account ---------------------------------------------------------------------------


class AccountTab(TicketTabBase):
    @dataclass
    class AccountsLoaded(Message):
        accounts: list[Account]

    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self._accounts: list[Account] = []
        self._editing: int | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield OptionList(id="account-list", compact=True)
            with Horizontal(classes="form-row"):
                yield _field(_("Account number"), Input(id="account-number", compact=True))
                yield _field(_("Name"), Input(id="account-name", compact=True))
            yield _field(_("Additional information (key=value; key=value)"), Input(id="account-extra", compact=True))
            with Horizontal(classes="buttons"):
                yield Button(_("Add account"), id="account-add", variant="primary", compact=True)
                yield Button(_("Save changes"), id="account-save", compact=True)
            yield Label("", classes="form-error")

    def load(self) -> None:
        t = self.ctx.ticket
        if t is not None:
            self.call("list", lambda: self.backend.list_accounts(self.user, t.customer_id), self._show)

    def _show(self, accounts: list[Account]) -> None:
        self._accounts = accounts
        box = self.query_one("#account-list", OptionList)
        box.clear_options()
        for a in accounts:
            extra = "; ".join(f"{one_line(k, 20)}={one_line(v, 40)}" for k, v in a.extra.items())
            box.add_option(Option(Content.assemble((one_line(a.number, 30), "bold"), " ",
                                                   one_line(a.name, max_len=40), (f"  {extra}", "dim"))))
        if not accounts:
            box.add_option(Option(Content(_("No accounts yet.")), disabled=True))
        self.post_message(self.AccountsLoaded(accounts))

    @on(OptionList.OptionHighlighted, "#account-list")
    def _picked(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._accounts):
            a = self._accounts[event.option_index]
            self._editing = a.id
            self._editing_version = a.version
            self.query_one("#account-number", Input).value = one_line(a.number)
            self.query_one("#account-name", Input).value = one_line(a.name)
            self.query_one("#account-extra", Input).value = "; ".join(f"{k}={v}" for k, v in a.extra.items())

    def _input(self) -> AccountInput:
        extra: dict[str, str] = {}
        for part in self.query_one("#account-extra", Input).value.split(";"):
            if "=" in part:
                k, v = part.split("=", 1)
                if k.strip():
                    extra[k.strip()] = v.strip()
        return AccountInput(number=self.query_one("#account-number", Input).value,
                            name=self.query_one("#account-name", Input).value, extra=extra)

    @on(Button.Pressed, "#account-add")
    def add(self) -> None:
        t = self.ctx.ticket
        if t is None:
            return
        data = self._input()
        self.call("write", lambda: self.backend.add_account(self.user, t.customer_id, data), self._written,
                  self.error_here)

    @on(Button.Pressed, "#account-save")
    def save(self) -> None:
        if self._editing is None:
            self.set_error(_("Choose an account in the list first."))
            return
        aid, data, version = self._editing, self._input(), getattr(self, "_editing_version", None)
        self.call("write", lambda: self.backend.update_account(self.user, aid, data, expected_version=version),
                  self._written,
                  self.error_here)

    def _written(self, _result: object) -> None:
        self.set_error("")
        self.load()


# --- T7 Ticket ----------------------------------------------------------------------------


class TicketTab(TicketTabBase):
    """Type, description, priority, account; saved with the version the form was filled from."""

    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self.version: int | None = None
        self._filled = False
        self._account_ids: set[int] = set()

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            with Horizontal(classes="form-row"):
                yield _field(_("Ticket type"), Select([(labels.ticket_type(t), t.value) for t in TicketType],
                                                      allow_blank=False, id="tt-type", compact=True))
                yield _field(_("Priority"), Select([(labels.priority(p), p.value) for p in Priority],
                                                   allow_blank=False, id="tt-priority", compact=True))
            yield _field(_("Account"), Select([], prompt=_("No account"), id="tt-account", compact=True))
            yield _field(_("Campaign"), Static("", id="tt-campaign"))
            yield _field(_("Description"), TextArea(id="tt-description", soft_wrap=True, tab_behavior="focus",
                                                    compact=True))
            with Horizontal(classes="buttons"):
                yield Button(_("Save ticket"), id="tt-save", variant="primary", compact=True)
                yield Button(_("Reload"), id="tt-reload", compact=True, classes="-hidden")
            yield Label("", classes="form-error")

    def fill(self, ticket: Ticket, *, keep_input: bool = False) -> None:
        """Show the ticket; with keep_input only the version moves (the user's typing stays)."""
        self.version = ticket.version
        name = self.ctx.campaign.name if self.ctx.campaign else str(ticket.campaign_id)
        self.query_one("#tt-campaign", Static).update(Content(one_line(name)))
        if keep_input and self._filled:
            return
        self._filled = True
        self.query_one("#tt-type", Select).value = ticket.type.value
        self.query_one("#tt-priority", Select).value = ticket.priority.value
        self.query_one("#tt-description", TextArea).text = clean(ticket.description)
        account = self.query_one("#tt-account", Select)
        if ticket.account_id is None:
            account.clear()
        elif ticket.account_id in self._account_ids:
            account.value = ticket.account_id

    def set_accounts(self, accounts: list[Account]) -> None:
        select = self.query_one("#tt-account", Select)
        current = _value(select)
        select.set_options([(one_line(a.number, 30) + " " + one_line(a.name, 30), a.id) for a in accounts])
        self._account_ids = {a.id for a in accounts}
        t = self.ctx.ticket
        wanted = current if current is not None else (t.account_id if t else None)
        if wanted in {a.id for a in accounts}:
            select.value = wanted

    @on(Button.Pressed, "#tt-save")
    def save(self) -> None:
        t = self.ctx.ticket
        if t is None or self.version is None:
            return
        changes: dict[str, object] = {
            "type": TicketType(self.query_one("#tt-type", Select).value),
            "priority": Priority(self.query_one("#tt-priority", Select).value),
            "description": self.query_one("#tt-description", TextArea).text,
        }
        account = _value(self.query_one("#tt-account", Select))
        if account != t.account_id:
            changes["account_id"] = account
        version = self.version
        self.set_error("")
        self.call("save", lambda: self.backend.update_ticket(self.user, t.id, changes, expected_version=version),
                  self._saved, self._failed)

    def _saved(self, ticket: Ticket) -> None:
        self.version = ticket.version
        self.query_one("#tt-reload").add_class("-hidden")
        self.notify(_("Ticket saved."))
        self.post_message(TicketChanged(ticket))

    def _failed(self, e: SagiccError) -> None:
        self.error_here(e)
        if isinstance(e, StaleWrite):
            reload = self.query_one("#tt-reload", Button)
            reload.remove_class("-hidden")
            reload.label = _("Reload (keeps your changes)")

    @on(Button.Pressed, "#tt-reload")
    def reload(self) -> None:
        t = self.ctx.ticket
        if t is None:
            return
        self.call("reload", lambda: self.backend.get_ticket(self.user, t.id), self._reloaded)

    def _reloaded(self, ticket: Ticket) -> None:
        self.fill(ticket, keep_input=True)
        self.query_one("#tt-reload").add_class("-hidden")
        self.set_error(_("Reloaded; your changes are kept. Save again to apply them."))
        self.post_message(TicketChanged(ticket))


# --- T8/T9 Conversation ---------------------------------------------------------------------


class ConversationTab(TicketTabBase):
    def compose(self) -> ComposeResult:
        ctx = self.ctx
        channels = [(labels.channel(c), c.value) for c in ChannelType]
        with Horizontal(id="conv-filter"):
            yield Select(channels, prompt=_("All channels"), id="conv-channel", compact=True)
            yield Checkbox(_("Previous interactions"), id="conv-previous", compact=True)
            yield Input(placeholder=_("From YYYY-MM-DD"), id="conv-since", compact=True)
            yield Input(placeholder=_("To YYYY-MM-DD"), id="conv-until", compact=True)
        yield ConversationView(ctx.backend, ctx.user, ctx.ticket_id, id="conversation")
        if ctx.campaign is not None:
            with VerticalScroll(id="composer-box"):
                yield Composer(ctx.campaign, id="composer")

    def load(self) -> None:
        self.query_one(ConversationView).reload()

    def _day(self, selector: str, *, end: bool) -> datetime | None:
        from sagicc_tui.domain.days import parse_day  # the one day parser (local midnight)

        return parse_day(self.query_one(selector, Input).value, end=end)

    @on(Select.Changed, "#conv-channel")
    @on(Checkbox.Changed, "#conv-previous")
    @on(Input.Submitted, "#conv-since")
    @on(Input.Submitted, "#conv-until")
    def _filter(self, event: Message) -> None:
        event.stop()
        value = _value(self.query_one("#conv-channel", Select))
        channels = (ChannelType(value),) if value else ()
        try:
            since, until = self._day("#conv-since", end=False), self._day("#conv-until", end=True)
        except ValueError:
            self.notify(_("Write dates as YYYY-MM-DD."), severity="warning")
            return
        self.query_one(ConversationView).set_filter(channels, self.query_one("#conv-previous", Checkbox).value,
                                                    since, until)


# --- T10 Script, Agenda -------------------------------------------------------------------------


class ScriptTab(TicketTabBase):
    def compose(self) -> ComposeResult:
        script = self.ctx.campaign.script if self.ctx.campaign else ""
        with VerticalScroll():
            yield Static(Content(clean(script) or _("This campaign has no script.")), id="script-text")


class AgendaTab(TicketTabBase):
    def compose(self) -> ComposeResult:
        yield Label("", id="agenda-title", classes="section-title")
        yield OptionList(id="agenda-list", compact=True)

    def load(self) -> None:
        t = self.ctx.ticket
        if t is None:
            return
        if t.assignee_id is None:
            self.query_one("#agenda-title", Label).update(Content(_("The ticket is not assigned: no agenda.")))
            return
        self.query_one("#agenda-title", Label).update(Content(_("Scheduled next tasks of the assignee")))
        self.call("agenda", lambda: self.backend.agenda(self.user, t.assignee_id), self._show)

    def _show(self, items: list[AgendaItem]) -> None:
        box = self.query_one("#agenda-list", OptionList)
        box.clear_options()
        for a in items:
            box.add_option(Option(Content.assemble((when(a.next_task_at) + "  ", "bold"), f"#{a.ticket_number} ",
                                                   (labels.status(a.status) + " ", "dim"),
                                                   one_line(a.customer_name, max_len=40))))
        if not items:
            box.add_option(Option(Content(_("Nothing scheduled.")), disabled=True))


# --- T11 Tasks, T12 History ------------------------------------------------------------------------


class TasksTab(TicketTabBase):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            if self.ctx.campaign is not None:
                yield TaskForm(self.ctx.campaign, id="task-form")
            with Horizontal(classes="buttons"):
                yield Button(_("Save task"), id="task-save", variant="primary", compact=True)
                yield Button(_("Clear"), id="task-clear", compact=True)
            yield Label("", classes="form-error")


HISTORY_PAGE = 50


class HistoryTab(TicketTabBase):
    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self._tasks: list[Task] = []
        self._more = False

    def compose(self) -> ComposeResult:
        yield OptionList(id="history-list", compact=True)
        with Horizontal(classes="buttons"):
            yield Button(_("View more"), id="history-more", compact=True)

    def load(self) -> None:
        self._tasks = []
        self.call("page", lambda: self.backend.list_tasks_page(self.user, self.ctx.ticket_id, limit=HISTORY_PAGE),
                  self._page)

    @on(Button.Pressed, "#history-more")
    def more(self) -> None:
        if not self._more or not self._tasks:
            self.notify(_("There are no older tasks."))
            return
        before = self._tasks[-1].id
        self.call("page", lambda: self.backend.list_tasks_page(self.user, self.ctx.ticket_id, before_id=before,
                                                               limit=HISTORY_PAGE), self._page)

    def _page(self, tasks: list[Task]) -> None:
        self._tasks.extend(tasks)
        self._more = len(tasks) == HISTORY_PAGE
        box = self.query_one("#history-list", OptionList)
        box.clear_options()
        primary = self.ctx.campaign.primary_field if self.ctx.campaign else None
        for t in self._tasks:
            value = t.values.get(primary) if primary else None
            box.add_option(Option(Content.assemble(
                (when(t.created_at) + "  ", "bold"), one_line(t.author_name, max_len=30) + "  ",
                (one_line(value, max_len=30) + "  " if value else "", "bold"),
                (one_line(t.observations, max_len=60), "dim"))))
        if not self._tasks:
            box.add_option(Option(Content(_("No tasks yet.")), disabled=True))

    @on(OptionList.OptionSelected, "#history-list")
    def _view(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not (0 <= event.option_index < len(self._tasks)):
            return
        t = self._tasks[event.option_index]
        fields = {f.key: f.label for f in (self.ctx.campaign.task_fields if self.ctx.campaign else ())}
        lines = [_("Created: {when} by {author}", when=when(t.created_at), author=one_line(t.author_name))]
        for key, value in t.values.items():
            lines.append(f"{one_line(fields.get(key, key))}: {one_line(value)}")
        lines.append(_("Observations: {text}", text=clean(t.observations)))
        if t.next_task_at:
            lines.append(_("Next task: {when}", when=when(t.next_task_at)))
        from sagicc_tui.screens.ticket_dialogs import TextScreen

        self.app.push_screen(TextScreen(_("Task"), "\n".join(lines)))


# --- T13 Attachments ------------------------------------------------------------------------------


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


class AttachmentsTab(TicketTabBase):
    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self._items: list[Attachment] = []

    def compose(self) -> ComposeResult:
        yield OptionList(id="attach-list", compact=True)
        yield _field(_("File path"), Input(id="attach-path", compact=True))
        with Horizontal(classes="buttons"):
            yield Button(_("Add file"), id="attach-add", variant="primary", compact=True)
            yield Button(_("Save to path"), id="attach-save", compact=True)
            yield Button(_("Remove"), id="attach-remove", variant="error", compact=True)
        yield Label("", classes="form-error")

    def load(self) -> None:
        self.call("list", lambda: self.backend.list_attachments(self.user, self.ctx.ticket_id), self._show)

    def _show(self, items: list[Attachment]) -> None:
        self._items = items
        box = self.query_one("#attach-list", OptionList)
        box.clear_options()
        for a in items:
            box.add_option(Option(Content.assemble((one_line(a.name, max_len=50), "bold"), "  ", _size(a.size),
                                                   ("  " + when(a.created_at), "dim"))))
        if not items:
            box.add_option(Option(Content(_("No attachments yet.")), disabled=True))

    def _current(self) -> Attachment | None:
        index = self.query_one("#attach-list", OptionList).highlighted
        if index is None or not (0 <= index < len(self._items)):
            self.set_error(_("Choose an attachment in the list first."))
            return None
        return self._items[index]

    @on(Button.Pressed, "#attach-add")
    def add(self) -> None:
        path = self.query_one("#attach-path", Input).value.strip()
        if not path:
            self.set_error(_("Write the path of the file to add."))
            return
        self.set_error("")
        self.call("write", lambda: self.backend.add_attachment(self.user, self.ctx.ticket_id, path), self._added,
                  self.error_here)

    def _added(self, _a: object) -> None:
        self.query_one("#attach-path", Input).value = ""
        self._changed()

    def _changed(self, _r: object = None) -> None:
        self.load()
        self.post_message(TicketChanged())

    @on(Button.Pressed, "#attach-remove")
    def remove_selected(self) -> None:
        a = self._current()
        if a is not None:
            self.call("write", lambda: self.backend.remove_attachment(self.user, a.id), self._changed,
                      self.error_here)

    @on(Button.Pressed, "#attach-save")
    def save(self) -> None:
        a = self._current()
        path = self.query_one("#attach-path", Input).value.strip()
        if a is None:
            return
        if not path:
            self.set_error(_("Write the folder or file path to save it to."))
            return
        self.call("save", lambda: self.backend.save_attachment(self.user, a.id, path), self._saved,
                  self.error_here)

    def _saved(self, path: str) -> None:
        self.set_error("")
        self.notify(_("Saved to {path}", path=one_line(path)))


# --- T14 Notes --------------------------------------------------------------------------------------

_NOTE_COLOR = {
    NoteColor.YELLOW: N_("Yellow"),
    NoteColor.GREEN: N_("Green"),
    NoteColor.BLUE: N_("Blue"),
    NoteColor.RED: N_("Red"),
    NoteColor.PURPLE: N_("Purple"),
}
_NOTE_STYLE = {
    NoteColor.YELLOW: "$warning",
    NoteColor.GREEN: "$success",
    NoteColor.BLUE: "$primary",
    NoteColor.RED: "$error",
    NoteColor.PURPLE: "$accent",
}


class NotesTab(TicketTabBase):
    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self.notes: list[Note] = []

    def compose(self) -> ComposeResult:
        yield OptionList(id="notes-list", compact=True)
        yield TextArea(id="note-text", soft_wrap=True, tab_behavior="focus", compact=True)
        with Horizontal(classes="buttons"):
            yield Select([(_(_NOTE_COLOR[c]), c.value) for c in NoteColor], allow_blank=False,
                         id="note-color", compact=True)
            yield Button(_("Add note"), id="note-add", variant="primary", compact=True)
            yield Button(_("Delete note"), id="note-delete", variant="error", compact=True)
        yield Label("", classes="form-error")

    def load(self) -> None:
        self.call("list", lambda: self.backend.list_notes(self.user, self.ctx.ticket_id), self._show)

    def _show(self, notes: list[Note]) -> None:
        self.notes = notes
        box = self.query_one("#notes-list", OptionList)
        box.clear_options()
        for n in notes:
            box.add_option(Option(Content.assemble(
                ("■ ", _NOTE_STYLE[n.color]), (when(n.created_at) + "  ", "dim"), one_line(n.text, max_len=200))))
        if not notes:
            box.add_option(Option(Content(_("No notes yet.")), disabled=True))

    @on(Button.Pressed, "#note-add")
    def add(self) -> None:
        text = self.query_one("#note-text", TextArea).text
        if not text.strip():
            self.set_error(_("Write the note first."))
            return
        color = self.query_one("#note-color", Select).value
        self.set_error("")
        self.call("write", lambda: self.backend.add_note(self.user, self.ctx.ticket_id, text, str(color)),
                  self._added, self.error_here)

    def _added(self, _n: object) -> None:
        self.query_one("#note-text", TextArea).text = ""
        self._changed()

    def _changed(self, _r: object = None) -> None:
        self.load()
        self.post_message(TicketChanged())

    @on(Button.Pressed, "#note-delete")
    def delete(self) -> None:
        index = self.query_one("#notes-list", OptionList).highlighted
        if index is None or not (0 <= index < len(self.notes)):
            self.set_error(_("Choose a note in the list first."))
            return
        note = self.notes[index]
        self.call("write", lambda: self.backend.delete_note(self.user, note.id), self._changed,
                  self.error_here)
