"""The composer below the conversation (T9).

Channel (the campaign's outgoing channels), a contact compatible with it, a
template (fills the message with its variables), a survey link, the message,
e-mail subject/cc/bcc (only for e-mail) and attachment paths. Send posts
`Composer.SendRequested` with an `OutgoingMessage` whose `client_key` is made
when Send is pressed and reused until the answer arrives (a retry after an
error never sends twice). Every edit posts `Composer.Changed` (drafts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, TextArea

from sagicc_tui.domain.enums import (
    CHANNEL_CONTACT_KINDS,
    CHANNELS_WITH_ATTACHMENTS,
    CHANNELS_WITH_MAIL_FIELDS,
    VOICE_CHANNELS,
    ChannelType,
    ContactKind,
)
from sagicc_tui.domain.models import Campaign, ContactInfo
from sagicc_tui.domain.ticket_screen import OutgoingMessage
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.io import BackendCalls


class _Vars(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill_template(body: str, variables: Mapping[str, str]) -> str:
    try:
        return body.format_map(_Vars(variables))
    except (ValueError, IndexError, AttributeError):
        return body


class Composer(BackendCalls, Widget):
    DEFAULT_CSS = """
    Composer { height: auto; layout: vertical; }
    """

    @dataclass
    class Changed(Message):
        composer: Composer

    @dataclass
    class SendRequested(Message):
        message: OutgoingMessage
        files: tuple[str, ...] = ()  # the paths typed in Files, read when it is sent

    @dataclass
    class ClearRequested(Message):
        composer: Composer

    @dataclass
    class ContactSearchRequested(Message):
        """#15.3: search other customers' contacts the channel can reach (the screen opens it)."""

        composer: Composer
        kinds: frozenset[ContactKind]

    def __init__(self, campaign: Campaign, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._campaign = campaign
        self._contacts: list[ContactInfo] = []
        self._others: list[tuple[ContactInfo, str]] = []  # other customers' contacts chosen by search, with owner
        self._variables: dict[str, str] = {}
        self._restoring = 0
        self._client_key: str | None = None
        self._default_subject = ""  # `Re: <thread subject> [#N]` from the store (#13)

    def compose(self) -> ComposeResult:
        channels = [(labels.channel(c), c.value) for c in self._campaign.outgoing_channels]
        first = channels[0][1] if channels else Select.BLANK
        with Horizontal(classes="composer-row"):
            yield Select(channels, prompt=_("Channel"), value=first, allow_blank=not channels,
                         id="composer-channel", compact=True)
            yield Select([], prompt=_("Contact"), id="composer-contact", compact=True)
        if self._campaign.allow_other_contacts:
            with Horizontal(classes="composer-row"):
                yield Input(placeholder=_("Or another contact: e-mail address or phone number"),
                            id="composer-other", compact=True)
                yield Button(_("Search other contacts…"), id="composer-search-contact", compact=True)
        with Horizontal(classes="composer-row"):
            yield Select([(one_line(t.name, max_len=40), t.key) for t in self._campaign.templates],
                         prompt=_("Template"), id="composer-template", compact=True)
            yield Select([(one_line(s.name, max_len=40), s.key) for s in self._campaign.surveys],
                         prompt=_("Survey"), id="composer-survey", compact=True)
        with Vertical(id="composer-email"):
            yield Input(placeholder=_("Subject"), id="composer-subject", compact=True)
            with Horizontal(classes="composer-row"):
                yield Input(placeholder=_("Cc (comma-separated)"), id="composer-cc", compact=True)
                yield Input(placeholder=_("Bcc (comma-separated)"), id="composer-bcc", compact=True)
        yield TextArea(id="composer-text", soft_wrap=True, tab_behavior="focus", compact=True,
                       placeholder=_("Message"))
        with Horizontal(classes="composer-row"):
            yield Input(placeholder=_("Attachments: file paths separated by ;"), id="composer-files",
                        compact=True)
            yield Button(_("Send"), id="composer-send", variant="primary", compact=True)
            yield Button(_("Clear"), id="composer-clear", compact=True)
        yield Label("", id="composer-error", classes="form-error")

    def on_mount(self) -> None:
        self._show_channel_fields()

    # --- state -------------------------------------------------------------------------

    @property
    def channel(self) -> ChannelType | None:
        value = self.query_one("#composer-channel", Select).selection
        return ChannelType(value) if isinstance(value, str) else None

    def set_context(self, variables: Mapping[str, str]) -> None:
        self._variables = dict(variables)

    def set_default_subject(self, subject: str) -> None:
        """The subject the store gives a reply left without one (TicketHeader.reply_subject):
        shown in the field so the agent sees it and may change it; what they typed stays."""
        field = self.query_one("#composer-subject", Input)
        previous, self._default_subject = self._default_subject, subject
        if field.value in ("", previous) and field.value != subject:
            self._restoring += 1
            try:
                field.value = subject
            finally:
                self.call_after_refresh(self._restored)

    def set_contacts(self, contacts: list[ContactInfo]) -> None:
        self._contacts = contacts
        self._fill_contacts()

    def _fill_contacts(self, keep: object = None) -> None:
        select = self.query_one("#composer-contact", Select)
        channel = self.channel
        kinds = CHANNEL_CONTACT_KINDS.get(channel, frozenset()) if channel else frozenset()
        fitting = [c for c in self._contacts if c.kind in kinds]
        options = [(one_line(c.value, max_len=50) + (f" ({one_line(c.label, 20)})" if c.label else ""), c.id)
                   for c in fitting]
        own = {c.id for c in fitting}
        for c, owner in self._others:
            if c.kind in kinds and c.id not in own:
                fitting.append(c)
                options.append((one_line(c.value, max_len=50) + " — " + one_line(owner, max_len=30), c.id))
        current = keep if keep is not None else select.value
        self._restoring += 1
        try:
            select.set_options(options)
            ids = {c.id for c in fitting}
            if current in ids:
                select.value = current
            elif fitting:
                select.value = fitting[0].id
        finally:
            self._restoring -= 1

    def _show_channel_fields(self) -> None:
        """Only the fields the channel has (T9): e-mail fields, attachments, Send or Call."""
        self.query_one("#composer-email").display = self.channel in CHANNELS_WITH_MAIL_FIELDS
        self.query_one("#composer-files").display = self.channel in CHANNELS_WITH_ATTACHMENTS
        self.query_one("#composer-send", Button).label = _("Call") if self.channel in VOICE_CHANNELS else _("Send")

    def show_error(self, text: str) -> None:
        """By the Send button, and where the eyes are (the screen's status line): at 80x24
        the composer's own line may be scrolled out of view."""
        self.query_one("#composer-error", Label).update(Content(text))
        if text:
            self.feedback(text, "error")

    def add_other_contact(self, contact: ContactInfo, owner: str) -> None:
        """A contact of another customer found by search: offered and chosen (the store checks
        again that the campaign allows it)."""
        if all(c.id != contact.id for c, _o in self._others):
            self._others.append((contact, owner))
        self._fill_contacts(keep=contact.id)
        self._edited()

    def use_template(self, key: str) -> None:
        """Choose a template (the `t` picker): it fills the message as choosing it here does."""
        template = next((t for t in self._campaign.templates if t.key == key), None)
        if template is None:
            return
        self._restoring += 1  # the Select's own Changed must not fill it a second time
        try:
            self.query_one("#composer-template", Select).value = key
            self._fill_from(template)
        finally:
            self.call_after_refresh(self._restored)
        self._client_key = None
        self.post_message(self.Changed(self))

    def focus_message(self) -> None:
        """The cursor at the end of the message (the `m` key, after a template)."""
        text = self.query_one("#composer-text", TextArea)
        text.focus()
        text.move_cursor(text.document.end)

    # --- drafts --------------------------------------------------------------------------

    def raw_values(self) -> dict[str, Any]:
        def value(sel: str) -> Any:
            return self.query_one(sel, Select).selection

        return {
            "channel": value("#composer-channel"),
            "contact": value("#composer-contact"),
            "template": value("#composer-template"),
            "survey": value("#composer-survey"),
            # The default subject is not typing: a draft (and "kept as a draft") without it.
            "subject": "" if (subject := self.query_one("#composer-subject", Input).value) == self._default_subject
            else subject,
            "cc": self.query_one("#composer-cc", Input).value,
            "bcc": self.query_one("#composer-bcc", Input).value,
            "text": self.query_one("#composer-text", TextArea).text,
            "files": self.query_one("#composer-files", Input).value,
            "other": self._other().value if self._other() is not None else "",
        }

    def _other(self) -> Input | None:
        found = self.query("#composer-other")
        return found.first(Input) if found else None

    def restore(self, raw: Mapping[str, Any]) -> None:
        self._restoring += 1
        try:
            channel = raw.get("channel")
            select = self.query_one("#composer-channel", Select)
            if channel in {c.value for c in self._campaign.outgoing_channels}:
                select.value = channel
            self._show_channel_fields()
            self._fill_contacts(keep=raw.get("contact"))
            for sel, key, allowed in (("#composer-template", "template", {t.key for t in self._campaign.templates}),
                                      ("#composer-survey", "survey", {s.key for s in self._campaign.surveys})):
                widget = self.query_one(sel, Select)
                value = raw.get(key)
                if value in allowed:
                    widget.value = value
                else:
                    widget.clear()
            for sel, key in (("#composer-subject", "subject"), ("#composer-cc", "cc"), ("#composer-bcc", "bcc"),
                             ("#composer-files", "files")):
                self.query_one(sel, Input).value = str(raw.get(key) or "")
            if not raw.get("subject"):
                self.query_one("#composer-subject", Input).value = self._default_subject
            self.query_one("#composer-text", TextArea).text = str(raw.get("text") or "")
            other = self._other()
            if other is not None:
                other.value = str(raw.get("other") or "")
        finally:
            self.call_after_refresh(self._restored)

    def _restored(self) -> None:
        self._restoring -= 1

    def clear(self) -> None:
        self._client_key = None
        self.restore({"channel": self.raw_values().get("channel")})
        self.show_error("")

    # --- events ----------------------------------------------------------------------------

    def _edited(self) -> None:
        if self._restoring:
            return
        self._client_key = None  # different content: a different message
        self.post_message(self.Changed(self))

    @on(Select.Changed, "#composer-channel")
    def _channel_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._show_channel_fields()
        self._fill_contacts()
        self._edited()

    @on(Select.Changed, "#composer-template")
    def _template_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self._restoring:
            return
        template = next((t for t in self._campaign.templates if t.key == event.value), None)
        if template is not None:
            self._restoring += 1
            try:
                self._fill_from(template)
            finally:
                self.call_after_refresh(self._restored)
        self._edited()

    def _fill_from(self, template) -> None:
        self.query_one("#composer-text", TextArea).text = fill_template(template.body, self._variables)
        if template.subject:
            self.query_one("#composer-subject", Input).value = fill_template(template.subject, self._variables)

    @on(Select.Changed, "#composer-contact")
    @on(Select.Changed, "#composer-survey")
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._edited()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._edited()

    @on(TextArea.Changed)
    def _text_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._edited()

    @on(Button.Pressed, "#composer-send")
    def _send_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.send()

    @on(Button.Pressed, "#composer-search-contact")
    def _search_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        channel = self.channel
        self.post_message(self.ContactSearchRequested(self, CHANNEL_CONTACT_KINDS.get(channel, frozenset())
                                                      if channel else frozenset()))

    @on(Button.Pressed, "#composer-clear")
    def _clear_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.ClearRequested(self))

    def send(self) -> None:
        raw = self.raw_values()
        channel = self.channel
        if channel is None:
            self.show_error(_("Choose a channel; this campaign has no outgoing channel."))
            return
        other = raw["other"].strip()
        if raw["contact"] is None and not other:
            self.show_error(_("Choose a contact that can receive {channel}; add one in the Contact tab.",
                              channel=labels.channel(channel)))
            return
        if not raw["text"].strip() and not raw["survey"]:
            self.show_error(_("Write a message first."))
            return
        if self._client_key is None:
            self._client_key = uuid4().hex
        email = channel is ChannelType.EMAIL
        files = tuple(p.strip() for p in raw["files"].split(";") if p.strip())
        self.show_error("")
        self.post_message(self.SendRequested(OutgoingMessage(
            client_key=self._client_key, channel=channel, contact=other or int(raw["contact"]), text=raw["text"],
            subject=self.query_one("#composer-subject", Input).value if email else "", cc=raw["cc"] if email else "",
            bcc=raw["bcc"] if email else "", template_key=raw["template"], survey_key=raw["survey"],
        ), files))
