"""Section 1 of the ticket screen (T2, T15), always visible: one or two lines.

Number, status (with an alert when the customer has more than one open
ticket), created, assignee, SLA alert, last survey; customer document, names,
account number; who else has the ticket open (from the heartbeat).
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from sagicc_tui.domain.ticket_screen import PresenceEntry, TicketHeader
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.conversation import when


def header_content(h: TicketHeader, others: tuple[PresenceEntry, ...]) -> Content:
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
    line1 = Content("  ").join(parts)
    customer = [
        Content.styled(f"{labels.id_type(h.customer_id_type)} {one_line(h.customer_id_number, max_len=30)}", "bold"),
        Content(one_line(h.customer_name, max_len=60)),
    ]
    if h.account_number:
        customer.append(Content.assemble((_("Account") + " ", "dim"), one_line(h.account_number, max_len=30)))
    customer.append(Content.assemble((_("Campaign") + " ", "dim"), one_line(h.campaign_name, max_len=30)))
    if others:
        names = ", ".join(one_line(p.user_name, max_len=30) for p in others)
        customer.append(Content.styled("👁 " + _("Also open by {names}", names=names), "bold $warning"))
    for p in others:
        if p.writing:  # +T17: the traffic cop's second half
            name = one_line(p.user_name, max_len=30)
            customer.append(Content.styled("✎ " + _("{name} is writing a reply", name=name), "bold $warning"))
    line2 = Content("  ").join(customer)
    return Content("\n").join([line1, line2])


class TicketHeaderBar(Static):
    """Shows a `TicketHeader`; `set_others` updates who else is inside."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Content(_("Loading…")), id=id)
        self.header: TicketHeader | None = None
        self.others: tuple[PresenceEntry, ...] = ()

    def show(self, header: TicketHeader) -> None:
        self.header = header
        self.others = header.others_viewing
        self.update(header_content(header, self.others))

    def set_others(self, others: tuple[PresenceEntry, ...]) -> None:
        self.others = others
        if self.header is not None:
            self.update(header_content(self.header, others))

    def plain(self) -> str:
        if self.header is None:
            return ""
        return header_content(self.header, self.others).plain
