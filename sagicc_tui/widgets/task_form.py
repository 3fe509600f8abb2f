"""The campaign's task form (T11, L8 Add Task) as one reusable widget.

`TaskForm(campaign)` shows an input per configured `TaskField` (TEXT: Input,
NUMBER: Input type="number", DATE: Input checked as YYYY-MM-DD, CHOICE: Select),
required fields marked with `*`, then Observations (TextArea) and the Next task
date and time.

Reading it::

    task = form.read()          # TaskInput, or None after showing what is wrong
    raw = form.raw_values()     # everything as typed (for drafts)
    form.restore(raw)           # put a draft back
    form.show_error(error)      # place a Backend sentence (InvalidInput) on its field

Messages: `TaskForm.Submitted(form, task)` when Enter is pressed in one of its
inputs and the form is valid; `TaskForm.Invalid(form, errors)` whenever `read()`
finds wrong fields; `TaskForm.Changed(form)` whenever the user edits anything
(drafts).

Relative dates (#12.2): the next-task date and any DATE field take what an
agent says on the phone, through domain/when.py: "+2h", "mañana 9:00",
"tomorrow 9", "lunes 10" as well as YYYY-MM-DD. A date that names its time
needs no time field; a time typed there wins. The resolved moment is shown
under the fields as it is typed, so the agent sees what they will get.

Time zone: the next task date and time are read as wall-clock time in the
terminal's local time zone (or the `tz` given to the constructor: the agent's
zone when it differs from the host's), then stored as an aware UTC datetime.
An invalid field keeps what was typed and gets one sentence under it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.validation import Function
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TextArea

from sagicc_tui import sanitize
from sagicc_tui.domain.enums import FieldType
from sagicc_tui.domain.errors import InvalidInput, SagiccError
from sagicc_tui.domain.messages import Msg, msg
from sagicc_tui.domain.models import Campaign, TaskField, TaskInput
from sagicc_tui.domain.taskform import validate_task
from sagicc_tui.domain.when import parse_when
from sagicc_tui.i18n import N_, _

__all__ = ["TaskForm"]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")

OBSERVATIONS = "observations"
NEXT_DATE = "next_date"
NEXT_TIME = "next_time"


def _parse_date(text: str) -> date | None:
    text = text.strip()
    if not _ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_time(text: str) -> time | None:
    m = _HHMM.match(text.strip())
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
            N_("Sunday"))


def _tr(message: Msg) -> str:
    return _(message.template, **message.params)


class TaskForm(Widget):
    """One task form for one campaign; see the module docstring."""

    DEFAULT_CSS = """
    TaskForm {
        height: auto;
        layout: vertical;
    }
    TaskForm .task-form--label {
        margin-top: 1;
        color: $text-muted;
    }
    TaskForm .task-form--label.-required {
        color: $foreground;
    }
    TaskForm .task-form--error {
        display: none;
        color: $text-error;
        padding: 0 1;
    }
    TaskForm .task-form--error.-shown {
        display: block;
    }
    TaskForm .task-form--resolved {
        color: $text-accent;
        padding: 0 1;
    }
    TaskForm .task-form--hint {
        color: $text-muted;
        margin-top: 1;
    }
    TaskForm #tf-observations {
        height: 5;
    }
    TaskForm .task-form--when {
        height: auto;
    }
    TaskForm .task-form--when > Vertical {
        width: 1fr;
        height: auto;
    }
    """

    class Changed(Message):
        """The user edited a field (save a draft)."""

        def __init__(self, form: TaskForm) -> None:
            super().__init__()
            self.form = form

        @property
        def control(self) -> TaskForm:
            return self.form

    class Invalid(Message):
        """`read()` found wrong fields; each has its sentence under it."""

        def __init__(self, form: TaskForm, errors: dict[str, Msg]) -> None:
            super().__init__()
            self.form = form
            self.errors = errors  # field key (or "next_date"/"next_time") -> sentence

        @property
        def control(self) -> TaskForm:
            return self.form

    class Submitted(Message):
        """Enter was pressed in the form and every field is valid."""

        def __init__(self, form: TaskForm, task: TaskInput) -> None:
            super().__init__()
            self.form = form
            self.task = task

        @property
        def control(self) -> TaskForm:
            return self.form

    def __init__(
        self,
        campaign: Campaign,
        *,
        initial: Mapping[str, Any] | None = None,
        tz: tzinfo | None = None,
        clock: Callable[[], datetime] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.campaign = campaign
        self.tz = tz
        self._clock = clock
        self._initial = dict(initial or {})
        self._ready = False
        # key -> widget id (keys are configuration text: never used as ids)
        self._ids: dict[str, str] = {f.key: f"tf-field-{i}" for i, f in enumerate(campaign.task_fields)}
        self._ids[OBSERVATIONS] = "tf-observations"
        self._ids[NEXT_DATE] = "tf-next-date"
        self._ids[NEXT_TIME] = "tf-next-time"

    # --- building -----------------------------------------------------------------
    def compose(self) -> ComposeResult:
        for f in self.campaign.task_fields:
            wid = self._ids[f.key]
            label = Content(sanitize.one_line(f.label))
            if f.required:
                label = label + " *"
            yield Label(label, classes="task-form--label" + (" -required" if f.required else ""))
            yield self._field_widget(f, wid)
            yield Static("", id=f"{wid}-error", classes="task-form--error")
        yield Label(Content(_("Observations")), classes="task-form--label")
        yield TextArea(
            str(self._initial.get(OBSERVATIONS, "")), id=self._ids[OBSERVATIONS], soft_wrap=True, tab_behavior="focus"
        )
        yield Static("", id=f"{self._ids[OBSERVATIONS]}-error", classes="task-form--error")
        with Horizontal(classes="task-form--when"):
            with Vertical():
                yield Label(Content(_("Next task date")), classes="task-form--label")
                yield Input(
                    str(self._initial.get(NEXT_DATE, "")),
                    placeholder=_("+2h, tomorrow 9, YYYY-MM-DD"),
                    id=self._ids[NEXT_DATE],
                    validators=[Function(lambda v: self._day_or_when(v) is not None)],
                    valid_empty=True,
                )
                yield Static("", id=f"{self._ids[NEXT_DATE]}-error", classes="task-form--error")
            with Vertical():
                yield Label(Content(_("Next task time")), classes="task-form--label")
                yield Input(
                    str(self._initial.get(NEXT_TIME, "")),
                    placeholder=_("HH:MM"),
                    id=self._ids[NEXT_TIME],
                    validators=[Function(lambda v: self._time_or_when(v) is not None)],
                    valid_empty=True,
                )
                yield Static("", id=f"{self._ids[NEXT_TIME]}-error", classes="task-form--error")
        yield Static("", id="tf-next-resolved", classes="task-form--resolved")
        hints = []
        if any(f.required for f in self.campaign.task_fields):
            hints.append(_("* marks a required field."))
        hints.append(_("The next task time is in your local time zone ({zone}).", zone=self._zone_name()))
        yield Static(Content(" ".join(hints)), classes="task-form--hint")

    def _field_widget(self, f: TaskField, wid: str) -> Widget:
        initial = self._initial.get(f.key)
        if f.type is FieldType.CHOICE:
            options = [(sanitize.text(c, single_line=True), c) for c in f.choices]
            value = initial if initial in f.choices else Select.NULL
            return Select(options, prompt=_("Choose…"), allow_blank=True, value=value, id=wid)
        text = "" if initial is None else str(initial)
        if f.type is FieldType.NUMBER:
            return Input(text, type="number", placeholder=_("A number, like 42 or 3.5"), id=wid)
        if f.type is FieldType.DATE:
            return Input(
                text, placeholder=_("YYYY-MM-DD, tomorrow, lunes"), id=wid,
                validators=[Function(lambda v: self._day_or_when(v) is not None)], valid_empty=True,
            )
        return Input(text, id=wid)

    def on_mount(self) -> None:
        self.call_after_refresh(self._set_ready)

    def _set_ready(self) -> None:
        self._ready = True

    # --- relative dates (domain/when.py) -------------------------------------------------
    def _now(self) -> datetime:
        clock = self._clock or getattr(self.app, "clock", None)
        return clock() if callable(clock) else datetime.now(UTC)

    def _zone(self) -> tzinfo:
        return self.tz if self.tz is not None else (datetime.now().astimezone().tzinfo or UTC)

    def _when(self, text: str) -> datetime | None:
        """The moment relative text names, in the form's zone (None: it names none)."""
        return parse_when(text, now=self._now(), tz=self._zone()) if text.strip() else None

    def _day_or_when(self, text: str) -> date | None:
        day = _parse_date(text)
        if day is not None:
            return day
        moment = self._when(text)
        return moment.date() if moment is not None else None

    def _time_or_when(self, text: str) -> time | None:
        at = _parse_time(text)
        if at is not None:
            return at
        moment = self._when(text)
        return moment.timetz().replace(tzinfo=None) if moment is not None else None

    def resolved_next(self) -> datetime | None:
        """The next-task moment the fields name now (None when they name none), aware."""
        errors: dict[str, Msg] = {}
        return self._read_next(errors)

    def _show_resolved(self) -> None:
        shown = self.query_one("#tf-next-resolved", Static)
        d_text = self.query_one(f"#{self._ids[NEXT_DATE]}", Input).value.strip()
        t_text = self.query_one(f"#{self._ids[NEXT_TIME]}", Input).value.strip()
        if not d_text and not t_text:
            shown.update("")
            return
        errors: dict[str, Msg] = {}
        moment = self._read_next(errors)
        if moment is None:
            shown.update(Content(_tr(next(iter(errors.values()))) if errors else ""))
            return
        local = moment.astimezone(self._zone())
        shown.update(Content(_("Next task: {weekday} {when}", weekday=_(WEEKDAYS[local.weekday()]),
                               when=local.strftime("%Y-%m-%d %H:%M"))))

    # --- outcome quick keys -----------------------------------------------------------
    @property
    def outcome_field(self) -> TaskField | None:
        """The campaign's outcome: its primary field when it is a CHOICE."""
        for f in self.campaign.task_fields:
            if f.key == self.campaign.primary_field and f.type is FieldType.CHOICE:
                return f
        return None

    def choose_outcome(self, value: str) -> None:
        """Set the outcome and put the cursor on the next-task date."""
        f = self.outcome_field
        if f is not None and value in f.choices:
            select = self.widget_for(f.key)
            assert isinstance(select, Select)
            select.value = value
        self.focus_when()

    def focus_when(self) -> None:
        field = self.query_one(f"#{self._ids[NEXT_DATE]}", Input)
        # Into view first: a focused widget scrolled out of its tab is blurred again when hidden.
        field.scroll_visible(animate=False, immediate=True)
        field.focus()

    def _zone_name(self) -> str:
        if self.tz is not None:
            return str(self.tz)
        return datetime.now().astimezone().tzname() or "local"

    # --- reading ----------------------------------------------------------------------
    def widget_for(self, key: str) -> Widget:
        """The input for a field key, or for "observations", "next_date", "next_time"."""
        return self.query_one(f"#{self._ids[key]}")

    def raw_values(self) -> dict[str, Any]:
        """Everything as typed (CHOICE: the chosen value or None), for drafts."""
        raw: dict[str, Any] = {}
        for f in self.campaign.task_fields:
            w = self.widget_for(f.key)
            raw[f.key] = w.selection if isinstance(w, Select) else w.value  # type: ignore[attr-defined]
        raw[OBSERVATIONS] = self.query_one(f"#{self._ids[OBSERVATIONS]}", TextArea).text
        raw[NEXT_DATE] = self.query_one(f"#{self._ids[NEXT_DATE]}", Input).value
        raw[NEXT_TIME] = self.query_one(f"#{self._ids[NEXT_TIME]}", Input).value
        return raw

    def restore(self, raw: Mapping[str, Any]) -> None:
        """Put back what `raw_values()` returned (unknown keys are ignored)."""
        for f in self.campaign.task_fields:
            if f.key not in raw:
                continue
            w = self.widget_for(f.key)
            value = raw[f.key]
            if isinstance(w, Select):
                if value in f.choices:
                    w.value = value
                else:
                    w.clear()
            else:
                w.value = "" if value is None else str(value)  # type: ignore[attr-defined]
        if OBSERVATIONS in raw:
            self.query_one(f"#{self._ids[OBSERVATIONS]}", TextArea).text = str(raw[OBSERVATIONS] or "")
        for key in (NEXT_DATE, NEXT_TIME):
            if key in raw:
                self.query_one(f"#{self._ids[key]}", Input).value = str(raw[key] or "")

    def read(self) -> TaskInput | None:
        """The filled form as a TaskInput, or None after marking every wrong field.

        Values are normalised as the Backend does (numbers as numbers, dates
        as ISO text); the Backend validates again.
        """
        self.clear_errors()
        errors: dict[str, Msg] = {}
        values: dict[str, Any] = {}
        for f in self.campaign.task_fields:
            w = self.widget_for(f.key)
            raw = w.selection if isinstance(w, Select) else w.value  # type: ignore[attr-defined]
            if f.type is FieldType.DATE and isinstance(raw, str) and raw.strip() and _parse_date(raw) is None:
                day = self._day_or_when(raw)
                raw = day.isoformat() if day is not None else raw  # "mañana" -> its ISO day
            one = replace(self.campaign, task_fields=(f,))
            try:
                clean = validate_task(one, TaskInput(values={} if raw is None else {f.key: raw}))
            except InvalidInput as e:
                errors[f.key] = e.message
                continue
            if f.key in clean:
                values[f.key] = clean[f.key]
        next_at = self._read_next(errors)
        if errors:
            for key, message in errors.items():
                self._mark(key, message)
            first = next(k for k in self._ids if k in errors)
            self.widget_for(first).focus()
            self.post_message(self.Invalid(self, errors))
            return None
        observations = self.query_one(f"#{self._ids[OBSERVATIONS]}", TextArea).text.strip()
        return TaskInput(values=values, observations=observations, next_task_at=next_at)

    def _read_next(self, errors: dict[str, Msg]) -> datetime | None:
        d_text = self.query_one(f"#{self._ids[NEXT_DATE]}", Input).value.strip()
        t_text = self.query_one(f"#{self._ids[NEXT_TIME]}", Input).value.strip()
        if not d_text and not t_text:
            return None
        # A relative date names its own time ("+2h", "mañana 9:00": 09:00 when it names
        # none), so it needs no time field; a time typed there wins ("mañana" + "15:30").
        moment = self._when(d_text) if d_text and _parse_date(d_text) is None else None
        if moment is not None and not t_text:
            return moment.astimezone(UTC)
        day = moment.date() if moment is not None else _parse_date(d_text) if d_text else None
        at = self._time_or_when(t_text) if t_text else None
        if not d_text:
            errors[NEXT_DATE] = msg(N_("Give the date of the next task as YYYY-MM-DD, or clear the time."))
        elif day is None:
            errors[NEXT_DATE] = msg(N_("{field} must be a date like +2h, tomorrow 9 or YYYY-MM-DD."),
                                    field=_("Next task date"))
        if not t_text:
            errors[NEXT_TIME] = msg(N_("Give the time of the next task as HH:MM, or clear the date."))
        elif at is None:
            errors[NEXT_TIME] = msg(N_("{field} must be a time as HH:MM, like 14:30."), field=_("Next task time"))
        if day is None or at is None:
            return None
        wall = datetime.combine(day, at)
        # A naive datetime's astimezone() reads it as local time with the DST
        # rule of that date; an explicit zone is attached as given.
        local = wall.replace(tzinfo=self.tz) if self.tz is not None else wall.astimezone()
        return local.astimezone(UTC)

    # --- errors ---------------------------------------------------------------------------
    def _mark(self, key: str, message: Msg) -> None:
        wid = self._ids[key]
        self.query_one(f"#{wid}").add_class("-invalid")
        err = self.query_one(f"#{wid}-error", Static)
        err.update(sanitize.content(_tr(message)))
        err.add_class("-shown")

    def _unmark(self, key: str) -> None:
        wid = self._ids[key]
        widget = self.query_one(f"#{wid}")
        widget.remove_class("-invalid")
        if isinstance(widget, Input) and widget.validators:
            widget.validate(widget.value)  # back to the live as-you-type check
        err = self.query_one(f"#{wid}-error", Static)
        err.update("")
        err.remove_class("-shown")

    def clear_errors(self) -> None:
        for key in self._ids:
            self._unmark(key)

    def error_for(self, key: str) -> str:
        """The sentence shown under a field ("" when none), for tests and screens."""
        err = self.query_one(f"#{self._ids[key]}-error", Static)
        return str(err.render()) if err.has_class("-shown") else ""

    def show_error(self, error: SagiccError) -> bool:
        """Place a Backend sentence under the field it is about (InvalidInput.field,
        a task field's key: never its wording, which is in the user's language).

        Returns False when it is about no field of this form: the caller shows it.
        """
        key = error.field if isinstance(error, InvalidInput) else None
        if key not in {f.key for f in self.campaign.task_fields}:
            return False
        self._mark(key, error.message)
        self.widget_for(key).focus()
        return True

    def focus_first(self) -> None:
        first = next(iter(self._ids))
        self.widget_for(first).focus()

    # --- events -----------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        task = self.read()
        if task is not None:
            self.post_message(self.Submitted(self, task))

    def _edited(self, widget: Widget | None) -> None:
        if not self._ready:
            return
        if widget is not None and widget.id is not None:
            for key, wid in self._ids.items():
                if wid == widget.id and self.query_one(f"#{wid}-error").has_class("-shown"):
                    self._unmark(key)  # the user is fixing it: drop the old sentence
        self.post_message(self.Changed(self))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in (self._ids[NEXT_DATE], self._ids[NEXT_TIME]):
            self._show_resolved()
        self._edited(event.input)

    def on_select_changed(self, event: Select.Changed) -> None:
        self._edited(event.select)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._edited(event.text_area)
