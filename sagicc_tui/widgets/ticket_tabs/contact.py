"""T5: the customer's contact information."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from sagicc_tui.domain.collision import FieldVersions, Keep, fields_to_review, resolve
from sagicc_tui.domain.customers import ContactInput
from sagicc_tui.domain.enums import ContactKind
from sagicc_tui.domain.errors import SagiccError, StaleWrite
from sagicc_tui.domain.models import ContactInfo
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets.labels import contact_kind  # the one label table (domain/labels.py)
from sagicc_tui.widgets.ticket_tabs.base import TicketContext, TicketTabBase, field

class ContactTab(TicketTabBase):
    @dataclass
    class ContactsLoaded(Message):
        contacts: list[ContactInfo]

    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self._contacts: list[ContactInfo] = []
        self._editing: int | None = None
        self._editing_from: ContactInfo | None = None  # the contact as the edit started from it

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield OptionList(id="contact-list", compact=True)
            with Horizontal(classes="form-row"):
                yield field(_("Type"), Select([(contact_kind(k), k.value) for k in ContactKind],
                                               allow_blank=False, id="contact-kind", compact=True))
                yield field(_("Value"), Input(id="contact-value", compact=True))
                yield field(_("Label"), Input(id="contact-label", compact=True))
            with Horizontal(classes="buttons"):
                yield Button(_("Add contact"), id="contact-add", variant="primary", compact=True)
                yield Button(_("Save changes"), id="contact-save", compact=True)
                yield Button(_("Delete"), id="contact-delete", variant="error", compact=True)
            yield Label("", classes="form-error")

    def load(self) -> None:
        t = self.ctx.ticket
        if t is not None:
            self.call("list", lambda: self.session.customers.list_contacts(t.customer_id), self._show)

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
            if c.id == self._editing and self.edited():
                return  # the list was read again (T8): the typing stays
            self._editing, self._editing_from = c.id, c
            self._fill(self._values(c))

    # The edit sends two guards: the contact's version (If-Match, P10) and the values it
    # started from (T15), so a change made meanwhile opens the comparison, never is lost.

    @staticmethod
    def _values(c: ContactInfo | ContactInput) -> dict[str, str]:
        return {"kind": ContactKind(c.kind).value, "value": one_line(c.value), "label": one_line(c.label)}

    def _fill(self, values: dict[str, str]) -> None:
        self.query_one("#contact-kind", Select).value = values["kind"]
        self.query_one("#contact-value", Input).value = values["value"]
        self.query_one("#contact-label", Input).value = values["label"]

    def edited(self) -> bool:
        return self._editing_from is not None and self._values(self._input()) != self._values(self._editing_from)

    def _failed(self, e: SagiccError) -> None:
        self.error_here(e)
        if isinstance(e, StaleWrite) and self._editing is not None and self.ctx.ticket is not None:
            customer_id = self.ctx.ticket.customer_id
            self.call("theirs", lambda: self.session.customers.list_contacts(customer_id), self._compare)

    def _compare(self, contacts: list[ContactInfo]) -> None:
        current = next((c for c in contacts if c.id == self._editing), None)
        started = self._editing_from
        if current is None or started is None:
            self._show(contacts)
            return
        base, mine, theirs = self._values(started), self._values(self._input()), self._values(current)

        def text(key: str, value: str) -> str:
            return contact_kind(ContactKind(value)) if key == "kind" else value

        fields = [FieldVersions(key, label, base[key], mine[key], theirs[key],
                                shown=(text(key, base[key]), text(key, mine[key]), text(key, theirs[key])))
                  for key, label in (("kind", _("Type")), ("value", _("Value")), ("label", _("Label")))]

        def chosen(choices: dict[str, Keep] | None) -> None:
            if choices is None:
                self.set_error(_("Not saved: your changes are kept. Save again to compare them with the saved version."))
                return
            self._editing_from = current
            self._fill(resolve(fields, choices))
            self.save()

        self.post_message(self.CompareRequested(_("this contact"), fields_to_review(fields), chosen))

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
        self.write_once("add", lambda: self.session.customers.add_contact(t.customer_id, data), self._added,
                        self.error_here)

    def _added(self, contact: ContactInfo) -> None:
        self._editing = None
        self.succeeded(_("Contact {value} added.", value=one_line(contact.value, 60)))
        self._written(contact)

    @on(Button.Pressed, "#contact-save")
    def save(self) -> None:
        if self._editing is None:
            self.set_error(_("Choose a contact in the list first."))
            return
        cid, data = self._editing, self._input()
        started = self._editing_from
        expected = ContactInput(kind=started.kind, value=started.value, label=started.label) if started else None
        self.set_error("")
        version = started.version if started else None  # If-Match too (P10): a stale version is refused
        self.call("write", lambda: self.session.customers.update_contact(cid, data, expected_version=version,
                                                               expected=expected),
                  self._written, self._failed)

    @on(Button.Pressed, "#contact-delete")
    def delete(self) -> None:
        """Asks first (#15.5): a deleted contact cannot be brought back."""
        if self._editing is None:
            self.set_error(_("Choose a contact in the list first."))
            return
        cid = self._editing
        shown = next((c for c in self._contacts if c.id == cid), None)
        value = one_line(shown.value, 60) if shown else ""

        def confirmed() -> None:
            if self._editing == cid:
                self._editing = None
            self.call("write", lambda: self.session.customers.delete_contact(cid), self._written, self.error_here)

        self.confirm(_("Delete contact"), _("Delete the contact {value} of this customer? It cannot be undone.",
                                            value=value), confirmed, yes=_("Delete"))

    def _written(self, _result: object) -> None:
        self._editing_from = None
        self.set_error("")
        self.query_one("#contact-value", Input).value = ""
        self.query_one("#contact-label", Input).value = ""
        self.load()
