"""Administration (P3, P4) for administrators: users and campaigns.

    AdminScreen(backend, user)     # from the palette ("Administration") or the A key

Three tabs. Users: the list (one OptionList line a user), a form to add one
(the token is shown once, in a dialog) and to change the selected user's
role, campaigns, export permission or language, or disable/enable them, saved
at the version it was read. Campaigns: the list, and the selected campaign's
configuration as a form (name, active, View All Tickets, mass close,
channels, script, task form, templates, SLA rules, survey links, and the
E-mail section: the mailbox it reads, widgets/campaign_mail.py), saved at
the version it was read. Channel gateways: issue a gateway's token (shown
once) or revoke its tokens.

Every rule is the store's: the screen sends what was typed and shows the
store's sentence, keeping the typing. The screen is offered to administrators
only; the backend refuses anyone else anyway.

Task fields, templates and SLA rules are edited as text, one a line:
  field:     key:Label:type[:required][:A|B|C]
  template:  Name | Subject | Body
  SLA:       priority hours-to-first-answer hours-to-close
  survey:    Name | https://link
"""

from __future__ import annotations

import dataclasses

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    OptionList,
    Select,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.option_list import Option

from sagicc_tui import sanitize
from sagicc_tui.backend import Backend
from sagicc_tui.domain.admin import PLACEHOLDERS, UserChanges, UserInput, key_for, starter_campaign
from sagicc_tui.domain.enums import ChannelType, FieldType, Priority, Role
from sagicc_tui.domain.errors import InvalidInput, SagiccError, StaleWrite
from sagicc_tui.domain.models import Campaign, MessageTemplate, SlaRule, Survey, TaskField, User
from sagicc_tui.i18n import N_, _
from sagicc_tui.session import Session
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.campaign_mail import CampaignMailForm
from sagicc_tui.widgets.io import BackendCalls, error_text
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.translated import TranslatedBindings

ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMINISTRATOR)


def _ids(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.replace(" ", "").split(",") if x)
    except ValueError:
        raise InvalidInput(N_("Write campaign ids separated by commas, like 1,2.")) from None


def _channels(text: str) -> tuple[ChannelType, ...]:
    try:
        return tuple(ChannelType(x.strip()) for x in text.split(",") if x.strip())
    except ValueError:
        raise InvalidInput(N_("Write channels separated by commas: {known}."),
                           known=", ".join(c.value for c in ChannelType)) from None


def fields_from_text(text: str) -> tuple[TaskField, ...]:
    out = []
    for line in (ln.strip() for ln in text.splitlines()):
        if not line:
            continue
        parts = line.split(":")
        if len(parts) < 3 or parts[2].strip() not in {t.value for t in FieldType}:
            raise InvalidInput(N_("Write each task field as key:Label:type[:required][:A|B], with type text, "
                                  "number, date or choice; {line} is not one."), line=line[:60])
        key, label, kind, *rest = parts
        required = bool(rest and rest[0].strip() == "required")
        rest = rest[1:] if required else rest
        choices = tuple(x.strip() for x in rest[0].split("|") if x.strip()) if rest else ()
        out.append(TaskField(key=key.strip(), label=label.strip(), type=FieldType(kind.strip()),
                             required=required, choices=choices))
    return tuple(out)


def fields_to_text(fields: tuple[TaskField, ...]) -> str:
    lines = []
    for f in fields:
        parts = [f.key, f.label, f.type.value] + (["required"] if f.required else [])
        if f.choices:
            parts.append("|".join(f.choices))
        lines.append(":".join(parts))
    return "\n".join(lines)


def templates_from_text(text: str, before: tuple[MessageTemplate, ...]) -> tuple[MessageTemplate, ...]:
    keys = {t.name.casefold(): t for t in before}
    taken: set[str] = set()
    out = []
    for line in (ln for ln in text.splitlines() if ln.strip()):
        parts = [p.strip() for p in line.split("|", 2)]
        if len(parts) != 3:
            raise InvalidInput(N_("Write each template as Name | Subject | Body; {line} is not one."), line=line[:60])
        name, subject, body = parts
        old = keys.get(name.casefold())
        key = old.key if old is not None and old.key not in taken else key_for(name, taken)
        taken.add(key)
        out.append(MessageTemplate(key=key, name=name, subject=subject, body=body,
                                   channel=old.channel if old is not None else None))
    return tuple(out)


def templates_to_text(templates: tuple[MessageTemplate, ...]) -> str:
    return "\n".join(f"{t.name} | {t.subject} | {t.body}" for t in templates)


def sla_from_text(text: str) -> tuple[SlaRule, ...]:
    out = []
    for line in (ln.split() for ln in text.splitlines() if ln.strip()):
        try:
            priority, first, close = Priority(line[0]), float(line[1]), float(line[2])
        except (ValueError, IndexError):
            raise InvalidInput(N_("Write each SLA rule as priority hours-to-first-answer hours-to-close, like "
                                  "high 2 24.")) from None
        out.append(SlaRule(priority=priority, first_response_minutes=round(first * 60),
                           resolution_minutes=round(close * 60)))
    return tuple(out)


def sla_to_text(rules: tuple[SlaRule, ...]) -> str:
    return "\n".join(f"{r.priority.value} {r.first_response_minutes / 60:g} {r.resolution_minutes / 60:g}"
                     for r in rules)


def surveys_from_text(text: str, before: tuple[Survey, ...]) -> tuple[Survey, ...]:
    keys = {s.name.casefold(): s.key for s in before}
    taken: set[str] = set()
    out = []
    for line in (ln for ln in text.splitlines() if ln.strip()):
        parts = [p.strip() for p in line.split("|", 1)]
        if len(parts) != 2 or not parts[0]:
            raise InvalidInput(N_("Write each survey as Name | https://link; {line} is not one."), line=line[:60])
        name, url = parts
        old = keys.get(name.casefold())
        key = old if old is not None and old not in taken else key_for(name, taken)
        taken.add(key)
        out.append(Survey(key=key, name=name, url=url))
    return tuple(out)


def surveys_to_text(surveys: tuple[Survey, ...]) -> str:
    return "\n".join(f"{s.name} | {s.url}" for s in surveys)


class TokenShown(TranslatedBindings, Screen[None]):
    """A new token (a user's or a gateway's), shown once; Escape or Enter closes it."""

    BINDINGS = [Binding("escape,enter", "close", N_("Close"), id="admin.token.close")]

    def __init__(self, username: str, token: str, *, gateway: bool = False) -> None:
        super().__init__()
        self._username, self._token, self._gateway = username, token, gateway

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            if self._gateway:
                title = _("Gateway token for {name} (shown only now; the store keeps only its hash):",
                          name=self._username)
                help_text = _("The gateway sends POST /api/v1/inbound with Authorization: Bearer TOKEN. Esc closes.")
            else:
                title = _("Token for {user} (shown only now; the store keeps only its hash):", user=self._username)
                help_text = _("On their machine: sagicc login URL, then paste the token. Esc closes.")
            yield Label(Content(title), classes="dialog-title")
            yield Input(self._token, id="admin-token")
            yield Label(Content(help_text), classes="dialog-help")

    def action_close(self) -> None:
        self.dismiss(None)


class AdminScreen(BackendCalls, TranslatedBindings, Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", N_("Back"), id="admin.back"),
                Binding("ctrl+s", "save", N_("Save"), id="admin.save")]
    DEFAULT_CSS = """
    AdminScreen #admin-users, AdminScreen #admin-campaigns { width: 32; }
    AdminScreen .admin-form { width: 1fr; padding: 0 1; }
    AdminScreen TextArea { height: 5; }
    AdminScreen .admin-row { height: auto; }
    AdminScreen .admin-row Input { width: 1fr; }
    """

    def __init__(self, backend: Backend, user: User) -> None:
        super().__init__()
        self.backend = backend
        self.user = user
        self.users: list[User] = []
        self.campaigns: list[Campaign] = []
        self.campaign: Campaign | None = None

    @property
    def session(self) -> Session:
        """The backend as this screen's user (made again when the user changes)."""
        return self.backend.session(self.user)

    def compose(self) -> ComposeResult:
        with TabbedContent(id="admin-tabs"):
            with TabPane(_("Users"), id="tab-users"), Horizontal():
                yield OptionList(id="admin-users")
                with VerticalScroll(classes="admin-form"):
                    yield Label(Content(_("User name (new users only)")))
                    yield Input(id="user-name", placeholder="ana.perez", max_length=64)
                    yield Label(Content(_("Full name")))
                    yield Input(id="user-full-name", max_length=200)
                    yield Label(Content(_("Role")))
                    yield Select([(labels.role(r), r.value) for r in ROLES], id="user-role", value=Role.AGENT.value, allow_blank=False)
                    yield Label(Content(_("Campaigns (ids, like 1,2; empty: all)")))
                    yield Input(id="user-campaigns")
                    yield Label(Content(_("Export permission")))
                    yield Select([(_("The role's default"), "role"), (_("Yes"), "yes"), (_("No"), "no")],
                                 id="user-export", value="role", allow_blank=False)
                    yield Label(Content(_("Language")))
                    yield Select([(_("The terminal's"), ""), ("Español", "es"), ("English", "en")],
                                 id="user-language", value="", allow_blank=False)
                    with Horizontal(classes="admin-row"):
                        yield Button(_("Add user"), id="user-add", variant="primary")
                        yield Button(_("Save user"), id="user-save")
                        yield Button(_("Disable / enable"), id="user-toggle")
            with TabPane(_("Campaigns"), id="tab-campaigns"), Horizontal():
                yield OptionList(id="admin-campaigns")
                with VerticalScroll(classes="admin-form"):
                    yield Label(Content(_("Name")))
                    yield Input(id="camp-name", max_length=80)
                    yield Checkbox(_("Active"), id="camp-active")
                    yield Checkbox(_("View All Tickets"), id="camp-view-all")
                    yield Checkbox(_("Mass close allowed"), id="camp-mass-close")
                    yield Label(Content(_("Country of its phones (a code like CO or MX)")))
                    yield Input(id="camp-country", placeholder="CO", max_length=8)
                    yield Label(Content(_("Incoming channels")))
                    yield Input(id="camp-incoming", placeholder="email,whatsapp")
                    yield Label(Content(_("Outgoing channels")))
                    yield Input(id="camp-outgoing", placeholder="email")
                    yield Label(Content(_("Task form: key:Label:type[:required][:A|B], one a line")))
                    yield TextArea(id="camp-fields")
                    yield Label(Content(_("Primary field (key)")))
                    yield Input(id="camp-primary")
                    yield Label(Content(_("Script") + "  " + " ".join("{" + p + "}" for p in PLACEHOLDERS)))
                    yield TextArea(id="camp-script")
                    yield Label(Content(_("Templates: Name | Subject | Body, one a line")))
                    yield TextArea(id="camp-templates")
                    yield Label(Content(_("SLA: priority hours-to-first-answer hours-to-close, one a line")))
                    yield TextArea(id="camp-sla")
                    yield from self._compose_surveys()
                    yield CampaignMailForm(id="camp-mail")
                    with Horizontal(classes="admin-row"):
                        yield Button(_("Save campaign"), id="camp-save", variant="primary")
                        yield Button(_("New campaign"), id="camp-new")
            with TabPane(_("Channel gateways"), id="tab-gateways"):
                yield from self._compose_gateways()
        yield KeyFooter()

    def _compose_surveys(self) -> ComposeResult:
        yield Label(Content(_("Survey links: Name | https://link, one a line")))
        yield TextArea(id="camp-surveys")

    def _compose_gateways(self) -> ComposeResult:
        with VerticalScroll(classes="admin-form"):
            yield Label(Content(_("A gateway (WhatsApp, SMS, web chat...) delivers incoming messages to "
                                  "POST /api/v1/inbound with its own token.")))
            yield Label(Content(_("Gateway name")))
            yield Input(id="gateway-name", placeholder="whatsapp-1", max_length=80)
            with Horizontal(classes="admin-row"):
                yield Button(_("Issue token"), id="gateway-issue", variant="primary")
                yield Button(_("Revoke its tokens"), id="gateway-revoke", variant="error")

    def on_mount(self) -> None:
        self.title = _("Administration")
        self.reload()

    # --- loading -------------------------------------------------------------------------

    # Every read and write goes through BackendCalls.call: this screen has no
    # status line, so a refusal or a defect is one notification and the form
    # keeps what was typed. Separate presses (add a user, then another) do not
    # cancel each other's write; a campaign's save replaces the one before it.

    def reload(self, select_campaign: int | None = None) -> None:
        async def read() -> tuple[list[User], list[Campaign]]:
            return await self.session.agent.list_users(), await self.session.agent.list_campaigns()

        self.call("admin-load", read, lambda lists: self._listed(*lists, select_campaign))

    def _listed(self, users: list[User], campaigns: list[Campaign], select_campaign: int | None) -> None:
        self.users, self.campaigns = users, campaigns
        ul = self.query_one("#admin-users", OptionList)
        ul.clear_options()
        ul.add_options([Option(Content(f"{sanitize.one_line(u.username, 16)} · {u.role.value}"
                                       + ("" if u.active else " · " + _("disabled"))), id=u.username)
                        for u in users])
        cl = self.query_one("#admin-campaigns", OptionList)
        cl.clear_options()
        cl.add_options([Option(Content(f"{c.id} {sanitize.one_line(c.name, 24)}"
                                       + ("" if c.active else " · " + _("disabled"))), id=str(c.id))
                        for c in campaigns])
        wanted = select_campaign or (self.campaign.id if self.campaign else None) or (campaigns[0].id if campaigns else None)
        for i, c in enumerate(campaigns):
            if c.id == wanted:
                cl.highlighted = i
                self._show_campaign(c)

    @on(OptionList.OptionHighlighted, "#admin-users")
    def _user_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        u = next((x for x in self.users if x.username == event.option.id), None)
        if u is None:
            return
        self.query_one("#user-name", Input).value = u.username
        self.query_one("#user-full-name", Input).value = u.full_name
        self.query_one("#user-role", Select).value = u.role.value
        self.query_one("#user-campaigns", Input).value = ",".join(map(str, u.campaign_ids))
        self.query_one("#user-export", Select).value = {None: "role", True: "yes", False: "no"}[u.can_export]
        self.query_one("#user-language", Select).value = u.language or ""

    @on(OptionList.OptionHighlighted, "#admin-campaigns")
    def _campaign_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        c = next((x for x in self.campaigns if str(x.id) == event.option.id), None)
        if c is not None and (self.campaign is None or c.id != self.campaign.id):
            self._show_campaign(c)

    def _show_campaign(self, c: Campaign) -> None:
        self.campaign = c
        self.query_one("#camp-name", Input).value = c.name
        self.query_one("#camp-active", Checkbox).value = c.active
        self.query_one("#camp-view-all", Checkbox).value = c.view_all_tickets
        self.query_one("#camp-mass-close", Checkbox).value = c.mass_close_allowed
        self.query_one("#camp-country", Input).value = c.country
        self.query_one("#camp-incoming", Input).value = ",".join(ch.value for ch in c.incoming_channels)
        self.query_one("#camp-outgoing", Input).value = ",".join(ch.value for ch in c.outgoing_channels)
        self.query_one("#camp-fields", TextArea).text = fields_to_text(c.task_fields)
        self.query_one("#camp-primary", Input).value = c.primary_field or ""
        self.query_one("#camp-script", TextArea).text = c.script
        self.query_one("#camp-templates", TextArea).text = templates_to_text(c.templates)
        self.query_one("#camp-sla", TextArea).text = sla_to_text(c.sla_rules)
        self.query_one("#camp-surveys", TextArea).text = surveys_to_text(c.surveys)
        self.query_one(CampaignMailForm).show(c.mailbox)

    # --- users ---------------------------------------------------------------------------

    def _user_form(self) -> tuple[str, str, Role, tuple[int, ...], str, str]:
        return (self.query_one("#user-name", Input).value.strip(),
                self.query_one("#user-full-name", Input).value,
                Role(self.query_one("#user-role", Select).value),
                _ids(self.query_one("#user-campaigns", Input).value),
                str(self.query_one("#user-export", Select).value),
                str(self.query_one("#user-language", Select).value))

    def _listed_user(self, name: str) -> User | None:
        """The user as this screen read them (their version travels with a save)."""
        current = next((u for u in self.users if u.username == name), None)
        if current is None:
            self.notify(_("Choose a user in the list first."), severity="warning")
        return current

    @on(Button.Pressed, "#user-add")
    def add_user(self) -> None:
        from sagicc_tui.domain.admin import check_export

        async def write() -> tuple[str, str]:
            name, full, role, camps, export, language = self._user_form()
            made = await self.session.admin.add_user(UserInput(
                username=name, role=role, full_name=full, campaign_ids=camps, can_export=check_export(export),
                language=language or None))
            issued = await self.session.admin.issue_user_token(made.username)
            return made.username, issued.token

        def added(made: tuple[str, str]) -> None:
            username, token = made
            self.notify(_("User {user} added.", user=username))
            self.app.push_screen(TokenShown(username, token))
            self.reload()

        self.call("admin-write", write, added, exclusive=False)

    def _refused_long(self, error: SagiccError) -> None:
        """A refused form save: the sentence stays longer, and the form keeps what was typed."""
        self.notify(error_text(error), severity="error", timeout=10)

    @on(Button.Pressed, "#user-save")
    def save_user(self) -> None:
        async def write() -> str | None:
            name, full, role, camps, export, language = self._user_form()
            current = self._listed_user(name)
            if current is None:
                return None
            # Saved at the version this screen read: another administrator's change in between is refused.
            await self.session.admin.update_user(name, UserChanges(
                full_name=full, role=role, campaign_ids=camps, export=export, language=language),
                expected_version=current.version)
            return name

        def saved(name: str | None) -> None:
            if name is not None:
                self.notify(_("User {user} saved.", user=name))
                self.reload()

        def refused(error: SagiccError) -> None:
            self._refused_long(error)
            if isinstance(error, StaleWrite):
                self.reload()  # the list reads the user again: choosing them shows what was saved meanwhile

        self.call("admin-write", write, saved, refused, quiet=True, settle=True, exclusive=False)

    @on(Button.Pressed, "#user-toggle")
    def toggle_user(self) -> None:
        name = self.query_one("#user-name", Input).value.strip()
        current = self._listed_user(name)
        if current is None:
            return
        self.call("admin-write", lambda: self.session.admin.update_user(
            name, UserChanges(active=not current.active), expected_version=current.version),
            lambda _user: self.reload(), exclusive=False)

    # --- campaigns --------------------------------------------------------------------------

    def _campaign_form(self, base: Campaign) -> Campaign:
        return dataclasses.replace(
            base,
            name=self.query_one("#camp-name", Input).value,
            active=self.query_one("#camp-active", Checkbox).value,
            view_all_tickets=self.query_one("#camp-view-all", Checkbox).value,
            mass_close_allowed=self.query_one("#camp-mass-close", Checkbox).value,
            country=self.query_one("#camp-country", Input).value,
            incoming_channels=_channels(self.query_one("#camp-incoming", Input).value),
            outgoing_channels=_channels(self.query_one("#camp-outgoing", Input).value),
            task_fields=fields_from_text(self.query_one("#camp-fields", TextArea).text),
            primary_field=self.query_one("#camp-primary", Input).value.strip() or None,
            script=self.query_one("#camp-script", TextArea).text,
            templates=templates_from_text(self.query_one("#camp-templates", TextArea).text, base.templates),
            sla_rules=sla_from_text(self.query_one("#camp-sla", TextArea).text),
            surveys=surveys_from_text(self.query_one("#camp-surveys", TextArea).text, base.surveys),
            mailbox=self.query_one(CampaignMailForm).read(),
        )

    def action_save(self) -> None:
        active = self.query_one("#admin-tabs", TabbedContent).active
        if active == "tab-campaigns":
            self.save_campaign()
        elif active == "tab-users":
            self.save_user()

    @on(Button.Pressed, "#camp-save")
    def save_campaign(self) -> None:
        campaign = self.campaign
        if campaign is None:
            return

        async def write() -> Campaign:
            return await self.session.admin.save_campaign(campaign.id, self._campaign_form(campaign),
                                                          expected_version=campaign.version)

        def saved(saved: Campaign) -> None:
            self.campaign = saved
            self.notify(_("Campaign {name} saved.", name=saved.name))
            self.reload(select_campaign=saved.id)

        self.call("admin-campaign", write, saved, self._refused_long, quiet=True, settle=True)

    @on(Button.Pressed, "#camp-new")
    def new_campaign(self) -> None:
        name = _("New campaign {n}", n=len(self.campaigns) + 1)

        def made(made: Campaign) -> None:
            self.campaign = None
            self.reload(select_campaign=made.id)

        self.call("admin-campaign", lambda: self.session.admin.add_campaign(starter_campaign(name)), made)

    # --- channel gateways ----------------------------------------------------------------------

    def _gateway_name(self) -> str | None:
        name = self.query_one("#gateway-name", Input).value.strip()
        if not name:
            self.notify(_("Write the gateway's name first, like whatsapp-1."), severity="warning")
            return None
        return name

    @on(Button.Pressed, "#gateway-issue")
    def issue_gateway_token(self) -> None:
        name = self._gateway_name()
        if name is None:
            return
        self.call("admin-write", lambda: self.session.admin.issue_channel_token(name),
                  lambda issued: self.app.push_screen(TokenShown(issued.label, issued.token, gateway=True)),
                  exclusive=False)

    @on(Button.Pressed, "#gateway-revoke")
    def revoke_gateway_tokens(self) -> None:
        name = self._gateway_name()
        if name is None:
            return
        self.call("admin-write", lambda: self.session.admin.revoke_channel_tokens(name),
                  lambda n: self._revoked(name, n), exclusive=False)

    def _revoked(self, name: str, n: int) -> None:
        if n:
            self.notify(_("Revoked {n} token(s) of the gateway {name}; it can no longer deliver messages.",
                          n=n, name=name))
        else:
            self.notify(_("The gateway {name} has no active token; nothing was revoked.", name=name),
                        severity="warning")
