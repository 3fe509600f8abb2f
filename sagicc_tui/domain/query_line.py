"""+L12 the query line: `priority:critical assignee:none status:open,new created:<7d`.

One line of text is another way to write the TicketQuery the filter sidebar
builds: `parse()` turns the text into a query, `format()` writes a query back
as the canonical text (what the line shows and what a saved view is shown
as), so the sidebar, the line and the views always agree.

Keys and values are accepted in English and Spanish, with or without accents
and in any case (`prioridad:crítica`, `PRIORITY:Critica`). Words that are not
`key:value` are the search text (L6), as in the search box. A value with
spaces goes in double quotes (`outcome:"No contesta"`).

Dates are relative to now: `created:<7d` is "created in the last 7 days",
`created:>30d` "more than 30 days ago"; units m, h, d, w. An absolute range is
`created:2026-11-01..2026-11-30` (both days included; either side may be
left empty) and a single day `created:2026-11-25`; days are the user's local
days (`tz`). `next:` is the upcoming-task date, the same way, forward in time
(`next:<2h` is "due within two hours").

Names that only the store knows (campaigns, users) are resolved through the
`Names` the caller passes; an unknown one is an error that says which.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from sagicc_tui.domain.enums import ChannelType, Priority, TicketOrder, TicketStatus, TicketType, UserFilter
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.domain.text import fold


@dataclass(frozen=True, slots=True)
class Names:
    """What the line may name besides enum values: `norm(name)` -> id."""

    campaigns: Mapping[str, int] = field(default_factory=dict)  # name or id text -> campaign id
    users: Mapping[str, int] = field(default_factory=dict)  # username -> user id
    me: int | None = None  # `assignee:me`

    campaign_names: Mapping[int, str] = field(default_factory=dict)  # id -> name, for format()
    user_names: Mapping[int, str] = field(default_factory=dict)  # id -> username, for format()

    @classmethod
    def of(cls, campaigns: Mapping[int, str], usernames: Mapping[int, str], me: int | None) -> Names:
        """From {campaign id: name} and {user id: username}; a campaign is also known by its number."""
        by_name = {norm(name): cid for cid, name in campaigns.items()} | {str(cid): cid for cid in campaigns}
        return cls(campaigns=by_name, users={norm(u): uid for uid, u in usernames.items()}, me=me,
                   campaign_names=dict(campaigns), user_names=dict(usernames))

    def campaign_name(self, campaign_id: int) -> str:
        return self.campaign_names.get(campaign_id, str(campaign_id))

    def user_name(self, user_id: int) -> str:
        return self.user_names.get(user_id, str(user_id))


# Canonical key first; then every spelling accepted (folded).
_KEYS: dict[str, tuple[str, ...]] = {
    "status": ("status", "estado", "estados"),
    "priority": ("priority", "prioridad", "prio"),
    "assignee": ("assignee", "asignado", "usuario", "user", "agente", "agent"),
    "channel": ("channel", "canal"),
    "type": ("type", "tipo"),
    "campaign": ("campaign", "campana", "campanas"),
    "created": ("created", "creado", "creacion"),
    "next": ("next", "proxima", "gestion"),
    "feature": ("feature", "caracteristica"),
    "outcome": ("outcome", "resultado"),
    "order": ("order", "orden"),
}
_KEY_OF = {alias: key for key, aliases in _KEYS.items() for alias in aliases}

_STATUS = {
    TicketStatus.NEW: ("new", "nuevo"), TicketStatus.OPEN: ("open", "abierto"),
    TicketStatus.TRANSFERRED: ("transferred", "transferido"),
    TicketStatus.ESCALATED: ("escalated", "escalado"), TicketStatus.CLOSED: ("closed", "cerrado"),
}
_PRIORITY = {
    Priority.CRITICAL: ("critical", "critica"), Priority.HIGH: ("high", "alta"),
    Priority.MEDIUM: ("medium", "media"), Priority.LOW: ("low", "baja"),
}
_CHANNEL = {
    ChannelType.EMAIL: ("email", "mail", "correo", "e_mail"), ChannelType.WHATSAPP: ("whatsapp", "wa"),
    ChannelType.TELEPHONY: ("telephony", "phone", "telefonia", "telefono"),
    ChannelType.CHAT: ("chat",), ChannelType.SMS: ("sms",),
}
_TYPE = {
    TicketType.QUESTION: ("question", "pregunta"), TicketType.SUGGESTION: ("suggestion", "sugerencia"),
    TicketType.COMPLAINT: ("complaint", "queja"), TicketType.CLAIM: ("claim", "reclamo"),
}
_ORDER = {
    TicketOrder.CREATED_DESC: ("newest", "created_desc", "recientes"),
    TicketOrder.CREATED_ASC: ("oldest", "created_asc", "antiguos"),
    TicketOrder.UNREAD_ASC: ("unread_oldest", "unread_asc", "sin_leer_antiguos"),
    TicketOrder.UNREAD_DESC: ("unread_newest", "unread_desc", "sin_leer_recientes"),
    TicketOrder.NEXT_TASK_CLOSEST: ("next_closest", "next_task_closest", "proxima_cercana"),
    TicketOrder.NEXT_TASK_FURTHEST: ("next_furthest", "next_task_furthest", "proxima_lejana"),
    TicketOrder.PRIORITY: ("priority", "prioridad", "urgent", "urgentes"),
    TicketOrder.SLA_DUE: ("sla", "sla_due", "vencimiento"),
}
_NOBODY = ("none", "nobody", "unassigned", "nadie", "ninguno", "sin_asignar")
_ME = ("me", "yo", "mine", "mio")
_UNITS = {"m": timedelta(minutes=1), "min": timedelta(minutes=1), "h": timedelta(hours=1),
          "d": timedelta(days=1), "w": timedelta(weeks=1), "s": timedelta(weeks=1)}  # s: semana
_RELATIVE = re.compile(r"^([<>])(\d{1,5})(min|m|h|d|w|s)$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def norm(value: str) -> str:
    """How the line compares words: folded, spaces and punctuation as `_`
    ("Crítica" = "critica", "ana.perez" = "ana_perez"). Build `Names` with it."""
    return fold(value).replace(" ", "_")


def _enum_values(values: str, table: dict, key: str) -> tuple:
    out = []
    for raw in _split(values):
        v = norm(raw)
        found = next((member for member, spellings in table.items() if v in spellings), None)
        if found is None:
            choices = ", ".join(spellings[0] for spellings in table.values())
            raise InvalidInput(N_("{value} is not a valid {label}; use one of: {choices}."),
                               label=key, value=raw, choices=choices)
        if found not in out:
            out.append(found)
    return tuple(out)


def _split(values: str) -> list[str]:
    parts = [v.strip() for v in values.split(",")]
    return [p for p in parts if p]


def _day_start(d: date, tz: tzinfo) -> datetime:
    return datetime.combine(d, time(0, 0), tzinfo=tz)


def _range(value: str, key: str, now: datetime, tz: tzinfo, *, forward: bool) -> tuple[datetime | None, datetime | None]:
    """A date value as [from, to): relative (`<7d`), a day, or `a..b`."""
    m = _RELATIVE.match(value.strip().lower())
    if m:
        sign, amount, unit = m.group(1), int(m.group(2)), m.group(3)
        span = _UNITS[unit] * amount
        if forward:  # next:<2h is due within two hours; next:>2h is due later than that
            return (now, now + span) if sign == "<" else (now + span, None)
        return (now - span, None) if sign == "<" else (None, now - span)
    if ".." in value:
        a, b = value.split("..", 1)
        start = _day_start(_date(a, key), tz) if a.strip() else None
        end = _day_start(_date(b, key), tz) + timedelta(days=1) if b.strip() else None
        if start and end and end <= start:
            raise InvalidInput(N_("In {label}, the first day must not come after the last; write it like 2026-11-01..2026-11-30."),
                               label=key)
        return start, end
    d = _date(value, key)
    return _day_start(d, tz), _day_start(d, tz) + timedelta(days=1)


def _date(value: str, key: str) -> date:
    value = value.strip()
    if _DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(N_("{value} is not a date for {label}; write <7d, >30d, 2026-11-25 or 2026-11-01..2026-11-30."),
                       label=key, value=value)


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError:  # an unclosed quote: take the line as it is, quotes and all
        return text.split()


def parse(text: str, *, base: TicketQuery, names: Names, now: datetime, tz: tzinfo) -> TicketQuery:
    """The query the line says. Filters the line does not name are cleared
    (the line is the whole query), but the order and the campaigns stay as in
    `base` unless it names them."""
    q = TicketQuery(campaign_ids=base.campaign_ids, order=base.order)
    words: list[str] = []
    for token in _tokens(text):
        key_text, sep, value = token.partition(":")
        key = _KEY_OF.get(norm(key_text)) if sep else None
        if key is None:
            words.append(token)
            continue
        if not value.strip():
            raise InvalidInput(N_("{label}: needs a value, like {label}:{example}."), label=key_text,
                               example=_EXAMPLE[key])
        q = _apply(q, key, value, names, now, tz)
    return q.with_(search=" ".join(words))


_EXAMPLE = {
    "status": "open,new", "priority": "critical", "assignee": "none", "channel": "whatsapp",
    "type": "claim", "campaign": "1", "created": "<7d", "next": "<1d", "feature": "VIP",
    "outcome": "Pendiente", "order": "oldest",
}


def _apply(q: TicketQuery, key: str, value: str, names: Names, now: datetime, tz: tzinfo) -> TicketQuery:
    if key == "status":
        return q.with_(statuses=_enum_values(value, _STATUS, key))
    if key == "priority":
        return q.with_(priorities=_enum_values(value, _PRIORITY, key))
    if key == "channel":
        return q.with_(channels=_enum_values(value, _CHANNEL, key))
    if key == "type":
        return q.with_(types=_enum_values(value, _TYPE, key))
    if key == "order":
        (order,) = _enum_values(value.split(",")[0], _ORDER, key)
        return q.with_(order=order)
    if key == "assignee":
        values = [norm(v) for v in _split(value)]
        if any(v in _NOBODY for v in values):
            return q.with_(user_filter=UserFilter.UNASSIGNED, user_ids=())
        ids = []
        for raw, v in zip(_split(value), values, strict=True):
            if v in _ME and names.me is not None:
                ids.append(names.me)
            elif v in names.users:
                ids.append(names.users[v])
            else:
                raise InvalidInput(N_("There is no user {value}; write a user name, me, or none."), value=raw)
        return q.with_(user_filter=UserFilter.SPECIFIC, user_ids=tuple(dict.fromkeys(ids)))
    if key == "campaign":
        ids = []
        for raw in _split(value):
            v = norm(raw)
            if v not in names.campaigns:
                raise InvalidInput(N_("There is no campaign {value} that you can see; write its name or number."), value=raw)
            ids.append(names.campaigns[v])
        return q.with_(campaign_ids=tuple(dict.fromkeys(ids)))
    if key == "created":
        start, end = _range(value, key, now, tz, forward=False)
        return q.with_(created_from=start, created_to=end)
    if key == "next":
        start, end = _range(value, key, now, tz, forward=True)
        return q.with_(next_task_from=start, next_task_to=end)
    if key == "feature":
        return q.with_(features=tuple(_split(value)))
    if key == "outcome":
        return q.with_(primary_values=tuple(_split(value)))
    raise AssertionError(key)  # every key of _KEYS is handled above


def _quote(value: str) -> str:
    return f'"{value}"' if (" " in value or "," in value or not value) else value


def _day_text(start: datetime | None, end: datetime | None, tz: tzinfo) -> str:
    a = start.astimezone(tz).date().isoformat() if start else ""
    b = (end.astimezone(tz) - timedelta(days=1)).date().isoformat() if end else ""
    return a if a and a == b else f"{a}..{b}"


def format(query: TicketQuery, *, names: Names, current_campaign: int | None, tz: tzinfo) -> str:  # noqa: A001
    """The canonical line for a query: `parse(format(q))` gives q back (dates
    as absolute days, so a saved view's line means the same tomorrow)."""
    parts: list[str] = []
    if query.campaign_ids and query.campaign_ids != ((current_campaign,) if current_campaign else ()):
        parts.append("campaign:" + ",".join(_quote(names.campaign_name(c)) for c in query.campaign_ids))
    for key, values, table in (("status", query.statuses, _STATUS), ("priority", query.priorities, _PRIORITY),
                               ("channel", query.channels, _CHANNEL), ("type", query.types, _TYPE)):
        if values:
            parts.append(f"{key}:" + ",".join(table[v][0] for v in values))
    if query.user_filter is UserFilter.UNASSIGNED:
        parts.append("assignee:none")
    elif query.user_filter is UserFilter.SPECIFIC and query.user_ids:
        parts.append("assignee:" + ",".join(
            "me" if u == names.me else _quote(names.user_name(u)) for u in query.user_ids))
    if query.created_from or query.created_to:
        parts.append("created:" + _day_text(query.created_from, query.created_to, tz))
    if query.next_task_from or query.next_task_to:
        parts.append("next:" + _day_text(query.next_task_from, query.next_task_to, tz))
    if query.features:
        parts.append("feature:" + ",".join(_quote(f) for f in query.features))
    if query.primary_values:
        parts.append("outcome:" + ",".join(_quote(v) for v in query.primary_values))
    if query.order is not TicketOrder.CREATED_DESC:
        parts.append("order:" + _ORDER[query.order][0])
    if query.search.strip():
        parts.append(query.search.strip())
    return " ".join(parts)
