"""T6: the customer's accounts."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from sagicc_tui.domain.collision import FieldVersions, Keep, fields_to_review, resolve
from sagicc_tui.domain.customers import AccountInput, parse_account_extra
from sagicc_tui.domain.errors import InvalidInput, SagiccError, StaleWrite
from sagicc_tui.domain.models import Account
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets.ticket_tabs.base import TicketContext, TicketTabBase, field


class AccountTab(TicketTabBase):
    @dataclass
    class AccountsLoaded(Message):
        accounts: list[Account]

    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self._accounts: list[Account] = []
        self._editing: int | None = None
        self._editing_from: Account | None = None  # the account as the edit started from it

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield OptionList(id="account-list", compact=True)
            with Horizontal(classes="form-row"):
                yield field(_("Account number"), Input(id="account-number", compact=True))
                yield field(_("Name"), Input(id="account-name", compact=True))
            yield field(_("Additional information (key=value; key=value)"), Input(id="account-extra", compact=True))
            with Horizontal(classes="buttons"):
                yield Button(_("Add account"), id="account-add", variant="primary", compact=True)
                yield Button(_("Save changes"), id="account-save", compact=True)
            yield Label("", classes="form-error")

    def load(self) -> None:
        t = self.ctx.ticket
        if t is not None:
            self.call("list", lambda: self.session.customers.list_accounts(t.customer_id), self._show)

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
            if a.id == self._editing and self.edited():
                return  # the list was read again (T8): the typing stays
            self._editing, self._editing_from = a.id, a
            self._fill(self._values(a))

    # The edit sends two guards: the account's version (If-Match, P10) and the values it
    # started from (T15), so a change made meanwhile opens the comparison, never is lost.

    @staticmethod
    def _values(a: Account | AccountInput) -> dict[str, str]:
        return {"number": one_line(a.number), "name": one_line(a.name),
                "extra": "; ".join(f"{k}={v}" for k, v in a.extra.items())}

    def _fill(self, values: dict[str, str]) -> None:
        for key in ("number", "name", "extra"):
            self.query_one(f"#account-{key}", Input).value = values[key]

    def edited(self) -> bool:
        return self._editing_from is not None and self._values(self._input()) != self._values(self._editing_from)

    def _failed(self, e: SagiccError) -> None:
        self.error_here(e)
        if isinstance(e, StaleWrite) and self._editing is not None and self.ctx.ticket is not None:
            customer_id = self.ctx.ticket.customer_id
            self.call("theirs", lambda: self.session.customers.list_accounts(customer_id), self._compare)

    def _compare(self, accounts: list[Account]) -> None:
        current = next((a for a in accounts if a.id == self._editing), None)
        started = self._editing_from
        if current is None or started is None:
            self._show(accounts)
            return
        base, mine, theirs = self._values(started), self._values(self._input()), self._values(current)
        fields = [FieldVersions(key, label, base[key], mine[key], theirs[key])
                  for key, label in (("number", _("Account number")), ("name", _("Name")),
                                     ("extra", _("Additional information (key=value; key=value)")))]

        def chosen(choices: dict[str, Keep] | None) -> None:
            if choices is None:
                self.set_error(_("Not saved: your changes are kept. Save again to compare them with the saved version."))
                return
            self._editing_from = current
            self._fill(resolve(fields, choices))
            self.save()

        self.post_message(self.CompareRequested(_("this account"), fields_to_review(fields), chosen))

    def _input(self, *, strict: bool = False) -> AccountInput:
        """The form as an account; `strict` refuses an additional item without = (an Add or a
        Save must say so, never drop it), otherwise such an item is left out (comparisons)."""
        text = self.query_one("#account-extra", Input).value
        if not strict:
            text = ";".join(p for p in text.split(";") if p.split("=", 1)[0].strip() and "=" in p)
        extra = parse_account_extra(text)
        return AccountInput(number=self.query_one("#account-number", Input).value,
                            name=self.query_one("#account-name", Input).value, extra=extra)

    def _checked_input(self) -> AccountInput | None:
        try:
            return self._input(strict=True)
        except InvalidInput as e:
            self.error_here(e)
            self.query_one("#account-extra", Input).focus()
            return None

    @on(Button.Pressed, "#account-add")
    def add(self) -> None:
        t = self.ctx.ticket
        if t is None:
            return
        data = self._checked_input()
        if data is None:
            return
        self.set_error("")
        # Once per press, even pressed twice before the store answers (#15.5).
        self.write_once("add", lambda: self.session.customers.add_account(t.customer_id, data), self._added,
                        self.error_here)

    def _added(self, account: Account) -> None:
        """Added: the form is empty again, so a second Add cannot store it twice."""
        self._editing = self._editing_from = None
        self._fill({"number": "", "name": "", "extra": ""})
        self.succeeded(_("Account {number} added.", number=one_line(account.number, 40)))
        self._written(account)

    @on(Button.Pressed, "#account-save")
    def save(self) -> None:
        if self._editing is None:
            self.set_error(_("Choose an account in the list first."))
            return
        aid, data = self._editing, self._checked_input()
        if data is None:
            return
        started = self._editing_from
        expected = AccountInput(number=started.number, name=started.name, extra=dict(started.extra)) \
            if started else None
        self.set_error("")
        version = started.version if started else None  # If-Match too (P10): a stale version is refused
        self.call("write", lambda: self.session.customers.update_account(aid, data, expected_version=version,
                                                               expected=expected),
                  self._written, self._failed)

    def _written(self, _result: object) -> None:
        self._editing_from = None
        self.set_error("")
        self.load()
