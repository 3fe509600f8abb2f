"""C6: merge customers: choose the main one and what moves, preview, confirm, result.

    CustomerMergeScreen(backend, user, items, main_id=None)   # dismisses CustomerMergeResult | None

Steps: form (main customer among `items`; contacts / accounts / tickets
checkboxes) -> preview (`preview_customer_merge`: counts, what happens, the
irreversible sentence, or why it cannot run) -> confirm -> result. Escape
cancels before the merge runs without writing anything.

Keys: p (or Enter) preview · y (or Enter) confirm · Enter done (result) ·
b back to the form · Escape cancel.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    ContentSwitcher,
    Footer,
    Label,
    RadioSet,
    Static,
)

from sagicc_tui import sanitize
from sagicc_tui.backend import Backend
from sagicc_tui.domain.customers import (
    CustomerListItem,
    CustomerMergePreview,
    CustomerMergeResult,
    MergeCounts,
    MergeParts,
)
from sagicc_tui.domain.errors import SagiccError, StaleWrite
from sagicc_tui.domain.models import User
from sagicc_tui.i18n import N_, _
from sagicc_tui.screens.customer_profile import tr
from sagicc_tui.session import Session
from sagicc_tui.widgets.customer_list import id_type_label
from sagicc_tui.widgets.translated import TranslatedBindings
from sagicc_tui.widgets.toggles import Checkbox, RadioButton

FORM, PREVIEW, RUNNING, RESULT = "form", "preview", "running", "result"


def identity(item: CustomerListItem, reach: str = "") -> str:
    """One customer told apart from a namesake: name, id, document, and an
    e-mail or phone when known (two "Duplicado Remoto · Other" are two ids)."""
    parts = [sanitize.one_line(item.full_name, max_len=50), f"id {item.id}",
             (id_type_label(item.id_type) + " " + sanitize.one_line(item.id_number, max_len=20)).strip()]
    if reach:
        parts.append(sanitize.one_line(reach, max_len=40))
    return " · ".join(parts)


def counts_line(c: MergeCounts) -> str:
    return _("{name}: {contacts} contacts, {accounts} accounts, {tickets} tickets ({open} open)",
             name=identity(c.customer, c.reach), contacts=c.contacts, accounts=c.accounts, tickets=c.tickets,
             open=c.open_tickets)


class CustomerMergeScreen(TranslatedBindings, ModalScreen[CustomerMergeResult | None]):
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="customers.merge.cancel"),
        Binding("p,enter", "preview", N_("Preview"), id="customers.merge.preview"),
        Binding("enter,y", "confirm", N_("Merge"), id="customers.merge.confirm"),
        Binding("b", "back", N_("Back"), id="customers.merge.back"),
        Binding("enter,escape", "done", N_("Done"), id="customers.merge.done"),
    ]

    BUTTONS = {
        FORM: ("btn-merge-preview", "btn-merge-cancel"),
        PREVIEW: ("btn-merge-confirm", "btn-merge-back", "btn-merge-cancel"),
        RUNNING: (),
        RESULT: ("btn-merge-done",),
    }

    @dataclass
    class _Previewed(Message):
        token: object
        preview: CustomerMergePreview

    @dataclass
    class _Identified(Message):
        counts: tuple[MergeCounts, ...]

    @dataclass
    class _Merged(Message):
        result: CustomerMergeResult

    @dataclass
    class _Failed(Message):
        token: object
        error: SagiccError

    def __init__(self, backend: Backend, user: User, items: list[CustomerListItem], *,
                 main_id: int | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.user = user
        self.items = list(items)
        self.main_id = main_id if main_id is not None else self.items[0].id
        self.step = FORM
        self.preview: CustomerMergePreview | None = None
        self.result: CustomerMergeResult | None = None
        self._request: tuple[int, tuple[int, ...], MergeParts] | None = None

    @property
    def session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self.backend.session(self.user)

    def compose(self) -> ComposeResult:
        with Vertical(id="merge-dialog", classes="customer-dialog"):
            yield Static(Content(_("Merge customers")), classes="customer-dialog-title")
            yield Static("", id="merge-error", classes="customer-error")
            with ContentSwitcher(initial="merge-step-form", id="merge-steps"):
                with VerticalScroll(id="merge-step-form", classes="merge-step"):
                    yield Label(Content(_("Main customer (stays; the others are deleted)")), classes="field-label")
                    with RadioSet(id="merge-main"):
                        for item in self.items:
                            yield RadioButton(sanitize.content(identity(item), single_line=True),
                                              value=item.id == self.main_id, id=f"main-{item.id}")
                    yield Label(Content(_("Move from the other customers")), classes="field-label")
                    yield Checkbox(Content(_("Contact information")), value=True, id="merge-contacts", compact=True)
                    yield Checkbox(Content(_("Accounts")), value=True, id="merge-accounts", compact=True)
                    yield Checkbox(Content(_("Tickets")), value=True, id="merge-tickets", compact=True)
                with VerticalScroll(id="merge-step-preview", classes="merge-step"):
                    yield Static("", id="merge-preview-counts")
                    yield Static("", id="merge-preview-changes")
                    yield Static(Content(_("A merge cannot be undone.")), id="merge-irreversible")
                with Vertical(id="merge-step-running", classes="merge-step"):
                    yield Static(Content(_("Merging…")))
                with VerticalScroll(id="merge-step-result", classes="merge-step"):
                    yield Static("", id="merge-result")
            with Horizontal(classes="customer-buttons"):
                yield Button(Content(_("Preview")), id="btn-merge-preview", variant="primary", compact=True)
                yield Button(Content(_("Merge")), id="btn-merge-confirm", variant="error", compact=True,
                             disabled=True)
                yield Button(Content(_("Back")), id="btn-merge-back", compact=True)
                yield Button(Content(_("Cancel")), id="btn-merge-cancel", compact=True)
                yield Button(Content(_("Done")), id="btn-merge-done", variant="primary", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self._go(FORM)
        self.query_one("#merge-main", RadioSet).focus()
        self._identify()

    @work(exclusive=True, group="customer-merge-ids")
    async def _identify(self) -> None:
        """Each choice's e-mail or phone, read by a preview (which writes nothing)."""
        ids = [i.id for i in self.items]
        try:
            p = await self.session.customers.preview_customer_merge(ids[0], ids[1:], MergeParts())
        except SagiccError:
            return  # the choices keep their id and document; the preview step says what is wrong
        self.post_message(self._Identified((p.main, *p.others)))

    @on(_Identified)
    def _identified(self, message: _Identified) -> None:
        for c in message.counts:
            for button in self.query(f"#main-{c.customer.id}").results(RadioButton):
                button.label = sanitize.content(identity(c.customer, c.reach), single_line=True)

    # --- state --------------------------------------------------------------------------------

    def _go(self, step: str) -> None:
        self.step = step
        self.query_one("#merge-steps", ContentSwitcher).current = f"merge-step-{step}"
        shown = set(self.BUTTONS[step])
        for button in self.query(".customer-buttons Button").results(Button):
            button.display = button.id in shown
        self.refresh_bindings()

    def _show_error(self, text: str) -> None:
        err = self.query_one("#merge-error", Static)
        err.update(sanitize.content(text))
        err.set_class(bool(text), "-shown")

    @property
    def error_text(self) -> str:
        err = self.query_one("#merge-error", Static)
        return str(err.render()) if err.has_class("-shown") else ""

    def chosen(self) -> tuple[int, tuple[int, ...], MergeParts]:
        main = self.main_id
        pressed = self.query_one("#merge-main", RadioSet).pressed_button
        if pressed is not None and pressed.id:
            main = int(pressed.id.removeprefix("main-"))
        others = tuple(i.id for i in self.items if i.id != main)
        parts = MergeParts(
            contacts=self.query_one("#merge-contacts", Checkbox).value,
            accounts=self.query_one("#merge-accounts", Checkbox).value,
            tickets=self.query_one("#merge-tickets", Checkbox).value,
        )
        return main, others, parts

    @property
    def can_confirm(self) -> bool:
        return self.step == PREVIEW and self.preview is not None and self.preview.can_merge

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "preview":
            return self.step == FORM
        if action == "confirm":
            return self.can_confirm  # a blocked preview offers no Merge at all
        if action == "back":
            return self.step == PREVIEW
        if action == "done":
            return self.step == RESULT
        if action == "cancel":
            if self.step == RESULT:
                return False
            return None if self.step == RUNNING else True
        return True

    # --- steps -----------------------------------------------------------------------------------

    def action_preview(self) -> None:
        if self.step != FORM:
            return
        self._show_error("")
        request = self.chosen()
        self._request = request
        self.preview = None
        self._go(PREVIEW)
        self.query_one("#merge-preview-counts", Static).update(Content(_("Loading…")))
        self.query_one("#merge-preview-changes", Static).update("")
        self.query_one("#btn-merge-confirm", Button).disabled = True
        self._load_preview(request)

    @work(exclusive=True, group="customer-merge")
    async def _load_preview(self, request: tuple[int, tuple[int, ...], MergeParts]) -> None:
        main, others, parts = request
        try:
            preview = await self.session.customers.preview_customer_merge(main, list(others), parts)
        except SagiccError as e:
            self.post_message(self._Failed(request, e))
            return
        self.post_message(self._Previewed(request, preview))

    @on(_Previewed)
    def _previewed(self, message: _Previewed) -> None:
        if message.token is not self._request or self.step != PREVIEW:
            return
        p = self.preview = message.preview
        lines = [_("Main customer:") + " " + counts_line(p.main)]
        lines += [_("To delete:") + " " + counts_line(o) for o in p.others]
        self.query_one("#merge-preview-counts", Static).update(sanitize.content("\n".join(lines)))
        changes = ["• " + tr(m) for m in p.changes]
        self.query_one("#merge-preview-changes", Static).update(sanitize.content("\n".join(changes)))
        confirm = self.query_one("#btn-merge-confirm", Button)
        confirm.disabled = not p.can_merge
        confirm.display = p.can_merge
        if p.blocked is not None:
            self._show_error(tr(p.blocked))
            self.query_one("#btn-merge-back", Button).focus()
        else:
            confirm.focus()
        self.refresh_bindings()

    @on(_Failed)
    def _failed(self, message: _Failed) -> None:
        if message.token is not self._request:
            return
        if isinstance(message.error, StaleWrite):
            # A customer changed since the preview: what it showed is not what would run.
            self._request = self.preview = None
            self._go(FORM)
            self._show_error(tr(message.error.message) + " " + _("Preview the merge again."))
            self.query_one("#merge-main", RadioSet).focus()
            return
        self._go(FORM if self.step == PREVIEW else PREVIEW)
        self._show_error(tr(message.error.message))

    def action_confirm(self) -> None:
        if not self.can_confirm or self._request is None or self.preview is None:
            return
        self._show_error("")
        self._go(RUNNING)
        self._run(self._request, self.preview.expected_versions)

    @work(exclusive=True, group="customer-merge")
    async def _run(self, request: tuple[int, tuple[int, ...], MergeParts], versions: list[int]) -> None:
        main, others, parts = request
        try:
            # The versions the preview showed: a customer edited since refuses the merge.
            result = await self.session.customers.merge_customers(main, list(others), parts, versions)
        except SagiccError as e:
            self.post_message(self._Failed(request, e))
            return
        self.post_message(self._Merged(result))

    @on(_Merged)
    def _merged(self, message: _Merged) -> None:
        r = self.result = message.result
        self._go(RESULT)
        self.query_one("#merge-result", Static).update(sanitize.content(
            _("{name} stays. Moved: {contacts} contacts, {accounts} accounts, {tickets} tickets. "
              "Deleted customers: {deleted}.",
              name=sanitize.one_line(r.main.full_name, max_len=60), contacts=r.contacts_moved,
              accounts=r.accounts_moved, tickets=r.tickets_moved, deleted=len(r.deleted_ids))))
        self.query_one("#btn-merge-done", Button).focus()

    def action_back(self) -> None:
        if self.step != PREVIEW:
            return
        self.workers.cancel_group(self, "customer-merge")
        self._request = None
        self.preview = None
        self._show_error("")
        self._go(FORM)
        self.query_one("#merge-main", RadioSet).focus()

    def action_done(self) -> None:
        if self.step == RESULT:
            self.dismiss(self.result)

    def action_cancel(self) -> None:
        if self.step == RUNNING:
            return
        if self.step == RESULT:
            self.dismiss(self.result)
            return
        self.workers.cancel_group(self, "customer-merge")
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        handler = {
            "btn-merge-preview": self.action_preview,
            "btn-merge-confirm": self.action_confirm,
            "btn-merge-back": self.action_back,
            "btn-merge-cancel": self.action_cancel,
            "btn-merge-done": self.action_done,
        }.get(event.button.id or "")
        if handler is not None:
            handler()
