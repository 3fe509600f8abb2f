"""T7: the ticket's own fields, saved with the version the form was filled from.

The campaign is one of them (the manual's Ticket tab): a new campaign moves the
ticket as Assign -> move to a campaign does, in the Backend's same save."""

from __future__ import annotations

import dataclasses

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label, Select, TextArea

from sagicc_tui.domain.collision import FieldVersions, Keep, fields_to_review, resolve
from sagicc_tui.domain.enums import Priority, TicketType
from sagicc_tui.domain.errors import SagiccError, StaleWrite
from sagicc_tui.domain.models import Account, Ticket
from sagicc_tui.domain.ticket_changes import NO_ACCOUNT, TicketChanges
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import clean, one_line
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.ticket_tabs.base import TicketChanged, TicketContext, TicketTabBase, field, selection


class TicketTab(TicketTabBase):
    """Type, description, priority, account; saved with the version the form was filled from."""

    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self.version: int | None = None
        self.base: dict[str, object] | None = None  # the values the form was filled from
        self._account_ids: set[int] = set()
        self._accounts_known = False
        self._account_names: dict[int, str] = {}
        self._campaigns_known = False
        self._campaign_names: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            with Horizontal(classes="form-row"):
                yield field(_("Ticket type"), Select([(labels.ticket_type(t), t.value) for t in TicketType],
                                                      allow_blank=False, id="tt-type", compact=True))
                yield field(_("Priority"), Select([(labels.priority(p), p.value) for p in Priority],
                                                   allow_blank=False, id="tt-priority", compact=True))
            with Horizontal(classes="form-row"):
                yield field(_("Account"), Select([], prompt=_("No account"), id="tt-account", compact=True))
                yield field(_("Campaign"), Select(self._initial_campaign(), allow_blank=False, id="tt-campaign",
                                                   compact=True))
            # A fixed height: a long description scrolls inside its box, Save stays in view (80x24 too).
            yield field(_("Description"), TextArea(id="tt-description", soft_wrap=True, tab_behavior="focus",
                                                    compact=True))
            with Horizontal(classes="buttons"):
                yield Button(_("Save ticket"), id="tt-save", variant="primary", compact=True)
                yield Button(_("Compare with the saved version"), id="tt-compare", compact=True, classes="-hidden")
            yield Label("", classes="form-error")

    # The form's values, as compared for a collision: Select values (str), account id, text.

    @staticmethod
    def values_of(ticket: Ticket) -> dict[str, object]:
        return {"type": ticket.type.value, "priority": ticket.priority.value, "account_id": ticket.account_id,
                "campaign_id": ticket.campaign_id, "description": clean(ticket.description)}

    def mine(self) -> dict[str, object]:
        base = self.base or {}
        return {
            "type": self.query_one("#tt-type", Select).value,
            "priority": self.query_one("#tt-priority", Select).value,
            # Until the accounts are read the Select cannot show the ticket's: it is not "mine".
            "account_id": selection(self.query_one("#tt-account", Select)) if self._accounts_known
            else base.get("account_id"),
            "campaign_id": self.query_one("#tt-campaign", Select).value if self._campaigns_known
            else base.get("campaign_id"),
            "description": self.query_one("#tt-description", TextArea).text,
        }

    def edited(self) -> bool:
        return self.base is not None and self.mine() != self.base

    def fill(self, ticket: Ticket) -> None:
        """Show the ticket as it is now: this is the version I start from."""
        self.version = ticket.version
        self.base = self.values_of(ticket)
        self._show(self.base)

    def _show(self, values: dict[str, object]) -> None:
        self.query_one("#tt-type", Select).value = values["type"]
        self.query_one("#tt-priority", Select).value = values["priority"]
        text = self.query_one("#tt-description", TextArea)
        if text.text != values["description"]:
            text.text = str(values["description"])
        campaign = self.query_one("#tt-campaign", Select)
        if values["campaign_id"] not in self._campaign_names:  # before the list is read, or not mine
            self._campaign_names[values["campaign_id"]] = self._current_campaign_name(values["campaign_id"])
            self._campaign_options()
        campaign.value = values["campaign_id"]
        account = self.query_one("#tt-account", Select)
        if values["account_id"] is None:
            account.clear()
        elif values["account_id"] in self._account_ids:
            account.value = values["account_id"]

    def follow(self, ticket: Ticket) -> None:
        """A newer version of the ticket (anyone's change, T8/T15). Nothing typed: show it.
        Typing kept: the version moves only when none of this form's fields changed,
        so a save can never write over a field someone else changed; otherwise the
        save is refused and the comparison shows their value."""
        if self.version is None or ticket.version <= self.version:
            return
        if not self.edited():
            self.fill(ticket)
        elif self.values_of(ticket) == self.base:
            self.version = ticket.version

    def set_accounts(self, accounts: list[Account]) -> None:
        select = self.query_one("#tt-account", Select)
        current = selection(select)
        self._account_names = {a.id: one_line(a.number, 30) + " " + one_line(a.name, 30) for a in accounts}
        select.set_options([(name, aid) for aid, name in self._account_names.items()])
        self._account_ids = {a.id for a in accounts}
        self._accounts_known = True
        wanted = current if current is not None else (self.base or {}).get("account_id")
        if wanted in {a.id for a in accounts}:
            select.value = wanted

    # The campaigns offered: the user's active ones (list_campaigns), and always the ticket's own.

    def load(self) -> None:
        self.call("campaigns", lambda: self.session.agent.list_campaigns(), self._set_campaigns)

    def _initial_campaign(self) -> list[tuple[str, int]]:
        """Until the user's campaigns are read, the ticket's own (the tabs are built once it is known)."""
        t = self.ctx.ticket
        if t is None:
            return [("…", 0)]
        self._campaign_names = {t.campaign_id: self._current_campaign_name(t.campaign_id)}
        return [(name, cid) for cid, name in self._campaign_names.items()]

    def _current_campaign_name(self, campaign_id: object) -> str:
        c = self.ctx.campaign
        return one_line(c.name, 40) if c is not None and c.id == campaign_id else f"#{campaign_id}"

    def _set_campaigns(self, campaigns: list) -> None:
        current = (self.base or {}).get("campaign_id")
        names = {c.id: one_line(c.name, 40) for c in campaigns if c.active or c.id == current}
        if current is not None and current not in names:
            names[current] = self._current_campaign_name(current)
        chosen = self.query_one("#tt-campaign", Select).value if self._campaigns_known else current
        self._campaign_names = names
        self._campaigns_known = True
        self._campaign_options()
        if chosen in names:
            self.query_one("#tt-campaign", Select).value = chosen

    def _campaign_options(self) -> None:
        select = self.query_one("#tt-campaign", Select)
        value = select.value
        select.set_options([(name, cid) for cid, name in self._campaign_names.items()])
        if value in self._campaign_names:
            select.value = value

    @on(Button.Pressed, "#tt-save")
    def save(self) -> None:
        t = self.ctx.ticket
        if t is None or self.version is None or self.base is None:
            return
        if self.ctx.closed:
            self.set_error(self.ctx.closed_reason())
            return
        mine = self.mine()
        account_changed = mine["account_id"] != self.base["account_id"]
        changes = TicketChanges(
            type=TicketType(str(mine["type"])), priority=Priority(str(mine["priority"])),
            description=str(mine["description"]),
            account_id=(mine["account_id"] or NO_ACCOUNT) if account_changed else None,  # type: ignore[arg-type]
        )
        version = self.version
        self.set_error("")

        def write() -> None:
            self.call("save", lambda: self.session.tickets.update_ticket(t.id, changes, expected_version=version),
                      self._saved, self._failed)

        if mine["campaign_id"] == self.base["campaign_id"]:
            write()
            return
        changes = dataclasses.replace(changes, campaign_id=int(mine["campaign_id"]))  # type: ignore[call-overload]
        name = self._campaign_names.get(mine["campaign_id"], "")  # type: ignore[call-overload]
        self.confirm(_("Move to another campaign"), _(
            "Move ticket #{number} to {campaign}? Its script and task form become that campaign's, and the "
            "assigned user keeps it only if they work in {campaign}.", number=t.number, campaign=name),
            write, yes=_("Move and save"))

    def _saved(self, ticket: Ticket) -> None:
        if self.mine() == self.values_of(ticket):
            self.fill(ticket)
        else:  # typing went on while the save was on its way: kept, and it starts from what was saved
            self.version, self.base = ticket.version, self.values_of(ticket)
        self.query_one("#tt-compare").add_class("-hidden")
        self.set_error("")
        self.succeeded(_("Ticket saved."))
        self.post_message(TicketChanged(ticket))

    def _failed(self, e: SagiccError) -> None:
        self.error_here(e)
        if isinstance(e, StaleWrite):
            self.query_one("#tt-compare", Button).remove_class("-hidden")
            self.compare()

    # T15: a refused save opens the comparison; the user decides field by field.

    @on(Button.Pressed, "#tt-compare")
    def compare(self) -> None:
        t = self.ctx.ticket
        if t is None:
            return

        async def theirs() -> tuple[Ticket, str]:
            ticket = await self.session.tickets.get_ticket(t.id)
            names = {u.id: u.full_name for u in await self.session.agent.list_users()}
            return ticket, names.get(ticket.updated_by or 0, "")

        self.call("theirs", theirs, self._compare)

    def _field_text(self, key: str, value: object) -> str:
        if value is None:
            return _("No account") if key == "account_id" else ""
        if key == "type":
            return labels.ticket_type(TicketType(str(value)))
        if key == "priority":
            return labels.priority(Priority(str(value)))
        if key == "account_id":
            return self._account_names.get(int(value), str(value))  # type: ignore[call-overload]
        if key == "campaign_id":
            return self._campaign_names.get(int(value), str(value))  # type: ignore[call-overload]
        return str(value)

    def _compare(self, found: tuple[Ticket, str]) -> None:
        ticket, by = found
        if self.base is None:
            return
        theirs, mine, base = self.values_of(ticket), self.mine(), self.base
        fields = [
            FieldVersions(key, label, base[key], mine[key], theirs[key],
                          shown=tuple(self._field_text(key, v[key]) for v in (base, mine, theirs)))  # type: ignore[arg-type]
            for key, label in (("type", _("Ticket type")), ("priority", _("Priority")),
                               ("account_id", _("Account")), ("campaign_id", _("Campaign")),
                               ("description", _("Description")))
        ]
        review = fields_to_review(fields)
        if not review:  # their change touched nothing of this form: save mine on their version
            self.version = ticket.version
            self.base = theirs
            self.save()
            return

        def chosen(choices: dict[str, Keep] | None) -> None:
            if choices is None:
                self.set_error(_("Not saved: your changes are kept. Save again to compare them with the saved version."))
                return
            merged = resolve(fields, choices)
            self.version = ticket.version
            self.base = theirs
            self._show(merged)
            self.save()

        self.post_message(self.CompareRequested(_("this ticket"), review, chosen, by, ticket.updated_at))
