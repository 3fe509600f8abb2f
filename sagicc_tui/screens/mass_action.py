"""L8 / L10: one mass action over the tagged tickets, keyboard first.

Steps: form (what the action needs) -> preview (how many, what changes, which
are refused and why) -> run -> per-ticket result. Escape cancels at any step
before the run without writing anything; the Backend re-judges every ticket
when the run starts, so the result can differ from the preview if someone
changed the tickets in between.

    MassActionScreen(backend=..., user=..., campaign=..., kind=...,
                     selection=..., cards=[...])   # dismisses MassResult | None

Keys: Enter: preview (form step) / confirm (preview) / done (result); y: confirm;
b: back to the form; Escape: cancel (or close the result). Tab / shift+Tab move.
The steps, keys and buttons are screens/wizard.py's; this module is the
actions' forms and sentences.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import (
    Button,
    ContentSwitcher,
    Input,
    Label,
    LoadingIndicator,
    OptionList,
    RadioSet,
    RichLog,
    Select,
    Static,
)
from textual.widgets.option_list import Option

from sagicc_tui import sanitize
from sagicc_tui.backend import Backend
from sagicc_tui.domain.enums import MassActionKind, Role, TicketStatus
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.messages import Msg
from sagicc_tui.domain.models import Campaign, TaskInput, TicketCard, User
from sagicc_tui.domain.query import (
    MassAction,
    MassPreview,
    MassResult,
    RedistributeSpec,
    TicketOutcome,
    TicketSelection,
)
from sagicc_tui.domain.text import fold
from sagicc_tui.i18n import N_, _, plural
from sagicc_tui.session import Session
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.task_form import TaskForm
from sagicc_tui.screens.wizard import FORM, PREVIEW, WizardScreen
from sagicc_tui.widgets.translated import TranslatedBindings
from sagicc_tui.widgets.toggles import Checkbox, RadioButton, SelectionList

__all__ = ["MassActionScreen", "MAX_LINES"]

MAX_LINES = 500
"""Per-ticket lines drawn in the preview and result lists; the rest are counted."""

UNASSIGNED = -1  # the "Unassigned" choice of the Assign form


def tr(message: Msg) -> str:
    """A Backend sentence in the user's language (a role name too)."""
    role = message.params.get("role")
    if isinstance(role, str) and role in {r.value for r in Role}:
        message = Msg(message.template, {**message.params, "role": labels.role(Role(role))})
    return labels.message(message)


def plain(text: str) -> Content:
    """Untrusted or translated text as Content: cleaned, never parsed as markup."""
    return sanitize.content(text)


def outcome_line(outcome: TicketOutcome, *, result: bool) -> Text:
    """One per-ticket line: `#123  done` or `#124  refused: reason`."""
    if not outcome.ticket_id:  # a note about the whole selection (missing tickets)
        return sanitize.text(tr(outcome.reason) if outcome.reason else "", single_line=True)
    line = Text("#" + str(outcome.number), style="bold")
    line.append("  ")
    if outcome.ok:
        line.append(_("done") if result else _("will change"))
    else:
        reason = tr(outcome.reason) if outcome.reason else ""
        line.append(sanitize.one_line(_("refused: {reason}", reason=reason)))
    return line


class MassActionScreen(TranslatedBindings, WizardScreen[MassResult | None]):
    """Form, preview, run and result of one mass action (L8, L10)."""

    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="mass.cancel"),
        Binding("enter", "preview", N_("Preview"), id="mass.preview"),
        Binding("enter,y", "confirm", N_("Confirm"), id="mass.confirm"),
        Binding("b", "back", N_("Back"), id="mass.back"),
        Binding("enter,escape", "done", N_("Done"), id="mass.done"),
    ]

    SWITCHER = "#mass-steps"
    STEP_PREFIX = "step-"
    ERROR_ID = "mass-error"
    BUTTON_IDS = {"preview": "btn-preview", "confirm": "btn-confirm", "back": "btn-back",
                  "cancel": "btn-cancel", "done": "btn-done"}
    SHOW_BLOCKED_CONFIRM = True  # Confirm stays in the footer, dimmed, when nothing can change

    def __init__(
        self,
        *,
        backend: Backend,
        user: User,
        campaign: Campaign,
        kind: MassActionKind,
        selection: TicketSelection,
        cards: list[TicketCard],
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.backend = backend
        self.user = user
        self.campaign = campaign
        self.kind = kind
        self.selection = selection
        self.cards = sorted(cards, key=lambda c: c.number)
        self.step = FORM if self.has_form else PREVIEW
        self.request: MassAction | None = None
        self.preview: MassPreview | None = None
        self.result: MassResult | None = None
        self._campaign_names: dict[int, str] = {}
        self._users_for: int | None = None  # campaign whose users the Assign form lists
        self._agents: list[User] = []  # Redistribute: the campaign's agents
        self._chosen: set[int] = set()  # Redistribute: the agents chosen, shown or filtered out
        self._task: TaskInput | None = None  # the task TaskForm.Submitted carried

    @property
    def action(self) -> MassAction | None:
        """The action previewed and run (the wizard's request)."""
        return self.request

    @property
    def session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self.backend.session(self.user)

    @property
    def has_form(self) -> bool:
        return self.kind is not MassActionKind.CLOSE

    @property
    def can_confirm(self) -> bool:
        return self.preview is not None and self._will_change(self.preview) > 0

    @staticmethod
    def _will_change(preview: MassPreview) -> int:
        return preview.total - sum(1 for o in preview.refused if o.ticket_id)

    # --- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="mass-dialog"):
            yield Static(
                plain(_("Mass action: {action}", action=labels.mass_action(self.kind))), id="mass-title"
            )
            yield Static(plain(self._selection_sentence()), id="mass-selection")
            yield Static("", id="mass-error")
            with ContentSwitcher(initial=f"step-{self.step}", id="mass-steps"):
                if self.has_form:
                    with VerticalScroll(id="step-form", classes="mass-step"):
                        yield from self._compose_form()
                with VerticalScroll(id="step-preview", classes="mass-step"):
                    yield Static("", id="preview-summary")
                    yield Static("", id="preview-changes")
                    yield Static("", id="preview-refused-title")
                    yield RichLog(
                        id="preview-refused", markup=False, highlight=False, wrap=True, min_width=20, auto_scroll=False
                    )
                    yield Static("", id="preview-sample")
                with Vertical(id="step-running", classes="mass-step"):
                    yield LoadingIndicator()
                    yield Static("", id="running-text")
                with VerticalScroll(id="step-result", classes="mass-step"):
                    yield Static("", id="result-summary")
                    yield RichLog(
                        id="result-list", markup=False, highlight=False, wrap=True, min_width=20, auto_scroll=False
                    )
            # One button bar below the steps, always in view; _go() shows the step's buttons.
            with Horizontal(id="mass-buttons"):
                yield Button(plain(_("Preview")), id="btn-preview", variant="primary", compact=True)
                yield Button(plain(_("Confirm")), id="btn-confirm", variant="warning", compact=True, disabled=True)
                yield Button(plain(_("Back")), id="btn-back", compact=True)
                yield Button(plain(_("Cancel")), id="btn-cancel", compact=True)
                yield Button(plain(_("Done")), id="btn-done", variant="primary", compact=True)
        yield KeyFooter()

    def _selection_sentence(self) -> str:
        sel = self.selection
        if sel.query is not None:
            if sel.excluded:
                return _("Every ticket matching the filter is tagged, except {count} untagged.", count=len(sel.excluded))
            return _("Every ticket matching the filter is tagged.")
        return plural(len(sel.ids), "{n} tagged ticket.", "{n} tagged tickets.")

    @property
    def cards_partial(self) -> bool:
        """The list had not loaded every tagged ticket (tag all matching)."""
        sel = self.selection
        if sel.query is not None:
            return True
        loaded = {c.id for c in self.cards}
        return not sel.ids <= loaded

    def _compose_form(self) -> ComposeResult:
        if self.kind is MassActionKind.MERGE:
            yield Label(plain(_("Primary ticket (stays open; the others close into it)")), classes="mass-label")
            options = []
            for c in self.cards:
                if not self.selection.contains(c.id):
                    continue
                name = sanitize.one_line(c.customer_name or c.customer_id_number, max_len=40)
                prompt = Content(" — ".join(["#" + str(c.number), name, labels.status(c.status)]))
                options.append(Option(prompt, id=str(c.id), disabled=c.status is TicketStatus.CLOSED))
            # Any tagged ticket can be the primary: pick a loaded one, or type
            # its number (tickets found by other searches, or a `T` selection).
            yield Input(placeholder=_("or type its number, like 100123"), id="merge-number",
                        restrict=r"#?[0-9]*", max_length=12)
            yield OptionList(*options, id="merge-primary")
            if self.cards_partial:
                yield Static(
                    plain(_("The list shows the {count} tagged tickets loaded so far; type the number of any other tagged ticket.", count=len(options))),
                    classes="mass-note",
                )
            yield Checkbox(plain(_("Merge customers too")), id="merge-customers")
            # T3: which customer stays -- any customer of the tagged tickets shown
            # (blank: the primary ticket's); identified by id and document, since
            # duplicates share their name.
            keep: dict[int, str] = {}
            for c in self.cards:
                if self.selection.contains(c.id) and c.customer_id not in keep:
                    keep[c.customer_id] = sanitize.one_line(
                        f"{c.customer_name or '?'} · id {c.customer_id} · {c.customer_id_number or '-'}", max_len=70)
            yield Select([(Content(text), cid) for cid, text in keep.items()], prompt=_("The primary ticket's customer stays"),
                         id="merge-keep", compact=True, disabled=True)
        elif self.kind is MassActionKind.ASSIGN:
            yield Label(plain(_("Assign to")), classes="mass-label")
            yield Select([], prompt=_("Keep the current assignee"), id="assign-user")
            yield Label(plain(_("Move to campaign")), classes="mass-label")
            yield Select([], prompt=_("Keep the campaign"), id="assign-campaign")
        elif self.kind is MassActionKind.ADD_TASK:
            yield Static(
                plain(_("Every ticket gets this task, from the task form of {campaign}.", campaign=self.campaign.name)),
                classes="mass-note",
            )
            yield TaskForm(self.campaign, id="task-form")
        elif self.kind is MassActionKind.REDISTRIBUTE:
            yield Label(plain(_("Redistribute at random, evenly, among")), classes="mass-label")
            with RadioSet(id="redis-mode"):
                yield RadioButton(plain(_("All agents of the campaign")), value=True, id="redis-all")
                yield RadioButton(plain(_("Only the agents I choose")), id="redis-chosen")
            # Type part of a name and Enter to choose that agent (again to drop
            # them); Enter on an empty line previews.
            yield Input(placeholder=_("Choose agents: type a name, Enter; Enter alone to preview"),
                        id="redis-filter", compact=True)
            yield SelectionList[int](id="redis-agents", disabled=True)

    def on_mount(self) -> None:
        self._go(self.step)
        if self.step == PREVIEW:  # Close needs no input
            self.start_preview(MassAction(kind=self.kind, selection=self.selection))
            return
        if self.kind is MassActionKind.MERGE:
            ol = self.query_one("#merge-primary", OptionList)
            first = next((i for i, o in enumerate(ol.options) if not o.disabled), None)
            if first is not None:
                ol.highlighted = first
                ol.focus()
            else:
                self.query_one("#merge-number", Input).focus()
        elif self.kind is MassActionKind.ADD_TASK:
            self.query_one(TaskForm).focus_first()
        elif self.kind is MassActionKind.ASSIGN:
            self.query_one("#assign-user", Select).focus()
            self._load_choices(None)
        elif self.kind is MassActionKind.REDISTRIBUTE:
            self.query_one("#redis-filter", Input).focus()
            self._load_choices(None)

    # --- choices for Assign and Redistribute ------------------------------------------
    def _load_choices(self, target_campaign_id: int | None) -> None:
        cid = target_campaign_id or self.campaign.id
        self._users_for = cid
        need_campaigns = self.kind is MassActionKind.ASSIGN and not self._campaign_names

        async def read() -> tuple[Any, Any]:
            choices = await self.session.lists.filter_choices((cid,))
            campaigns = None
            if need_campaigns:
                campaigns = await self.session.agent.list_campaigns()
            return choices, campaigns

        # Quiet + settle: a failure, a defect too, is one sentence on the dialog's error line.
        self.call("mass-choices", read, self._choices_loaded, lambda e: self._show_error(tr(e.message)),
                  quiet=True, settle=True)

    def _choices_loaded(self, loaded: tuple[Any, Any]) -> None:
        choices, campaigns = loaded
        users = sorted((u for u in choices.users if u.active), key=lambda u: u.full_name.lower())
        if self.kind is MassActionKind.ASSIGN:
            if campaigns is not None:
                self._campaign_names = {c.id: c.name for c in campaigns}
                sel_c = self.query_one("#assign-campaign", Select)
                sel_c.set_options(
                    (sanitize.text(c.name, single_line=True), c.id) for c in campaigns
                )
            sel_u = self.query_one("#assign-user", Select)
            previous = sel_u.value
            options: list[tuple[Any, int]] = [(Text(_("Unassigned")), UNASSIGNED)]
            options += [(self._user_prompt(u), u.id) for u in users]
            sel_u.set_options(options)
            if previous in {v for _p, v in options}:
                sel_u.value = previous
        else:
            self._agents = [u for u in users if u.role is Role.AGENT]
            self._show_agents()

    @staticmethod
    def _user_prompt(u: User) -> Text:
        return sanitize.text(
            u.full_name + " (" + u.username + ") — " + labels.role(u.role), single_line=True
        )

    @on(Select.Changed, "#assign-campaign")
    def _target_campaign_changed(self, event: Select.Changed) -> None:
        target = event.select.selection or self.campaign.id
        if self.kind is MassActionKind.ASSIGN and self._campaign_names and target != self._users_for:
            self._load_choices(target)

    @on(RadioSet.Changed, "#redis-mode")
    def _redistribute_mode(self, event: RadioSet.Changed) -> None:
        self.query_one("#redis-agents", SelectionList).disabled = event.pressed.id != "redis-chosen"

    def _matching_agents(self) -> list[User]:
        typed = fold(self.query_one("#redis-filter", Input).value)
        return [u for u in self._agents if not typed or typed in fold(u.full_name + " " + u.username)]

    def _show_agents(self) -> None:
        """The agents whose name holds what is typed; the chosen ones stay chosen."""
        agents = self.query_one("#redis-agents", SelectionList)
        agents.clear_options()
        agents.add_options([
            (Content(self._user_prompt(u).plain), u.id, u.id in self._chosen) for u in self._matching_agents()
        ])
        if agents.option_count:
            agents.highlighted = 0

    @on(Input.Changed, "#redis-filter")
    def _agent_filter_typed(self, event: Input.Changed) -> None:
        event.stop()
        self._show_agents()

    @on(SelectionList.SelectedChanged, "#redis-agents")
    def _agents_ticked(self, event: SelectionList.SelectedChanged) -> None:
        shown = {u.id for u in self._matching_agents()}
        self._chosen = (self._chosen - shown) | set(event.selection_list.selected)

    def _toggle_typed_agent(self) -> None:
        """Enter on a typed name: that agent is chosen (or dropped), and the
        mode becomes "only the agents I choose"."""
        match = self._matching_agents()
        field = self.query_one("#redis-filter", Input)
        if not match:
            self._show_error(_("No agent of the campaign is called {name}.", name=field.value))
            return
        agent = match[0]
        self._chosen ^= {agent.id}
        self.query_one("#redis-chosen", RadioButton).value = True
        self.query_one("#redis-agents", SelectionList).disabled = False
        self._show_error("")
        field.value = ""  # Input.Changed redraws the list with the choice ticked

    # --- building the action ---------------------------------------------------------
    def _build_action(self, task: TaskInput | None = None) -> MassAction | None:
        base = MassAction(kind=self.kind, selection=self.selection)
        if self.kind is MassActionKind.CLOSE:
            return base
        if self.kind is MassActionKind.MERGE:
            merge_customers = self.query_one("#merge-customers", Checkbox).value
            kept = self.query_one("#merge-keep", Select).selection if merge_customers else None
            base = replace(base, keep_customer_id=kept)
            typed = self.query_one("#merge-number", Input).value.strip().lstrip("#")
            if typed:
                return replace(base, primary_ticket_number=int(typed), merge_customers=merge_customers)
            ol = self.query_one("#merge-primary", OptionList)
            index = ol.highlighted
            if index is None or ol.get_option_at_index(index).disabled:
                self._show_error(_("Choose the primary ticket among the tagged tickets."))
                ol.focus()
                return None
            primary = int(ol.get_option_at_index(index).id or 0)
            return replace(base, primary_ticket_id=primary, merge_customers=merge_customers)
        if self.kind is MassActionKind.ASSIGN:
            who = self.query_one("#assign-user", Select).selection
            where = self.query_one("#assign-campaign", Select).selection
            if who is None and where is None:
                self._show_error(_("Choose a user, Unassigned, or a campaign to move the tickets to."))
                self.query_one("#assign-user", Select).focus()
                return None
            return replace(
                base,
                assignee_id=None if who in (None, UNASSIGNED) else who,
                unassign=who == UNASSIGNED,
                campaign_id=where,
            )
        if self.kind is MassActionKind.ADD_TASK:
            task = task or self.query_one(TaskForm).read()
            if task is None:
                return None  # TaskForm.Invalid says so
            return replace(base, task=task)
        # Redistribute
        chosen = self.query_one("#redis-chosen", RadioButton).value
        agent_ids: tuple[int, ...] = ()
        if chosen:
            agent_ids = tuple(sorted(self._chosen))
            if not agent_ids:
                self._show_error(_("Choose at least one agent, or All agents of the campaign."))
                self.query_one("#redis-agents", SelectionList).focus()
                return None
        return replace(base, redistribute=RedistributeSpec(agent_ids=agent_ids))

    # --- the wizard's steps (screens/wizard.py) ---------------------------------------------
    def build_request(self) -> MassAction | None:
        task, self._task = self._task, None
        return self._build_action(task)

    def _proceed(self, task: TaskInput | None = None) -> None:
        self._task = task
        self.proceed()

    def sentence(self, error: SagiccError) -> str:
        return tr(error.message)

    def read_preview(self, action: MassAction):
        return self.session.lists.preview_mass_action(action)

    def run_request(self, action: MassAction, preview: MassPreview):
        return self.session.lists.run_mass_action(action)

    def preview_started(self) -> None:
        for wid in ("#preview-summary", "#preview-changes", "#preview-refused-title", "#preview-sample"):
            self.query_one(wid, Static).update("")
        self.query_one("#preview-refused", RichLog).clear()
        self.query_one("#step-preview").loading = True

    def preview_stopped(self) -> None:
        self.query_one("#step-preview").loading = False

    def preview_failed(self, error: SagiccError) -> None:
        message: Msg = error.message
        self.query_one("#step-preview").loading = False
        if self.has_form:
            self._go(FORM)
            placed = self.kind is MassActionKind.ADD_TASK and self.query_one(TaskForm).show_error(error)
            self._show_error(tr(message))
            if not placed:
                self.focus_form()
        else:
            self._show_error(tr(message))
            self.button("cancel").focus()

    def focus_form(self) -> None:
        targets = {
            MassActionKind.MERGE: "#merge-primary",
            MassActionKind.ASSIGN: "#assign-user",
            MassActionKind.REDISTRIBUTE: "#redis-filter",
        }
        if self.kind is MassActionKind.ADD_TASK:
            self.query_one(TaskForm).focus_first()
        elif self.kind in targets:
            self.query_one(targets[self.kind]).focus()

    def show_preview(self, preview: MassPreview) -> None:
        self.query_one("#step-preview").loading = False
        refused = [o for o in preview.refused if o.ticket_id]
        self.query_one("#preview-summary", Static).update(
            plain(
                plural(
                    preview.total, "{count} of {n} ticket will change.", "{count} of {n} tickets will change.",
                    count=self._will_change(preview),
                )
            )
        )
        self.query_one("#preview-changes", Static).update(
            plain("\n".join("• " + tr(m) for m in preview.changes))
        )
        log = self.query_one("#preview-refused", RichLog)
        title = self.query_one("#preview-refused-title", Static)
        if preview.refused:
            title.update(plain(plural(len(refused), "{n} ticket cannot be changed:", "{n} tickets cannot be changed:")))
            self._write_lines(log, preview.refused, result=False)
        log.display = bool(preview.refused)
        title.display = bool(preview.refused)
        sample = self.query_one("#preview-sample", Static)
        if preview.sample:
            numbers = ", ".join("#" + str(o.number) for o in preview.sample)
            if self._will_change(preview) > len(preview.sample):
                numbers += ", …"
            sample.update(plain(_("Will change, for example: {numbers}", numbers=numbers)))
        confirm = self.button("confirm")
        confirm.disabled = not self.can_confirm
        if self.can_confirm:
            confirm.focus()
        else:
            self._show_error(_("No ticket can be changed; go back or cancel."))
            self.button("back" if self.has_form else "cancel").focus()

    def _write_lines(self, log: RichLog, outcomes: tuple[TicketOutcome, ...], *, result: bool) -> None:
        log.clear()
        for o in outcomes[:MAX_LINES]:
            log.write(outcome_line(o, result=result))
        if len(outcomes) > MAX_LINES:
            log.write(Text(_("{count} more tickets are not listed.", count=len(outcomes) - MAX_LINES), style="italic"))

    def run_started(self, preview: MassPreview) -> None:
        self.query_one("#running-text", Static).update(
            plain(plural(self._will_change(preview), "Applying to {n} ticket…", "Applying to {n} tickets…"))
        )

    def run_failed(self, error: SagiccError) -> None:
        """The store wrote nothing (one transaction): back to the preview."""
        super().run_failed(error)
        self.button("back" if self.has_form else "cancel").focus()

    def show_result(self, result: MassResult) -> None:
        self.query_one("#result-summary", Static).update(
            plain(_("Done: {done}. Refused: {refused}.", done=result.done, refused=result.refused))
        )
        log = self.query_one("#result-list", RichLog)
        self._write_lines(log, result.outcomes, result=True)
        log.focus()

    # --- widget events ------------------------------------------------------------------------
    @on(Checkbox.Changed, "#merge-customers")
    def _merge_customers_toggled(self, event: Checkbox.Changed) -> None:
        self.query_one("#merge-keep", Select).disabled = not event.value

    @on(OptionList.OptionSelected, "#merge-primary")
    def _primary_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._proceed()

    @on(TaskForm.Submitted)
    def _task_submitted(self, event: TaskForm.Submitted) -> None:
        event.stop()
        self._proceed(event.task)

    @on(TaskForm.Invalid)
    def _task_invalid(self, event: TaskForm.Invalid) -> None:
        event.stop()
        self._show_error(_("Fix the marked fields; what you typed is kept."))

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "redis-filter" and event.value.strip():
            self._toggle_typed_agent()
            return
        self._proceed()
