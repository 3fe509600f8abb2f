"""The open ticket follows the store by itself (T8, +T16).

While a ticket is open the screen reads the store's change token every
LIVE_POLL seconds (a counter on the local store, the server's event stream
through the remote backend). When it moves, one `ticket_activity` read says
which parts of this ticket moved; only those are read again, and a one-line
notice says what changed and who. The token is today's whole-store counter;
when the server's events carry ticket ids, `concerns(event)` can skip the
activity read for other tickets without changing anything below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from sagicc_tui.domain.enums import Direction
from sagicc_tui.domain.ticket_screen import PartStamp, TicketActivity
from sagicc_tui.i18n import _, plural

LIVE_POLL = 0.5  # seconds between change-token reads: news shows within 2 s

# Parts of the screen a change can touch.
CONVERSATION = "conversation"
TICKET = "ticket"  # the ticket row: header (status, assignee, priority, SLA) and the Ticket tab
CUSTOMER_SWITCH = "customer-switch"  # another customer: every customer part follows
CUSTOMER = "customer"  # the same customer's data, contacts or accounts
TASKS = "tasks"
NOTES = "notes"
ATTACHMENTS = "attachments"


@dataclass(frozen=True, slots=True)
class LiveChange:
    parts: frozenset[str]
    notice: str  # "" when nothing worth saying happened (my own change, a read)


# Change-log fields of the ticket row worth a notice (a message, a task or a read
# also move the version; their own parts say so).
_FIELD_NOTICES = ("description", "status", "assignee", "priority", "type", "account_id", "customer_id",
                  "campaign_id", "merged_into")


def _ticket_notice(a: TicketActivity) -> str:
    name = a.change_by or a.ticket_updated_by or _("Someone")
    sentences = {
        "description": _("{name} changed the description", name=name),
        "status": _("{name} changed the status", name=name),
        "assignee": _("{name} changed the assignee", name=name),
        "priority": _("{name} changed the priority", name=name),
        "type": _("{name} changed the ticket type", name=name),
        "account_id": _("{name} changed the account", name=name),
        "customer_id": _("{name} moved the ticket to another customer", name=name),
    }
    return sentences.get(a.change_field, _("{name} changed the ticket", name=name))


def compare(before: TicketActivity, after: TicketActivity, *, me: str) -> LiveChange:
    parts: set[str] = set()
    notices: list[str] = []
    if after.interactions != before.interactions or after.pending_deliveries != before.pending_deliveries:
        parts.add(CONVERSATION)
        new = after.interactions.count - before.interactions.count
        if after.interactions.last_id > before.interactions.last_id and new > 0:
            if after.last_direction == Direction.INCOMING.value:
                notices.append(plural(new, "New message from the customer", "{n} new messages from the customer"))
            elif after.last_author and after.last_author != me:
                notices.append(_("{name} replied", name=after.last_author))
    if after.ticket_version != before.ticket_version:
        parts.add(TICKET)
        if after.change_id > before.change_id and (after.change_by or after.ticket_updated_by) != me \
                and after.change_field in _FIELD_NOTICES:
            notices.append(_ticket_notice(after))
    if after.customer_id != before.customer_id:
        parts.add(CUSTOMER_SWITCH)
    elif (after.customer_version, after.customer_change_id) != (before.customer_version, before.customer_change_id):
        parts.add(CUSTOMER)
        if after.customer_change_by and after.customer_change_by != me:
            notices.append(_("{name} changed the customer's data", name=after.customer_change_by))
    by = after.change_by or _("Someone")
    mine = after.change_by == me
    if after.tasks != before.tasks:
        parts.add(TASKS)
        if after.tasks.count > before.tasks.count and not mine:
            notices.append(_("{name} saved a task", name=by))
    if after.notes != before.notes:
        parts.add(NOTES)
        if not mine:
            notices.append(_("{name} changed the notes", name=by))
    if after.attachments != before.attachments:
        parts.add(ATTACHMENTS)
        if not mine:
            notices.append(_("{name} changed the attachments", name=by))
    return LiveChange(frozenset(parts), " · ".join(dict.fromkeys(notices)))


def with_own_messages(stamp: TicketActivity, own_ids: Iterable[int]) -> TicketActivity:
    """The stamp as if read after my own messages were sent: a reply begun
    right after a send (before the live poll read the activity again) must not
    find my last message "new since you started writing" (+T17)."""
    newer = [i for i in own_ids if i > stamp.interactions.last_id]
    if not newer:
        return stamp
    return replace(stamp, interactions=PartStamp(count=stamp.interactions.count + len(newer), last_id=max(newer)))
