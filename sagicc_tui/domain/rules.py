"""Who may do what (P3), and the small time rules the list and ticket share.

The Backend calls these before it writes; the UI calls the same functions only
to hide what a role cannot do. The L2 scope itself is a SQL predicate in the
store (it must filter a million rows), built from `scope_for`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sagicc_tui.domain.enums import MassActionKind, Priority, Role
from sagicc_tui.domain.errors import InvalidInput, PermissionDenied
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Campaign, User


class Permission(StrEnum):
    MASS_CLOSE = "mass_close"
    MASS_MERGE = "mass_merge"
    MASS_ASSIGN = "mass_assign"
    MASS_ADD_TASK = "mass_add_task"
    MASS_REDISTRIBUTE = "mass_redistribute"
    VIEW_CHANGE_LOG = "view_change_log"
    EXPORT_CUSTOMERS = "export_customers"
    MERGE_CUSTOMERS = "merge_customers"
    DELETE_CUSTOMERS = "delete_customers"
    MANAGE_USERS = "manage_users"
    MANAGE_CAMPAIGNS = "manage_campaigns"


_ALL = frozenset(Role)
_LEADS = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})

# The role table. Agents work their own tickets (close, add a task); moving work
# between people and merging records is a supervisor's call.
_ROLES: dict[Permission, frozenset[Role]] = {
    Permission.MASS_CLOSE: _ALL,
    Permission.MASS_ADD_TASK: _ALL,
    Permission.MASS_MERGE: _LEADS,
    Permission.MASS_ASSIGN: _LEADS,
    Permission.MASS_REDISTRIBUTE: _LEADS,
    Permission.VIEW_CHANGE_LOG: frozenset({Role.ADMINISTRATOR}),
    Permission.EXPORT_CUSTOMERS: frozenset({Role.ADMINISTRATOR}),
    Permission.MERGE_CUSTOMERS: _LEADS,
    Permission.DELETE_CUSTOMERS: _LEADS,
    Permission.MANAGE_USERS: frozenset({Role.ADMINISTRATOR}),
    Permission.MANAGE_CAMPAIGNS: frozenset({Role.ADMINISTRATOR}),
}

MASS_PERMISSION: dict[MassActionKind, Permission] = {
    MassActionKind.CLOSE: Permission.MASS_CLOSE,
    MassActionKind.MERGE: Permission.MASS_MERGE,
    MassActionKind.ASSIGN: Permission.MASS_ASSIGN,
    MassActionKind.ADD_TASK: Permission.MASS_ADD_TASK,
    MassActionKind.REDISTRIBUTE: Permission.MASS_REDISTRIBUTE,
}


def can(user: User, permission: Permission) -> bool:
    if not user.active:
        return False
    if permission is Permission.EXPORT_CUSTOMERS and user.can_export is not None:
        return user.can_export  # the per-user setting overrides the role default
    return user.role in _ROLES[permission]


_DENIED: dict[Permission, str] = {
    Permission.MASS_CLOSE: N_("Your role ({role}) may not close tickets in bulk; ask a supervisor."),
    Permission.MASS_ADD_TASK: N_("Your role ({role}) may not add tasks in bulk; ask a supervisor."),
    Permission.MASS_MERGE: N_("Your role ({role}) may not merge tickets; ask a supervisor."),
    Permission.MASS_ASSIGN: N_("Your role ({role}) may not assign tickets; ask a supervisor."),
    Permission.MASS_REDISTRIBUTE: N_("Your role ({role}) may not redistribute tickets; ask a supervisor."),
    Permission.VIEW_CHANGE_LOG: N_("Only administrators may see the change log."),
    Permission.EXPORT_CUSTOMERS: N_("You do not have the permission to export the customer base; ask an administrator."),
    Permission.MERGE_CUSTOMERS: N_("Your role ({role}) may not merge customers; ask a supervisor."),
    Permission.DELETE_CUSTOMERS: N_("Your role ({role}) may not disable or delete customers; ask a supervisor."),
    Permission.MANAGE_USERS: N_("Only administrators may manage users."),
    Permission.MANAGE_CAMPAIGNS: N_("Only administrators may change campaigns; ask an administrator."),
}


def require(user: User, permission: Permission) -> None:
    """Raise PermissionDenied with a sentence naming the action and the role."""
    if not can(user, permission):
        raise PermissionDenied(_DENIED[permission], role=user.role.value)


def mass_actions_for(user: User) -> list[MassActionKind]:
    return [k for k, p in MASS_PERMISSION.items() if can(user, p)]


@dataclass(frozen=True, slots=True)
class Scope:
    """The L2 scope of one user in SQL-friendly terms.

    `unrestricted_campaigns`: campaigns whose tickets the user sees whole
    (supervisors and administrators everywhere; agents where View All Tickets
    is on). `restricted_campaigns`: campaigns where an agent sees only tickets
    assigned to them or unassigned, and only from the campaign's channels.
    """

    user_id: int
    all_campaigns: bool
    unrestricted_campaigns: frozenset[int]
    restricted_campaigns: dict[int, frozenset[str]]  # campaign id -> channel values


def scope_for(user: User, campaigns: list[Campaign]) -> Scope:
    if user.role in _LEADS:
        return Scope(user.id, True, frozenset(), {})
    mine = [c for c in campaigns if c.id in user.campaign_ids]
    return Scope(
        user.id,
        False,
        frozenset(c.id for c in mine if c.view_all_tickets),
        {
            c.id: frozenset(ch.value for ch in c.incoming_channels)
            for c in mine
            if not c.view_all_tickets
        },
    )


# --- time rules ---------------------------------------------------------------

NEXT_TASK_WARNING = timedelta(minutes=10)


class NextTaskState(StrEnum):
    NONE = "none"
    SCHEDULED = "scheduled"
    DUE = "due"  # within 10 minutes of the scheduled time (L3 item 11)
    OVERDUE = "overdue"


def next_task_state(next_task_at: datetime | None, now: datetime) -> NextTaskState:
    if next_task_at is None:
        return NextTaskState.NONE
    if now >= next_task_at:
        return NextTaskState.OVERDUE
    if next_task_at - now <= NEXT_TASK_WARNING:
        return NextTaskState.DUE
    return NextTaskState.SCHEDULED


def sla_due(
    campaign: Campaign,
    priority: Priority,
    created_at: datetime,
    first_response_at: datetime | None,
    closed_at: datetime | None,
) -> datetime | None:
    """When the ticket's next SLA deadline falls (the card's countdown, L3
    item 12): the first response's while unanswered, then the resolution's;
    None for a closed ticket or a campaign without a rule for the priority."""
    rule = campaign.sla_for(priority)
    if rule is None or closed_at is not None:
        return None
    if first_response_at is None:
        return created_at + timedelta(minutes=rule.first_response_minutes)
    return created_at + timedelta(minutes=rule.resolution_minutes)


def sla_breached(
    campaign: Campaign,
    priority: Priority,
    created_at: datetime,
    first_response_at: datetime | None,
    closed_at: datetime | None,
    now: datetime,
) -> bool:
    """True when the campaign's SLA rule for the priority is not met (L3 item 12).

    First response: the first outgoing interaction must come within the rule's
    minutes. Resolution: the ticket must be closed within its minutes. A closed
    ticket is judged at its closing time, an open one against now.
    """
    rule = campaign.sla_for(priority)
    if rule is None:
        return False
    end = closed_at or now
    answered = first_response_at or (None if closed_at is None else closed_at)
    limit = created_at + timedelta(minutes=rule.first_response_minutes)
    if (answered or end) > limit:
        return True
    return end > created_at + timedelta(minutes=rule.resolution_minutes)


def check_storable_text(fields: Mapping[str, str]) -> None:
    """Text any store can keep: no NUL (PostgreSQL refuses it) and no lone
    surrogate (not encodable as UTF-8). Raises InvalidInput naming the field."""
    for name, value in fields.items():
        if "\x00" in value:
            raise InvalidInput(N_("The field {label} contains a NUL character; remove it."), label=name,
                               field=name)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InvalidInput(N_("The field {label} contains a lone surrogate (\\u{code}) at character {at}; "
                                  "send valid Unicode text."),
                               label=name, field=name, code=f"{ord(value[e.start]):04x}", at=e.start + 1) from None
