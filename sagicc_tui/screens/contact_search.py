"""T9 "Search for other contact information" (#15.3): when the campaign allows
it, the composer may send to another customer's contact.

Type a name, document, e-mail or phone (the customer list's one search,
CustomerQuery.search) and Enter: the matching customers' contacts that the
composer's channel can reach are listed with their owner; Enter on one gives
it to the composer. Names and values are customer text: shown as plain
Content, never markup.
"""

from __future__ import annotations

import asyncio

from collections.abc import Collection

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from sagicc_tui.backend import Backend
from sagicc_tui.domain.customers import CustomerQuery
from sagicc_tui.domain.enums import ContactKind
from sagicc_tui.domain.models import ContactInfo, User
from sagicc_tui.i18n import N_, _
from sagicc_tui.sanitize import one_line
from sagicc_tui.session import Session
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.io import BackendCalls
from sagicc_tui.widgets.translated import TranslatedBindings

CUSTOMERS = 20  # customers read per search: their contacts are listed


class ContactSearchScreen(BackendCalls, TranslatedBindings, ModalScreen[tuple[ContactInfo, str] | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="ticket.contact_search.cancel")]

    def __init__(self, backend: Backend, user: User, kinds: Collection[ContactKind], *, exclude_customer: int) -> None:
        super().__init__()
        self._backend = backend
        self._user = user
        self._kinds = frozenset(kinds)
        self._exclude = exclude_customer
        self._found: list[tuple[ContactInfo, str]] = []

    @property
    def _session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self._backend.session(self._user)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(_("Search for other contact information")), classes="dialog-title")
            yield Input(placeholder=_("Name, document, e-mail or phone, then Enter"), id="contact-search",
                        compact=True)
            yield OptionList(id="contact-found")
            yield Label("", id="contact-search-note", classes="dialog-empty")
            yield Label(Content(_("Enter searches, then chooses · Esc cancels")), classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one("#contact-found").display = False
        self.query_one("#contact-search", Input).focus()

    @on(Input.Submitted, "#contact-search")
    def _search(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self._note(_("Type part of a name, a document, an e-mail or a phone first."))
            return
        customers, kinds, exclude = self._session.customers, self._kinds, self._exclude

        async def find() -> list[tuple[ContactInfo, str]]:
            page = await customers.list_customers(CustomerQuery(search=text), limit=CUSTOMERS)
            others = [c for c in page.rows if c.id != exclude]
            # One read a customer, all at once: over the server they overlap
            # instead of queueing one round trip behind another.
            contacts = await asyncio.gather(*(customers.list_contacts(c.id) for c in others))
            return [(contact, customer.full_name) for customer, theirs in zip(others, contacts)
                    for contact in theirs if contact.kind in kinds]

        self.call("contact-search", find, self._show, lambda e: self._note(labels.error_sentence(e)), quiet=True)

    def _note(self, text: str) -> None:
        self.query_one("#contact-search-note", Label).update(Content(text))

    def _show(self, found: list[tuple[ContactInfo, str]]) -> None:
        self._found = found
        options = self.query_one("#contact-found", OptionList)
        options.clear_options()
        options.add_options([
            Option(Content.assemble(one_line(c.value, max_len=50), "  ", (one_line(owner, max_len=40), "dim"),
                                    ("  " + labels.contact_kind(c.kind), "dim")), id=str(i))
            for i, (c, owner) in enumerate(found)])
        options.display = bool(found)
        self._note("" if found else _("No other customer's contact that this channel can reach matches; "
                                      "try other words, or type the address in the composer."))
        if found:
            options.highlighted = 0
            options.focus()

    @on(OptionList.OptionSelected, "#contact-found")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._found[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
