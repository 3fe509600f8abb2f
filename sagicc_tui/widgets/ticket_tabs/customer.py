"""T4: the ticket's customer: its form, similar customers, related customers, assigned user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from sagicc_tui.domain.collision import FieldVersions, Keep, fields_to_review, resolve
from sagicc_tui.domain.customers import (
    REASON_LABELS,
    CustomerAssignment,
    CustomerInput,
    CustomerListItem,
    CustomerMergeResult,
    CustomerPage,
    CustomerProfile,
    CustomerQuery,
    RelatedCustomer,
    SimilarCustomer,
    list_item,
)
from sagicc_tui.domain.enums import IdType
from sagicc_tui.domain.errors import SagiccError, StaleWrite
from sagicc_tui.domain.models import Customer, Ticket, User
from sagicc_tui.domain.rules import Permission, can
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.ticket_tabs.base import TicketChanged, TicketContext, TicketTabBase, field

_TEXT_FIELDS = ("cust-id-number", "cust-first", "cust-middle", "cust-last", "cust-second", "cust-birth")


class CustomerTab(TicketTabBase):
    @dataclass
    class MergeRequested(Message):
        """T4 "combine them": the screen opens C6's chooser for these customers
        (the ticket's first, proposed to stay) and answers with its result."""

        items: list[CustomerListItem]
        main_id: int
        answer: Callable[[CustomerMergeResult | None], Any]

    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self._customer: Customer | None = None
        self._base: dict[str, str] | None = None  # the values the form was filled from
        self._similar: list[SimilarCustomer] = []
        self._relations: list[RelatedCustomer] = []
        self._assignments: tuple[CustomerAssignment, ...] = ()

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            with Horizontal(classes="form-row"):
                yield field(_("Document type"), Select([(labels.id_type(t), t.value) for t in IdType],
                                                        allow_blank=False, id="cust-id-type", compact=True))
                yield field(_("Document number"), Input(id="cust-id-number", compact=True))
            with Horizontal(classes="form-row"):
                yield field(_("First name"), Input(id="cust-first", compact=True))
                yield field(_("Middle name"), Input(id="cust-middle", compact=True))
            with Horizontal(classes="form-row"):
                yield field(_("Last name"), Input(id="cust-last", compact=True))
                yield field(_("Second last name"), Input(id="cust-second", compact=True))
            yield field(_("Date of birth (YYYY-MM-DD)"), Input(id="cust-birth", compact=True))
            with Horizontal(classes="buttons"):
                yield Button(_("Save customer"), id="cust-save", variant="primary", compact=True)
            yield Label("", classes="form-error")
            yield Label(Content(_("Similar customers (Enter: switch the ticket to one, or combine them)")),
                        classes="section-title")
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
        self.call("customer", lambda: self.session.customers.get_customer(t.customer_id), self._show)
        self.call("similar", lambda: self.session.customers.similar_customers(t.customer_id), self._show_similar)
        self._load_sections(t.customer_id)

    def _load_sections(self, customer_id: int) -> None:
        self.call("relations", lambda: self.session.customers.list_relations(customer_id), self._show_relations,
                  self._section_error)
        self.call("assignees", lambda: self.session.customers.customer_profile(customer_id), self._show_assignees,
                  self._section_error)

    # The form's values as compared for a collision (T15): widget id -> text.

    @staticmethod
    def values_of(c: Customer) -> dict[str, str]:
        return {"cust-id-type": c.id_type.value, "cust-id-number": one_line(c.id_number),
                "cust-first": one_line(c.first_name), "cust-middle": one_line(c.middle_name),
                "cust-last": one_line(c.last_name), "cust-second": one_line(c.second_last_name),
                "cust-birth": c.birth_date.isoformat() if c.birth_date else ""}

    def mine(self) -> dict[str, str]:
        values = {"cust-id-type": str(self.query_one("#cust-id-type", Select).value)}
        for key in _TEXT_FIELDS:
            values[key] = self.query_one(f"#{key}", Input).value
        return values

    def edited(self) -> bool:
        return self._base is not None and self.mine() != self._base

    def _show(self, c: Customer) -> None:
        self._customer = c
        self._base = self.values_of(c)
        self._fill(self._base)

    def _fill(self, values: dict[str, str]) -> None:
        self.query_one("#cust-id-type", Select).value = values["cust-id-type"]
        for key in _TEXT_FIELDS:
            self.query_one(f"#{key}", Input).value = values[key]

    def refresh_live(self) -> None:
        """Someone changed this customer (T8): show it unless something is typed here;
        typing is kept on the version it started from, so its save is compared (T15)."""
        t = self.ctx.ticket
        if t is None:
            return
        self.call("customer", lambda: self.session.customers.get_customer(t.customer_id), self._live_read)
        self._load_sections(t.customer_id)

    def _live_read(self, c: Customer) -> None:
        if c.id != (self._customer.id if self._customer else None) or not self.edited():
            self._show(c)

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
                (f"{s.percentage:3d}% ", "bold"), f"{labels.id_type(c.id_type)} {one_line(c.id_number)} ",
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
        self.call("save", lambda: self.session.customers.update_customer(c.id, data, expected_version=c.version),
                  self._saved, self._failed)

    def _saved(self, c: Customer) -> None:
        self._show(c)
        self.set_error("")
        self.succeeded(_("Customer saved."))
        self.post_message(TicketChanged())

    def _failed(self, e: SagiccError) -> None:
        self.error_here(e)
        if isinstance(e, StaleWrite) and self._customer is not None:
            customer_id = self._customer.id

            async def theirs() -> tuple[Customer, str]:
                c = await self.session.customers.get_customer(customer_id)
                names = {u.id: u.full_name for u in await self.session.agent.list_users()}
                return c, names.get(c.updated_by or 0, "")

            self.call("theirs", theirs, self._compare)

    def _compare(self, found: tuple[Customer, str]) -> None:
        theirs_customer, by = found
        if self._base is None:
            return
        base, mine, theirs = self._base, self.mine(), self.values_of(theirs_customer)

        def text(key: str, value: str) -> str:
            return labels.id_type(IdType(value)) if key == "cust-id-type" and value else value

        fields = [FieldVersions(key, label, base[key], mine[key], theirs[key],
                                shown=(text(key, base[key]), text(key, mine[key]), text(key, theirs[key])))
                  for key, label in self._labels()]
        review = fields_to_review(fields)

        def chosen(choices: dict[str, Keep] | None) -> None:
            if choices is None:
                self.set_error(_("Not saved: your changes are kept. Save again to compare them with the saved version."))
                return
            merged = resolve(fields, choices)
            self._customer, self._base = theirs_customer, theirs
            self._fill(merged)
            self.save()

        if not review:
            chosen({})
            return
        self.post_message(self.CompareRequested(_("this customer"), review, chosen, by, theirs_customer.updated_at))

    @staticmethod
    def _labels() -> tuple[tuple[str, str], ...]:
        return (("cust-id-type", _("Document type")), ("cust-id-number", _("Document number")),
                ("cust-first", _("First name")), ("cust-middle", _("Middle name")), ("cust-last", _("Last name")),
                ("cust-second", _("Second last name")), ("cust-birth", _("Date of birth (YYYY-MM-DD)")))

    @on(OptionList.OptionSelected, "#cust-similar")
    def _switch(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not (0 <= event.option_index < len(self._similar)):
            return
        other = self._similar[event.option_index].customer
        who = _("{name} (id {id}, {document})", name=one_line(other.full_name, max_len=50), id=other.id,
                document=one_line(f"{labels.id_type(other.id_type)} {other.id_number}".strip(), max_len=30))
        options: list[tuple[Content, Any]] = [(Content(_("Switch this ticket to {who}", who=who)), "switch")]
        if can(self.user, Permission.MERGE_CUSTOMERS):
            options.append((Content(_("Combine {who} with this ticket's customer (choose what moves)", who=who)),
                            "combine"))
        self.choose(_("Similar customer"), options, lambda choice: self._similar_chosen(other, choice))

    def _similar_chosen(self, other: CustomerListItem, choice: str | None) -> None:
        if choice == "switch":
            self._do_switch(other.id)
        elif choice == "combine" and self._customer is not None:
            mine = self._customer
            self.post_message(self.MergeRequested([list_item(mine), other], mine.id, self._combined))

    def _combined(self, result: CustomerMergeResult | None) -> None:
        if result is None:
            return  # cancelled: nothing was written
        self.succeeded(_("Customers combined: {name} stays.", name=one_line(result.main.full_name, max_len=50)))
        self.post_message(TicketChanged())  # the ticket may belong to the customer that stayed now

    def _do_switch(self, customer_id: int) -> None:
        t = self.ctx.ticket
        if t is None:
            return
        self.call("switch", lambda: self.session.tickets.switch_ticket_customer(
            t.id, customer_id, expected_version=t.version), self._switched, self.error_here)

    def _switched(self, ticket: Ticket) -> None:
        self.succeeded(_("The ticket now belongs to the chosen customer."))
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
                (f"  {labels.id_type(r.related_id_type)} {one_line(r.related_id_number)}", "dim"),
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
        self.ask_text(_("Find the related customer by document or name"), self._find_related, max_length=100)

    def _find_related(self, text: str | None) -> None:
        if not text or not text.strip():
            return
        search = text.strip()
        self.call("find", lambda: self.session.customers.list_customers(CustomerQuery(search=search), limit=20),
                  lambda page: self._choose_related(search, page), self._section_error)

    def _choose_related(self, search: str, page: CustomerPage) -> None:
        t = self.ctx.ticket
        items = [c for c in page.rows if t is None or c.id != t.customer_id]
        options = [(Content.assemble(f"{labels.id_type(c.id_type)} {one_line(c.id_number)}  ",
                                     one_line(c.full_name, max_len=50)), c.id) for c in items]
        self.choose(_("Related customer"), options, self._ask_relation,
                    empty=_("No other customer matches {text}.", text=one_line(search, 40)))

    def _ask_relation(self, related_id: int | None) -> None:
        if related_id is None:
            return
        self.ask_text(_("Relation (like Spouse or Legal representative)"),
                      lambda text: self._add_relation(related_id, text), max_length=80)

    def _add_relation(self, related_id: int, text: str | None) -> None:
        t = self.ctx.ticket
        if text is None or t is None:
            return
        self.call("relation", lambda: self.session.customers.add_relation(t.customer_id, related_id, text),
                  self._relations_written, self._section_error)

    @on(Button.Pressed, "#cust-rel-edit")
    def edit_relation(self) -> None:
        r = self._relation_chosen()
        if r is None:
            return
        self.ask_text(_("Relation with {name}", name=one_line(r.related_name, max_len=50)),
                      lambda text: self._update_relation(r.id, text, r.version), value=one_line(r.relation),
                      max_length=80)

    def _update_relation(self, relation_id: int, text: str | None, version: int | None = None) -> None:
        if text is None:
            return
        self.call("relation", lambda: self.session.customers.update_relation(relation_id, text,
                                                                   expected_version=version),
                  self._relations_written, self._section_error)

    @on(Button.Pressed, "#cust-rel-remove")
    def remove_relation(self) -> None:
        r = self._relation_chosen()
        if r is None:
            return
        text = _("Remove the relation with {name}?", name=one_line(r.related_name, max_len=50))
        self.confirm(_("Remove relation"), text, lambda: self._remove_relation(r.id))

    def _remove_relation(self, relation_id: int) -> None:
        self.call("relation", lambda: self.session.customers.remove_relation(relation_id),
                  self._relations_written, self._section_error)

    @on(Button.Pressed, "#cust-assign")
    def change_assignee(self) -> None:
        self.call("users", self.session.agent.list_users, self._choose_assignee, self._section_error)

    def _choose_assignee(self, users: list[User]) -> None:
        options: list[tuple[Content, Any]] = [(Content(_("Nobody (remove the assignment)")), ("none", None))]
        options += [(Content.assemble(one_line(u.full_name, 40), ("  " + labels.role(u.role), "dim")), ("user", u.id))
                    for u in users if u.active]
        self.choose(_("Assigned user of the customer"), options, self._choose_scope)

    def _choose_scope(self, choice: tuple[str, int | None] | None) -> None:
        if choice is None:
            return
        assignee_id = choice[1]
        options: list[tuple[Content, int | None]] = [(Content(_("All campaigns")), None)]
        campaign = self.ctx.campaign
        if campaign is not None:
            options.append((Content(_("This campaign ({name})", name=one_line(campaign.name, max_len=40))),
                            campaign.id))
        self.choose(_("Assign for"), [(p, ("scope", v)) for p, v in options],
                    lambda scope: self._set_assignee(assignee_id, scope[1]) if scope else None)

    def _set_assignee(self, assignee_id: int | None, campaign_id: int | None) -> None:
        c = self._customer
        if c is None:
            return
        self.call("assign", lambda: self.session.customers.set_customer_assignee(
            c.id, assignee_id, campaign_id=campaign_id, expected_version=c.version),
            self._assigned, self._section_error)

    def _assigned(self, c: Customer) -> None:
        self._customer = c
        self.succeeded(_("Assigned user of the customer changed."))
        self._relations_written()
        self.post_message(TicketChanged())
