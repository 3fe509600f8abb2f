"""Section 1 of the ticket screen (T2, T15), always visible: one or two lines.

Number, status (with an alert when the customer has more than one open
ticket), created, assignee, SLA alert, last survey; customer document, names,
account number (a link to the customer profile: click, or Enter when focused);
who else has the ticket open (from the heartbeat).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from sagicc_tui.domain.ticket_screen import PresenceEntry, TicketHeader
from sagicc_tui.i18n import N_, _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.conversation import when


def ticket_line(h: TicketHeader) -> Content:
    """Line 1: the ticket (number, status, alerts, created, assignee, priority, SLA, survey)."""
    t = h.ticket
    parts: list[Content] = [Content.styled(_("Ticket") + f" #{t.number}", "bold $accent"),
                            Content.styled(labels.status(t.status), "bold")]
    if h.several_open_tickets:
        parts.append(Content.styled("⚠ " + _("{n} open tickets of this customer", n=h.open_tickets_of_customer),
                                    "bold $warning"))
    parts.append(Content.assemble((_("Created") + " ", "dim"), when(t.created_at)))
    parts.append(Content.assemble((_("Assigned") + " ", "dim"),
                                  one_line(h.assignee_name, max_len=30) if h.assignee_name else _("Unassigned")))
    parts.append(Content.assemble((_("Priority") + " ", "dim"), labels.priority(t.priority)))
    if h.sla_breached:
        parts.append(Content.styled("⚠ " + _("SLA breached"), "bold $error"))
    parts.append(Content.assemble((_("Survey") + " ", "dim"), when(h.last_survey_at) if h.last_survey_at else "—"))
    return Content("  ").join(parts)


def customer_part(h: TicketHeader) -> Content:
    """The customer's document, names and account: selecting them opens the profile (T2 ***)."""
    customer = [
        Content.styled(f"{labels.id_type(h.customer_id_type)} {one_line(h.customer_id_number, max_len=30)}", "bold"),
        Content(one_line(h.customer_name, max_len=60)),
    ]
    if h.account_number:
        customer.append(Content.assemble((_("Account") + " ", "dim"), one_line(h.account_number, max_len=30)))
    return Content("  ").join(customer)


def rest_part(h: TicketHeader, others: tuple[PresenceEntry, ...]) -> Content:
    """After the customer: the campaign and who else is inside (T15, +T17)."""
    rest = [Content.assemble((_("Campaign") + " ", "dim"), one_line(h.campaign_name, max_len=30))]
    if others:
        names = ", ".join(one_line(p.user_name, max_len=30) for p in others)
        rest.append(Content.styled("👁 " + _("Also open by {names}", names=names), "bold $warning"))
    for p in others:
        if p.writing:  # +T17: the traffic cop's second half
            name = one_line(p.user_name, max_len=30)
            rest.append(Content.styled("✎ " + _("{name} is writing a reply", name=name), "bold $warning"))
    return Content("  ").join(rest)


def header_content(h: TicketHeader, others: tuple[PresenceEntry, ...]) -> Content:
    line2 = Content("  ").join([customer_part(h), rest_part(h, others)])
    return Content("\n").join([ticket_line(h), line2])


class CustomerLink(Static, can_focus=True):
    """The header's customer (document, names, account): a click, or Enter when
    focused, asks the screen for the customer profile (T2: "By clicking on the
    customer data at the top, you will be taken to the Customer Profile")."""

    BINDINGS = [Binding("enter,space", "open", N_("Customer profile"), id="ticket.header.profile")]

    @dataclass
    class Selected(Message):
        """The customer in the header was selected: open their profile."""

    def action_open(self) -> None:
        self.post_message(self.Selected())

    def on_click(self) -> None:
        self.action_open()


class TicketHeaderBar(Widget):
    """Shows a `TicketHeader`; `set_others` updates who else is inside."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.header: TicketHeader | None = None
        self.others: tuple[PresenceEntry, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static(Content(_("Loading…")), id="header-ticket")
        with Horizontal(id="header-row"):
            yield CustomerLink("", id="header-customer")
            yield Static("", id="header-rest")

    def show(self, header: TicketHeader) -> None:
        self.header = header
        self.others = header.others_viewing
        self._update()

    def set_others(self, others: tuple[PresenceEntry, ...]) -> None:
        self.others = others
        if self.header is not None:
            self._update()

    def _update(self) -> None:
        h = self.header
        if h is None or not self.is_mounted:
            return
        self.query_one("#header-ticket", Static).update(ticket_line(h))
        self.query_one(CustomerLink).update(customer_part(h))
        self.query_one("#header-rest", Static).update(rest_part(h, self.others))

    def on_mount(self) -> None:
        self._update()

    def plain(self) -> str:
        if self.header is None:
            return ""
        return header_content(self.header, self.others).plain
