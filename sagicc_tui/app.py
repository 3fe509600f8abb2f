"""SagiccApp: the session (who, which campaign), the backend, global keys, settings.

Thin on purpose: screens do the work. Start-up path: mount → open the backend
in a worker → find the user (--user, else the remembered one, else the
picker) → read their campaigns → the ticket list.

This module must not import the store (SQLAlchemy/SQLModel): the backend comes
from ``open_backend``, an async factory the CLI passes in, so the first frame
does not wait for the ORM import.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Label

from sagicc_tui import i18n
from sagicc_tui.backend import Backend
from sagicc_tui.domain.errors import NotFound, PermissionDenied, SagiccError
from sagicc_tui.domain.models import Campaign, User
from sagicc_tui.i18n import N_, _
from sagicc_tui.session import Session
from sagicc_tui.settings import Settings, load_settings, save_settings
from sagicc_tui.unsaved import UnsavedDrafts
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.io import BackendCalls, error_text
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.pending_watch import PendingWatch

DEFAULT_THEME = "textual-dark"
DRAFT_RETRY = 5.0  # seconds between tries to hand kept drafts to the store (#10.6)


def utc_now() -> datetime:
    return datetime.now(UTC)


class LoadingScreen(Screen[None]):
    """The bottom of the screen stack: shown while the backend opens."""

    def compose(self) -> ComposeResult:
        yield Label(Content(_("Loading…")), id="loading")
        yield KeyFooter()


def _screen_commands():
    # Imported when the palette first opens: off the first-paint path.
    from sagicc_tui.screens.commands import ScreenCommands

    return ScreenCommands


class SagiccApp(BackendCalls, App[None]):
    # Every screen's actions by name in ctrl+p, the ticket screen's too.
    COMMANDS = App.COMMANDS | {_screen_commands}
    # Every stylesheet, loaded once at start: a Screen's CSS_PATH would join the app-wide
    # sheet only when that screen is first shown, so looks would depend on the order
    # screens were opened. Each sheet scopes its rules under its screen's type.
    CSS_PATH = ["styles/app.tcss", "styles/tickets.tcss", "styles/ticket.tcss", "styles/dialogs.tcss",
                "styles/customers.tcss", "styles/mass_action.tcss"]
    TITLE = "Sagicc"
    # Screens get -narrow below 100 columns: the styles drop what does not fit.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("q", "quit", N_("Quit"), id="app.quit"),
        Binding("question_mark", "help", N_("Help"), id="app.help"),
        Binding("A", "administration", N_("Administration"), show=False, id="app.admin"),
    ]

    def __init__(
        self,
        *,
        open_backend: Callable[[], Awaitable[Backend]],
        username: str | None = None,
        language: str | None = None,
        clock: Callable[[], datetime] | None = None,
        settings_path: str | Path | None = None,
        notice: str | None = None,
        demo_created_at: str | None = None,
        poll_interval: float = 1.0,
        remote_url: str | None = None,
        sign_in: Callable[[str], Awaitable[str | None]] | None = None,
        identity_from_host: bool = False,
    ) -> None:
        self._started = time.perf_counter()
        self._notices_until: dict[tuple[str, str, str], float] = {}  # notify(): one of each on screen
        self.settings_path = settings_path
        self.settings: Settings = load_settings(settings_path)
        # The language is set before any screen exists: labels are translated
        # when their objects are built; key descriptions (the app's too) when a
        # screen shows them (widgets/translated.py).
        i18n.set_language(language or self.settings.language or i18n.default_language())
        super().__init__()
        self.open_backend = open_backend
        self.backend: Backend | None = None
        self.pending_watch: PendingWatch | None = None  # the session's L7 count and notices
        self.session: Session | None = None  # the backend as `user`: what the app calls
        self.user: User | None = None
        self.campaigns: list[Campaign] = []
        self.campaign: Campaign | None = None
        self.clock = clock or utc_now
        self.poll_interval = poll_interval
        self.remote_url = remote_url  # working on a shared server (sagicc login)
        self.sign_in = sign_in  # verifies and keeps a token (the TUI's own `sagicc login`)
        # A shared host fixes who this is (an SSH key, the socket's peer):
        # `username` is the only source, nothing is remembered, no picker.
        self.identity_from_host = identity_from_host
        self.startup_seconds: float | None = None
        self.unsaved = UnsavedDrafts()  # drafts the store has not taken yet (disk full, read-only)
        self._quit_asked = False
        self._username = username
        self._notices: list[str] = []
        if notice:
            self._notices.append(notice)
        if demo_created_at:
            self._notices.append(_("A demo store was created at {path}.", path=demo_created_at))
        theme = self.settings.theme or DEFAULT_THEME
        self.theme = theme if theme in self.available_themes else DEFAULT_THEME
        self._remember_theme = False

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification is plain text, whatever the caller asked.

        Widgets' notify() passes markup=True by default, and our sentences can
        carry customer text (a name in a stale-write message, a search term):
        "[@click=app.quit]" must show as written, never become an action.
        """
        # The same sentence still on screen is not stacked again: repeated
        # failures (a refresh pressed ten times offline) give one notice.
        # Tracked here: Textual adds a notification only when its message is handled.
        key = (message, title, severity)
        now = time.monotonic()
        if self._notices_until.get(key, 0.0) > now:
            return
        if severity == "error" and any(
            t > now and k[2] == "error" and (k[0].startswith(message) or message.startswith(k[0]))
            for k, t in self._notices_until.items()
        ):
            return  # the same failure said with more or fewer words (a tab, the screen): once
        self._notices_until = {k: t for k, t in self._notices_until.items() if t > now}
        self._notices_until[key] = now + (self.NOTIFICATION_TIMEOUT if timeout is None else timeout)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def get_default_screen(self) -> Screen:
        return LoadingScreen(id="_default")

    # --- start-up --------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        if self.settings.problem is not None:
            self.notify(labels.message(self.settings.problem), severity="warning", timeout=10)
        for notice in self._notices:
            self.notify(notice, timeout=10)
        self._remember_theme = True
        self.set_interval(DRAFT_RETRY, self.retry_unsaved)
        # After the first frame: opening the store imports the ORM (~0.4 s),
        # which must not hold back the first paint.
        self.call_after_refresh(self._open)

    @property
    def user(self) -> User | None:
        return self._signed_in

    @user.setter
    def user(self, user: User | None) -> None:
        """Signed in, another user, or the same with a new status: the session follows."""
        self._signed_in = user
        self.session = None if user is None or self.backend is None else self.backend.session(user)

    def on_ready(self) -> None:
        self.startup_seconds = time.perf_counter() - self._started
        self.log.info(f"sagicc start-up: first frame after {self.startup_seconds:.3f} s")

    # The session's steps (_open, _signing_in, _begin) stay @work, not
    # BackendCalls.call: they share one exclusive "session" group, so a new
    # sign-in replaces a half-done opening whichever step it is in; they chain
    # through call_next (ask for a token on PermissionDenied, sign in, open
    # again, find the user, begin), and they run before any screen exists to
    # show a sentence on. Each catches its own defects into one sentence, and
    # exit_on_error=False keeps the app running whatever escapes.
    @work(exclusive=True, group="session", exit_on_error=False)
    async def _open(self) -> None:
        try:
            backend = await self.open_backend()
        except PermissionDenied as e:
            if self.sign_in is None:
                self.notify(labels.error_sentence(e), severity="error", timeout=30)
                return
            # Not signed in, or the token was revoked: ask for one here.
            self.call_next(self._ask_token, labels.error_sentence(e))
            return
        except SagiccError as e:
            self.notify(labels.error_sentence(e), severity="error", timeout=30)
            return
        except Exception as e:  # noqa: BLE001 - a broken store must not end in a traceback
            self.log.error("opening the store failed", e)
            self.notify(_("The store could not be opened ({reason}); press q to quit.",
                          reason=str(e).splitlines()[0] if str(e) else type(e).__name__),
                        severity="error", timeout=60)
            return
        previous, self.backend = self.backend, backend
        if previous is not None and previous is not backend:
            await previous.aclose()  # signed in again: the refused session's client goes
        if hasattr(backend, "on_unauthorized") and self.sign_in is not None:
            backend.on_unauthorized = self._token_refused
        self.pending_watch = PendingWatch(self, backend, self.clock)
        user, problem = await self._find_user(backend)
        if user is None and self.identity_from_host:
            self.notify(problem or _("This host did not say who you are; ask an administrator."),
                        severity="error", timeout=60)
            return
        if user is None:
            users = await backend.list_users()
            self.call_next(self._pick_user, users, problem)
        else:
            await self._start_session(user)

    def _token_refused(self) -> None:
        """The server refused our token mid-session (revoked, expired, user disabled):
        the sign-in prompt at once, not an empty list until a restart."""
        self.call_later(self._ask_token, _("The server did not accept your token; sign in again."))

    def set_username(self, username: str | None) -> None:
        """On a server the token names the user; the picker is not shown."""
        self._username = username

    def _ask_token(self, problem: str | None = None) -> None:
        from sagicc_tui.screens.text_prompt import TextPrompt

        if problem:
            self.notify(problem, severity="warning", timeout=10)
        if isinstance(self.screen, TextPrompt):
            return  # already asking
        # A short title (a long one was cut); where a token comes from is in the placeholder.
        self.push_screen(TextPrompt(_("Sign in to {url}", url=self.remote_url or ""),
                                    placeholder=_("your token (from an administrator)"),
                                    password=True, max_length=500),
                         self._token_given)

    def _token_given(self, token: str | None) -> None:
        if not token:
            self.exit()
            return
        self._signing_in(token.strip())

    @work(exclusive=True, group="session", exit_on_error=False)  # why @work: see _open
    async def _signing_in(self, token: str) -> None:
        assert self.sign_in is not None
        try:
            warning = await self.sign_in(token)
        except SagiccError as e:
            self.call_next(self._ask_token, labels.error_sentence(e))
            return
        except Exception as e:  # noqa: BLE001 - a defect: logged, one sentence, asked again
            self.log.error("signing in failed", e)
            self.call_next(self._ask_token, error_text(e))
            return
        if warning:
            self.notify(warning, severity="warning", timeout=20)
        self.call_next(self._open)

    async def _find_user(self, backend: Backend) -> tuple[User | None, str | None]:
        """--user wins, then the remembered user; a wrong name is a sentence, then the picker.
        On a shared host only the host's answer counts (see identity_from_host)."""
        name = self._username if self.identity_from_host else (self._username or self.settings.last_user)
        if not name:
            return None, None
        try:
            user = await backend.get_user(name)
        except NotFound as e:
            return None, labels.error_sentence(e)
        if not user.active:
            return None, _("The user {username} no longer exists or is disabled; choose another user.",
                           username=name)
        return user, None

    def _pick_user(self, users: list[User], problem: str | None) -> None:
        from sagicc_tui.screens.user_picker import UserPickerScreen

        if problem:
            self.notify(problem, severity="error", timeout=10)
        self.push_screen(UserPickerScreen(users, problem=problem), self._user_picked)

    def _user_picked(self, user: User | None) -> None:
        if user is None:
            self.exit()
            return
        self._begin(user)

    @work(exclusive=True, group="session", exit_on_error=False)  # why @work: see _open
    async def _begin(self, user: User) -> None:
        await self._start_session(user)

    async def _start_session(self, user: User) -> None:
        assert self.backend is not None
        try:
            campaigns = await self.backend.session(user).agent.list_campaigns()
        except SagiccError as e:
            self.notify(labels.error_sentence(e), severity="error")
            return
        except Exception as e:  # noqa: BLE001 - a defect: logged, one sentence, the app goes on
            self.log.error("starting the session failed", e)
            self.notify(error_text(e), severity="error")
            return
        self.call_next(self._show_tickets, user, campaigns)

    def _show_tickets(self, user: User, campaigns: list[Campaign]) -> None:
        from sagicc_tui.screens.tickets import TicketsScreen

        assert self.backend is not None
        while len(self.screen_stack) > 1:  # signed in again: the old session's screens go
            self.pop_screen()
        self.user = user
        self.campaigns = campaigns
        self.campaign = campaigns[0] if campaigns else None
        if self.campaign is None:
            self.notify(_("You do not belong to any campaign yet; ask an administrator to add you."),
                        severity="warning", timeout=15)
        if not self.identity_from_host:
            self._save(last_user=user.username)
        self.push_screen(TicketsScreen(self.backend, user, campaigns, self.campaign,
                                       clock=self.clock, poll_interval=self.poll_interval))

    # --- session updates from screens -------------------------------------------------------

    def on_tickets_screen_campaign_changed(self, message) -> None:
        self.campaign = message.campaign

    def on_tickets_screen_user_changed(self, message) -> None:
        self.user = message.user

    # --- settings -----------------------------------------------------------------------------

    def _save(self, **changes: object) -> None:
        self.settings = self.settings.with_(**changes)
        try:
            save_settings(self.settings, self.settings_path)
        except OSError as e:
            self.notify(_("Your settings could not be saved ({reason}).", reason=e.strerror or str(e)),
                        severity="warning")

    def watch_theme(self, theme: str) -> None:
        if getattr(self, "_remember_theme", False) and theme != self.settings.theme:
            self._save(theme=theme)

    # --- global keys --------------------------------------------------------------------------

    def action_help(self) -> None:
        from sagicc_tui.screens.help import HelpScreen, active_keys

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(active_keys(self.screen)))

    def action_administration(self) -> None:
        """Users and campaigns (P3, P4): administrators only (the backend refuses anyone else too)."""
        from sagicc_tui.domain.enums import Role
        from sagicc_tui.screens.admin import AdminScreen

        if self.backend is None or self.user is None or isinstance(self.screen, AdminScreen):
            return
        if self.user.role is not Role.ADMINISTRATOR:
            self.notify(_("Only administrators may manage users."), severity="warning")
            return
        self.push_screen(AdminScreen(self.backend, self.user))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        if self.user is not None and self.user.role.value == "administrator":
            yield SystemCommand(_("Administration"), _("Users and campaigns"), self.action_administration)
        yield SystemCommand(_("Theme"), _("Change the colours"), self.action_change_theme)
        yield SystemCommand(_("Keys"), _("Show the keys of this screen"), self.action_help)
        yield SystemCommand(_("Quit"), _("Leave sagicc"), self.action_quit)

    # --- drafts the store has not taken yet (#10.6) ----------------------------------------------

    def retry_unsaved(self) -> None:
        if self.backend is not None and len(self.unsaved):
            backend = self.backend
            # Quiet: a retry on a timer; the drafts it could not hand over stay kept for the next one.
            self.call("unsaved-drafts", lambda: self.unsaved.flush(backend), self._flushed, quiet=True)

    def _flushed(self, problem: SagiccError | None) -> None:
        if problem is None:
            self._quit_asked = False
            self.notify(_("The drafts that could not be saved before are saved now."))

    async def action_quit(self) -> None:
        """With drafts the store has not taken yet, the first q says so; the second quits."""
        if len(self.unsaved) and not self._quit_asked:
            self._quit_asked = True
            self.notify(_("{count} draft(s) could not be saved yet (the store refuses writes); free the disk "
                          "and wait a moment, or press q again to quit without them.", count=len(self.unsaved)),
                        severity="warning", timeout=20)
            return
        self.exit()

    async def on_unmount(self) -> None:
        if self.backend is not None:
            await self.backend.aclose()
