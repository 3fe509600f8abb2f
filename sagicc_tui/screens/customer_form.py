"""C2 / T4: the customer form, to add a customer or edit one.

    CustomerFormScreen(backend, user, customer=None)   # dismisses FormResult | None

The form validates with the domain rules (domain/customers.py) before it
writes, and shows each sentence next to its field, keeping what was typed.
The Backend validates again; its sentences land the same way. A document
another customer already has offers to open that customer instead.

Keys: ctrl+s (or Enter in a field) saves; Escape cancels. After a duplicate document:
Open existing customer, or Save anyway (a separate customer with the same document).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from sagicc_tui import sanitize
from sagicc_tui.backend import Backend
from sagicc_tui.domain.collision import FieldVersions, Keep, fields_to_review, resolve
from sagicc_tui.domain.customers import (
    CustomerInput,
    DuplicateCustomer,
    validate_customer,
)
from sagicc_tui.domain.enums import CustomerType, IdType
from sagicc_tui.domain.errors import InvalidInput, SagiccError, StaleWrite
from sagicc_tui.domain.messages import Msg
from sagicc_tui.domain.models import Customer, User
from sagicc_tui.i18n import N_, _
from sagicc_tui.session import Session
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.customer_list import customer_type_label, id_type_label
from sagicc_tui.widgets.io import BackendCalls
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.translated import TranslatedBindings

FIELDS = ("type", "id-type", "id-number", "first", "middle", "last", "second", "birth", "email", "phone")
#: Only when adding (C2): the customer's first contacts; an edit leaves contacts to T5.
CONTACT_FIELDS = ("email", "phone")

# The input a sentence is about, by InvalidInput.field (the CustomerInput
# attribute): never by its wording, which is in the user's language.
_KEY_BY_FIELD = {
    "type": "type",
    "id_type": "id-type",
    "id_number": "id-number",
    "first_name": "first",
    "middle_name": "middle",
    "last_name": "last",
    "second_last_name": "second",
    "birth_date": "birth",
    "email": "email",
    "phone": "phone",
}


def field_of(error: SagiccError) -> str | None:
    """The form's key for the input `error` is about; None when it is about none."""
    return _KEY_BY_FIELD.get(error.field or "") if isinstance(error, InvalidInput) else None


def translated(message: Msg) -> str:
    """A sentence in the UI language, with field labels translated too."""
    params = dict(message.params)
    if isinstance(params.get("label"), str):
        params["label"] = _(params["label"])
    return labels.message(Msg(message.template, params))


@dataclass(frozen=True, slots=True)
class FormResult:
    customer: Customer | None = None  # saved
    open_id: int | None = None  # the user chose to open this existing customer instead


class CustomerFormScreen(BackendCalls, TranslatedBindings, ModalScreen[FormResult | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), id="customers.form.save"),
        Binding("escape", "cancel", N_("Cancel"), id="customers.form.cancel"),
    ]

    def __init__(self, backend: Backend, user: User, customer: Customer | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.user = user
        self.customer = customer
        self._existing_id: int | None = None
        self._last: CustomerInput | None = None
        self._saving = False

    @property
    def session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self.backend.session(self.user)

    def compose(self) -> ComposeResult:
        c = self.customer
        title = _("Add customer") if c is None else _("Edit customer")
        with Vertical(id="customer-form", classes="customer-dialog"):
            yield Static(Content(title), classes="customer-dialog-title")
            yield Static("", id="form-error", classes="customer-error")
            with VerticalScroll(id="form-fields"):
                yield Label(Content(_("Customer type")), classes="field-label")
                yield Select([(customer_type_label(t), t) for t in CustomerType], allow_blank=False,
                             value=c.type if c else CustomerType.PERSON, id="f-type", compact=True)
                yield Static("", id="err-type", classes="field-error")
                yield Label(Content(_("Document type")), classes="field-label")
                yield Select([(id_type_label(t), t) for t in IdType], allow_blank=False,
                             value=c.id_type if c else IdType.CC, id="f-id-type", compact=True)
                yield Static("", id="err-id-type", classes="field-error")
                for key, label, value in (
                    ("id-number", _("Document number"), c.id_number if c else ""),
                    ("first", _("First name (company name for companies)"), c.first_name if c else ""),
                    ("middle", _("Middle name"), c.middle_name if c else ""),
                    ("last", _("Last name"), c.last_name if c else ""),
                    ("second", _("Second last name"), c.second_last_name if c else ""),
                    ("birth", _("Date of birth (YYYY-MM-DD)"),
                     c.birth_date.isoformat() if c and c.birth_date else ""),
                ):
                    yield Label(Content(label), classes="field-label")
                    yield Input(value=value, id=f"f-{key}", compact=True)
                    yield Static("", id=f"err-{key}", classes="field-error")
                if c is None:
                    for key, label, hint in (
                        ("email", _("E-mail"), "nombre@ejemplo.com"),
                        ("phone", _("Mobile phone"), "+57 300 123 4567"),
                    ):
                        yield Label(Content(label), classes="field-label")
                        yield Input(id=f"f-{key}", placeholder=hint, compact=True)
                        yield Static("", id=f"err-{key}", classes="field-error")
            with Horizontal(classes="customer-buttons"):
                yield Button(Content(_("Save")), id="btn-save", variant="primary", compact=True)
                yield Button(Content(_("Open existing customer")), id="btn-open-existing", compact=True)
                yield Button(Content(_("Save anyway")), id="btn-save-anyway", compact=True)
                yield Button(Content(_("Cancel")), id="btn-cancel", compact=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#btn-open-existing").display = False
        self.query_one("#btn-save-anyway").display = False
        self.query_one("#f-id-number", Input).focus()

    # --- reading and errors ------------------------------------------------------------

    def read(self) -> CustomerInput:
        def val(key: str) -> str:
            found = self.query(f"#f-{key}").results(Input)
            return next(found).value if key not in CONTACT_FIELDS or self.customer is None else ""

        birth = val("birth").strip()
        return CustomerInput(
            type=self.query_one("#f-type", Select).value,  # type: ignore[arg-type]
            id_type=self.query_one("#f-id-type", Select).value,  # type: ignore[arg-type]
            id_number=val("id-number"),
            first_name=val("first"),
            middle_name=val("middle"),
            last_name=val("last"),
            second_last_name=val("second"),
            birth_date=birth or None,  # type: ignore[arg-type]  # validate_customer parses it
            features=None,
            email=val("email"),
            phone=val("phone"),
        )

    def clear_errors(self) -> None:
        for key in FIELDS:
            if key not in CONTACT_FIELDS or self.customer is None:
                self._set_error(f"#err-{key}", "")
        self._set_error("#form-error", "")
        self.query_one("#btn-open-existing").display = False
        self.query_one("#btn-save-anyway").display = False
        self._existing_id = None

    def _set_error(self, selector: str, text: str) -> None:
        widget = self.query_one(selector, Static)
        widget.update(sanitize.content(text))
        widget.set_class(bool(text), "-shown")

    def show_error(self, error: SagiccError) -> None:
        text = translated(error.message)
        key = field_of(error)
        if key is None:
            self._set_error("#form-error", text)
            return
        self._set_error(f"#err-{key}", text)
        self._set_error("#form-error", _("Fix the marked field; what you typed is kept."))
        target = self.query_one(f"#f-{key}")
        target.focus()
        # The sentence sits under its input: once it has its height, scroll it
        # into view too, so a short terminal does not keep it below the fold.
        below = self.query_one(f"#err-{key}")
        self.call_after_refresh(below.scroll_visible, animate=False)

    def field_error(self, key: str) -> str:
        widget = self.query_one(f"#err-{key}", Static)
        return str(widget.render()) if widget.has_class("-shown") else ""

    @property
    def error_text(self) -> str:
        widget = self.query_one("#form-error", Static)
        return str(widget.render()) if widget.has_class("-shown") else ""

    # --- saving --------------------------------------------------------------------------

    def action_save(self) -> None:
        if self._saving:
            return
        self.clear_errors()
        try:
            data = validate_customer(self.read())
        except InvalidInput as e:
            self.show_error(e)
            return
        if self.customer is not None:
            data = CustomerInput(type=data.type, id_type=data.id_type, id_number=data.id_number,
                                 first_name=data.first_name, middle_name=data.middle_name,
                                 last_name=data.last_name, second_last_name=data.second_last_name,
                                 birth_date=data.birth_date, features=None)
        self._saving = True
        self._last = data
        self._save(data)

    def action_save_anyway(self) -> None:
        """A duplicate document, on purpose: a separate customer with the same document."""
        if self._saving or self._last is None or self._existing_id is None:
            return
        self.clear_errors()
        self._saving = True
        self._save(self._last, allow_duplicate=True)

    # Quiet and settled: every sentence, a defect's too, goes next to its field or
    # to the form's own error line (a notification would cover the form).

    def _save(self, data: CustomerInput, allow_duplicate: bool = False) -> None:
        customer = self.customer

        async def write() -> Customer:
            if customer is None:
                return await self.session.customers.create_customer(data, allow_duplicate=allow_duplicate)
            return await self.session.customers.update_customer(customer.id, data,
                                                                expected_version=customer.version,
                                                                allow_duplicate=allow_duplicate)

        self.call("customer-form", write, self._saved, self._failed, quiet=True, settle=True)

    def _saved(self, customer: Customer) -> None:
        self._saving = False
        self.dismiss(FormResult(customer=customer))

    def _failed(self, e: SagiccError) -> None:
        self._saving = False
        self.show_error(e)
        if isinstance(e, StaleWrite) and self.customer is not None:
            self._read_theirs(self.customer.id)
        if isinstance(e, DuplicateCustomer):
            self._existing_id = e.existing_id
            self._set_error("#err-id-number", translated(e.message))
            button = self.query_one("#btn-open-existing", Button)
            button.display = True
            self.query_one("#btn-save-anyway", Button).display = True
            button.focus()

    # T15: someone saved the customer while this form was open: compare, field by field.

    _TEXT_KEYS = ("id-number", "first", "middle", "last", "second", "birth")

    @staticmethod
    def _values(c: Customer) -> dict[str, object]:
        return {"type": c.type, "id-type": c.id_type, "id-number": sanitize.one_line(c.id_number),
                "first": sanitize.one_line(c.first_name), "middle": sanitize.one_line(c.middle_name),
                "last": sanitize.one_line(c.last_name), "second": sanitize.one_line(c.second_last_name),
                "birth": c.birth_date.isoformat() if c.birth_date else ""}

    def _mine(self) -> dict[str, object]:
        values: dict[str, object] = {"type": self.query_one("#f-type", Select).value,
                                     "id-type": self.query_one("#f-id-type", Select).value}
        for key in self._TEXT_KEYS:
            values[key] = self.query_one(f"#f-{key}", Input).value
        return values

    def _read_theirs(self, customer_id: int) -> None:
        async def read() -> tuple[Customer, str]:
            current = await self.session.customers.get_customer(customer_id)
            names = {u.id: u.full_name for u in await self.session.agent.list_users()}
            return current, names.get(current.updated_by or 0, "")

        self.call("customer-theirs", read, self._compare, self._failed, quiet=True, settle=True)

    def _compare(self, theirs: tuple[Customer, str]) -> None:
        from sagicc_tui.screens.ticket_compare import CompareScreen

        started = self.customer
        if started is None:
            return
        current, by = theirs
        base, mine, theirs = self._values(started), self._mine(), self._values(current)

        def text(key: str, value: object) -> str:
            if key == "type":
                return customer_type_label(CustomerType(value))
            if key == "id-type":
                return id_type_label(IdType(value))
            return str(value)

        labels_ = {"type": _("Customer type"), "id-type": _("Document type"), "id-number": _("Document number"),
                   "first": _("First name"), "middle": _("Middle name"), "last": _("Last name"),
                   "second": _("Second last name"), "birth": _("Date of birth (YYYY-MM-DD)")}
        fields = [FieldVersions(key, labels_[key], base[key], mine[key], theirs[key],
                                shown=(text(key, base[key]), text(key, mine[key]), text(key, theirs[key])))
                  for key in labels_]

        def chosen(choices: dict[str, Keep] | None) -> None:
            if choices is None:
                return  # the sentence stays; the typing too; saving again compares again
            merged = resolve(fields, choices)
            self.customer = current
            self.query_one("#f-type", Select).value = merged["type"]
            self.query_one("#f-id-type", Select).value = merged["id-type"]
            for key in self._TEXT_KEYS:
                self.query_one(f"#f-{key}", Input).value = str(merged[key])
            self.action_save()

        review = fields_to_review(fields)
        if not review:
            chosen({})
            return
        self.app.push_screen(CompareScreen(_("this customer"), review, by=by, at=current.updated_at), chosen)

    def action_open_existing(self) -> None:
        if self._existing_id is not None:
            self.dismiss(FormResult(open_id=self._existing_id))

    def action_cancel(self) -> None:
        self.cancel_calls("customer-form")
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        handler = {"btn-save": self.action_save, "btn-cancel": self.action_cancel,
                   "btn-open-existing": self.action_open_existing,
                   "btn-save-anyway": self.action_save_anyway}.get(event.button.id or "")
        if handler is not None:
            handler()
