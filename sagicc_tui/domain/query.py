"""What the ticket list asks for (L4 filters, L5 orders, L6 search) and gets back."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sagicc_tui.domain.enums import (
    ChannelType,
    MassActionKind,
    Priority,
    TicketOrder,
    TicketStatus,
    TicketType,
    UserFilter,
)
from sagicc_tui.domain.messages import Msg
from sagicc_tui.domain.models import TaskInput, TicketCard, User


#: The ticket list counts a search's matches only this far ("more than 1,000
#: tickets") and grows as its pages arrive: a common word at 1M tickets
#: matches 90,000 of an agent's, 128 ms of the store's CPU to count them all
#: against 29 ms to count 1,001. The counts the store keeps are always exact.
SEARCH_COUNT_AT_MOST = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketQuery:
    """Every L4 filter, the L5 order and the L6 search text.

    Empty tuples mean "no filter on this". The acting user's L2 scope is not
    part of the query: the Backend applies it from the user, so no client can
    widen it by building a query.
    """

    campaign_ids: tuple[int, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None
    next_task_from: datetime | None = None
    next_task_to: datetime | None = None
    statuses: tuple[TicketStatus, ...] = ()
    priorities: tuple[Priority, ...] = ()
    customer_ids: tuple[int, ...] = ()
    user_filter: UserFilter = UserFilter.ALL
    user_ids: tuple[int, ...] = ()  # with UserFilter.SPECIFIC
    types: tuple[TicketType, ...] = ()
    channels: tuple[ChannelType, ...] = ()
    features: tuple[str, ...] = ()
    primary_values: tuple[str, ...] = ()
    search: str = ""
    order: TicketOrder = TicketOrder.CREATED_DESC
    # Given to their assignee at or after this time (L7's "now assigned to you").
    assigned_since: datetime | None = None

    @classmethod
    def pending(cls, user_id: int, campaign_id: int) -> TicketQuery:
        """L7: my tickets in the campaign that are not closed; a scheduled
        next task first, the closest first (tickets without one come last)."""
        return cls(
            campaign_ids=(campaign_id,), user_filter=UserFilter.SPECIFIC, user_ids=(user_id,),
            statuses=tuple(s for s in TicketStatus if s is not TicketStatus.CLOSED),
            order=TicketOrder.NEXT_TASK_CLOSEST,
        )

    def with_(self, **changes: object) -> TicketQuery:
        return replace(self, **changes)

    def active_filters(self) -> list[str]:
        """Names of the filters in use, for the compact filter line."""
        names = []
        for name in (
            "created_from", "created_to", "next_task_from", "next_task_to", "statuses",
            "priorities", "customer_ids", "user_ids", "types", "channels", "features",
            "primary_values", "search",
        ):
            if getattr(self, name):
                names.append(name)
        if self.user_filter is UserFilter.UNASSIGNED:
            names.append("unassigned")
        return names


@dataclass(frozen=True, slots=True)
class TicketCursor:
    """Keyset position: the sort key and id of the last row of a page."""

    key: int
    id: int


@dataclass(frozen=True, slots=True)
class TicketPage:
    rows: tuple[TicketCard, ...]
    next_cursor: TicketCursor | None  # None: this was the last page


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketSelection:
    """The tickets a mass action applies to.

    Either explicit ids (tagged one by one) or every ticket matching a query
    (`T`: tag all matching), minus the ones untagged afterwards. The query form
    never loads the ids into the UI: the Backend resolves it in SQL.
    """

    ids: frozenset[int] = frozenset()
    query: TicketQuery | None = None
    excluded: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return self.query is None and not self.ids

    def contains(self, ticket_id: int) -> bool:
        if self.query is not None:
            return ticket_id not in self.excluded
        return ticket_id in self.ids


@dataclass(frozen=True, slots=True, kw_only=True)
class RedistributeSpec:
    agent_ids: tuple[int, ...] = ()  # empty: every agent of the campaign
    # None: drawn from the action itself, so the preview computes exactly the
    # plan that the run applies (L8: the preview must not promise another split).
    seed: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MassAction:
    """One L8 action over a selection; exactly one payload field is used."""

    kind: MassActionKind
    selection: TicketSelection
    primary_ticket_id: int | None = None  # merge
    primary_ticket_number: int | None = None  # merge: or the primary's number, typed
    merge_customers: bool = False  # merge
    keep_customer_id: int | None = None  # merge with customers: the one that stays (None: the primary's)
    assignee_id: int | None = None  # assign (None with campaign_id=None: unassign)
    unassign: bool = False  # assign
    campaign_id: int | None = None  # assign: move to another campaign
    task: TaskInput | None = None  # add task
    redistribute: RedistributeSpec = field(default_factory=RedistributeSpec)


@dataclass(frozen=True, slots=True)
class TicketOutcome:
    ticket_id: int
    number: int
    ok: bool
    reason: Msg | None = None  # why it was refused


@dataclass(frozen=True, slots=True, kw_only=True)
class MassPreview:
    kind: MassActionKind
    total: int
    changes: tuple[Msg, ...]  # what will change
    refused: tuple[TicketOutcome, ...]  # which cannot be changed, and why
    sample: tuple[TicketOutcome, ...] = ()  # a few of those that will change


@dataclass(frozen=True, slots=True, kw_only=True)
class MassResult:
    kind: MassActionKind
    done: int
    refused: int
    outcomes: tuple[TicketOutcome, ...]




@dataclass(frozen=True, slots=True, kw_only=True)
class SavedView:
    """L11: a named TicketQuery a user keeps."""

    id: int
    name: str
    query: TicketQuery
    updated_at: datetime
    line: str = ""  # the query line it was saved from (+L12); "" from the sidebar


_ENUM_FIELDS = {
    "statuses": TicketStatus, "priorities": Priority, "types": TicketType, "channels": ChannelType,
}
_TIME_FIELDS = ("created_from", "created_to", "next_task_from", "next_task_to", "assigned_since")


def query_to_dict(query: TicketQuery) -> dict:
    """A TicketQuery as JSON-ready values (saved views, the API)."""
    out: dict = {}
    for name in TicketQuery.__dataclass_fields__:
        value = getattr(query, name)
        if isinstance(value, tuple):
            value = [getattr(v, "value", v) for v in value]
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif hasattr(value, "value"):
            value = value.value
        out[name] = value
    return out


def query_from_dict(data: dict) -> TicketQuery:
    """The inverse of query_to_dict; unknown keys are ignored (a view saved by
    a newer version still opens), bad values raise ValueError."""
    kw: dict = {}
    fields = TicketQuery.__dataclass_fields__
    for name, value in data.items():
        if name not in fields or value is None:
            continue
        if name in _ENUM_FIELDS:
            kw[name] = tuple(_ENUM_FIELDS[name](v) for v in value)
        elif name in _TIME_FIELDS:
            kw[name] = datetime.fromisoformat(value)
        elif name == "user_filter":
            kw[name] = UserFilter(value)
        elif name == "order":
            kw[name] = TicketOrder(value)
        elif name == "search":
            kw[name] = str(value)
        else:
            kw[name] = tuple(value)
    return TicketQuery(**kw)


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterChoices:
    """Values the filter sidebar offers for one campaign set (L4)."""

    users: tuple[User, ...]
    features: tuple[str, ...]
    primary_values: tuple[str, ...]
