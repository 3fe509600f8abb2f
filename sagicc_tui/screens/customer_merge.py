"""C6: merge customers: choose the main one and what moves, preview, confirm, result.

    CustomerMergeScreen(backend, user, items, main_id=None)   # dismisses CustomerMergeResult | None

Steps: form (main customer among `items`; contacts / accounts / tickets
checkboxes) -> preview (`preview_customer_merge`: counts, what happens, the
irreversible sentence, or why it cannot run) -> confirm -> result. Escape
cancels before the merge runs without writing anything. The steps, keys and
buttons are screens/wizard.py's; this module is the merge's form and sentences.

Keys: p (or Enter) preview · y (or Enter) confirm · Enter done (result) ·
b back to the form · Escape cancel.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import (
    Button,
    ContentSwitcher,
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
from sagicc_tui.screens.wizard import FORM, PREVIEW, WizardScreen
from sagicc_tui.session import Session
from sagicc_tui.widgets.customer_list import id_type_label
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.translated import TranslatedBindings
from sagicc_tui.widgets.toggles import Checkbox, RadioButton

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


class CustomerMergeScreen(TranslatedBindings, WizardScreen[CustomerMergeResult | None]):
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="customers.merge.cancel"),
        Binding("p,enter", "preview", N_("Preview"), id="customers.merge.preview"),
        Binding("enter,y", "confirm", N_("Merge"), id="customers.merge.confirm"),
        Binding("b", "back", N_("Back"), id="customers.merge.back"),
        Binding("enter,escape", "done", N_("Done"), id="customers.merge.done"),
    ]

    SWITCHER = "#merge-steps"
    STEP_PREFIX = "merge-step-"
    ERROR_ID = "merge-error"
    BUTTON_IDS = {"preview": "btn-merge-preview", "confirm": "btn-merge-confirm", "back": "btn-merge-back",
                  "cancel": "btn-merge-cancel", "done": "btn-merge-done"}

    def __init__(self, backend: Backend, user: User, items: list[CustomerListItem], *,
                 main_id: int | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.user = user
        self.items = list(items)
        self.main_id = main_id if main_id is not None else self.items[0].id
        self.preview: CustomerMergePreview | None = None
        self.result: CustomerMergeResult | None = None

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
        yield KeyFooter()

    def on_mount(self) -> None:
        self._go(FORM)
        self.query_one("#merge-main", RadioSet).focus()
        self._identify()

    def _identify(self) -> None:
        """Each choice's e-mail or phone, read by a preview (which writes nothing)."""
        ids = [i.id for i in self.items]
        # Quiet: the choices keep their id and document; the preview step says what is wrong.
        self.call("merge-ids", lambda: self.session.customers.preview_customer_merge(ids[0], ids[1:], MergeParts()),
                  lambda p: self._identified((p.main, *p.others)), quiet=True)

    def _identified(self, counts: tuple[MergeCounts, ...]) -> None:
        for c in counts:
            for button in self.query(f"#main-{c.customer.id}").results(RadioButton):
                button.label = sanitize.content(identity(c.customer, c.reach), single_line=True)

    # --- the form --------------------------------------------------------------------------------

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

    def build_request(self) -> tuple[int, tuple[int, ...], MergeParts]:
        return self.chosen()

    def focus_form(self) -> None:
        self.query_one("#merge-main", RadioSet).focus()

    def sentence(self, error: SagiccError) -> str:
        return tr(error.message)

    # --- preview and run (the Backend calls) ------------------------------------------------------

    def read_preview(self, request: tuple[int, tuple[int, ...], MergeParts]):
        main, others, parts = request
        return self.session.customers.preview_customer_merge(main, list(others), parts)

    def run_request(self, request: tuple[int, tuple[int, ...], MergeParts], preview: CustomerMergePreview):
        main, others, parts = request
        versions = preview.expected_versions
        # The versions the preview showed: a customer edited since refuses the merge.
        return self.session.customers.merge_customers(main, list(others), parts, versions)

    def preview_started(self) -> None:
        self.query_one("#merge-preview-counts", Static).update(Content(_("Loading…")))
        self.query_one("#merge-preview-changes", Static).update("")

    def show_preview(self, p: CustomerMergePreview) -> None:
        lines = [_("Main customer:") + " " + counts_line(p.main)]
        lines += [_("To delete:") + " " + counts_line(o) for o in p.others]
        self.query_one("#merge-preview-counts", Static).update(sanitize.content("\n".join(lines)))
        changes = ["• " + tr(m) for m in p.changes]
        self.query_one("#merge-preview-changes", Static).update(sanitize.content("\n".join(changes)))
        confirm = self.button("confirm")
        confirm.disabled = not p.can_merge
        confirm.display = p.can_merge
        if p.blocked is not None:
            self._show_error(tr(p.blocked))
            self.button("back").focus()
        else:
            confirm.focus()

    def preview_failed(self, error: SagiccError) -> None:
        self._failed_step(error, back_to=FORM)

    def run_failed(self, error: SagiccError) -> None:
        self._failed_step(error, back_to=PREVIEW)

    def _failed_step(self, error: SagiccError, *, back_to: str) -> None:
        if isinstance(error, StaleWrite):
            # A customer changed since the preview: what it showed is not what would run.
            self.request = self.preview = None
            self._go(FORM)
            self._show_error(tr(error.message) + " " + _("Preview the merge again."))
            self.focus_form()
            return
        self._go(back_to)
        self._show_error(tr(error.message))

    def show_result(self, r: CustomerMergeResult) -> None:
        self.query_one("#merge-result", Static).update(sanitize.content(
            _("{name} stays. Moved: {contacts} contacts, {accounts} accounts, {tickets} tickets. "
              "Deleted customers: {deleted}.",
              name=sanitize.one_line(r.main.full_name, max_len=60), contacts=r.contacts_moved,
              accounts=r.accounts_moved, tickets=r.tickets_moved, deleted=len(r.deleted_ids))))
        self.button("done").focus()
