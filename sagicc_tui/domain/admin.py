"""Administration (P3, P4): what an administrator changes about users and
campaigns, and the rules every change passes before it is written.

Each rule raises InvalidInput with one sentence naming what is wrong and what
to do; the store runs `check_campaign` inside the transaction that writes, so
the TUI, the headless verbs and the API can never save a campaign another path
would refuse.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from sagicc_tui.domain import phones
from sagicc_tui.domain.enums import ChannelType, FieldType, MailSecurity, Role
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Campaign, CampaignMailbox, MessageTemplate, TaskField

model = dataclass(frozen=True, slots=True, kw_only=True)

LANGUAGES = ("es", "en")

#: Placeholders a campaign's script and message templates may use; filled
#: from the ticket at hand (`fill_placeholders`).
PLACEHOLDERS = ("customer_name", "ticket_number", "agent_name", "campaign_name")
#: The same placeholders in Spanish, as scripts written in Spanish use them (the demo's `{agente}`).
PLACEHOLDER_ALIASES = {"cliente": "customer_name", "caso": "ticket_number", "agente": "agent_name",
                       "campaña": "campaign_name"}

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")


@model
class UserInput:
    """A new user (`sagicc users add`, the administration screen)."""

    username: str
    role: Role
    full_name: str = ""
    campaign_ids: tuple[int, ...] = ()  # empty: every campaign
    can_export: bool | None = None  # None: the role's default
    language: str | None = None
    os_user: str | None = None  # their account on a shared host (serve --socket)


@model
class IssuedToken:
    """A server token, shown once: the store keeps only its SHA-256."""

    token: str
    label: str  # the user name, or the gateway's name


@model
class UserChanges:
    """What to change about a user; None leaves a field as it is.

    `export` is "yes", "no" or "role" (back to the role's default), because
    None already means "unchanged"."""

    full_name: str | None = None
    role: Role | None = None
    campaign_ids: tuple[int, ...] | None = None
    export: str | None = None
    language: str | None = None  # "" clears it (the terminal's locale)
    active: bool | None = None


def check_username(username: str) -> str:
    name = username.strip()
    if not _USERNAME.match(name):
        raise InvalidInput(N_("A user name is 1 to 64 letters, digits, dots, dashes, @ or underscores, "
                              "with no spaces, like ana.perez; {name} is not one."), name=username)
    return name


def check_language(language: str | None) -> str | None:
    if language in (None, ""):
        return None
    if language not in LANGUAGES:
        raise InvalidInput(N_("The language {language} is not offered; choose es or en."), language=language)
    return language


def check_export(value: str) -> bool | None:
    choices = {"yes": True, "no": False, "role": None}
    if value not in choices:
        raise InvalidInput(N_("The export permission is yes, no or role (the role's default), not {value}."),
                           value=value)
    return choices[value]


def check_campaign_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise InvalidInput(N_("A campaign needs a name of 1 to 80 characters."))
    return name


def check_country(code: str) -> str:
    """A campaign's country (#15.9): the region its phones without "+" are read
    in, one phonenumbers knows; upper-case, as stored."""
    country = (code or "").strip().upper()
    if not phones.valid_country(country):
        raise InvalidInput(N_("{country} is not a country phone numbers are known for; write its two-letter code, "
                              "like CO, MX or ES."), country=code.strip() or "(empty)")
    return country


def placeholders_in(text: str) -> list[str]:
    """The {names} a script or template uses; unbalanced braces raise."""
    try:
        return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError:
        raise InvalidInput(N_("A brace is not closed in: {text}. Write placeholders like {{customer_name}}."),
                           text=text[:60]) from None


def _check_placeholders(text: str, where: str) -> None:
    for name in placeholders_in(text):
        if name not in PLACEHOLDERS and name not in PLACEHOLDER_ALIASES:
            raise InvalidInput(N_("The placeholder {{{name}}} in {where} is unknown; use {known}."),
                               name=name, where=where, known=", ".join("{" + p + "}" for p in (*PLACEHOLDERS, *PLACEHOLDER_ALIASES)))


def fill_placeholders(text: str, **values: object) -> str:
    """The text with its known placeholders (and their Spanish names) filled; unknown ones
    stay as written. The caller passes values already made safe to show."""
    def one(match: re.Match[str]) -> str:
        name = PLACEHOLDER_ALIASES.get(match.group(1), match.group(1))
        return str(values[name]) if name in PLACEHOLDERS and name in values else match.group(0)

    # One pass: a filled value (a customer's name) is never read as a placeholder itself.
    return re.sub(r"\{(\w+)\}", one, text)


def check_campaign(c: Campaign) -> None:
    """Every P4 rule of one campaign's configuration, in the order a form shows them."""
    check_campaign_name(c.name)
    check_country(c.country)
    if not c.task_fields:
        raise InvalidInput(N_("The task form of {campaign} has no fields; add at least one field "
                              "(the outcome agents record)."), campaign=c.name)
    keys: set[str] = set()
    for f in c.task_fields:
        if not _KEY.match(f.key):
            raise InvalidInput(N_("The task field key {key} must be lower-case letters, digits or underscores, "
                                  "like outcome."), key=f.key)
        if f.key in keys:
            raise InvalidInput(N_("Two task fields have the key {key}; give each field its own key."), key=f.key)
        keys.add(f.key)
        if not f.label.strip():
            raise InvalidInput(N_("The task field {key} needs a label."), key=f.key)
        if f.type is FieldType.CHOICE and not f.choices:
            raise InvalidInput(N_("The choice field {key} has no choices; list them, like Solved,Pending."),
                               key=f.key)
        if len(set(f.choices)) != len(f.choices):
            raise InvalidInput(N_("The field {key} lists a choice twice; list each choice once."), key=f.key)
    if c.primary_field is not None and c.primary_field not in keys:
        raise InvalidInput(N_("The primary field {key} is not a field of the task form; choose one of {keys}."),
                           key=c.primary_field, keys=", ".join(sorted(keys)))
    if len(set(c.incoming_channels)) != len(c.incoming_channels) or \
            len(set(c.outgoing_channels)) != len(c.outgoing_channels):
        raise InvalidInput(N_("A channel is listed twice; list each channel once."))
    _check_placeholders(c.script, "the script")
    priorities: set[str] = set()
    for rule in c.sla_rules:
        if rule.priority in priorities:
            raise InvalidInput(N_("There are two SLA rules for priority {priority}; keep one."),
                               priority=rule.priority.value)
        priorities.add(rule.priority)
        if rule.first_response_minutes <= 0 or rule.resolution_minutes <= 0:
            raise InvalidInput(N_("An SLA time must be more than zero (priority {priority}); write it in hours, "
                                  "like 4 or 0.5."), priority=rule.priority.value)
        if rule.resolution_minutes < rule.first_response_minutes:
            raise InvalidInput(N_("For priority {priority} the time to close is shorter than the time to the first "
                                  "answer; make it at least as long."), priority=rule.priority.value)
    names: set[str] = set()
    tkeys: set[str] = set()
    for t in c.templates:
        name = t.name.strip().casefold()
        if not name:
            raise InvalidInput(N_("A message template needs a name."))
        if name in names:
            raise InvalidInput(N_("There is already a template named {name} in {campaign}; choose another name."),
                               name=t.name, campaign=c.name)
        names.add(name)
        if t.key in tkeys:
            raise InvalidInput(N_("Two templates have the key {key}; give each its own key."), key=t.key)
        tkeys.add(t.key)
        if not t.body.strip():
            raise InvalidInput(N_("The template {name} has no text; write the message it sends."), name=t.name)
        _check_placeholders(t.body, t.name)
        _check_placeholders(t.subject, t.name)
    skeys: set[str] = set()
    for s in c.surveys:
        if not s.url.startswith(("https://", "http://")):
            raise InvalidInput(N_("The survey link {url} must start with https:// (or http://)."), url=s.url)
        if s.key in skeys:
            raise InvalidInput(N_("Two surveys have the key {key}; give each its own key."), key=s.key)
        skeys.add(s.key)
    if c.mailbox is not None:
        check_mailbox(c.mailbox)
        if ChannelType.EMAIL not in c.incoming_channels:
            raise InvalidInput(N_("{campaign} reads a mailbox but does not receive the e-mail channel; add email to "
                                  "its incoming channels."), campaign=c.name)


#: Hosts a mailbox may be read from over plain IMAP (the password never leaves the machine).
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_HOST = re.compile(r"^[A-Za-z0-9.:\[\]_-]{1,253}$")


def check_mailbox(m: CampaignMailbox) -> None:
    """A campaign's mailbox settings (#13), in the order the form shows them."""
    if not _HOST.match(m.host):
        raise InvalidInput(N_("The mail server must be a host name or address, like imap.example.com, with no "
                              "spaces; {host} is not one."), host=m.host or "(empty)")
    if not m.user.strip() or len(m.user) > 320 or any(ch.isspace() for ch in m.user):
        raise InvalidInput(N_("The mailbox needs its login (the user name or address you sign in with), with "
                              "no spaces."))
    if not 0 <= m.port <= 65535:
        raise InvalidInput(N_("The mailbox port must be 1 to 65535 (or empty for the default), not {port}."),
                           port=m.port)
    if m.security is MailSecurity.PLAIN and m.host not in LOOPBACK:
        raise InvalidInput(N_("A mailbox login over plain IMAP would send the password unencrypted to {host}; "
                              "choose ssl or starttls."), host=m.host)
    if not m.folder.strip() or len(m.folder) > 200:
        raise InvalidInput(N_("The mailbox folder needs a name of 1 to 200 characters, like INBOX."))
    if m.password_file and not m.password_file.startswith("/"):
        raise InvalidInput(N_("The password file must be a full path on the machine that reads the mail, like "
                              "/etc/sagicc/soporte.password, not {path}."), path=m.password_file)


def key_for(name: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A key derived from a name (templates, fields): lower-case ASCII, unique among `taken`."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:32] or "item"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def starter_campaign(name: str) -> Campaign:
    """A campaign that works at once (`sagicc init`, New campaign): every channel
    comes in, e-mail goes out, a task form with an outcome, one greeting template."""
    return Campaign(
        id=0, name=name,
        task_fields=(TaskField(key="outcome", label="Outcome", type=FieldType.CHOICE, required=True,
                               choices=("Solved", "Pending", "Escalated")),),
        primary_field="outcome",
        incoming_channels=tuple(ChannelType),
        outgoing_channels=(ChannelType.EMAIL,),
        script="Hello {customer_name}, my name is {agent_name}. How can I help you?",
        templates=(MessageTemplate(key="greeting", name="Greeting", subject="Ticket {ticket_number}",
                                   body="Hello {customer_name}, we received your message (ticket {ticket_number})."),),
    )
