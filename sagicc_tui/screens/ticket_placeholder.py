"""Enter on a card: a read-only view of the ticket until the T screens exist.

Shows the number, status, customer and the first interactions, read through
the Backend in a worker. Escape returns to the list, which kept its place.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from sagicc_tui.backend import Backend
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.models import Customer, Interaction, Ticket, User
from sagicc_tui.i18n import N_, _
from sagicc_tui.sanitize import clean, one_line
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.ticket_card import format_created
from sagicc_tui.widgets.translated import TranslatedBindings

FIRST_INTERACTIONS = 20


class TicketPlaceholderScreen(TranslatedBindings, Screen[None]):
    BINDINGS = [Binding("escape", "back", N_("Back"), id="ticket.back")]

    @dataclass
    class _Loaded(Message):
        ticket: Ticket
        customer: Customer | None
        interactions: list[Interaction]

    def __init__(self, backend: Backend, user: User, ticket_id: int) -> None:
        super().__init__()
        self._backend = backend
        self._user = user
        self._ticket_id = ticket_id

    def compose(self) -> ComposeResult:
        with Vertical(id="ticket-view"):
            yield Label(Content(_("Loading…")), id="ticket-title")
            yield Static(id="ticket-facts")
            yield Label(Content(_("Conversation")), classes="section-title")
            with VerticalScroll(id="ticket-conversation"):
                yield Static(id="ticket-interactions")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @work(exclusive=True, group="ticket-load")
    async def _load(self) -> None:
        try:
            ticket = await self._backend.get_ticket(self._user, self._ticket_id)
            interactions = await self._backend.list_interactions(self._user, ticket.id, limit=FIRST_INTERACTIONS)
            try:
                customer = await self._backend.get_customer(self._user, ticket.customer_id)
            except SagiccError:
                customer = None
        except SagiccError as e:
            self.notify(labels.error_sentence(e), severity="error")
            self.app.pop_screen()
            return
        self.post_message(self._Loaded(ticket, customer, interactions))

    @on(_Loaded)
    def _show(self, message: _Loaded) -> None:
        t, customer = message.ticket, message.customer
        self.query_one("#ticket-title", Label).update(
            Content.assemble((_("Ticket") + f" #{t.number}", "bold"), "  ", labels.status(t.status),
                             "  ", labels.priority(t.priority))
        )
        who = (f"{one_line(customer.id_type.value.upper())} {one_line(customer.id_number)} "
               f"{one_line(customer.full_name)}") if customer else "—"
        facts = [
            (_("Customer"), who),
            (_("Created"), format_created(t.created_at)),
            (_("Ticket type"), labels.ticket_type(t.type)),
            (_("Channel"), labels.channel(t.origin_channel)),
            (_("Description"), one_line(t.description)),
        ]
        self.query_one("#ticket-facts", Static).update(
            Content("\n").join(Content.assemble((f"{k}: ", "dim"), v) for k, v in facts)
        )
        lines: list[Content] = []
        for i in message.interactions:
            arrow = labels.direction_arrow(i.direction)
            lines.append(Content.assemble(
                (f"{arrow} {format_created(i.created_at)} · {labels.channel(i.channel)} · ", "dim"),
                (one_line(i.sender, max_len=60), "bold"),
            ))
            if i.subject:
                lines.append(Content(one_line(i.subject)))
            lines.append(Content(clean(i.content, max_len=2000)))
            lines.append(Content(""))
        self.query_one("#ticket-interactions", Static).update(
            Content("\n").join(lines) if lines else Content(_("No interactions yet."))
        )

    def action_back(self) -> None:
        self.app.pop_screen()
