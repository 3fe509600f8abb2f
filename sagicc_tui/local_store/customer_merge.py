"""Merging customers (C6, and L8/T3 merge with "merge customers").

One implementation for the customers module and the ticket merges. Runs in
the caller's write transaction: either everything moves or nothing does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, update

from sagicc_tui.domain import phones
from sagicc_tui.domain.customers import MergeParts  # the C6 choices; defined in the domain for the Backend
from sagicc_tui.domain.enums import ChangeKind, ContactKind, EntityKind
from sagicc_tui.domain.errors import RuleViolation
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import User
from sagicc_tui.local_store import change_names, phone_match, schema
from sagicc_tui.local_store.core import LogLine, Store


PHONE_KINDS = (ContactKind.PHONE.value, ContactKind.MOBILE.value)


@dataclass(frozen=True, slots=True)
class MergeMoved:
    """How many elements moved to the main customer."""

    contacts: int = 0
    accounts: int = 0
    tickets: int = 0


def _campaign_name(conn: Connection, campaign_id: int) -> str:
    tb = schema.CampaignRow.__table__
    return conn.execute(select(tb.c.name).where(tb.c.id == campaign_id)).scalar() or str(campaign_id)


def unlinked_tickets(conn: Connection, others: list[int]) -> list[int]:
    """Numbers of the tickets whose account belongs to one of `others`: when
    the accounts are not moved they go with their customer, and these
    tickets lose the link (the preview names them, the change log too)."""
    account = schema.AccountRow.__table__
    t = schema.ticket.c
    owned = select(account.c.id).where(account.c.customer_id.in_(others))
    return [r[0] for r in conn.execute(select(t.number).where(t.account_id.in_(owned)).order_by(t.number))]


def merge_customers(
    store: Store, conn: Connection, user: User, main_id: int, other_ids: list[int], parts: MergeParts
) -> MergeMoved:
    """Move the chosen elements of the others to the main customer and delete the others.

    Contacts the main customer already has (same normalised value) are not
    duplicated. A ticket cannot be left without a customer, so a merge that
    would keep tickets behind is refused.
    """
    contact = schema.ContactRow.__table__
    account = schema.AccountRow.__table__
    ticket = schema.ticket
    feature = schema.CustomerFeature.__table__
    relation = schema.CustomerRelationRow.__table__
    others = [o for o in other_ids if o != main_id]
    if not others:
        return MergeMoved()
    moved_contacts = moved_accounts = moved_tickets = 0
    if not parts.tickets:
        left = conn.execute(select(ticket.c.number).where(ticket.c.customer_id.in_(others)).limit(1)).scalar()
        if left is not None:
            raise RuleViolation(
                N_("The customers to remove still have tickets (#{number}); choose to move the tickets too."),
                number=left,
            )
    lines: list[LogLine] = []
    if parts.contacts:
        country = phone_match.customer_country(store, conn, main_id)

        def same(r) -> tuple[str, str]:  # one phone however it was stored (#15.9)
            return r.kind, (phones.e164_key(r.value, country) if r.kind in PHONE_KINDS else r.normalized)

        have = {same(r) for r in conn.execute(select(contact.c.kind, contact.c.value, contact.c.normalized)
                                              .where(contact.c.customer_id == main_id))}
        for r in conn.execute(select(contact).where(contact.c.customer_id.in_(others))).all():
            if same(r) in have:
                conn.execute(delete(contact).where(contact.c.id == r.id))
                continue
            have.add(same(r))
            conn.execute(update(contact).where(contact.c.id == r.id).values(customer_id=main_id))
            moved_contacts += 1
            lines.append(LogLine(EntityKind.CUSTOMER, main_id, ChangeKind.CUSTOMER_MERGED, "contact",
                                 r.customer_id, r.value))
    if parts.accounts:
        for r in conn.execute(select(account.c.id, account.c.number, account.c.customer_id)
                              .where(account.c.customer_id.in_(others))).all():
            lines.append(LogLine(EntityKind.CUSTOMER, main_id, ChangeKind.CUSTOMER_MERGED, "account",
                                 r.customer_id, r.number))
            moved_accounts += 1
        conn.execute(update(account).where(account.c.customer_id.in_(others)).values(customer_id=main_id))
    if parts.tickets:
        moved = conn.execute(select(ticket.c.id, ticket.c.customer_id).where(ticket.c.customer_id.in_(others))).all()
        conn.execute(update(ticket).where(ticket.c.customer_id.in_(others))
                     .values(customer_id=main_id, version=ticket.c.version + 1))
        lines += [LogLine(EntityKind.TICKET, r.id, ChangeKind.CUSTOMER_CHANGED, "customer_id",
                          r.customer_id, main_id) for r in moved]
        moved_tickets = len(moved)
    # Features are characteristics of the person: keep the union.
    have_f = {r[0] for r in conn.execute(select(feature.c.feature).where(feature.c.customer_id == main_id))}
    for (f,) in conn.execute(select(feature.c.feature).where(feature.c.customer_id.in_(others)).distinct()).all():
        if f not in have_f:
            conn.execute(feature.insert().values(customer_id=main_id, feature=f))
    conn.execute(delete(feature).where(feature.c.customer_id.in_(others)))
    # Assigned user per campaign: the main customer's rows stay; an other's row is
    # taken only for a campaign the main one has none (the first other listed wins).
    assignment = schema.CustomerAssignmentRow.__table__
    ac = assignment.c
    have_a = {r[0] for r in conn.execute(select(ac.campaign_id).where(ac.customer_id == main_id))}
    rows_a = conn.execute(select(assignment).where(ac.customer_id.in_(others))).all()
    for o in others:
        for r in rows_a:
            if r.customer_id == o and r.campaign_id not in have_a:
                have_a.add(r.campaign_id)
                conn.execute(update(assignment).where(ac.customer_id == o, ac.campaign_id == r.campaign_id)
                             .values(customer_id=main_id))
                lines.append(LogLine(EntityKind.CUSTOMER, main_id, ChangeKind.CUSTOMER_MERGED, "assigned_user",
                                     o, f"{_campaign_name(conn, r.campaign_id)}: {store.user_name(conn, r.user_id)}"))
    conn.execute(delete(assignment).where(ac.customer_id.in_(others)))
    gone = relation.c.customer_id.in_(others) | relation.c.related_customer_id.in_(others)
    # The customers who stay lose their link to a deleted one: say so in their log.
    for r in conn.execute(select(relation).where(gone)).all():
        for stays, left in ((r.customer_id, r.related_customer_id), (r.related_customer_id, r.customer_id)):
            if stays not in others and left in others:
                lines.append(LogLine(EntityKind.CUSTOMER, stays, ChangeKind.CUSTOMER_CHANGED, "relation",
                                     f"{r.relation}: id {left}", ""))
    conn.execute(delete(relation).where(gone))
    # Elements the user chose not to move go with the deleted customer.
    conn.execute(delete(contact).where(contact.c.customer_id.in_(others)))
    acc_left = {r.id: r.number for r in conn.execute(select(account.c.id, account.c.number)
                                                     .where(account.c.customer_id.in_(others)))}
    if acc_left:
        losing = conn.execute(select(ticket.c.id, ticket.c.number, ticket.c.account_id)
                              .where(ticket.c.account_id.in_(list(acc_left))).order_by(ticket.c.number)).all()
        # Each ticket says which account it lost; the customer that stays names them all.
        lines += [LogLine(EntityKind.TICKET, r.id, ChangeKind.FIELD, "account_id", acc_left[r.account_id], "")
                  for r in losing]
        if losing:
            lines.append(LogLine(EntityKind.CUSTOMER, main_id, ChangeKind.CUSTOMER_MERGED, "unlinked_tickets", "",
                                 ", ".join(f"#{r.number}" for r in losing)))
        conn.execute(update(ticket).where(ticket.c.account_id.in_(list(acc_left)))
                     .values(account_id=None, version=ticket.c.version + 1))
        conn.execute(delete(account).where(account.c.id.in_(list(acc_left))))
    customer = schema.CustomerRow.__table__
    cu = customer.c
    # The log keeps the names of the customers about to go (read by change_names).
    lines += [change_names.kept_name(r.id, " ".join(p for p in (r.first_name, r.middle_name, r.last_name,
                                                                r.second_last_name) if p))
              for r in conn.execute(select(cu.id, cu.first_name, cu.middle_name, cu.last_name, cu.second_last_name)
                                    .where(cu.id.in_(others)).order_by(cu.id))]
    conn.execute(update(customer).where(customer.c.id == main_id)
                 .values(version=customer.c.version + 1, updated_at=store.now(), updated_by=user.id))
    conn.execute(delete(customer).where(customer.c.id.in_(others)))
    lines += [LogLine(EntityKind.CUSTOMER, o, ChangeKind.CUSTOMER_DELETED, "merged_into", o, main_id) for o in others]
    lines += [LogLine(EntityKind.CUSTOMER, main_id, ChangeKind.CUSTOMER_MERGED, "customer", o, main_id) for o in others]
    store.log(conn, user, lines)
    return MergeMoved(moved_contacts, moved_accounts, moved_tickets)
