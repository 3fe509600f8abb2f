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

from sagicc_tui.domain.customers import AccountInput
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
        aid, data = self._editing, self._input()
        self.call("write", lambda: self.backend.update_account(self.user, aid, data), self._written,
                  self.error_here)

    def _written(self, _result: object) -> None:
        self.set_error("")
        self.load()
