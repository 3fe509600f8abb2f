"""C3: export the whole customer base to a spreadsheet file.

    CustomerExportScreen(backend, user, directory=None)   # dismisses the ExportResult | None

Choose XLSX or CSV and a path (default: the Downloads folder of the home
directory when it exists, else the home directory), then Export. The
Backend's progress callback may run on a worker thread: it only posts a
message (thread safe), and the ProgressBar moves on the event loop. A
refusal (PermissionDenied) or any other sentence is shown in the dialog.

Keys: Enter / ctrl+s export · Escape close.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Input,
    Label,
    ProgressBar,
    RadioSet,
    Static,
)

from sagicc_tui import sanitize
from sagicc_tui.backend import Backend
from sagicc_tui.domain.customers import ExportFormat, ExportResult
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.models import User
from sagicc_tui.files import export_to_file
from sagicc_tui.i18n import N_, _
from sagicc_tui.screens.customer_profile import tr
from sagicc_tui.session import Session
from sagicc_tui.widgets.io import BackendCalls
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.translated import TranslatedBindings
from sagicc_tui.widgets.toggles import RadioButton


def default_directory() -> Path:
    home = Path.home()
    for name in ("Downloads", "Descargas"):
        if (home / name).is_dir():
            return home / name
    return home


def default_path(directory: str | Path | None, fmt: ExportFormat, today: datetime | None = None) -> str:
    """The day's export file, numbered past any file already there (#15.8 C3):
    a second export of the day never writes over the first."""
    folder = Path(directory) if directory else default_directory()
    stamp = (today or datetime.now()).strftime("%Y%m%d")
    candidate = folder / f"sagicc-customers-{stamp}.{fmt.value}"
    n = 2
    while candidate.exists():
        candidate = folder / f"sagicc-customers-{stamp}-{n}.{fmt.value}"
        n += 1
    return str(candidate)


class CustomerExportScreen(BackendCalls, TranslatedBindings, ModalScreen[ExportResult | None]):
    BINDINGS = [
        Binding("ctrl+s", "export", N_("Export"), id="customers.export.run"),
        Binding("escape", "close", N_("Close"), id="customers.export.close"),
    ]

    @dataclass
    class _Progress(Message):
        done: int
        total: int

    def __init__(self, backend: Backend, user: User, *, directory: str | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.user = user
        self.directory = directory
        self.result: ExportResult | None = None
        self.running = False
        self._offered = ""  # what the field holds until the user types (set in compose, from the app's clock)

    def _today(self) -> datetime:
        """The day in the file name, by the app's clock (injected in tests), in local time."""
        clock = getattr(self.app, "clock", None)
        return (clock() if callable(clock) else datetime.now().astimezone()).astimezone()

    def _default_path(self) -> str:
        return default_path(self.directory, self.fmt if self.is_mounted else ExportFormat.XLSX, self._today())

    @property
    def session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self.backend.session(self.user)

    def compose(self) -> ComposeResult:
        self._offered = self._default_path()
        with Vertical(id="export-dialog", classes="customer-dialog"):
            yield Static(Content(_("Export the customer base")), classes="customer-dialog-title")
            yield Label(Content(_("Format")), classes="field-label")
            with RadioSet(id="export-format"):
                yield RadioButton(Content(_("Excel (XLSX)")), value=True, id="export-xlsx")
                yield RadioButton(Content(_("CSV")), id="export-csv")
            yield Label(Content(_("File")), classes="field-label")
            yield Input(value=self._offered, id="export-path", compact=True)
            yield ProgressBar(total=None, show_eta=False, id="export-progress")
            yield Static("", id="export-status")
            yield Static("", id="export-error", classes="customer-error")
            with Horizontal(classes="customer-buttons"):
                yield Button(Content(_("Export")), id="btn-export", variant="primary", compact=True)
                yield Button(Content(_("Close")), id="btn-close", compact=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#export-progress").display = False
        self.query_one("#export-path", Input).focus()

    @property
    def fmt(self) -> ExportFormat:
        return ExportFormat.CSV if self.query_one("#export-csv", RadioButton).value else ExportFormat.XLSX

    @on(RadioSet.Changed, "#export-format")
    def _format_changed(self, event: RadioSet.Changed) -> None:
        path_input = self.query_one("#export-path", Input)
        path = Path(path_input.value)
        if path_input.value == self._offered:  # still ours: the next free name in the other format
            self._offered = path_input.value = self._default_path()
        elif path.suffix.lower() in (".xlsx", ".csv"):
            path_input.value = str(path.with_suffix("." + self.fmt.value))

    def _show_error(self, text: str) -> None:
        err = self.query_one("#export-error", Static)
        err.update(sanitize.content(text))
        err.set_class(bool(text), "-shown")

    @property
    def error_text(self) -> str:
        err = self.query_one("#export-error", Static)
        return str(err.render()) if err.has_class("-shown") else ""

    @property
    def status_text(self) -> str:
        return str(self.query_one("#export-status", Static).render())

    def action_export(self) -> None:
        if self.running:
            return
        path = self.query_one("#export-path", Input).value.strip()
        if not path:
            self._show_error(_("Write the path of the file to create."))
            return
        path = str(Path(path).expanduser())
        self._show_error("")
        self.running = True
        self.result = None
        bar = self.query_one("#export-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#export-status", Static).update(Content(_("Exporting…")))
        self.query_one("#btn-export", Button).disabled = True
        self._run(path, self.fmt)

    def _run(self, path: str, fmt: ExportFormat) -> None:
        def progress(done: int, total: int) -> None:
            self.post_message(self._Progress(done, total))  # thread safe

        async def export() -> ExportResult:
            try:
                return await export_to_file(self.session, path, fmt.value, progress)
            except OSError as e:  # the file of the user's choosing: its own sentence
                raise SagiccError(N_("The file could not be written ({reason})."),
                                  reason=e.strerror or str(e)) from e

        # Quiet and settled: every sentence, a defect's too, goes to the dialog's error line.
        self.call("customer-export", export, self._done, self._failed, quiet=True, settle=True)

    @on(_Progress)
    def _progress(self, message: _Progress) -> None:
        self.query_one("#export-progress", ProgressBar).update(total=max(message.total, 1), progress=message.done)

    def _done(self, result: ExportResult) -> None:
        self.running = False
        r = self.result = result
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=max(r.customers, 1), progress=max(r.customers, 1))
        self.query_one("#export-status", Static).update(sanitize.content(
            _("Exported {customers} customers, {contacts} contacts and {accounts} accounts to {path}",
              customers=r.customers, contacts=r.contacts, accounts=r.accounts, path=r.path)))
        self.query_one("#btn-export", Button).disabled = False
        path_input = self.query_one("#export-path", Input)
        if path_input.value == self._offered:
            # Exporting again from here must not replace the file just written.
            self._offered = path_input.value = self._default_path()
        self.query_one("#btn-close", Button).focus()

    def _failed(self, error: SagiccError) -> None:
        self.running = False
        self.query_one("#export-progress").display = False
        self.query_one("#export-status", Static).update("")
        self.query_one("#btn-export", Button).disabled = False
        self._show_error(tr(error.message))

    def action_close(self) -> None:
        if self.running:
            return
        self.dismiss(self.result)

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "btn-export":
            self.action_export()
        elif event.button.id == "btn-close":
            self.action_close()
