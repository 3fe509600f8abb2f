"""C4 / C5: one customer's profile, with edit, disable/enable, delete and similar customers.

    CustomerProfileScreen(backend, user, customer_id)   # dismisses True when something changed

Shows the basic information, contact information, accounts, related
customers, the attachments of their tickets, recent tickets (Enter opens the
ticket) and recent interactions, all read with one `customer_profile` call in
a worker. Every customer text goes through `sanitize` as plain Content.

Keys: e edit · d disable (or enable a disabled customer) · x delete (asks first) · s similar
customers (choose one to merge with this one) · l change log (administrators) · r refresh ·
Escape back.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from sagicc_tui import sanitize
from sagicc_tui.backend import Backend
from sagicc_tui.domain.customers import (
    REASON_LABELS,
    CustomerListItem,
    CustomerMergeResult,
    CustomerProfile,
    list_item,
    SimilarCustomer,
)
from sagicc_tui.domain.enums import CustomerStatus, Role
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.messages import Msg
from sagicc_tui.domain.models import Customer, User
from sagicc_tui.domain.rules import Permission, can
from sagicc_tui.i18n import N_, _
from sagicc_tui.screens.choose import ChoiceScreen
from sagicc_tui.session import Session
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.customer_list import (
    customer_status_label,
    customer_type_label,
    id_type_label,
)
from sagicc_tui.widgets.io import BackendCalls
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.ticket_card import format_created
from sagicc_tui.widgets.translated import TranslatedBindings

def tr(message: Msg) -> str:
    """A Backend sentence in the UI language (a role name too)."""
    role = message.params.get("role")
    if isinstance(role, str) and role in {r.value for r in Role}:
        message = Msg(message.template, {**message.params, "role": labels.role(Role(role))})
    return labels.message(message)


def _lines(pairs: list[tuple[str, str]]) -> Content:
    """`Label: value` lines; values are untrusted and cleaned, never markup."""
    return Content("\n").join(
        Content.assemble((label + ": ", "dim"), sanitize.one_line(value)) for label, value in pairs
    )


class CustomerConfirmScreen(TranslatedBindings, ModalScreen[bool]):
    """Yes / No for a step that cannot be undone."""

    BINDINGS = [
        Binding("y", "yes", N_("Yes"), id="customers.confirm.yes"),
        Binding("n,escape", "no", N_("No"), id="customers.confirm.no"),
    ]

    def __init__(self, title: str, sentence: str) -> None:
        super().__init__()
        self._title = title
        self._sentence = sentence

    def compose(self) -> ComposeResult:
        with Vertical(classes="customer-dialog", id="confirm-dialog"):
            yield Static(Content(self._title), classes="customer-dialog-title")
            yield Static(sanitize.content(self._sentence), id="confirm-sentence")
            with Horizontal(classes="customer-buttons"):
                yield Button(Content(_("Yes")), id="btn-yes", variant="error", compact=True)
                yield Button(Content(_("No")), id="btn-no", compact=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#btn-no", Button).focus()

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "btn-yes")


class CustomerProfileScreen(BackendCalls, TranslatedBindings, Screen[bool]):
    BINDINGS = [
        Binding("e", "edit", N_("Edit"), id="customers.profile.edit"),
        Binding("d", "disable", N_("Disable customer"), id="customers.profile.disable"),
        Binding("d", "enable", N_("Enable customer"), id="customers.profile.enable"),
        Binding("x", "delete", N_("Delete"), id="customers.profile.delete"),
        Binding("s", "similar", N_("Similar customers"), id="customers.profile.similar"),
        Binding("l", "change_log", N_("Change log"), id="customers.profile.log"),
        Binding("r", "refresh", N_("Refresh"), id="customers.profile.refresh"),
        Binding("escape", "back", N_("Back"), id="customers.profile.back"),
    ]

    def __init__(self, backend: Backend, user: User, customer_id: int) -> None:
        super().__init__()
        self.backend = backend
        self.user = user
        self.customer_id = customer_id
        self.profile: CustomerProfile | None = None
        self.changed = False

    @property
    def session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self.backend.session(self.user)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="profile-body"):
            yield Static(Content(_("Loading…")), id="profile-title")
            yield Static("", id="profile-error", classes="customer-error")
            with Horizontal(id="profile-columns"):
                with Vertical(classes="profile-column"):
                    yield Label(Content(_("Basic information")), classes="profile-section")
                    yield Static(id="profile-basic")
                    yield Label(Content(_("Contact information")), classes="profile-section")
                    yield Static(id="profile-contacts")
                    yield Label(Content(_("Accounts")), classes="profile-section")
                    yield Static(id="profile-accounts")
                    yield Label(Content(_("Related customers")), classes="profile-section")
                    yield Static(id="profile-relations")
                with Vertical(classes="profile-column"):
                    yield Label(Content(_("Recent tickets")), classes="profile-section")
                    yield OptionList(id="profile-tickets")
                    yield Label(Content(_("Recent interactions")), classes="profile-section")
                    yield Static(id="profile-interactions")
                    yield Label(Content(_("Attachments")), classes="profile-section")
                    yield Static(id="profile-attachments")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._load()

    # --- loading ------------------------------------------------------------------------------

    # Every read and write goes through BackendCalls.call, quiet and settled: the
    # sentence (a defect's too) goes to this screen's own error line, or, for a
    # profile that cannot be read, to a notification as the screen closes.

    def _load(self) -> None:
        self.call("customer-profile", lambda: self.session.customers.customer_profile(self.customer_id),
                  self._show, self._load_failed, quiet=True, settle=True)

    def _load_failed(self, error: SagiccError) -> None:
        self.notify(tr(error.message), severity="error")
        self.dismiss(True)

    def _failed(self, error: SagiccError) -> None:
        self.show_error(tr(error.message))

    def show_error(self, text: str) -> None:
        err = self.query_one("#profile-error", Static)
        err.update(sanitize.content(text))
        err.set_class(bool(text), "-shown")

    @property
    def error_text(self) -> str:
        err = self.query_one("#profile-error", Static)
        return str(err.render()) if err.has_class("-shown") else ""

    def _show(self, profile: CustomerProfile) -> None:
        p = self.profile = profile
        c = p.customer
        self.query_one("#profile-title", Static).update(Content.assemble(
            (_("Customer") + ": ", "bold"), (sanitize.one_line(c.full_name, max_len=80), "bold"),
            "  ", (customer_status_label(c.status), "italic"),
        ))
        basic = [
            (_("Customer type"), customer_type_label(c.type)),
            (_("Document"), id_type_label(c.id_type) + " " + c.id_number),
            (_("First name"), c.first_name),
            (_("Middle name"), c.middle_name or "—"),
            (_("Last name"), c.last_name or "—"),
            (_("Second last name"), c.second_last_name or "—"),
            (_("Date of birth"), c.birth_date.isoformat() if c.birth_date else "—"),
            (_("Created"), format_created(c.created_at)),
            (_("Features"), ", ".join(c.features) or "—"),
            (_("Assigned user"), p.assigned_user_name or "—"),
            (_("Open tickets"), str(p.open_tickets)),
        ]
        self.query_one("#profile-basic", Static).update(_lines(basic))
        self.query_one("#profile-contacts", Static).update(
            _lines([(labels.contact_kind(x.kind), x.value + (f" ({x.label})" if x.label else ""))
                    for x in p.contacts]) if p.contacts else Content(_("None")))
        self.query_one("#profile-accounts", Static).update(
            _lines([(a.number, a.name or "—") for a in p.accounts]) if p.accounts else Content(_("None")))
        self.query_one("#profile-relations", Static).update(
            _lines([(sanitize.one_line(r.relation, max_len=40),
                     f"{r.related_name} · {id_type_label(r.related_id_type)} {r.related_id_number}")
                    for r in p.relations]) if p.relations else Content(_("None")))
        self.query_one("#profile-attachments", Static).update(
            _lines([("#" + str(a.ticket_number), f"{a.name} · {a.size} B · {format_created(a.created_at)}")
                    for a in p.attachments]) if p.attachments else Content(_("None")))
        tickets = self.query_one("#profile-tickets", OptionList)
        tickets.clear_options()
        tickets.add_options([
            Option(Content.assemble(("#" + str(t.number), "bold"), "  ", labels.status(t.status), "  ",
                                    (format_created(t.created_at), "dim"), "  ",
                                    sanitize.one_line(t.description, max_len=60)), id=str(t.id))
            for t in p.recent_tickets
        ])
        if not p.recent_tickets:
            tickets.add_option(Option(Content(_("No tickets in your scope.")), disabled=True))
        lines = []
        for pi in p.recent_interactions:
            i = pi.interaction
            lines.append(Content.assemble(
                ((f"#{pi.ticket_number} {labels.direction_arrow(i.direction)} {format_created(i.created_at)} · "
                  f"{labels.channel(i.channel)} · "), "dim"),
                sanitize.one_line(i.content, max_len=120),
            ))
        self.query_one("#profile-interactions", Static).update(
            Content("\n").join(lines) if lines else Content(_("None")))
        self.refresh_bindings()

    # --- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("disable", "enable", "delete"):
            if not can(self.user, Permission.DELETE_CUSTOMERS):
                return False
            if self.profile is None:
                return None if action == "delete" else action == "disable"
            if action == "disable":
                return self.profile.customer.status is CustomerStatus.ACTIVE
            if action == "enable":
                return self.profile.customer.status is CustomerStatus.DISABLED
            return True
        if action in ("edit", "similar"):
            return True if self.profile is not None else None
        if action == "change_log":  # administrators, as the ticket's (T3)
            if not can(self.user, Permission.VIEW_CHANGE_LOG):
                return False
            return True if self.profile is not None else None
        return True

    def action_change_log(self) -> None:
        """Merged, deleted, edited: the customer's change log (#15.1)."""
        if self.profile is None or not can(self.user, Permission.VIEW_CHANGE_LOG):
            return
        from sagicc_tui.screens.customer_log import CustomerLogScreen

        self.app.push_screen(CustomerLogScreen(self.backend, self.user, self.profile.customer))

    def action_back(self) -> None:
        self.dismiss(self.changed)

    def action_refresh(self) -> None:
        self._load()

    def action_edit(self) -> None:
        if self.profile is None:
            return
        from sagicc_tui.screens.customer_form import CustomerFormScreen, FormResult

        def done(result: FormResult | None) -> None:
            if result is None:
                return
            if result.open_id is not None:
                self.app.push_screen(CustomerProfileScreen(self.backend, self.user, result.open_id))
                return
            if result.customer is not None:
                self.changed = True
                self.notify(_("Customer saved."))
                self._load()

        self.app.push_screen(CustomerFormScreen(self.backend, self.user, self.profile.customer), done)

    def action_disable(self) -> None:
        self.action_toggle_status()

    def action_enable(self) -> None:
        self.action_toggle_status()

    def action_toggle_status(self) -> None:
        if self.profile is None or not can(self.user, Permission.DELETE_CUSTOMERS):
            return
        self.show_error("")
        self._set_status(self.profile.customer)

    def _set_status(self, customer: Customer) -> None:
        async def write() -> tuple[Customer | None, str]:
            if customer.status is CustomerStatus.ACTIVE:
                saved = await self.session.customers.disable_customer(customer.id, expected_version=customer.version)
                return saved, _("The customer is disabled.")
            saved = await self.session.customers.enable_customer(customer.id, expected_version=customer.version)
            return saved, _("The customer is enabled.")

        self.call("customer-write", write, self._changed, self._failed, quiet=True, settle=True)

    def action_delete(self) -> None:
        if self.profile is None or not can(self.user, Permission.DELETE_CUSTOMERS):
            return
        self.show_error("")
        name = self.profile.customer.full_name
        self.app.push_screen(
            CustomerConfirmScreen(_("Delete customer"),
                          _("Delete {name}? This cannot be undone.", name=sanitize.one_line(name, max_len=60))),
            self._delete_confirmed,
        )

    def _delete_confirmed(self, yes: bool | None) -> None:
        if yes and self.profile is not None:
            self._delete(self.profile.customer.id)

    def _delete(self, customer_id: int) -> None:
        async def write() -> tuple[Customer | None, str]:
            await self.session.customers.delete_customer(customer_id)
            return None, _("The customer was deleted.")

        self.call("customer-write", write, self._changed, self._failed, quiet=True, settle=True)

    def _changed(self, outcome: tuple[Customer | None, str]) -> None:
        customer, note = outcome  # None: deleted
        self.changed = True
        self.notify(note)
        if customer is None:
            self.dismiss(True)
        else:
            self._load()

    # --- tickets ------------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#profile-tickets")
    def _ticket_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.open_ticket(int(event.option.id))

    def open_ticket(self, ticket_id: int) -> None:
        from sagicc_tui.screens.ticket import TicketScreen  # imported when used: off the start-up path

        self.app.push_screen(TicketScreen(self.backend, self.user, ticket_id))

    # --- similar customers and merge ---------------------------------------------------------

    def action_similar(self) -> None:
        if self.profile is None:
            return
        self._load_similar(self.profile.customer.id)

    def _load_similar(self, customer_id: int) -> None:
        self.call("customer-similar", lambda: self.session.customers.similar_customers(customer_id),
                  self._show_similar, self._failed, quiet=True, settle=True)

    def _show_similar(self, similar: list[SimilarCustomer]) -> None:
        options = []
        for s in similar:
            item = s.customer
            reasons = ", ".join(_(REASON_LABELS[r]) for r in s.reasons)
            options.append((Content.assemble(
                (f"{s.percentage:3d}% ", "bold"),
                sanitize.one_line(item.full_name, max_len=40),
                (f" · {id_type_label(item.id_type)} ", "dim"), sanitize.one_line(item.id_number, max_len=20),
                (" · " + reasons if reasons else "", "dim"),
            ), item))
        self.app.push_screen(
            ChoiceScreen(_("Similar customers (Enter: merge with this one)"), options,
                         empty=_("No similar customers found."), id="similar-customers"),
            self._similar_chosen,
        )

    def _similar_chosen(self, item: CustomerListItem | None) -> None:
        if item is None or self.profile is None:
            return
        if not can(self.user, Permission.MERGE_CUSTOMERS):
            self.notify(tr(Msg(N_("Your role ({role}) may not merge customers; ask a supervisor."),
                               {"role": self.user.role.value})), severity="warning")
            return
        from sagicc_tui.screens.customer_merge import CustomerMergeScreen

        self.app.push_screen(
            CustomerMergeScreen(self.backend, self.user, [list_item(self.profile.customer), item],
                                main_id=self.profile.customer.id),
            self._merged,
        )

    def _merged(self, result: CustomerMergeResult | None) -> None:
        if result is None:
            return
        self.changed = True
        if result.main.id != self.customer_id:
            self.customer_id = result.main.id  # this customer was merged into the other one
        self._load()
