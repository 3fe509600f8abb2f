"""The ticket management screen (T1-T15).

Enter on a card opens it: `enter_ticket` (the agent is Busy), a heartbeat every
PRESENCE_HEARTBEAT seconds (who else is inside, T15), `leave_ticket` on Exit
(Esc or x) and after Close. Section 1 (the header) is always visible; section
2 (customer, contact, account, ticket, conversation, script, agenda) and
section 3 (tasks, history, attachments, notes) are tabs, side by side when the
terminal is at least WIDE columns wide.

Every Backend call runs in a worker (`BackendCalls.call`); results land as
messages; errors are one sentence and what the user typed stays. The composer
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
from textual.widget import Widget
from textual.widgets import (
    Footer,
    Input,
    Label,
    Select,
    TabbedContent,
    TabPane,
    TextArea,
)

from sagicc_tui.backend import Backend, RefusedWrite
from sagicc_tui.domain.enums import ContactKind, DeliveryState
from sagicc_tui.domain.errors import NotFound, SagiccError, StoreError
from sagicc_tui.domain.models import (
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
    PresenceEntry,
    TicketHeader,
)
from sagicc_tui.i18n import N_, _
from sagicc_tui.sanitize import one_line
from sagicc_tui.screens.choose import ChoiceScreen
from sagicc_tui.screens.ticket_dialogs import (
    ChangeLogScreen,
    ConfirmScreen,
    MergeScreen,
    RelatedScreen,
    TextScreen,
    interaction_text,
)
from sagicc_tui.unsaved import COMPOSER_TEXT, UnsavedDrafts, write_draft
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.composer import Composer
from sagicc_tui.widgets.conversation import ConversationView
from sagicc_tui.widgets.task_form import TaskForm
from sagicc_tui.widgets.ticket_header import TicketHeaderBar
from sagicc_tui.widgets.ticket_tabs import (
    AccountTab,
    AgendaTab,
    AttachmentsTab,
    BackendCalls,
    ContactTab,
    ConversationTab,
    CustomerTab,
    HistoryTab,
    NotesTab,
    ScriptTab,
    TasksTab,
    TicketChanged,
    TicketTab,
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
    ("tab-notes", N_("Notes"), "n"),
)
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
            with TabbedContent(initial=initial, id=tc_id):
                for pane_id, title, key in panes:
                    with TabPane(f"{key} {_(title)}", id=pane_id):
                        yield _TAB_CLASSES[pane_id](self._ctx, id=f"{pane_id}-body")


class TicketScreen(BackendCalls, TranslatedBindings, Screen[User | None]):
    BINDINGS = [
        Binding("escape", "back", N_("Exit"), id="ticket.back"),
        Binding("x", "leave", N_("Exit"), show=False, id="ticket.exit"),
        Binding("o", "options", N_("Options"), id="ticket.options"),
        Binding("r", "refresh", N_("Refresh"), id="ticket.refresh"),
        Binding("ctrl+s", "save", N_("Save / Send"), id="ticket.save"),
        Binding("p", "profile", N_("Customer profile"), show=False, id="ticket.profile"),
        *(Binding(key, f"tab('{pane}')", title, show=False, id=f"ticket.{pane}")
          for pane, title, key in SECTION_2 + SECTION_3),
    ]

    def __init__(self, backend: Backend, user: User, ticket_id: int) -> None:
        super().__init__()
        self.backend = backend
        self.user = user
        self.ticket_id = ticket_id
        self.ticket: Ticket | None = None
        self.campaign: Campaign | None = None
        self.customer: Customer | None = None
        self.header: TicketHeader | None = None
        self.contacts: list[ContactInfo] = []
        self._draft_timers: dict[str, Timer] = {}
        self._dirty: set[str] = set()
        self._leaving = False
        self._built = False
        self._problem_said: tuple[str, float] | None = None  # (sentence, when)
        self._taking: set[str] = set()  # refused writes put back in their form
        self._refused_waiting: set[str] = set()  # refused writes said, waiting for an empty form
        self._own_unsaved = UnsavedDrafts()  # when the app keeps none (a screen tested alone)

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(self.user, None, id="top-bar")
        yield TicketHeaderBar(id="ticket-header")
        yield Container(Label(Content(_("Loading…"))), id="ticket-body")
        yield Footer()

    async def _build(self) -> None:
        body = self.query_one("#ticket-body", Container)
        await body.remove_children()
        await body.mount(TicketSections(self, wide=self.app.size.width >= WIDE))
        self._built = True

    def on_mount(self) -> None:
        self._load()
        self.set_interval(PRESENCE_HEARTBEAT, self._beat)

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
                user = await self.backend.enter_ticket(self.user, self.ticket_id)
            except StoreError as e:
                # Presence is a write: a full or read-only store refuses it, but the
                # ticket can still be read and typed in (the typing is kept).
                user, problem = self.user, e
            header = await self.backend.ticket_header(user, self.ticket_id)
            campaign = await self.backend.get_campaign(self.user, header.ticket.campaign_id)
            customer = await self.backend.get_customer(user, header.ticket.customer_id)
            contacts = await self.backend.list_contacts(user, header.ticket.customer_id)
            composer = await self.backend.get_draft(user, self.ticket_id, "composer")
            task = await self.backend.get_draft(user, self.ticket_id, "task")
            return {"user": user, "header": header, "campaign": campaign, "customer": customer,
                    "contacts": contacts, "composer": composer, "task": task, "problem": problem}

        self.call("load", load, self._loaded, self._load_failed)

    def _load_failed(self, e: SagiccError) -> None:
        self.notify(labels.error_sentence(e), severity="error")
        self._leaving = True
        self.call("leave", lambda: self.backend.leave_ticket(self.user, self.ticket_id), self._left,
                  lambda _e: self._left(None))

    async def _loaded(self, data: dict[str, Any]) -> None:
        self._set_user(data["user"])
        self.campaign = data["campaign"]
        self.customer = data["customer"]
        self.contacts = data["contacts"]
        self.query_one(TopBar).set_campaign(self.campaign)
        self._show_header(data["header"])
        await self._build()
        for tab in self._all_tabs():
            tab.load()
        ticket = self.ticket
        assert ticket is not None
        self.query_one(TicketTab).fill(ticket)
        composer = self.composer
        if composer is not None:
            composer.set_context(self._template_variables())
            composer.set_contacts(self.contacts)
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
        self.query_one(ConversationView).focus()
        if ticket.unread_count:
            self.call("read", lambda: self.backend.mark_read(self.user, self.ticket_id), self._read_done)

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
        self.call("heartbeat", lambda: self.backend.heartbeat(self.user, self.ticket_id), self._others,
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
        current = self._draft_data(refused.form) or {}
        keys = COMPOSER_TEXT if refused.form == "composer" else tuple(current)
        if any(current.get(k) for k in keys):
            # Something else is being typed here: never overwrite it; say so, once.
            if refused.id not in self._refused_waiting:
                self._refused_waiting.add(refused.id)
                self.notify(_("The server refused a message kept for this ticket: {reason} It comes back here "
                              "once the composer is empty.", reason=labels.message(refused.reason)),
                            severity="error", timeout=30)
            return
        self._taking.add(refused.id)
        form.restore(refused.data)
        if isinstance(form, Composer):
            form.show_error(sentence)
        self.notify(sentence, severity="error", timeout=30)
        user, data = self.user, dict(refused.data)
        self.unsaved.keep(user, self.ticket_id, refused.form, data)

        async def keep_as_draft() -> None:
            await write_draft(self.backend, user, self.ticket_id, refused.form, data)

        def kept(_result: None) -> None:
            self.unsaved.taken(user, self.ticket_id, refused.form, data)
            self.backend.dismiss_refused(refused.id)  # it is a draft of the ticket now

        self.call(f"refused-{refused.id}", keep_as_draft, kept, self._say_store_problem)

    def _beat_failed(self, e: SagiccError) -> None:
        # The Offline indicator is on this screen too (the heartbeat is its probe).
        self.query_one(TopBar).set_connection(self.backend.connection_state())
        if isinstance(e, NotFound):
            self.notify(labels.error_sentence(e), severity="warning")
            self.action_leave()
        elif isinstance(e, StoreError):
            self._say_store_problem(e)  # the screen stays; the next beat tries again

    def action_back(self) -> None:
        focused = self.focused
        if isinstance(focused, (Input, TextArea, Select)):
            view = self.query(ConversationView)
            (view.first() if view and view.first().display else self.query_one(TicketHeaderBar)).focus()
            return
        self.action_leave()

    def action_leave(self) -> None:
        if self._leaving:
            return
        self._leaving = True
        pending = {form: data for form in self._dirty if (data := self._draft_data(form)) is not None}
        for form, data in pending.items():
            self.unsaved.keep(self.user, self.ticket_id, form, data)  # until the store takes it
        user = self.user

        async def leave() -> User:
            for form, data in pending.items():
                try:
                    await write_draft(self.backend, user, self.ticket_id, form, data)
                except Exception:  # noqa: BLE001 - kept in memory; the app retries and says so
                    continue
                self.unsaved.taken(user, self.ticket_id, form, data)
            return await self.backend.leave_ticket(user, self.ticket_id)

        self.call("leave", leave, self._left, self._leave_failed)

    async def on_unmount(self) -> None:
        """The app quit (q) while inside: still leave the ticket, so I am not left Busy."""
        if self._leaving:
            return
        self._leaving = True
        try:
            await self.backend.leave_ticket(self.user, self.ticket_id)
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

    def _follow(self, ticket: Ticket) -> None:
        """The newest ticket read. When its last change was mine (a message, a task,
        reading it), the Ticket tab moves to its version and keeps what is typed;
        a change by someone else leaves the tab on its version, so its Save is
        refused as stale instead of overwriting that change (T15)."""
        self.ticket = ticket
        if self._built and ticket.updated_by == self.user.id:
            tab = self.query_one(TicketTab)
            if tab.version is not None and tab.version < ticket.version:
                tab.fill(ticket, keep_input=True)

    def action_refresh(self) -> None:
        self._refresh_header()
        for tab in self._all_tabs():
            if not isinstance(tab, TicketTab):
                tab.load()

    def _refresh_header(self) -> None:
        self.call("header", lambda: self.backend.ticket_header(self.user, self.ticket_id), self._show_header)

    def _ticket_written(self, ticket: Ticket) -> None:
        self._follow(ticket)
        self._refresh_header()

    @on(TicketChanged)
    def _tab_changed_ticket(self, event: TicketChanged) -> None:
        event.stop()
        if event.ticket is not None:
            self._follow(event.ticket)
        self._refresh_header()
        if self._built:
            self.query_one(AgendaTab).load()

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

    def _all_tabs(self):
        return [self.query_one(f"#{pane}-body") for pane in _TAB_CLASSES] if self._built else []

    @property
    def composer(self) -> Composer | None:
        found = self.query(Composer)
        return found.first() if found else None

    @property
    def task_form(self) -> TaskForm | None:
        found = self.query(TaskForm)
        return found.first() if found else None

    def action_tab(self, pane_id: str) -> None:
        if not self._built:
            return
        for tabbed in self.query(TabbedContent):
            if tabbed.query(f"#{pane_id}"):
                tabbed.active = pane_id
                self.call_after_refresh(self._focus_tab, pane_id)
                return

    def _focus_tab(self, pane_id: str) -> None:
        if pane_id == "tab-conversation":
            self.query_one(ConversationView).focus()
            return
        body = self.query_one(f"#{pane_id}-body")
        for widget in body.query("*"):
            if widget.focusable:
                widget.focus()
                return

    @on(ContactTab.ContactsLoaded)
    def _contacts_loaded(self, event: ContactTab.ContactsLoaded) -> None:
        self.contacts = event.contacts
        if self.composer is not None:
            self.composer.set_contacts(event.contacts)

    @on(AccountTab.AccountsLoaded)
    def _accounts_loaded(self, event: AccountTab.AccountsLoaded) -> None:
        self.query_one(TicketTab).set_accounts(event.accounts)

    def action_save(self) -> None:
        if not self._built:
            return
        focused = self.focused
        for tab_type in (TicketTab, CustomerTab, TasksTab, NotesTab):
            tab = self.query_one(tab_type)
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
        self.call("interaction", lambda: self.backend.get_interaction(self.user, iid),
                  lambda i: self.app.push_screen(TextScreen(_("Interaction"), interaction_text(i))))

    @on(ConversationView.RetryRequested)
    def _retry(self, event: ConversationView.RetryRequested) -> None:
        event.stop()
        iid = event.interaction_id
        self.call("retry", lambda: self.backend.retry_delivery(self.user, iid), self._delivered)

    @on(Composer.SendRequested)
    def _send(self, event: Composer.SendRequested) -> None:
        event.stop()
        message = event.message
        composer = self.composer

        async def send() -> Interaction:
            interaction = await self.backend.send_message(self.user, self.ticket_id, message)
            await self.backend.clear_draft(self.user, self.ticket_id, "composer")
            return interaction

        self.call("send", send, self._sent, lambda e: composer.show_error(labels.error_sentence(e))
                  if composer else self.default_error(e))

    def _sent(self, interaction: Interaction) -> None:
        composer = self.composer
        self._stop_draft("composer")
        self.unsaved.forget(self.user, self.ticket_id, "composer")
        if composer is not None:
            composer.clear()
        self._delivered(interaction)

    def _delivered(self, interaction: Interaction) -> None:
        if interaction.delivery is DeliveryState.FAILED:
            self.notify(_("The message was not delivered: {reason}. Press R on it to retry.",
                          reason=one_line(interaction.delivery_error, max_len=120)), severity="warning")
        elif interaction.delivery is DeliveryState.RECORDED:
            self.notify(_("Recorded: no gateway is configured for this channel, so nothing left this machine."))
        else:
            self.notify(_("Message sent."))
        self.query_one(ConversationView).replace_interaction(interaction)
        self._refresh_header()

    @on(Composer.ClearRequested)
    def _clear_composer(self, event: Composer.ClearRequested) -> None:
        event.stop()
        event.composer.clear()
        self._stop_draft("composer")
        self.unsaved.forget(self.user, self.ticket_id, "composer")
        self.call("clear-composer", lambda: self.backend.clear_draft(self.user, self.ticket_id, "composer"),
                  lambda _r: None)

    # --- drafts -------------------------------------------------------------------------------------------

    @on(Composer.Changed)
    def _composer_changed(self, event: Composer.Changed) -> None:
        event.stop()
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

        self.call(f"draft-{form}", lambda: write_draft(self.backend, user, self.ticket_id, form, data), taken,
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
            self.call("clear-task", lambda: self.backend.clear_draft(self.user, self.ticket_id, "task"),
                      lambda _r: None)

    def save_task(self) -> None:
        form, ticket = self.task_form, self.ticket
        if form is None or ticket is None:
            return
        task = form.read()
        if task is None:
            return
        tab = self.query_one(TasksTab)
        tab.set_error("")

        async def add() -> Task:
            saved = await self.backend.add_task(self.user, self.ticket_id, task, expected_version=ticket.version)
            await self.backend.clear_draft(self.user, self.ticket_id, "task")
            return saved

        self.call("add-task", add, self._task_saved, self._task_failed)

    def _task_failed(self, e: SagiccError) -> None:
        form = self.task_form
        if form is not None and form.show_error(e.message):
            return
        self.query_one(TasksTab).set_error(labels.error_sentence(e))

    def _task_saved(self, task: Task) -> None:
        self._stop_draft("task")
        self.unsaved.forget(self.user, self.ticket_id, "task")
        form = self.task_form
        if form is not None:
            form.restore({k: "" for k in form.raw_values()})
            form.clear_errors()
        self.notify(_("Task saved."))
        self.query_one(HistoryTab).load()
        self.query_one(AgendaTab).load()
        self._refresh_header()

    # --- T3 options ----------------------------------------------------------------------------------------------

    def option_keys(self) -> list[str]:
        keys = ["reassign"]
        if can(self.user, Permission.MASS_MERGE):
            keys.append("merge")
        keys += ["related", "transcript", "external", "links", "close"]
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
            self.call("external", lambda: self.backend.external_view(self.user, ticket.id), self._external)
        elif key == "links":
            self.call("links", lambda: self.backend.list_external_views(self.user, ticket_id=ticket.id), self._links)
        elif key == "transcript":
            emails = [c for c in self.contacts if c.kind is ContactKind.EMAIL]
            options = [(Content(one_line(c.value, max_len=60)), c.id) for c in emails]
            self.app.push_screen(ChoiceScreen(_("Send transcript to"), options,
                                              empty=_("The customer has no e-mail contact; add one in the Contact tab.")),
                                 self._transcript)
        elif key == "reassign":
            self.call("users", self.backend.list_users, self._choose_assignee)

    def _close_confirmed(self, ok: bool | None) -> None:
        ticket = self.ticket
        if not ok or ticket is None:
            return

        async def close() -> User:
            await self.backend.close_ticket(self.user, ticket.id, expected_version=ticket.version)
            return await self.backend.leave_ticket(self.user, ticket.id)

        self._leaving = True
        self.call("close", close, self._ticket_closed, self._close_failed)

    def _ticket_closed(self, user: User) -> None:
        self.app.notify(_("Ticket #{number} closed.", number=self.ticket.number if self.ticket else ""))
        self._left(user)

    def _close_failed(self, e: SagiccError) -> None:
        self._leaving = False
        self.notify(labels.error_sentence(e), severity="error")

    def _merged(self, ticket: Ticket | None) -> None:
        if ticket is not None:
            self.notify(_("Merged into ticket #{number}.", number=ticket.number))
            self.ticket = ticket
            self.action_refresh()

    def _jump(self, ticket_id: int | None) -> None:
        if ticket_id is None or ticket_id == self.ticket_id:
            self._refresh_header()  # relating writes the ticket: read its new version
            return
        target = ticket_id

        async def leave() -> User:
            return await self.backend.leave_ticket(self.user, self.ticket_id)

        def left(user: User) -> None:
            self._leaving = True
            self._set_user(user)
            app = self.app
            callbacks = getattr(self, "_result_callbacks", None)
            callback = callbacks[-1].callback if callbacks else None
            self.dismiss(user)
            app.push_screen(TicketScreen(self.backend, user, target), callback)

        self._leaving = True
        self.call("jump", leave, left, self._leave_failed)

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
                self.call("revoke", lambda: self.backend.revoke_external_view(self.user, token),
                          lambda _none: self.notify(_("The link was revoked; its address no longer opens.")))

        self.app.push_screen(ConfirmScreen(_("Revoke link"), _(
            "Stop sharing this ticket's external view? Whoever has the address can no longer open it."),
            yes=_("Revoke")), confirmed)

    def _transcript(self, contact_id: int | None) -> None:
        if contact_id is None:
            return
        from uuid import uuid4

        key = uuid4().hex
        self.call("transcript", lambda: self.backend.send_transcript(self.user, self.ticket_id, contact_id,
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
        self.call("reassign", lambda: self.backend.reassign_ticket(
            self.user, ticket.id, assignee_id=user.id if user else None, campaign_id=campaign_id,
            expected_version=ticket.version), self._reassigned)

    def _reassigned(self, ticket: Ticket) -> None:
        self.notify(_("Ticket reassigned."))
        self._ticket_written(ticket)
