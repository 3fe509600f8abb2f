"""The one way the UI talks to the Backend, and the one error policy.

`BackendCalls.call(group, make, done, error)` runs the coroutine `make()` in a
Textual worker (the same thing `@work(exclusive=True, exit_on_error=False)`
does, with the group chosen per call so that a newer read of the same part
replaces an older one). The result comes back as a message and `done` runs on
the UI's message loop, so callbacks may touch widgets.

The error policy, once for every screen and widget:

- a domain error (`SagiccError`) becomes its one sentence, in the user's
  language, shown where the user is looking: the screen's `StatusLine` when it
  has one (under the ticket header, visible at 80x24), a notification
  otherwise; `error`, when given, also puts it next to the field;
- any other exception is a defect: it is logged, and the user sees one
  sentence that says so, never a traceback (exit_on_error=False keeps the
  app running);
- `succeeded(text)` reports a success the same way and clears an earlier
  error, so a stale refusal never lingers after a later success.

`settle=True` is for a caller that waits on the answer (a wizard's step, a
list's page): `error` then runs after a defect too, with the defect as one
`SagiccError` (`as_error`), so nothing stays "loading" for ever.

`quiet=True` is for background reads (heartbeat, activity polls): their
failures go to `error` only and never cover what the user is reading. With
`settle=True` too, `error` is the one place the sentence goes (a form's field,
a dialog's own error line), the defect's sentence included.

`exclusive=False` is for writes started by separate presses (add one user,
then another): a second press must not cancel a write already on its way.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from sagicc_tui.domain.errors import SagiccError, as_error
from sagicc_tui.i18n import _
from sagicc_tui.widgets import labels


def error_text(error: BaseException) -> str:
    """The sentence a person reads for an error."""
    if isinstance(error, SagiccError):
        return labels.error_sentence(error)
    return _("Something went wrong ({kind}); nothing was changed. Try again, and report it if it persists.",
             kind=type(error).__name__)


class StatusLine(Static):
    """One line under a screen's header: the latest refusal, error or notice."""

    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 2; padding: 0 1; display: none; }
    StatusLine.-error { display: block; background: $error 25%; color: $text; }
    StatusLine.-warning { display: block; background: $warning 25%; color: $text; }
    StatusLine.-information { display: block; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.text = ""
        self.severity = ""

    def show(self, text: str, severity: str = "information") -> None:
        self.text, self.severity = text, severity if text else ""
        for name in ("error", "warning", "information"):
            self.set_class(bool(text) and name == severity, f"-{name}")
        self.update(Content(text))

    def clear(self) -> None:
        self.show("")


class CallResult(Message, bubble=False, namespace="backend_calls"):
    def __init__(self, callback: Callable[[Any], Any], value: Any) -> None:
        super().__init__()
        self.callback = callback
        self.value = value


class BackendCalls:
    """Mixin for widgets and screens (see the module docstring)."""

    def call(self, group: str, make: Callable[[], Awaitable[Any]], done: Callable[[Any], Any],
             error: Callable[[SagiccError], Any] | None = None, *, quiet: bool = False,
             settle: bool = False, exclusive: bool = True) -> None:
        def failed(e: SagiccError) -> Any:
            if not quiet:
                self.feedback(error_text(e), "error")
            return error(e) if error is not None else None

        async def job() -> None:
            try:
                value = await make()
            except SagiccError as e:
                self.post_message(CallResult(failed, e))  # type: ignore[attr-defined]
                return
            except Exception as e:  # noqa: BLE001 - a defect: logged, one sentence, the app goes on
                self.log.error(f"{group}: {e!r}")  # type: ignore[attr-defined]
                def defect(exc: Exception) -> Any:
                    if not quiet:
                        self.feedback(error_text(exc), "error")
                    return error(as_error(exc)) if settle and error is not None else None

                self.post_message(CallResult(defect, e))  # type: ignore[attr-defined]
                return
            self.post_message(CallResult(done, value))  # type: ignore[attr-defined]

        # The function, not a coroutine: a worker replaced before it starts leaves nothing un-awaited.
        self.run_worker(job, group=self._call_group(group), exclusive=exclusive,  # type: ignore[attr-defined]
                        exit_on_error=False)

    def _call_group(self, group: str) -> str:
        return f"{id(self)}-{group}"

    def cancel_calls(self, group: str) -> None:
        """Drop the call of `group` still running (its answer never arrives)."""
        self.workers.cancel_group(self, self._call_group(group))  # type: ignore[attr-defined]

    def feedback(self, text: str, severity: str = "information") -> None:
        """Show `text` where the user is looking (empty text clears the status line)."""
        screen = getattr(self, "screen", None)
        lines = screen.query(StatusLine) if screen is not None else ()
        if lines:
            lines.first().show(text, severity)
        elif text:
            self.notify(text, severity=severity)  # type: ignore[attr-defined]

    def succeeded(self, text: str) -> None:
        """A save, send or action worked: say so, and clear any earlier refusal."""
        self.feedback(text, "information")
        self.notify(text)  # type: ignore[attr-defined]

    async def on_backend_calls_call_result(self, message: CallResult) -> None:
        message.stop()
        result = message.callback(message.value)
        if inspect.iscoroutine(result):
            await result
