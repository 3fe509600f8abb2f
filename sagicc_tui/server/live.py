"""What a write changed, for the live events (server/events.py): ticket ids and parts.

A write route names the tickets it touched and which part of each
(domain/live.py: header, assignment, interactions, tasks, notes,
attachments, presence, created), taken from its arguments or its result.
A route this table does not know, or one that cannot name its tickets
(mass actions, merges, deleting a note by its id), publishes a plain
"refresh": clients reload what they show, as before.

Routes that change nothing another user sees (drafts, saved views) publish
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sagicc_tui.domain import live

H, A, I, T, N, F, P, C = (live.HEADER, live.ASSIGNMENT, live.INTERACTIONS, live.TASKS, live.NOTES,
                          live.ATTACHMENTS, live.PRESENCE, live.CREATED)

#: route -> the parts of its ticket (`ticket_id` argument, or the result's) it changes.
TICKET_PARTS: dict[str, frozenset[str]] = {
    "add_task": frozenset({T, H}),  # the card shows the next task
    "close_ticket": frozenset({H}),
    "update_ticket": frozenset({H, A}),  # a status change can move it out of a filter
    "reassign_ticket": frozenset({H, A}),
    "relate_ticket": frozenset({H}),
    "send_transcript": frozenset({I}),
    "mark_read": frozenset({H}),
    "send_message": frozenset({I, H}),
    "retry_delivery": frozenset({I}),
    "enter_ticket": frozenset({P}),
    "leave_ticket": frozenset({P}),
    "add_note": frozenset({N}),
    "add_attachment": frozenset({F}),
    "switch_ticket_customer": frozenset({H, A}),
    "external_view": frozenset(),
}

#: Writes nobody else can see: no event.
PRIVATE = {"save_draft", "clear_draft", "save_view", "delete_view", "external_view"}

#: Customer writes: the cards of the customer's tickets show its name.
CUSTOMER_ROUTES = {"update_customer", "set_customer_assignee", "disable_customer", "enable_customer",
                   "add_contact", "add_account", "add_relation"}


def change_of(route: str, args: Mapping[str, Any], result: Any) -> live.Change | None:
    """The change a successful write made; None: nothing to tell anyone."""
    if route in PRIVATE:
        return None
    if route == "ingest":
        parts = {I, H} | ({C} if getattr(result, "new_ticket", False) else set())
        return live.Change(tickets={result.ticket_id: frozenset(parts)})
    if route in TICKET_PARTS:
        ticket_id = args.get("ticket_id", getattr(result, "ticket_id", None))
        if isinstance(ticket_id, int):
            return live.Change(tickets={ticket_id: TICKET_PARTS[route]})
        return live.Change()  # the ticket is unknown: everyone refreshes
    if route in CUSTOMER_ROUTES and isinstance(args.get("customer_id"), int):
        return live.Change(tickets={}, customers=frozenset({args["customer_id"]}))
    if route == "set_agent_status":
        return live.Change(tickets={})  # the list shows no one's status; old clients still hear of it
    return live.Change()


def visible(rows: Iterable[tuple[int, int, int | None, str]], scope) -> set[int]:
    """The ids among (id, campaign_id, assignee_id, origin_channel) rows that
    `scope` (domain.rules.Scope) lets its user see: local_store's
    ticket_query.scope_predicate, in Python, for a few changed tickets."""
    seen: set[int] = set()
    for ticket_id, campaign_id, assignee_id, channel in rows:
        if scope.all_campaigns or campaign_id in scope.unrestricted_campaigns:
            seen.add(ticket_id)
            continue
        channels = scope.restricted_campaigns.get(campaign_id)
        if channels is not None and channel in channels and assignee_id in (None, scope.user_id):
            seen.add(ticket_id)
    return seen
