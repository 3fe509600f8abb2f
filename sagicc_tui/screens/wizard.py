"""The form -> preview -> confirm -> run -> result dialog, once (L8/L10 mass actions, C6 merge).

A subclass composes its steps (a ContentSwitcher `SWITCHER` whose children
are `STEP_PREFIX + step`), one error line (`ERROR_ID`) and the five buttons
named in `BUTTON_IDS`; it says how to build the request from the form, how to
read the preview and run it (Backend calls, through widgets/io.py's one
worker pattern), and how to show each answer. This base owns the steps, which
buttons and keys each step offers, the stale-answer guard (an answer for a
request the user went back from is dropped) and the one error policy of the
dialog: every failure, a defect too, is one sentence on the error line and
the step the user can act from (the form after a failed preview, the preview
after a failed run; the store wrote nothing either way).

Escape cancels before the run without writing anything; during the run no
key acts; on the result Enter and Escape close the dialog with the result.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, ClassVar, Generic, TypeVar

from textual.screen import ModalScreen
from textual.widgets import Button, ContentSwitcher, Static

from sagicc_tui import sanitize
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.io import BackendCalls

FORM, PREVIEW, RUNNING, RESULT = "form", "preview", "running", "result"

#: The roles of the buttons each step shows (a dialog without a form has no Back).
STEP_BUTTONS = {
    FORM: ("preview", "cancel"),
    PREVIEW: ("confirm", "back", "cancel"),
    RUNNING: (),
    RESULT: ("done",),
}

R = TypeVar("R")


class WizardScreen(BackendCalls, ModalScreen[R], Generic[R]):
    SWITCHER: ClassVar[str] = ""
    STEP_PREFIX: ClassVar[str] = ""
    ERROR_ID: ClassVar[str] = ""
    BUTTON_IDS: ClassVar[dict[str, str]] = {}  # role (preview, confirm, back, cancel, done) -> button id
    #: A preview nothing can run from: True shows Confirm dimmed in the footer, False hides it.
    SHOW_BLOCKED_CONFIRM: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = FORM
        self.request: Any = None  # what the form asked for; the preview and the run answer it
        self.preview: Any = None
        self.result: Any = None

    # --- what a subclass provides ------------------------------------------------------------

    @property
    def has_form(self) -> bool:
        return True

    @property
    def can_confirm(self) -> bool:
        raise NotImplementedError

    def build_request(self) -> Any:
        """The request from the form, or None after saying what to fix."""
        raise NotImplementedError

    def read_preview(self, request: Any) -> Awaitable[Any]:
        raise NotImplementedError

    def run_request(self, request: Any, preview: Any) -> Awaitable[Any]:
        raise NotImplementedError

    def preview_started(self) -> None:
        """The preview step shows that it is reading (the old preview is gone)."""

    def preview_stopped(self) -> None:
        """Back to the form while the preview was reading."""

    def show_preview(self, preview: Any) -> None:
        raise NotImplementedError

    def run_started(self, preview: Any) -> None:
        """The running step says what is being done."""

    def show_result(self, result: Any) -> None:
        raise NotImplementedError

    def focus_form(self) -> None:
        """Where the user goes on with the form."""

    def sentence(self, error: SagiccError) -> str:
        return labels.error_sentence(error)

    def preview_failed(self, error: SagiccError) -> None:
        self._go(FORM if self.has_form else PREVIEW)
        self._show_error(self.sentence(error))

    def run_failed(self, error: SagiccError) -> None:
        """The store wrote nothing (one transaction): back to the preview."""
        self._go(PREVIEW)
        self._show_error(self.sentence(error))

    # --- steps -----------------------------------------------------------------------------

    def button(self, role: str) -> Button:
        return self.query_one("#" + self.BUTTON_IDS[role], Button)

    def _go(self, step: str) -> None:
        self.step = step
        self.query_one(self.SWITCHER, ContentSwitcher).current = self.STEP_PREFIX + step
        shown = {self.BUTTON_IDS[role] for role in STEP_BUTTONS[step] if role != "back" or self.has_form}
        ours = set(self.BUTTON_IDS.values())
        for button in self.query(Button).results(Button):
            if button.id in ours:
                button.display = button.id in shown
        self.refresh_bindings()

    def _show_error(self, text: str) -> None:
        err = self.query_one("#" + self.ERROR_ID, Static)
        err.update(sanitize.content(text))
        err.set_class(bool(text), "-shown")

    @property
    def error_text(self) -> str:
        """The sentence on screen ("" when none)."""
        err = self.query_one("#" + self.ERROR_ID, Static)
        return str(err.render()) if err.has_class("-shown") else ""

    def proceed(self) -> None:
        """From the form to the preview of what it asks."""
        if self.step != FORM:
            return
        self._show_error("")
        request = self.build_request()
        if request is None:
            return
        self.request = request
        self._go(PREVIEW)
        self.start_preview(request)

    def start_preview(self, request: Any) -> None:
        self.request = request
        self.preview = None
        self.preview_started()
        self.button("confirm").disabled = True
        # Quiet + settle: every failure, a defect too, comes back to preview_failed,
        # which puts its sentence on the dialog's error line (no notification on top).
        self.call("wizard", lambda: self.read_preview(request), lambda p: self._previewed(request, p),
                  lambda e: self._failed(request, e, self.preview_failed), quiet=True, settle=True)

    def _previewed(self, request: Any, preview: Any) -> None:
        if request is not self.request or self.step != PREVIEW:
            return  # the user went back meanwhile
        self.preview = preview
        self.show_preview(preview)
        self.refresh_bindings()

    def _failed(self, request: Any, error: SagiccError, then: Any) -> None:
        if request is not self.request:
            return
        then(error)

    def _ran(self, result: Any) -> None:
        self.result = result
        self._go(RESULT)
        self.show_result(result)

    # --- keys ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "preview":
            return self.step == FORM
        if action == "confirm":
            if self.step != PREVIEW:
                return False
            return True if self.can_confirm else (None if self.SHOW_BLOCKED_CONFIRM else False)
        if action == "back":
            return self.step == PREVIEW and self.has_form
        if action == "done":
            return self.step == RESULT
        if action == "cancel":
            if self.step == RESULT:
                return False  # Escape is "done" there
            return None if self.step == RUNNING else True
        return True

    def action_preview(self) -> None:
        self.proceed()

    def action_confirm(self) -> None:
        request, preview = self.request, self.preview
        if self.step != PREVIEW or not self.can_confirm or request is None or preview is None:
            return
        self._show_error("")
        self._go(RUNNING)
        self.run_started(preview)
        self.call("wizard", lambda: self.run_request(request, preview), self._ran,
                  lambda e: self._failed(request, e, self.run_failed), quiet=True, settle=True)

    def action_back(self) -> None:
        if self.step != PREVIEW or not self.has_form:
            return
        self.cancel_calls("wizard")
        self.preview_stopped()
        self.request = None
        self.preview = None
        self._show_error("")
        self._go(FORM)
        self.focus_form()

    def action_done(self) -> None:
        if self.step == RESULT:
            self.dismiss(self.result)

    def action_cancel(self) -> None:
        if self.step == RUNNING:
            return  # the store is writing: the result comes next
        if self.step == RESULT:
            self.dismiss(self.result)
            return
        self.cancel_calls("wizard")
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        role = {button_id: role for role, button_id in self.BUTTON_IDS.items()}.get(event.button.id or "")
        if role is not None:
            getattr(self, f"action_{role}")()
