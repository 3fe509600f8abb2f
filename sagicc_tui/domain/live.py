"""Live changes: which tickets changed, and which part of each (issue #16).

The server's event stream (GET /api/v1/events, text/event-stream) sends one
``changed`` event per burst of writes (coalesced over about a quarter of a
second, and per client while it is slow to read)::

    id: 42
    event: changed
    data: {"seq": 42, "at": 1764620000.5,
           "tickets": {"1017": ["header", "interactions"], "2203": ["presence"]},
           "customers": [88]}

- ``tickets`` maps ticket ids to the parts that changed. Only tickets the
  recipient may see are named (its L2 scope, checked by the server for each
  client); never content -- the client re-reads what it shows through its own
  scoped reads.
- parts: ``header`` (status, priority, type, description, unread, next task:
  what a card shows), ``assignment`` (assignee or campaign: the ticket may
  enter or leave lists), ``created`` (a new ticket), ``interactions``,
  ``tasks``, ``notes``, ``attachments``, ``presence`` (who has it open).
- ``customers``: customers whose data changed (cards show their names).
- ``"refresh": true`` instead: the server cannot say what changed (a mass
  action, a merge, a write by another program on a SQLite store, a
  reconnect): reload everything shown. A client that connects (again) must
  assume that too.

A client reads an event as "ticket N changed (these parts)". Backend's
``changed_since(token)`` hands the UI the same, merged since a change token.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

HEADER = "header"
ASSIGNMENT = "assignment"
CREATED = "created"
INTERACTIONS = "interactions"
TASKS = "tasks"
NOTES = "notes"
ATTACHMENTS = "attachments"
PRESENCE = "presence"

#: Parts that change what a ticket card shows.
CARD_PARTS = frozenset({HEADER, ASSIGNMENT, CREATED, INTERACTIONS, TASKS})
#: Parts that can change which tickets a list holds (and so its count).
MEMBERSHIP_PARTS = frozenset({ASSIGNMENT, CREATED})

#: Changes that can add or remove tickets from a list reload its count, pages
#: and pending tickets at most this often (seconds) ...
MEMBERSHIP_EVERY = 5.0
#: ... plus up to this much more, drawn for each reload. Without the spread,
#: every terminal of a campaign re-read its count and page in the same second
#: after one write, in waves every 5 s: at 100 simulated agents the reads'
#: p99 came from those waves, not from any slow query.
MEMBERSHIP_SPREAD = 3.0


def membership_reload_at(last_reload: float, draw: Callable[[], float] = random.random) -> float:
    """When a list whose tickets may have changed reloads (monotonic seconds)."""
    return last_reload + MEMBERSHIP_EVERY + MEMBERSHIP_SPREAD * draw()


@dataclass(frozen=True, slots=True)
class Change:
    """What one write (or a burst of them) changed. ``tickets`` None: unknown,
    refresh everything shown."""

    tickets: Mapping[int, frozenset[str]] | None = None
    customers: frozenset[int] = field(default_factory=frozenset)

    @property
    def refresh(self) -> bool:
        return self.tickets is None

    def merge(self, other: Change) -> Change:
        if self.tickets is None or other.tickets is None:
            return Change(None, self.customers | other.customers)
        merged = dict(self.tickets)
        for ticket_id, parts in other.tickets.items():
            merged[ticket_id] = merged.get(ticket_id, frozenset()) | parts
        return Change(merged, self.customers | other.customers)

    def to_wire(self) -> dict:
        if self.tickets is None:
            return {"refresh": True, "customers": sorted(self.customers)}
        return {"tickets": {str(k): sorted(v) for k, v in self.tickets.items()},
                "customers": sorted(self.customers)}

    @classmethod
    def from_wire(cls, data: Mapping) -> Change:
        customers = frozenset(int(c) for c in data.get("customers") or ())
        tickets = data.get("tickets")
        if data.get("refresh") or not isinstance(tickets, Mapping):
            return cls(None, customers)
        return cls({int(k): frozenset(v) for k, v in tickets.items()}, customers)


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Backend.changed_since's answer: the token now, and what changed since
    the token asked about (``change.refresh``: unknown, reload all)."""

    token: int
    change: Change
