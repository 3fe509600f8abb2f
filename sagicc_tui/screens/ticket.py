"""The ticket management screen (T1-T15).

Enter on a card opens it: `enter_ticket` (the agent is Busy), a heartbeat every
PRESENCE_HEARTBEAT seconds (who else is inside, T15), `leave_ticket` on Exit
(Esc or x) and after Close. Section 1 (the header) is always visible; section
2 (customer, contact, account, ticket, conversation, script, agenda) and
section 3 (tasks, history, attachments, notes) are tabs, side by side when the
terminal is at least WIDE columns wide.

Every Backend call runs in a worker (`BackendCalls.call`, widgets/io.py);
results land as messages; errors are one sentence on the status line under
the header and next to the field, and what the user typed stays. The tabs ask
for dialogs with request messages; this screen owns and answers them. The composer
and the task form keep a draft (`save_draft`) a second after typing stops.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import AwaitMount, Widget
from textual.widgets import (
    Input,
    Label,
    Select,
    TabbedContent,
    TabPane,
    TextArea,
)

from sagicc_tui.backend import Backend, RefusedWrite
from sagicc_tui.domain.enums import ContactKind, DeliveryState, TicketStatus
from sagicc_tui.domain.errors import NotFound, SagiccError, StoreError
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.domain.models import (
    Account,
    Campaign,
    ContactInfo,
    Customer,
    Draft,
    Interaction,
    Task,
    Ticket,
    User,
)
from sagicc_tui.domain.rules import Permission, can
from sagicc_tui.domain.ticket_screen import (
    PRESENCE_HEARTBEAT,
    ExternalLink,
    ExternalView,
    OutgoingMessage,
    PresenceEntry,
    TicketActivity,
    TicketHeader,
)
from sagicc_tui.files import put_back_files, send_with_files
from sagicc_tui.i18n import N_, _, plural
from sagicc_tui.sanitize import one_line
from sagicc_tui.screens import ticket_live as live
from sagicc_tui.screens.choose import ChoiceScreen
from sagicc_tui.screens.outcome_prompt import OutcomePrompt
from sagicc_tui.screens.pick import PickScreen
from sagicc_tui.screens.text_prompt import TextPrompt
from sagicc_tui.screens.ticket_compare import CompareScreen
from sagicc_tui.screens.ticket_dialogs import (
    ChangeLogScreen,
    ConfirmScreen,
    MergeScreen,
    RelatedScreen,
    TextScreen,
    interaction_text,
)
from sagicc_tui.session import Session
from sagicc_tui.unsaved import COMPOSER_TEXT, UnsavedDrafts, write_draft
from sagicc_tui.screens.ticket_live import LIVE_POLL
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.composer import Composer
from sagicc_tui.widgets.conversation import ConversationView, when
from sagicc_tui.widgets.io import BackendCalls, StatusLine, error_text
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.next_unread import ListPosition, find_next_unread
from sagicc_tui.widgets.task_form import TaskForm
from sagicc_tui.widgets.ticket_header import CustomerLink, TicketHeaderBar
from sagicc_tui.widgets.ticket_pages import PAGE_SIZE
from sagicc_tui.widgets.ticket_tabs import (
    AccountTab,
    AgendaTab,
    AttachmentsTab,
    ContactTab,
    ConversationTab,
    CustomerTab,
    HistoryTab,
    NotesTab,
    ScriptTab,
    TasksTab,
    TicketChanged,
    TicketTab,
    TicketTabBase,
)
from sagicc_tui.widgets.top_bar import TopBar
from sagicc_tui.widgets.translated import TranslatedBindings

WIDE = 140  # columns from which sections 2 and 3 sit side by side
DRAFT_DELAY = 1.0  # seconds after the last keystroke

# (pane id, English title, key) in order; section 2 then section 3.
SECTION_2 = (
    ("tab-customer", N_("Customer"), "1"),
    ("tab-contact", N_("Contact"), "2"),
    ("tab-account", N_("Account"), "3"),
    ("tab-ticket", N_("Ticket"), "4"),
    ("tab-conversation", N_("Conversation"), "5"),
    ("tab-script", N_("Script"), "6"),
    ("tab-agenda", N_("Agenda"), "7"),
)
SECTION_3 = (
    ("tab-tasks", N_("Tasks"), "8"),
    ("tab-history", N_("History"), "9"),
    ("tab-attachments", N_("Attachments"), "0"),
    ("tab-notes", N_("Notes"), "N"),  # n is the next unread ticket (#12.2)
)
# Tabs built the first time they are shown: a ticket opens with about a third of its
# widgets (each costs Textual a few milliseconds of CPU to build and style, hidden or not;
# every agent on a shared host pays it at each ticket). Conversation and Tasks are always
# built: the composer and the task form hold their drafts. The composer's contacts and
# the Ticket tab's accounts are the screen's, read by the screen while their tabs are not
# built (_customer_lists_changed).
LAZY_TABS = frozenset({"tab-customer", "tab-contact", "tab-account", "tab-ticket", "tab-script", "tab-agenda",
                       "tab-history", "tab-attachments", "tab-notes"})
_TAB_CLASSES = {
    "tab-customer": CustomerTab, "tab-contact": ContactTab, "tab-account": AccountTab, "tab-ticket": TicketTab,
    "tab-conversation": ConversationTab, "tab-script": ScriptTab, "tab-agenda": AgendaTab, "tab-tasks": TasksTab,
    "tab-history": HistoryTab, "tab-attachments": AttachmentsTab, "tab-notes": NotesTab,
}

_OPTIONS = {
    "reassign": N_("Reassign"),
    "merge": N_("Merge with another ticket"),
    "related": N_("Related tickets"),
    "transcript": N_("Send transcript"),
    "external": N_("Open external view"),
    "links": N_("External view links"),
    "close": N_("Close ticket"),
    "changelog": N_("Change log"),
    "exit": N_("Exit"),
}


class SectionTabs(TabbedContent):
    """A section's tabs. A focus that lands in a hidden pane shows that pane (Textual's
    rule), but only while the focus is still there: the news of the opening's focus (the
    conversation) can arrive after the agent pressed a tab's key and focused a field
    there, and must not take the agent back."""

    def on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        focused = self.screen.focused
        if focused is None or event.tab_pane not in focused.ancestors:
            event.prevent_default()  # TabbedContent's own handler would show the pane
            event.stop()


class TicketSections(Widget):
    """Sections 2 and 3: side by side (wide) or one TabbedContent."""

    DEFAULT_CSS = """
    TicketSections { height: 1fr; }
    """

    def __init__(self, ctx: TicketScreen, *, wide: bool) -> None:
        super().__init__(id="ticket-sections")
        self._ctx = ctx
        self._wide = wide
        self.set_class(wide, "-wide")

    def compose(self) -> ComposeResult:
        groups = ((SECTION_2, "section-2"), (SECTION_3, "section-3")) if self._wide else \
            ((SECTION_2 + SECTION_3, "ticket-tabs"),)
        for panes, tc_id in groups:
            initial = "tab-conversation" if any(p == "tab-conversation" for p, _t, _k in panes) else panes[0][0]
            with SectionTabs(initial=initial, id=tc_id):
                for pane_id, title, key in panes:
                    with TabPane(f"{key} {_(title)}", id=pane_id):
                        if pane_id == initial or pane_id not in LAZY_TABS:
                            yield _TAB_CLASSES[pane_id](self._ctx, id=f"{pane_id}-body")


class TicketScreen(BackendCalls, TranslatedBindings, Screen[User | None]):
    BINDINGS = [
        Binding("escape", "back", N_("Exit"), id="ticket.back"),
        Binding("x", "leave", N_("Exit"), show=False, id="ticket.exit"),
        Binding("o", "options", N_("Options"), id="ticket.options"),
        Binding("r", "refresh", N_("Refresh"), id="ticket.refresh"),
        Binding("ctrl+s", "save", N_("Save / Send"), id="ticket.save"),
        Binding("p", "profile", N_("Customer profile"), show=False, id="ticket.profile"),
        # #12.2 triage from the keyboard: n, m, t, a (then a digit), ctrl+s, ctrl+n.
        Binding("n", "next_unread", N_("Next unread ticket"), id="ticket.next_unread"),
        # The footer keeps n; the others are in ? and ctrl+p (80 columns hold only so many).
        Binding("m", "compose", N_("Write a message"), show=False, id="ticket.compose"),
        Binding("t", "template", N_("Message template"), show=False, id="ticket.template"),
        Binding("a", "add_task", N_("Add task"), show=False, id="ticket.add_task"),
        Binding("ctrl+n", "save_next", N_("Send or save, then the next unread"), show=False,
                id="ticket.save_next"),
        *(Binding(key, f"tab('{pane}')", title, show=False, id=f"ticket.{pane}")
          for pane, title, key in SECTION_2 + SECTION_3),
    ]

    def __init__(self, backend: Backend, user: User, ticket_id: int, *,
                 position: ListPosition | None = None) -> None:
        super().__init__()
        self.position = position  # the list this ticket was opened from, for `n`
        self._then_next = False  # ctrl+n: after the send or the task, the next unread ticket
        self.backend = backend
        self.user = user
        self.ticket_id = ticket_id
        self.ticket: Ticket | None = None
        self.campaign: Campaign | None = None
        self.customer: Customer | None = None
        self.header: TicketHeader | None = None
        self.contacts: list[ContactInfo] = []
        self.accounts: list[Account] | None = None  # the customer's, once the Account tab read them
        self._draft_timers: dict[str, Timer] = {}
        self._dirty: set[str] = set()
        self._leaving = False
        self._built = False
        self._lazy_built: dict[str, AwaitMount] = {}  # lazy tabs built or being built, by pane
        self._asked_pane: str | None = None  # a tab the agent asked for since the sections were built
        self._problem_said: tuple[str, float] | None = None  # (sentence, when)
        self._taking: set[str] = set()  # refused writes put back in their form
        self._refused_waiting: set[str] = set()  # refused writes said, waiting for an empty form
        self._own_unsaved = UnsavedDrafts()  # when the app keeps none (a screen tested alone)
        self._token: int | None = None  # the store's change token when the activity was last read
        self.activity: TicketActivity | None = None  # the stamp of what the screen shows (T8, +T16)
        self._writing_from: TicketActivity | None = None  # the stamp when the reply was begun (+T17)
        self._own_sent: list[int] = []  # my messages sent since `activity` was read (not news to me)

    @property
    def session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self.backend.session(self.user)

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(self.user, None, id="top-bar")
        yield TicketHeaderBar(id="ticket-header")
        yield StatusLine(id="ticket-status")
        yield Container(Label(Content(_("Loading…"))), id="ticket-body")
        yield KeyFooter()

    async def _build(self) -> None:
        body = self.query_one("#ticket-body", Container)
        await body.remove_children()
        self._lazy_built = {}
        self._asked_pane = None
        await body.mount(TicketSections(self, wide=self.app.size.width >= WIDE))
        self._built = True

    def on_mount(self) -> None:
        self._load()
        self.set_interval(PRESENCE_HEARTBEAT, self._beat)
        self.set_interval(LIVE_POLL, self._poll_live)

    # --- T1 enter, heartbeat, leave ----------------------------------------------------------

    @property
    def unsaved(self) -> UnsavedDrafts:
        """Drafts the store has not taken yet: the app's, so they outlive this screen."""
        kept = getattr(self.app, "unsaved", None)
        return kept if isinstance(kept, UnsavedDrafts) else self._own_unsaved

    def _say_store_problem(self, e: SagiccError) -> None:
        """One sentence for a write the store refused (disk full, read-only,
        locked), said once a minute at most -- the heartbeat and the drafts
        must not repeat it every few seconds (a nearly full disk lets some
        small writes through in between)."""
        import time

        text = labels.error_sentence(e)
        if isinstance(e, StoreError):
            text = _("{problem} What you typed stays here and is saved as soon as the store takes it.",
                     problem=text)
        now = time.monotonic()
        if self._problem_said is not None and self._problem_said[0] == text and now - self._problem_said[1] < 60:
            return
        self._problem_said = (text, now)
        self.notify(text, severity="error", timeout=20)

    def default_error(self, e: SagiccError) -> None:
        if isinstance(e, StoreError):
            self._say_store_problem(e)  # marking read, a header refresh...: the same sentence, once
        else:
            super().default_error(e)

    def _load(self) -> None:
        async def load() -> dict[str, Any]:
            problem: StoreError | None = None
            try:
                user = await self.session.tickets.enter_ticket(self.ticket_id)
            except StoreError as e:
                # Presence is a write: a full or read-only store refuses it, but the
                # ticket can still be read and typed in (the typing is kept).
                user, problem = self.user, e
            inside = self.backend.session(user)  # as the user who entered (Busy now)
            # The stamp first: whatever changes while the rest is read shows as news.
            token = await inside.lists.change_token()
            activity = await inside.tickets.ticket_activity(self.ticket_id)
            header = await inside.tickets.ticket_header(self.ticket_id)
            campaign = await self.session.agent.get_campaign(header.ticket.campaign_id)
            customer = await inside.customers.get_customer(header.ticket.customer_id)
            contacts = await inside.customers.list_contacts(header.ticket.customer_id)
            composer = await inside.tickets.get_draft(self.ticket_id, "composer")
            task = await inside.tickets.get_draft(self.ticket_id, "task")
            return {"user": user, "header": header, "campaign": campaign, "customer": customer,
                    "contacts": contacts, "composer": composer, "task": task, "problem": problem,
                    "token": token, "activity": activity}

        self.call("load", load, self._loaded, self._load_failed)

    def _load_failed(self, e: SagiccError) -> None:
        self.notify(error_text(e), severity="error")
        self._leaving = True
        self.call("leave", lambda: self.session.tickets.leave_ticket(self.ticket_id), self._left,
                  lambda _e: self._left(None))

    async def _loaded(self, data: dict[str, Any]) -> None:
        self._set_user(data["user"])
        self._token, self.activity = data["token"], data["activity"]
        self.campaign = data["campaign"]
        self.customer = data["customer"]
        self.contacts = data["contacts"]
        self.query_one(TopBar).set_campaign(self.campaign)
        self._show_header(data["header"])
        await self._build()
        for tab in self._all_tabs():
            self._prepare(tab)
        ticket = self.ticket
        assert ticket is not None
        composer = self.composer
        if composer is not None:
            composer.set_context(self._template_variables())
            composer.set_contacts(self.contacts)
            composer.set_default_subject(data["header"].reply_subject)
            kept = self._draft_to_show("composer", data["composer"])
            if kept is not None:
                composer.restore(kept)
        form = self.task_form
        kept = self._draft_to_show("task", data["task"])
        if kept is not None and form is not None:
            form.restore(kept)
        if data["problem"] is not None:
            self._say_store_problem(data["problem"])
        self._show_outbox()
        if self._asked_pane is None:  # a tab key pressed while the ticket loaded wins over the default
            self.query_one(ConversationView).focus()
        if self.closed:
            self._show_closed()
        if ticket.unread_count:
            self.call("read", lambda: self.session.tickets.mark_read(self.ticket_id), self._read_done)

    def _draft_to_show(self, form: str, stored: Draft | None) -> dict | None:
        """What was typed last: a draft the store has not taken yet wins over the store's."""
        kept = self.unsaved.get(self.user, self.ticket_id, form)
        if kept is not None:
            return kept
        return stored.data if stored is not None else None

    def _read_done(self, ticket: Ticket) -> None:
        self._ticket_written(ticket)
        self.query_one(ConversationView).reload()

    def _set_user(self, user: User) -> None:
        self.user = user
        self.query_one(TopBar).set_user(user)
        app_user = getattr(self.app, "user", None)
        if app_user is not None:
            self.app.user = user  # type: ignore[attr-defined]

    def _beat(self) -> None:
        if self._leaving:
            return
        self.call("heartbeat", lambda: self.session.tickets.heartbeat(self.ticket_id), self._others,
                  self._beat_failed)

    def _others(self, others: tuple[PresenceEntry, ...]) -> None:
        self.query_one(TicketHeaderBar).set_others(others)
        self._show_outbox()

    # --- #10.7 writes kept offline that the server refused --------------------------------------

    def _show_outbox(self) -> None:
        """The top bar counts what waits and what was refused; a refused write of
        this ticket goes back to its (empty) form with the server's sentence."""
        outbox = self.backend.outbox_state()
        self.query_one(TopBar).set_connection(self.backend.connection_state(), outbox)
        if outbox is None or not self._built:
            return
        for refused in outbox.refused:
            if refused.ticket_id == self.ticket_id and refused.username == self.user.username:
                self._take_back(refused)

    def _take_back(self, refused: RefusedWrite) -> None:
        form = self.composer if refused.form == "composer" else self.task_form
        if form is None or refused.id in self._taking:
            return
        sentence = _("The server refused this when it was back: {reason} It is a draft again: change it and "
                     "send it, or clear it.", reason=labels.message(refused.reason))
        if self._typing_in(refused.form):
            # Something else is being typed here: never overwrite it; say so, once.
            if refused.id not in self._refused_waiting:
                self._refused_waiting.add(refused.id)
                self.notify(_("The server refused a message kept for this ticket: {reason} It comes back here "
                              "once the composer is empty.", reason=labels.message(refused.reason)),
                            severity="error", timeout=30)
            return
        self._taking.add(refused.id)
        if not refused.files:
            self._restore_refused(refused, dict(refused.data), sentence)
            return

        async def files_back() -> str:
            return await put_back_files(self.session, refused.id, refused.files)

        def with_files(paths: str) -> None:
            self._restore_refused(refused, {**refused.data, "files": paths}, sentence)

        def without_files(e: SagiccError) -> None:
            # The text still comes back; the files' names say what to attach again.
            names = ", ".join(f.name for f in refused.files)
            self._restore_refused(refused, dict(refused.data), sentence + " " + _(
                "Its files could not be put back on this computer ({reason}); attach them again: {names}.",
                reason=error_text(e), names=names))

        self.call(f"refused-files-{refused.id}", files_back, with_files, without_files, quiet=True)

    def _typing_in(self, form: str) -> bool:
        current = self._draft_data(form) or {}
        keys = COMPOSER_TEXT if form == "composer" else tuple(current)
        return any(current.get(k) for k in keys)

    def _restore_refused(self, refused: RefusedWrite, data: dict[str, Any], sentence: str) -> None:
        form = self.composer if refused.form == "composer" else self.task_form
        if form is None or self._typing_in(refused.form):
            # Typing began while its files were written: the next outbox look tries again.
            self._taking.discard(refused.id)
            return
        form.restore(data)
        if isinstance(form, Composer):
            form.show_error(sentence)
        self.notify(sentence, severity="error", timeout=30)
        user = self.user
        self.unsaved.keep(user, self.ticket_id, refused.form, data)

        async def keep_as_draft() -> None:
            await write_draft(self.session.tickets, self.ticket_id, refused.form, data)

        def kept(_result: None) -> None:
            self.unsaved.taken(user, self.ticket_id, refused.form, data)
            self.backend.dismiss_refused(refused.id)  # it is a draft of the ticket now

        self.call(f"refused-{refused.id}", keep_as_draft, kept, self._say_store_problem)

    def _beat_failed(self, e: SagiccError) -> None:
        # The Offline indicator is on this screen too (the heartbeat is its probe).
        self.query_one(TopBar).set_connection(self.backend.connection_state())
        if isinstance(e, NotFound):
            self.notify(error_text(e), severity="warning")
            self.action_leave()
        elif isinstance(e, StoreError):
            self._say_store_problem(e)  # the screen stays; the next beat tries again

    def action_back(self) -> None:
        focused = self.focused
        if isinstance(focused, (Input, TextArea, Select)):
            view = self.query(ConversationView)
            (view.first() if view and view.first().display else self.query_one(CustomerLink)).focus()
            return
        self.action_leave()

    def action_leave(self) -> None:
        if not self._leaving:
            self._unless_unsaved(self._leave)

    def _unless_unsaved(self, then) -> None:
        """`then()` now, or after the agent agrees to drop unsaved Ticket/Customer tab edits."""
        unsaved = [title for tab, title in ((TicketTab, _("Ticket")), (CustomerTab, _("Customer")))
                   if any(t.edited() for t in self.query(tab))]
        if unsaved:
            self.app.push_screen(ConfirmScreen(
                _("Unsaved changes"),
                _("The {tabs} tab has changes that are not saved. Leave the ticket without saving them?",
                  tabs=", ".join(unsaved)), yes=_("Leave without saving")),
                lambda ok: then() if ok else None)
            return
        then()

    def _leave(self) -> None:
        if self._leaving:
            return
        self._leaving = True
        # Keys typed while the screen closes act on nothing: not on this screen, never on the list.
        self.set_focus(None)
        self.call("leave", self._leaving_work(), self._left, self._leave_failed)

    def _leaving_work(self):
        """What leaving this ticket writes (its pending drafts, then presence), as a worker body."""
        pending = {form: data for form in self._dirty if (data := self._draft_data(form)) is not None}
        for form, data in pending.items():
            self.unsaved.keep(self.user, self.ticket_id, form, data)  # until the store takes it
        user, ticket_id, tickets = self.user, self.ticket_id, self.session.tickets
        kept = [form for form in ("composer", "task") if self._has_typing(form)]
        if kept:
            self.app.notify(_("What you were writing on ticket #{number} is kept as a draft; it is there when you open it again.",
                              number=self.ticket.number if self.ticket else self.ticket_id))

        async def leave() -> User:
            for form, data in pending.items():
                try:
                    await write_draft(tickets, ticket_id, form, data)
                except Exception:  # noqa: BLE001 - kept in memory; the app retries and says so
                    continue
                self.unsaved.taken(user, ticket_id, form, data)
            return await tickets.leave_ticket(ticket_id)

        return leave

    def _has_typing(self, form: str) -> bool:
        data = self._draft_data(form)
        if not data:
            return False
        keys = ("subject", "cc", "bcc", "text", "files", "other") if form == "composer" else tuple(data)
        return any(data.get(k) for k in keys)

    def on_key(self, event) -> None:
        if self._leaving:
            event.stop()
            event.prevent_default()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not self._leaving

    async def on_unmount(self) -> None:
        """The app quit (q) while inside: still leave the ticket, so I am not left Busy."""
        if self._leaving:
            return
        self._leaving = True
        try:
            await self.session.tickets.leave_ticket(self.ticket_id)
        except Exception:  # noqa: BLE001 - quitting must not end in a traceback; presence expires anyway
            self.log.warning("leaving the ticket on quit failed")

    def _leave_failed(self, e: SagiccError) -> None:
        kept = any(self.unsaved.get(self.user, self.ticket_id, form) is not None for form in ("composer", "task"))
        if isinstance(e, StoreError) and kept:
            self.notify(_("{problem} Your draft is kept in this session and saved as soon as the store takes "
                          "it; open the ticket again to see it.", problem=labels.error_sentence(e)),
                        severity="error", timeout=20)
        else:
            self.notify(labels.error_sentence(e), severity="error")
        self._left(None)

    def _left(self, user: User | None) -> None:
        for timer in self._draft_timers.values():
            timer.stop()
        if user is not None:
            self._set_user(user)
        if self not in self.app.screen_stack:
            return
        while self.app.screen is not self:  # a dialog was open (e.g. the ticket left my scope)
            self.app.pop_screen()
        self.dismiss(user)

    # --- header, refresh -------------------------------------------------------------------------

    def _show_header(self, header: TicketHeader) -> None:
        self.header = header
        self._follow(header.ticket)
        self.query_one(TicketHeaderBar).show(header)
        if self.composer is not None:
            self.composer.set_default_subject(header.reply_subject)

    def _follow(self, ticket: Ticket) -> None:
        """The newest ticket read, by anyone: the one source of the ticket (and of its
        customer) for every tab. The Ticket tab shows it unless something is typed
        there; typing is kept and a save that would overwrite a changed field is
        refused and compared instead (TicketTab.follow, T15)."""
        previous = self.ticket
        if previous is not None and ticket.version < previous.version:
            return  # an older answer arriving late
        self.ticket = ticket
        if not self._built:
            return
        for tab in self.query(TicketTab):
            tab.follow(ticket)
        if previous is not None and ticket.customer_id != previous.customer_id:
            self._customer_switched()
        if previous is not None and ticket.campaign_id != previous.campaign_id:
            self._campaign_switched()
        if previous is not None and (ticket.status is TicketStatus.CLOSED) != (previous.status is TicketStatus.CLOSED):
            self._show_closed()

    # --- closed is closed (T3) -----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self.ticket is not None and self.ticket.status is TicketStatus.CLOSED

    def closed_reason(self) -> str:
        t = self.ticket
        if t is None:
            return ""
        if t.closed_at is not None:
            return _("Ticket #{number} was closed on {when}: it can be read, not changed.",
                     number=t.number, when=when(t.closed_at))
        return _("Ticket #{number} is closed: it can be read, not changed.", number=t.number)

    def _show_closed(self) -> None:
        """Read-only forms and composer with the reason; Close is no longer offered."""
        reason = self._lock_if_closed()
        if self.composer is not None:
            self.composer.show_error(reason)
        if reason:
            self.feedback(reason, "warning")

    def _lock_if_closed(self, tabs: tuple[TicketTabBase, ...] | None = None) -> str:
        """The tabs built so far, read-only when the ticket is closed, with the reason
        next to the Ticket and Tasks forms (of `tabs` only, when given); the reason, or ""."""
        closed = self.closed
        reason = self.closed_reason() if closed else ""
        for selector in ("#tab-ticket-body", "#composer-box", "#tab-tasks-body", "#note-text", "#note-add",
                         "#note-delete", "#attach-add", "#attach-remove"):
            for widget in self.query(selector):
                widget.disabled = closed
        for tab in tabs if tabs is not None else (*self.query(TicketTab), *self.query(TasksTab)):
            if isinstance(tab, (TicketTab, TasksTab)):
                tab.set_error(reason)
        return reason

    def _customer_switched(self) -> None:
        """Another customer (my switch or anyone's): every part that depends on the
        customer reads it again at once -- header, Customer, Contact (and with it the
        composer's contacts and the transcript's recipients), Account, similar customers."""
        ticket = self.ticket
        if ticket is None:
            return
        customer_id = ticket.customer_id
        self.call("customer", lambda: self.session.customers.get_customer(customer_id), self._customer_read)
        self._reload(CustomerTab)
        self._customer_lists_changed()

    def _customer_read(self, customer: Customer) -> None:
        if self.ticket is not None and customer.id == self.ticket.customer_id:
            self.customer = customer
            composer = self.composer
            if composer is not None:
                composer.set_context(self._template_variables())
            self._reload(ScriptTab)  # {cliente} is someone else now

    def _campaign_switched(self) -> None:
        """The ticket moved to another campaign (the Ticket tab's Save, a reassign, anyone's):
        its campaign, script, history labels and (when nothing is typed there) task form follow."""
        ticket = self.ticket
        if ticket is None:
            return
        campaign_id = ticket.campaign_id
        self.call("campaign", lambda: self.session.agent.get_campaign(campaign_id), self._campaign_read)

    async def _campaign_read(self, campaign: Campaign) -> None:
        if self.ticket is None or campaign.id != self.ticket.campaign_id or not self._built:
            return
        self.campaign = campaign
        self.query_one(TopBar).set_campaign(campaign)
        self._reload(ScriptTab, HistoryTab)
        if self.composer is not None:
            self.composer.set_context(self._template_variables())
        if not self._has_typing("task"):
            await self.query_one(TasksTab).recompose()

    # --- T8/+T16 live: the open ticket follows the store ---------------------------------------

    def _poll_live(self) -> None:
        if not self._built or self._leaving:
            return
        self.call("live-token", self.session.lists.change_token, self._token_read, quiet=True)

    def _token_read(self, token: int) -> None:
        if token == self._token:
            return
        self._token = token
        self.call("live-activity", lambda: self.session.tickets.ticket_activity(self.ticket_id),
                  self._activity_read, self._activity_failed, quiet=True)

    def _activity_failed(self, e: SagiccError) -> None:
        if isinstance(e, NotFound):  # the ticket left my scope: the heartbeat says so and leaves
            self._beat()

    def _activity_read(self, activity: TicketActivity) -> None:
        before, self.activity = self.activity, activity
        self._own_sent = [i for i in self._own_sent if i > activity.interactions.last_id]
        if before is None or not self._built or self._leaving:
            return
        change = live.compare(before, activity, me=self.user.full_name)
        parts = change.parts
        if live.TICKET in parts or live.CUSTOMER_SWITCH in parts or live.CUSTOMER in parts:
            self._refresh_header()  # the header's answer carries the ticket: _follow does the rest
        if live.CONVERSATION in parts:
            self.query_one(ConversationView).refresh_live()
        if live.CUSTOMER in parts:
            for tab in self.query(CustomerTab):
                tab.refresh_live()
            self._customer_lists_changed()
        if live.TASKS in parts:
            self._reload(HistoryTab)
        if live.TASKS in parts or live.TICKET in parts:
            self._reload(AgendaTab)
        if live.NOTES in parts:
            self._reload(NotesTab)
        if live.ATTACHMENTS in parts:
            self._reload(AttachmentsTab)
        if change.notice:
            self.notice(change.notice)

    def notice(self, text: str) -> None:
        """One line saying what changed and who; an error on the status line stays until a success."""
        line = self.query_one(StatusLine)
        if line.severity in ("error", "warning"):
            self.notify(text)
        else:
            line.show(text, "information")

    def action_refresh(self) -> None:
        self._refresh_header()
        for tab in self._all_tabs():
            if not isinstance(tab, TicketTab):
                tab.load()

    def _refresh_header(self) -> None:
        self.call("header", lambda: self.session.tickets.ticket_header(self.ticket_id), self._show_header)

    def _ticket_written(self, ticket: Ticket) -> None:
        self._follow(ticket)
        self._refresh_header()

    @on(TicketChanged)
    def _tab_changed_ticket(self, event: TicketChanged) -> None:
        event.stop()
        if event.ticket is not None:
            self._follow(event.ticket)
        self._refresh_header()
        self._reload(AgendaTab)

    @on(CustomerLink.Selected)
    def _header_customer_selected(self, event: CustomerLink.Selected) -> None:
        """T2: the customer's name or account in the header, clicked or Enter: the profile."""
        event.stop()
        self.action_profile()

    def action_profile(self) -> None:
        """T2: the customer (and account) in the header opens the customer profile."""
        if self.ticket is None:
            return
        try:
            from sagicc_tui.screens.customer_profile import (
                CustomerProfileScreen,  # a colleague's screen
            )
        except ImportError:
            self.notify(_("The customer profile is not available in this version yet."), severity="warning")
            return
        self.app.push_screen(CustomerProfileScreen(self.backend, self.user, self.ticket.customer_id),
                             lambda _changed: self.action_refresh())

    def _template_variables(self) -> dict[str, str]:
        h = self.header
        return {
            "customer_name": one_line(h.customer_name) if h else "",
            "ticket_number": str(self.ticket.number) if self.ticket else "",
            "agent_name": self.user.full_name,
            "campaign_name": self.campaign.name if self.campaign else "",
        }

    # --- tabs --------------------------------------------------------------------------------------

    def _all_tabs(self) -> list[TicketTabBase]:
        """The tabs built so far (a lazy tab is built the first time it is shown)."""
        return list(self.query(TicketTabBase)) if self._built else []

    def _reload(self, *tab_types: type[TicketTabBase]) -> None:
        """Those tabs read again what they show; one not built yet reads it when shown."""
        for tab_type in tab_types:
            for tab in self.query(tab_type):
                tab.load()

    def _prepare(self, tab: TicketTabBase) -> None:
        """A tab just built, with the ticket's state: what it reads, and what the screen holds."""
        tab.load()
        if isinstance(tab, TicketTab) and self.ticket is not None:
            tab.fill(self.ticket)
            if self.accounts is not None:
                tab.set_accounts(self.accounts)
            elif not self.query(AccountTab):
                self._read_accounts()

    def _customer_lists_changed(self) -> None:
        """The customer's contacts and accounts, read again: by their tabs when
        built (which say so: ContactsLoaded, AccountsLoaded), else by the screen
        for the composer's recipients and the Ticket tab's accounts."""
        ticket = self.ticket
        if ticket is None:
            return
        customer_id = ticket.customer_id
        if self.query(ContactTab):
            self._reload(ContactTab)
        else:
            self.call("contacts", lambda: self.session.customers.list_contacts(customer_id), self._take_contacts)
        if self.query(AccountTab):
            self._reload(AccountTab)
        else:
            self.accounts = None  # the next Ticket tab reads them
            if self.query(TicketTab):
                self._read_accounts()

    def _read_accounts(self) -> None:
        ticket = self.ticket
        if ticket is not None:
            customer_id = ticket.customer_id
            self.call("accounts", lambda: self.session.customers.list_accounts(customer_id), self._take_accounts)

    async def _build_tab(self, pane_id: str) -> None:
        """Build a lazy tab the first time it is shown (by its key, a click or a request).
        The key's call and the tab's message both come here: the second waits for the
        first's mount, so a focus after it finds the tab's fields."""
        if not self._built or pane_id not in LAZY_TABS:
            return
        mounting = self._lazy_built.get(pane_id)
        if mounting is not None:
            await mounting
            return
        if self.query(f"#{pane_id}-body"):
            return  # built with the sections (a section's first tab)
        tab = _TAB_CLASSES[pane_id](self, id=f"{pane_id}-body")
        mounting = self._lazy_built[pane_id] = self.query_one(f"#{pane_id}", TabPane).mount(tab)
        await mounting
        self._prepare(tab)
        self._lock_if_closed((tab,))

    @on(TabbedContent.TabActivated)
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id is not None:
            await self._build_tab(event.pane.id)

    @property
    def composer(self) -> Composer | None:
        found = self.query(Composer)
        return found.first() if found else None

    @property
    def task_form(self) -> TaskForm | None:
        found = self.query(TaskForm)
        return found.first() if found else None

    def action_tab(self, pane_id: str) -> None:
        self._show_pane(pane_id, then_focus=True)

    def _focus_tab(self, pane_id: str) -> None:
        if pane_id == "tab-conversation":
            self.query_one(ConversationView).focus()
            return
        body = self.query_one(f"#{pane_id}-body")
        for widget in body.query("*"):
            if widget.focusable:
                widget.focus()
                return

    # --- #12.2 triage keys: n, m, t, a then a digit, ctrl+n ----------------------------------

    def _show_pane(self, pane_id: str, *, then_focus: bool = False) -> bool:
        if not self._built:
            return False
        for tabbed in self.query(TabbedContent):
            if tabbed.query(f"#{pane_id}"):
                tabbed.active = pane_id
                self._asked_pane = pane_id
                self.call_later(self._built_tab, pane_id, then_focus)  # a mount, not I/O: no worker
                return True
        return False

    async def _built_tab(self, pane_id: str, then_focus: bool) -> None:
        await self._build_tab(pane_id)
        if then_focus:
            self.call_after_refresh(self._focus_tab, pane_id)

    def action_compose(self) -> None:
        """m: the composer's message, cursor at its end."""
        composer = self.composer
        if not self._built or composer is None or self.closed:
            return
        self._show_pane("tab-conversation")
        self._focus_when_shown(composer.focus_message)

    def action_template(self) -> None:
        """t: the campaign's templates, filtered as you type; the one chosen fills the message."""
        composer = self.composer
        if not self._built or composer is None or self.closed or self.campaign is None:
            return
        options = [(one_line(t.name, max_len=60), t.key) for t in self.campaign.templates]
        self._show_pane("tab-conversation")  # switched while the picker is up: laid out when it closes
        self.app.push_screen(PickScreen(_("Message template"), options,
                                        empty=_("This campaign has no message templates.")),
                             self._template_chosen)

    def _template_chosen(self, key: str | None) -> None:
        composer = self.composer
        if key is None or composer is None:
            return
        composer.use_template(key)
        self._focus_when_shown(composer.focus_message)

    def action_add_task(self) -> None:
        """a: the task form; with the campaign's outcome values, a then its digit (a 1 … a 9)."""
        form = self.task_form
        if not self._built or form is None or self.closed:
            return
        outcome = form.outcome_field
        if outcome is None or not outcome.choices:
            self._show_pane("tab-tasks")
            self._focus_when_shown(form.focus_first)
            return
        self._show_pane("tab-tasks")  # switched while the prompt is up: laid out when it closes
        self.app.push_screen(OutcomePrompt(outcome.label, outcome.choices), self._outcome_chosen)

    def _outcome_chosen(self, value: str | None) -> None:
        form = self.task_form
        if value is None or form is None:
            return
        self._focus_when_shown(lambda: form.choose_outcome(value) if value else form.focus_first())

    def _focus_when_shown(self, focus) -> None:
        """Focus in a pane just made active once it is laid out: the switch hides the old
        pane a frame later, and a widget focused before that is blurred again: so at once
        (what is typed right away lands there) and once more when the switch is done."""
        self.call_after_refresh(focus)
        self.set_timer(0.05, lambda: self.call_after_refresh(lambda: focus() if self.focused is None else None))

    def action_save_next(self) -> None:
        """ctrl+n: send the message (or save the task) being written, then the next unread ticket."""
        if not self._built:
            return
        focused = self.focused
        composer, tasks = self.composer, self.query_one(TasksTab)
        if composer is not None and focused is not None and composer in focused.ancestors_with_self:
            self._then_next = True
            composer.send()
        elif focused is not None and tasks in focused.ancestors:
            self._then_next = True
            self.save_task()
        else:
            self.action_next_unread()

    def _go_on(self) -> None:
        if self._then_next:
            self._then_next = False
            self.action_next_unread()

    def action_next_unread(self) -> None:
        """n: the next ticket with unread interactions in the order of the list it was
        opened from (or the campaign's newest first), past the pages the list has read."""
        ticket = self.ticket
        if ticket is None or self._leaving:
            return
        if self.position is None:
            self.position = ListPosition(TicketQuery(campaign_ids=(ticket.campaign_id,)), -1, {ticket.id})
        position = self.position
        position.seen.add(ticket.id)
        lists = self.session.lists

        async def find():
            async def read_page(page_no: int):
                page = await lists.list_tickets(position.query, limit=PAGE_SIZE,
                                                       offset=page_no * PAGE_SIZE)
                return page.rows, page.next_cursor is None

            return await find_next_unread(read_page, after=position.index, skip=set(position.seen))

        self.call("next-unread", find, self._next_found)

    def _next_found(self, found) -> None:
        if found is None:
            self.notify(_("No unread ticket after this one in this order."), timeout=3)
            return
        index, card = found

        def go() -> None:
            position = self.position
            if position is not None:
                position.index = index
                position.seen.add(card.id)
            self._move_to(card.id)

        self._unless_unsaved(go)

    def _move_to(self, ticket_id: int) -> None:
        """Leave this ticket (drafts kept, presence ended) and open another in this screen."""
        if self._leaving:
            return
        self._leaving = True
        self.set_focus(None)

        def left(user: User) -> None:
            self._set_user(user)
            self._open_other(ticket_id)

        self.call("move", self._leaving_work(), left, self._leave_failed)

    def help_sequences(self) -> list[tuple[str, str, str]]:
        """`?` also lists `a` then a digit: a task with that outcome."""
        form = self.task_form
        outcome = form.outcome_field if form is not None else None
        if outcome is None:
            return []
        first = next((self.app.get_key_display(a.binding) for a in self.active_bindings.values()
                      if a.binding.action == "add_task"), "a")
        keys = {b.action: b for b in OutcomePrompt.BINDINGS}
        rows = []
        for i, value in enumerate(outcome.choices[:9], start=1):
            binding = keys[f"choose({i})"]
            rows.append((f"{first} {binding.key}", _("Add task with outcome {value}", value=one_line(value, 30)),
                         binding.id or ""))
        return rows

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        form = self.task_form
        outcome = form.outcome_field if form is not None else None
        if outcome is None or self.closed:
            return []
        return [(_("Add task with outcome {value}", value=one_line(v, 30)), _("Task form, cursor on the next date"),
                 lambda v=v: self._outcome_chosen(v)) for v in outcome.choices]

    # The tabs' dialog requests: widgets never open screens, this screen does.

    @on(TicketTabBase.ConfirmRequested)
    def _confirm_requested(self, event: TicketTabBase.ConfirmRequested) -> None:
        event.stop()
        answer = event.answer
        self.app.push_screen(ConfirmScreen(event.title, event.text, yes=event.yes),
                             lambda ok: answer() if ok else None)

    @on(TicketTabBase.ChoiceRequested)
    def _choice_requested(self, event: TicketTabBase.ChoiceRequested) -> None:
        event.stop()
        self.app.push_screen(ChoiceScreen(event.title, list(event.options), empty=event.empty), event.answer)

    @on(TicketTabBase.TextRequested)
    def _text_requested(self, event: TicketTabBase.TextRequested) -> None:
        event.stop()
        self.app.push_screen(TextPrompt(event.title, value=event.value, max_length=event.max_length),
                             event.answer)

    @on(TicketTabBase.CompareRequested)
    def _compare_requested(self, event: TicketTabBase.CompareRequested) -> None:
        event.stop()
        self.app.push_screen(CompareScreen(event.what, event.fields, by=event.by, at=event.at), event.answer)

    @on(TicketTabBase.ShowTextRequested)
    def _show_text_requested(self, event: TicketTabBase.ShowTextRequested) -> None:
        event.stop()
        self.app.push_screen(TextScreen(event.title, event.text))

    @on(CustomerTab.MergeRequested)
    def _customer_merge_requested(self, event: CustomerTab.MergeRequested) -> None:
        event.stop()  # T4 combine: C6's chooser
        from sagicc_tui.screens.customer_merge import CustomerMergeScreen

        self.app.push_screen(CustomerMergeScreen(self.backend, self.user, event.items, main_id=event.main_id),
                             event.answer)

    @on(ContactTab.ContactsLoaded)
    def _contacts_loaded(self, event: ContactTab.ContactsLoaded) -> None:
        self._take_contacts(event.contacts)

    def _take_contacts(self, contacts: list[ContactInfo]) -> None:
        self.contacts = contacts
        if self.composer is not None:
            self.composer.set_contacts(contacts)

    @on(AccountTab.AccountsLoaded)
    def _accounts_loaded(self, event: AccountTab.AccountsLoaded) -> None:
        self._take_accounts(event.accounts)

    def _take_accounts(self, accounts: list[Account]) -> None:
        self.accounts = accounts
        for tab in self.query(TicketTab):
            tab.set_accounts(accounts)

    def action_save(self) -> None:
        if not self._built:
            return
        focused = self.focused
        for tab_type in (TicketTab, CustomerTab, TasksTab, NotesTab):
            for tab in self.query(tab_type):
                if focused is not None and tab in focused.ancestors:
                    if isinstance(tab, TasksTab):
                        self.save_task()
                    elif isinstance(tab, NotesTab):
                        tab.add()
                    else:
                        tab.save()
                    return
        if self.composer is not None and focused is not None and self.composer in focused.ancestors_with_self:
            self.composer.send()
            return
        self.notify(_("Nothing to save here; Ctrl+S saves the form or sends the message you are in."))

    # --- T8 conversation, T9 composer ------------------------------------------------------------------

    @on(ConversationView.OpenRequested)
    def _open_interaction(self, event: ConversationView.OpenRequested) -> None:
        event.stop()
        iid = event.interaction_id
        self.call("interaction", lambda: self.session.tickets.get_interaction(iid),
                  lambda i: self.app.push_screen(TextScreen(_("Interaction"), interaction_text(i))))

    @on(ConversationView.RetryRequested)
    def _retry(self, event: ConversationView.RetryRequested) -> None:
        event.stop()
        iid = event.interaction_id
        self.call("retry", lambda: self.session.tickets.retry_delivery(iid), self._delivered)

    @on(Composer.SendRequested)
    def _send(self, event: Composer.SendRequested) -> None:
        event.stop()
        message, files = event.message, event.files
        since = self._writing_from
        if since is None:
            self._do_send(message, files)
            return
        self.call("news", lambda: self.session.tickets.ticket_activity(self.ticket_id),
                  lambda now: self._check_news(message, files, since, now))

    def _check_news(self, message: OutgoingMessage, files: tuple[str, ...], since: TicketActivity,
                    now: TicketActivity) -> None:
        """+T17 traffic cop: messages that arrived after I began writing are read first."""
        new = now.interactions.count - since.interactions.count
        if new <= 0:
            self._do_send(message, files)
            return
        self._writing_from = now  # asked once for these
        view = self.query_one(ConversationView)
        view.refresh_live()

        def answered(send: bool | None) -> None:
            if send:
                self._do_send(message, files)
                return
            view.action_end()
            view.focus()

        self.app.push_screen(ConfirmScreen(
            _("New messages"),
            plural(new, "1 new message since you started writing. Review it before sending?",
                   "{n} new messages since you started writing. Review them before sending?"),
            yes=_("Send anyway"), no=_("Review")), answered)

    def _do_send(self, message: OutgoingMessage, files: tuple[str, ...] = ()) -> None:
        self._stop_draft("composer")  # a draft written after the send's clear_draft would come back
        was_unassigned = self.ticket is not None and self.ticket.assignee_id is None

        async def send() -> Interaction:
            interaction = await send_with_files(self.session, self.ticket_id, message, files)
            await self.session.tickets.clear_draft(self.ticket_id, "composer")
            return interaction

        self.call("send", send, lambda i: self._sent(i, was_unassigned), self._send_failed)

    def _send_failed(self, e: SagiccError) -> None:
        self._then_next = False
        if self.composer is not None:
            self.composer.show_error(error_text(e))

    def _sent(self, interaction: Interaction, was_unassigned: bool = False) -> None:
        composer = self.composer
        self._stop_draft("composer")
        self.unsaved.forget(self.user, self.ticket_id, "composer")
        self._writing_from = None
        self._own_sent.append(interaction.id)
        if composer is not None:
            moved = self.focused is not None and composer in self.focused.ancestors_with_self
            composer.clear()
            if moved:  # sent: the keys act on the ticket again (a, n, Esc), not on an empty box
                self.query_one(ConversationView).focus()
        self._delivered(interaction)
        if was_unassigned:
            self.call("taken", lambda: self.session.tickets.get_ticket(self.ticket_id), self._maybe_taken)
        self._go_on()

    def _maybe_taken(self, ticket: Ticket) -> None:
        """#11.7: replying took the unassigned ticket; say so only when that is news."""
        if ticket.assignee_id == self.user.id:
            self.notify(_("Ticket #{number} is now assigned to you.", number=ticket.number))
        self._follow(ticket)

    def _delivered(self, interaction: Interaction) -> None:
        if interaction.delivery is DeliveryState.FAILED:
            self.notify(_("The message was not delivered: {reason}. Press R on it to retry.",
                          reason=one_line(interaction.delivery_error, max_len=120)), severity="warning")
        elif interaction.delivery is DeliveryState.RECORDED:
            self.succeeded(_("Recorded: no gateway is configured for this channel, so nothing left this machine."))
        else:
            self.succeeded(_("Message sent."))
        self.query_one(ConversationView).replace_interaction(interaction)
        self._refresh_header()

    @on(Composer.ContactSearchRequested)
    def _search_contacts(self, event: Composer.ContactSearchRequested) -> None:
        """#15.3 T9: another customer's contact, where the campaign allows it."""
        event.stop()
        composer, ticket = event.composer, self.ticket
        if ticket is None or self.campaign is None or not self.campaign.allow_other_contacts:
            return
        from sagicc_tui.screens.contact_search import ContactSearchScreen

        def chosen(found: tuple[ContactInfo, str] | None) -> None:
            if found is not None:
                composer.add_other_contact(*found)

        self.app.push_screen(ContactSearchScreen(self.backend, self.user, event.kinds,
                                                 exclude_customer=ticket.customer_id), chosen)

    @on(Composer.ClearRequested)
    def _clear_composer(self, event: Composer.ClearRequested) -> None:
        event.stop()
        event.composer.clear()
        self._stop_draft("composer")
        self.unsaved.forget(self.user, self.ticket_id, "composer")
        self._writing_from = None
        self.call("clear-composer", lambda: self.session.tickets.clear_draft(self.ticket_id, "composer"),
                  lambda _r: None)

    # --- drafts -------------------------------------------------------------------------------------------

    @on(Composer.Changed)
    def _composer_changed(self, event: Composer.Changed) -> None:
        event.stop()
        if self._writing_from is None and self._has_typing("composer") and self.activity is not None:
            self._writing_from = live.with_own_messages(self.activity, self._own_sent)
        self._schedule_draft("composer")

    @on(TaskForm.Changed)
    def _task_changed(self, event: TaskForm.Changed) -> None:
        event.stop()
        self._schedule_draft("task")

    def _schedule_draft(self, form: str) -> None:
        if self._leaving:
            return
        self._dirty.add(form)
        timer = self._draft_timers.get(form)
        if timer is not None:
            timer.stop()
        self._draft_timers[form] = self.set_timer(DRAFT_DELAY, lambda: self._save_draft(form))

    def _stop_draft(self, form: str) -> None:
        timer = self._draft_timers.pop(form, None)
        if timer is not None:
            timer.stop()
        self._dirty.discard(form)

    def _draft_data(self, form: str) -> dict | None:
        if form == "composer":
            return self.composer.raw_values() if self.composer is not None else None
        return self.task_form.raw_values() if self.task_form is not None else None

    def _save_draft(self, form: str) -> None:
        data = self._draft_data(form)
        self._dirty.discard(form)
        if data is None or self._leaving:
            return
        user = self.user
        self.unsaved.keep(user, self.ticket_id, form, data)  # in memory until the store takes it

        def taken(_result: None) -> None:
            self.unsaved.taken(user, self.ticket_id, form, data)

        self.call(f"draft-{form}", lambda: write_draft(self.session.tickets, self.ticket_id, form, data), taken,
                  self._say_store_problem)

    # --- T11 tasks -------------------------------------------------------------------------------------------

    @on(TaskForm.Submitted)
    def _task_submitted(self, event: TaskForm.Submitted) -> None:
        event.stop()
        self.save_task()

    def on_button_pressed(self, event) -> None:
        button_id = getattr(event.button, "id", None)
        if button_id == "task-save":
            event.stop()
            self.save_task()
        elif button_id == "task-clear":
            event.stop()
            form = self.task_form
            if form is not None:
                form.restore({k: "" for k in form.raw_values()})
                form.clear_errors()
            self._stop_draft("task")
            self.unsaved.forget(self.user, self.ticket_id, "task")
            self.call("clear-task", lambda: self.session.tickets.clear_draft(self.ticket_id, "task"),
                      lambda _r: None)

    def save_task(self) -> None:
        form, ticket = self.task_form, self.ticket
        if form is None or ticket is None:
            return
        task = form.read()
        if task is None:
            self._then_next = False
            return
        tab = self.query_one(TasksTab)
        tab.set_error("")

        async def add() -> Task:
            saved = await self.session.tickets.add_task(self.ticket_id, task, expected_version=ticket.version)
            await self.session.tickets.clear_draft(self.ticket_id, "task")
            return saved

        self.call("add-task", add, self._task_saved, self._task_failed)

    def _task_failed(self, e: SagiccError) -> None:
        self._then_next = False
        form = self.task_form
        if form is not None and form.show_error(e):
            return
        self.query_one(TasksTab).set_error(labels.error_sentence(e))

    def _task_saved(self, task: Task) -> None:
        self._stop_draft("task")
        self.unsaved.forget(self.user, self.ticket_id, "task")
        form = self.task_form
        if form is not None:
            moved = self.focused is not None and form in self.focused.ancestors_with_self
            form.restore({k: "" for k in form.raw_values()})
            form.clear_errors()
            if moved:  # saved: Esc leaves at once, n goes on
                self.query_one(ConversationView).focus()
        self.succeeded(_("Task saved."))
        self._reload(HistoryTab, AgendaTab)
        self._refresh_header()
        self._go_on()

    # --- T3 options ----------------------------------------------------------------------------------------------

    def option_keys(self) -> list[str]:
        keys = ["reassign"]
        if can(self.user, Permission.MASS_MERGE):
            keys.append("merge")
        keys += ["related", "transcript", "external", "links"]
        if not self.closed:
            keys.append("close")
        if can(self.user, Permission.VIEW_CHANGE_LOG):
            keys.append("changelog")
        keys.append("exit")
        return keys

    def action_options(self) -> None:
        if self.ticket is None:
            return
        options = [(Content(_(_OPTIONS[k])), k) for k in self.option_keys()]
        self.app.push_screen(ChoiceScreen(_("Options"), options, id="ticket-options"), self._option_chosen)

    def _option_chosen(self, key: str | None) -> None:
        ticket = self.ticket
        if key is None or ticket is None:
            return
        if key == "exit":
            self.action_leave()
        elif key == "close":
            self.app.push_screen(ConfirmScreen(
                _("Close ticket"), _("Close ticket #{number}? A closed ticket cannot be reopened.",
                                     number=ticket.number), yes=_("Close ticket")), self._close_confirmed)
        elif key == "changelog":
            self.app.push_screen(ChangeLogScreen(self.backend, self.user, ticket.id))
        elif key == "merge":
            self.app.push_screen(MergeScreen(self.backend, self.user, ticket, self.customer), self._merged)
        elif key == "related":
            self.app.push_screen(RelatedScreen(self.backend, self.user, ticket), self._jump)
        elif key == "external":
            self.call("external", lambda: self.session.tickets.external_view(ticket.id), self._external)
        elif key == "links":
            self.call("links", lambda: self.session.tickets.list_external_views(ticket_id=ticket.id), self._links)
        elif key == "transcript":
            emails = [c for c in self.contacts if c.kind is ContactKind.EMAIL]
            options = [(Content(one_line(c.value, max_len=60)), c.id) for c in emails]
            self.app.push_screen(ChoiceScreen(_("Send transcript to"), options,
                                              empty=_("The customer has no e-mail contact; add one in the Contact tab.")),
                                 self._transcript)
        elif key == "reassign":
            self.call("users", self.session.agent.list_users, self._choose_assignee)

    def _close_confirmed(self, ok: bool | None) -> None:
        ticket = self.ticket
        if not ok or ticket is None:
            return

        async def close() -> User:
            await self.session.tickets.close_ticket(ticket.id, expected_version=ticket.version)
            return await self.session.tickets.leave_ticket(ticket.id)

        self._leaving = True
        self.call("close", close, self._ticket_closed, self._close_failed)

    def _ticket_closed(self, user: User) -> None:
        self.app.notify(_("Ticket #{number} closed.", number=self.ticket.number if self.ticket else ""))
        self._left(user)

    def _close_failed(self, e: SagiccError) -> None:
        self._leaving = False
        self.feedback(error_text(e), "error")

    def _merged(self, ticket: Ticket | None) -> None:
        if ticket is not None:
            self.succeeded(_("Merged into ticket #{number}.", number=ticket.number))
            self.ticket = ticket
            self.action_refresh()

    def _jump(self, ticket_id: int | None) -> None:
        if ticket_id is None or ticket_id == self.ticket_id:
            self._refresh_header()  # relating writes the ticket: read its new version
            return
        target = ticket_id

        async def leave() -> User:
            return await self.session.tickets.leave_ticket(self.ticket_id)

        def left(user: User) -> None:
            self._set_user(user)
            self._open_other(target)

        self._leaving = True
        self.call("jump", leave, left, self._leave_failed)

    def _open_other(self, ticket_id: int) -> None:
        """Show another ticket in this screen: whoever opened this screen still gets
        its result when the agent finally leaves (no reaching into the screen stack)."""
        for timer in self._draft_timers.values():
            timer.stop()
        self._draft_timers.clear()
        self._dirty.clear()
        self.ticket_id = ticket_id
        self.ticket = self.header = self.customer = None
        self.contacts = []
        self._built = False
        self._leaving = False
        self.accounts = None  # the next ticket's customer's, when its Account tab reads them
        body = self.query_one("#ticket-body", Container)
        body.remove_children()
        body.mount(Label(Content(_("Loading…"))))
        self._load()

    def _external(self, view: ExternalView) -> None:
        expires = view.expires_at.astimezone().strftime("%Y-%m-%d %H:%M") if view.expires_at else "-"
        self.app.push_screen(TextScreen(_("External view"), _(
            "The read-only page (without notes) is at:\n{path}\n\nShareable token: {token}\n"
            "The link works until {expires}; revoke it under Options, External view links.",
            path=one_line(view.path), token=one_line(view.token), expires=expires)))

    def _links(self, links: list[ExternalLink]) -> None:
        def label(link: ExternalLink) -> Content:
            state = (_("revoked") if link.revoked_at else _("works") if link.active else _("no longer works"))
            until = link.expires_at.astimezone().strftime("%Y-%m-%d %H:%M") if link.expires_at else "-"
            return Content(_("{token}… by {who}, until {until}: {state}", token=link.token[:10],
                             who=one_line(link.created_by_name, max_len=30), until=until, state=state))

        options = [(label(x), x.token) for x in links if x.revoked_at is None]
        self.app.push_screen(ChoiceScreen(_("Revoke an external view link"), options,
                                          empty=_("This ticket has no shared external view link.")),
                             self._revoke_chosen)

    def _revoke_chosen(self, token: str | None) -> None:
        if token is None:
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.call("revoke", lambda: self.session.tickets.revoke_external_view(token),
                          lambda _none: self.notify(_("The link was revoked; its address no longer opens.")))

        self.app.push_screen(ConfirmScreen(_("Revoke link"), _(
            "Stop sharing this ticket's external view? Whoever has the address can no longer open it."),
            yes=_("Revoke")), confirmed)

    def _transcript(self, contact_id: int | None) -> None:
        if contact_id is None:
            return
        from uuid import uuid4

        key = uuid4().hex
        self.call("transcript", lambda: self.session.tickets.send_transcript(self.ticket_id, contact_id,
                                                                     client_key=key), self._delivered)

    def _choose_assignee(self, users: list[User]) -> None:
        ticket = self.ticket
        if ticket is None:
            return
        active = [u for u in users if u.active]
        same = [u for u in active if ticket.campaign_id in u.campaign_ids]
        other = [u for u in active if ticket.campaign_id not in u.campaign_ids]
        options: list[tuple[Content, Any]] = [(Content(_("Unassigned")), ("none", None))]
        options += [(Content(one_line(u.full_name, 40) + "  (" + labels.role(u.role) + ")"), ("user", u)) for u in same]
        options += [(Content.assemble(one_line(u.full_name, 40), ("  " + _("other campaign"), "dim")), ("user", u))
                    for u in other]
        self.app.push_screen(ChoiceScreen(_("Reassign to"), options), self._reassign)

    def _reassign(self, choice: tuple[str, User | None] | None) -> None:
        ticket = self.ticket
        if choice is None or ticket is None:
            return
        user = choice[1]
        campaign_id = None
        if user is not None and ticket.campaign_id not in user.campaign_ids and user.campaign_ids:
            campaign_id = user.campaign_ids[0]
        self.call("reassign", lambda: self.session.tickets.reassign_ticket(
            ticket.id, assignee_id=user.id if user else None, campaign_id=campaign_id,
            expected_version=ticket.version), self._reassigned)

    def _reassigned(self, ticket: Ticket) -> None:
        self.succeeded(_("Ticket reassigned."))
        self._ticket_written(ticket)
