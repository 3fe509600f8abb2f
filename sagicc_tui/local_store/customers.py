"""The customers module over the store (C1, C2, C4, C5, C6, T4-T6).

Sync functions `fn(store, conn, user, ...)` that LocalBackend runs in a worker
thread inside a read or write transaction (engine.py). Rules run here, inside
the transaction; every change writes its change-log entries on the same
connection, so an entry commits or rolls back with the change it describes.

The list (C1) reads a page at a time like the ticket list: an inner query
picks the page's ids in the order (keyset `after`, or an `offset` jump that
skips ids only) and the outer query reads just those rows. Searches start
from an index: the search index for names (customer_fts on SQLite, a GIN
index on PostgreSQL, see textsearch.py), the id_number index
for documents, and contact_info.normalized for e-mails and phones.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy import text as sql_text

from sagicc_tui.domain import phones
from sagicc_tui.domain.customers import (
    AccountInput,
    ContactInput,
    CustomerAssignment,
    CustomerAttachment,
    CustomerCursor,
    CustomerInput,
    CustomerListItem,
    CustomerMergePreview,
    CustomerMergeResult,
    CustomerOrder,
    CustomerPage,
    CustomerProfile,
    CustomerQuery,
    DuplicateCustomer,
    MergeCounts,
    MergeParts,
    ProfileInteraction,
    RelatedCustomer,
    name_sort_key,
    validate_account,
    validate_contact,
    validate_customer,
    validate_relation,
)
from sagicc_tui.domain.enums import (
    ChangeKind,
    ContactKind,
    CustomerStatus,
    CustomerType,
    EntityKind,
    IdType,
    Role,
    TicketOrder,
)
from sagicc_tui.domain.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation, StaleWrite
from sagicc_tui.domain.messages import N_, Msg, msg
from sagicc_tui.domain.models import Account, ContactInfo, Customer, Ticket, User
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.domain.rules import Permission, require
from sagicc_tui.local_store import change_names, customer_merge, phone_match, schema, textsearch
from sagicc_tui.local_store import ticket_query as tq
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.convert import (
    account_from_row,
    contact_from_row,
    customer_from_row,
    from_epoch,
    interaction_from_row,
    normalize_contact,
)
from sagicc_tui.local_store.core import LogLine, Store
from sagicc_tui.local_store.ticket_actions import check_ticket_version, refuse_closed, write_ticket

customer = schema.CustomerRow.__table__
cu = customer.c
contact = schema.ContactRow.__table__
ct = contact.c
account = schema.AccountRow.__table__
feature = schema.CustomerFeature.__table__
relation = schema.CustomerRelationRow.__table__
assignment = schema.CustomerAssignmentRow.__table__
ticket = schema.ticket
t = ticket.c

MAX_PAGE = 500
RECENT = 20
MAX_ATTACHMENTS = 200
PHONE_KINDS = (ContactKind.PHONE.value, ContactKind.MOBILE.value)

LIST_COLUMNS = (cu.id, cu.type, cu.id_type, cu.id_number, cu.first_name, cu.middle_name,
                cu.last_name, cu.second_last_name, cu.status, cu.created_at)


def _name(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def row_name(r: Any) -> str:
    return _name(r.first_name, r.middle_name, r.last_name, r.second_last_name)


def item_from_row(r: Any) -> CustomerListItem:
    return CustomerListItem(
        id=r.id, type=CustomerType(r.type), id_type=IdType(r.id_type), id_number=r.id_number,
        first_name=r.first_name, middle_name=r.middle_name, last_name=r.last_name,
        second_last_name=r.second_last_name, status=CustomerStatus(r.status),
        created_at=from_epoch(r.created_at),
    )


# --- reading one customer ---------------------------------------------------------------


def customer_row(conn: Connection, customer_id: int) -> Any:
    row = conn.execute(select(customer).where(cu.id == customer_id)).first()
    if row is None:
        raise NotFound(N_("There is no customer with id {id}."), id=customer_id)
    return row


def load(conn: Connection, customer_id: int) -> Customer:
    row = customer_row(conn, customer_id)
    feats = tuple(r[0] for r in conn.execute(
        select(feature.c.feature).where(feature.c.customer_id == customer_id).order_by(feature.c.feature)))
    return customer_from_row(row, feats)


# --- the list (C1) --------------------------------------------------------------------------


def _order(order: CustomerOrder) -> tuple[list[ColumnElement[Any]], bool]:
    if order is CustomerOrder.NAME:  # Spanish order, kept on write (name_sort_key), index ix_customer_sort_name
        return [cu.sort_name], False
    return [cu.created_at], order is CustomerOrder.CREATED_DESC


def _prefix(col: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """col starts with prefix, as a range the column's index can serve."""
    return and_(col >= prefix, col < prefix + "\U0010ffff")


_PHONEISH = re.compile(r"^\+?[\d\s().\-]+$")
_bind_names = itertools.count()


def _by_name(text: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "sqlite":
        q = tq.fts_query(text)
        if q is None:
            return false()
        name = f"cfts{next(_bind_names)}"  # unique: a query may hold several searches
        return cu.id.in_(
            sql_text(f"SELECT rowid FROM customer_fts WHERE customer_fts MATCH :{name}").bindparams(**{name: q})
        )
    # PostgreSQL: the customer search index of textsearch.py (names and document).
    q = textsearch.prefix_query(text)
    if q is None:
        return false()
    return textsearch.matches(textsearch.CUSTOMER_TSV, q)


def _by_document(text: str) -> ColumnElement[bool]:
    raw = "".join(text.split()).upper()
    variants = {raw, raw.replace(".", "")} - {""}
    if not variants:
        return false()
    return or_(*(_prefix(cu.id_number, v) for v in sorted(variants)))


def _by_email(text: str) -> ColumnElement[bool]:
    value = normalize_contact(ContactKind.EMAIL, text)
    if not value:
        return false()
    return cu.id.in_(select(ct.customer_id).where(ct.kind == ContactKind.EMAIL.value, _prefix(ct.normalized, value)))


def _by_phone(text: str, countries: tuple[str, ...]) -> ColumnElement[bool]:
    """A phone's start as typed, or with the country code new rows keep (#15.9)."""
    keys = [k for k in phones.prefix_keys(text, countries) if len(k) >= 3]
    if not keys:
        return false()
    return cu.id.in_(select(ct.customer_id).where(ct.kind.in_(PHONE_KINDS),
                                                  or_(*(_prefix(ct.normalized, k) for k in keys))))


def _smart(text: str, dialect: str, countries: tuple[str, ...]) -> ColumnElement[bool]:
    text = text.strip()
    if "@" in text:
        return _by_email(text)
    if _PHONEISH.match(text):
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) < 3:
            return _by_document(digits) if digits else false()
        return or_(_by_document(text), _by_phone(text, countries))
    parts = [_by_name(text, dialect)]
    if len(text.split()) == 1 and any(ch.isdigit() for ch in text):
        parts.append(_by_document(text))  # a passport or foreign id: AB1234567
    return or_(*parts)


def where_clause(query: CustomerQuery, dialect: str,
                 countries: tuple[str, ...] = (phones.DEFAULT_COUNTRY,)) -> ColumnElement[bool]:
    preds: list[ColumnElement[bool]] = []
    if query.search.strip():
        preds.append(_smart(query.search, dialect, countries))
    if query.name.strip():
        preds.append(_by_name(query.name, dialect))
    if query.document.strip():
        preds.append(_by_document(query.document))
    if query.email.strip():
        preds.append(_by_email(query.email))
    if query.phone.strip():
        preds.append(_by_phone(query.phone, countries))
    if query.statuses:
        preds.append(cu.status.in_([s.value for s in query.statuses]))
    if query.types:
        preds.append(cu.type.in_([x.value for x in query.types]))
    return and_(*preds) if preds else true()


def count(store: Store, conn: Connection, user: User, query: CustomerQuery) -> int:
    store.fresh_user(conn, user)
    stmt = select(func.count()).select_from(customer).where(
        where_clause(query, store.dialect, phone_match.countries(store, conn)))
    return int(conn.execute(stmt).scalar_one())


def list_page(store: Store, conn: Connection, user: User, query: CustomerQuery, *, limit: int,
              after: CustomerCursor | None, offset: int) -> CustomerPage:
    store.fresh_user(conn, user)
    limit = max(1, min(limit, MAX_PAGE))
    keys, desc = _order(query.order)
    inner = select(cu.id).where(where_clause(query, store.dialect, phone_match.countries(store, conn)))
    if after is not None:
        if len(after.key) != len(keys):
            raise InvalidInput(N_("The page position does not match the list's order; reload the list."))
        pos = tuple_(*keys, cu.id)
        bound = tuple_(*(literal(k) for k in after.key), literal(after.id))
        inner = inner.where(pos < bound if desc else pos > bound)
    ordering = [k.desc() for k in keys] + [cu.id.desc()] if desc else [k.asc() for k in keys] + [cu.id.asc()]
    inner = inner.order_by(*ordering).limit(limit)
    if offset and after is None:
        inner = inner.offset(offset)
    stmt = (
        select(*LIST_COLUMNS, *(k.label(f"k{i}") for i, k in enumerate(keys)))
        .where(cu.id.in_(inner.scalar_subquery()))
        .order_by(*ordering)
    )
    rows = conn.execute(stmt).all()
    items = tuple(item_from_row(r) for r in rows)
    cursor = None
    if len(rows) == limit:
        last = rows[-1]
        cursor = CustomerCursor(tuple(getattr(last, f"k{i}") for i in range(len(keys))), last.id)
    return CustomerPage(items, cursor)


# --- add and edit (C2, T4) ----------------------------------------------------------------------

_FIELDS = ("type", "id_type", "id_number", "first_name", "middle_name", "last_name",
           "second_last_name", "birth_date")


_NAMES = {"first_name", "middle_name", "last_name", "second_last_name"}


def _sort_name(c: CustomerInput) -> str:
    return name_sort_key(c.first_name, c.middle_name, c.last_name, c.second_last_name)


def _stored(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value.value if hasattr(value, "value") else value


def _refuse_duplicate(conn: Connection, clean: CustomerInput, exclude_id: int | None) -> None:
    stmt = select(customer).where(cu.id_type == clean.id_type.value, cu.id_number == clean.id_number)
    if exclude_id is not None:
        stmt = stmt.where(cu.id != exclude_id)
    found = conn.execute(stmt.order_by(cu.id).limit(1)).first()
    if found is not None:
        raise DuplicateCustomer(
            N_("Customer {name} (id {id}) already has {id_type} {number}; open that customer, or save "
               "anyway as a separate customer."),
            existing_id=found.id, name=row_name(found), id_type=clean.id_type.value, number=clean.id_number,
        )


def _set_features(conn: Connection, customer_id: int, features: tuple[str, ...]) -> None:
    conn.execute(delete(feature).where(feature.c.customer_id == customer_id))
    if features:
        conn.execute(insert(feature), [{"customer_id": customer_id, "feature": f} for f in features])


def create(store: Store, conn: Connection, user: User, data: CustomerInput, allow_duplicate: bool) -> Customer:
    me = store.fresh_user(conn, user)
    clean = validate_customer(data, today=store.clock().date())
    if not allow_duplicate:
        _refuse_duplicate(conn, clean, None)
    now = store.now()
    values = {f: _stored(getattr(clean, f)) for f in _FIELDS}
    values["sort_name"] = _sort_name(clean)
    customer_id = int(conn.execute(
        insert(customer).values(**values, status=CustomerStatus.ACTIVE.value, created_at=now,
                                updated_at=now, updated_by=me.id)
    ).inserted_primary_key[0])
    _set_features(conn, customer_id, clean.features or ())
    summary = f"{clean.id_type.value} {clean.id_number} " + _name(
        clean.first_name, clean.middle_name, clean.last_name, clean.second_last_name)
    lines = [LogLine(EntityKind.CUSTOMER, customer_id, ChangeKind.CREATED, "customer", "", summary)]
    # C2: the first e-mail and phone, in the same transaction: reachable from the start.
    country = phone_match.customer_country(store, conn, None)
    for kind, value in ((ContactKind.EMAIL, clean.email), (ContactKind.MOBILE, clean.phone)):
        if value:
            conn.execute(insert(contact).values(customer_id=customer_id, kind=kind.value, value=value,
                                                normalized=normalize_contact(kind, value, country), label=""))
            lines.append(LogLine(EntityKind.CUSTOMER, customer_id, ChangeKind.CUSTOMER_CHANGED, "contact", "",
                                 _contact_text(kind.value, value)))
    store.log(conn, me, lines, at=now)
    return load(conn, customer_id)


def write_customer(store: Store, conn: Connection, user: User, current: Any, expected_version: int | None,
                   values: dict[str, Any], lines: list[LogLine]) -> None:
    """Update one customer row if its version is still the expected one.

    Like ticket_actions.write_ticket: a stale write raises StaleWrite naming
    who changed the customer and when; the transaction rolls back, so
    nothing (not even the lines) is written.
    """
    expected = current.version if expected_version is None else expected_version
    store.versioned_update(conn, user, customer, current.id, expected, values, lines,
                           _stale_customer(store, conn, current))


def _stale_customer(store: Store, conn: Connection, current: Any):
    def stale(row: Any) -> StaleWrite | NotFound:
        if row is None:  # merged into another customer (or deleted) while this write waited
            return NotFound(N_("Customer {name} was merged or deleted since you opened it; nothing was saved. "
                               "Search for the customer again."), name=row_name(current))
        who = store.user_name(conn, row.updated_by) or N_("someone")
        return StaleWrite(
            N_("Customer {name} was changed by {who} at {when} since you opened it; nothing was saved. "
               "Reload the customer and apply your change again."),
            name=row_name(current), who=who, when=from_epoch(row.updated_at).strftime("%H:%M:%S"),
            current_version=row.version,
        )

    return stale


def check_customer_version(store: Store, conn: Connection, current: Any, expected_version: int | None) -> None:
    """A customer write that changes nothing still refuses a stale version (P10)."""
    store.check_version(conn, customer, current.id, expected_version, _stale_customer(store, conn, current))


def update_customer(store: Store, conn: Connection, user: User, customer_id: int, data: CustomerInput,
                    expected_version: int, allow_duplicate: bool) -> Customer:
    me = store.fresh_user(conn, user)
    current = customer_row(conn, customer_id)
    before = load(conn, customer_id)
    clean = validate_customer(data, today=store.clock().date())
    if not allow_duplicate and (clean.id_type.value, clean.id_number) != (current.id_type, current.id_number):
        _refuse_duplicate(conn, clean, customer_id)
    values: dict[str, Any] = {}
    lines: list[LogLine] = []
    for f in _FIELDS:
        old, new = getattr(before, f), getattr(clean, f)
        if _stored(old) != _stored(new):
            values[f] = _stored(new)
            lines.append(LogLine(EntityKind.CUSTOMER, customer_id, ChangeKind.FIELD, f, old, new))
    if clean.features is not None and tuple(sorted(clean.features)) != before.features:
        lines.append(LogLine(EntityKind.CUSTOMER, customer_id, ChangeKind.FIELD, "features",
                             ", ".join(before.features), ", ".join(sorted(clean.features))))
        _set_features(conn, customer_id, clean.features)
    if not lines:
        check_customer_version(store, conn, current, expected_version)
        return before
    if values.keys() & _NAMES:
        values["sort_name"] = _sort_name(clean)
    write_customer(store, conn, me, current, expected_version, values, lines)
    return load(conn, customer_id)


def set_assignee(store: Store, conn: Connection, user: User, customer_id: int, assignee_id: int | None,
                 campaign_id: int | None, expected_version: int) -> Customer:
    """T4 Assigned user of the customer: for all campaigns (customer.assigned_user_id)
    or for one campaign (a customer_assignment row; assignee_id None removes it).

    Either way the customer's version is checked and bumped, and the change-log
    entry on the customer commits with the change.
    """
    me = store.fresh_user(conn, user)
    current = customer_row(conn, customer_id)
    campaign = None
    if campaign_id is not None:
        campaign = store.campaign(conn, campaign_id)
        if campaign is None:
            raise NotFound(N_("There is no campaign with id {id}; choose one from the list."), id=campaign_id)
        if me.role is Role.AGENT and campaign_id not in me.campaign_ids:
            raise PermissionDenied(
                N_("You are not a member of campaign {campaign}, so you may not assign its customers."),
                campaign=campaign.name)
    target = None
    if assignee_id is not None:
        target = store.user_by_id(conn, assignee_id)
        if target is None or not target.active:
            raise InvalidInput(N_("There is no active user with id {id}; choose another user."), id=assignee_id)
    if campaign is None:
        if current.assigned_user_id == assignee_id:
            check_customer_version(store, conn, current, expected_version)
            return load(conn, customer_id)
        line = LogLine(EntityKind.CUSTOMER, customer_id, ChangeKind.ASSIGNED, "assigned_user",
                       store.user_name(conn, current.assigned_user_id), store.user_name(conn, assignee_id))
        write_customer(store, conn, me, current, expected_version, {"assigned_user_id": assignee_id}, [line])
        return load(conn, customer_id)
    if target is not None and target.role is Role.AGENT and campaign.id not in target.campaign_ids:
        raise RuleViolation(N_("{user} is not a member of campaign {campaign}; choose another user."),
                            user=target.full_name, campaign=campaign.name)
    ac = assignment.c
    where = and_(ac.customer_id == customer_id, ac.campaign_id == campaign.id)
    before = conn.execute(select(ac.user_id).where(where)).scalar()
    if before == assignee_id:
        check_customer_version(store, conn, current, expected_version)
        return load(conn, customer_id)

    def text(user_id: int | None) -> str:
        return f"{campaign.name}: {store.user_name(conn, user_id)}" if user_id is not None else ""

    line = LogLine(EntityKind.CUSTOMER, customer_id, ChangeKind.ASSIGNED, "assigned_user", text(before),
                   text(assignee_id))
    # The version check first: a stale write raises before the row changes (and rolls back anyway).
    write_customer(store, conn, me, current, expected_version, {}, [line])
    if assignee_id is None:
        conn.execute(delete(assignment).where(where))
    elif before is None:
        conn.execute(insert(assignment).values(customer_id=customer_id, campaign_id=campaign.id,
                                               user_id=assignee_id, updated_at=store.now(), updated_by=me.id))
    else:
        conn.execute(update(assignment).where(where).values(user_id=assignee_id, updated_at=store.now(),
                                                            updated_by=me.id))
    return load(conn, customer_id)


def assignments_of(store: Store, conn: Connection, customer_id: int) -> tuple[CustomerAssignment, ...]:
    """The customer's per-campaign assigned users, by campaign name."""
    ac = assignment.c
    camp = schema.CampaignRow.__table__
    usr = schema.UserRow.__table__
    rows = conn.execute(
        select(ac.campaign_id, camp.c.name.label("campaign_name"), ac.user_id, usr.c.full_name)
        .join(camp, camp.c.id == ac.campaign_id).join(usr, usr.c.id == ac.user_id)
        .where(ac.customer_id == customer_id).order_by(camp.c.name, ac.campaign_id)
    ).all()
    return tuple(CustomerAssignment(campaign_id=r.campaign_id, campaign_name=r.campaign_name, user_id=r.user_id,
                                    user_name=r.full_name) for r in rows)


# --- contacts (T5) and accounts (T6) ---------------------------------------------------------------


def _contact_text(kind: str, value: str) -> str:
    return f"{kind}: {value}"


def list_contacts(store: Store, conn: Connection, user: User, customer_id: int) -> list[ContactInfo]:
    store.fresh_user(conn, user)
    customer_row(conn, customer_id)
    return [contact_from_row(r) for r in conn.execute(
        select(contact).where(ct.customer_id == customer_id).order_by(ct.kind, ct.id))]


def _contact_row(conn: Connection, contact_id: int) -> Any:
    row = conn.execute(select(contact).where(ct.id == contact_id)).first()
    if row is None:
        raise NotFound(N_("There is no contact information with id {id}; reload the customer."), id=contact_id)
    return row


def _refuse_same_contact(conn: Connection, customer_id: int, kind: str, normalized: str,
                         exclude_id: int | None, value: str, country: str) -> None:
    keys = [normalized]
    if kind in PHONE_KINDS:  # the same number stored before E.164 (#15.9)
        keys = sorted({normalized, *phones.match_keys(value, (country,))})
    stmt = select(ct.id).where(ct.customer_id == customer_id, ct.kind == kind, ct.normalized.in_(keys))
    if exclude_id is not None:
        stmt = stmt.where(ct.id != exclude_id)
    if conn.execute(stmt.limit(1)).first() is not None:
        raise InvalidInput(N_("The customer already has {value}; edit that contact instead."), value=value,
                           field="value")


def add_contact(store: Store, conn: Connection, user: User, customer_id: int, data: ContactInput) -> ContactInfo:
    me = store.fresh_user(conn, user)
    customer_row(conn, customer_id)
    clean = validate_contact(data)
    country = phone_match.customer_country(store, conn, customer_id)
    normalized = normalize_contact(clean.kind, clean.value, country)
    _refuse_same_contact(conn, customer_id, clean.kind.value, normalized, None, clean.value, country)
    contact_id = conn.execute(insert(contact).values(
        customer_id=customer_id, kind=clean.kind.value, value=clean.value, normalized=normalized,
        label=clean.label)).inserted_primary_key[0]
    store.log(conn, me, [LogLine(EntityKind.CUSTOMER, customer_id, ChangeKind.CUSTOMER_CHANGED, "contact", "",
                                 _contact_text(clean.kind.value, clean.value))])
    return contact_from_row(_contact_row(conn, contact_id))


#: The sentences for a contact, account or relation changed since it was read.
STALE_CONTACT = N_("A contact of {name} was changed by someone else since you opened it; nothing was saved. "
                   "Reload the customer and apply your change again.")
STALE_ACCOUNT = N_("An account of {name} was changed by someone else since you opened it; nothing was saved. "
                   "Reload the customer and apply your change again.")
STALE_RELATION = N_("A relation of {name} was changed by someone else since you opened it; nothing was saved. "
                    "Reload the customer and apply your change again.")


def _stale_part(conn: Connection, customer_id: int, template: str):
    def stale(row: Any) -> StaleWrite:
        return StaleWrite(template, name=row_name(customer_row(conn, customer_id)), current_version=row.version)

    return stale


def _versioned_part(store: Store, conn: Connection, table, row: Any, expected_version: int | None,
                    values: dict[str, Any], template: str) -> None:
    """Update a contact, account or relation row if its version is still the
    expected one (None: unchecked, the last write wins as before); a stale
    version is refused even when the values equal the current ones."""
    stale = _stale_part(conn, row.customer_id, template)
    if not values:
        store.check_version(conn, table, row.id, expected_version, stale)
        return
    c = table.c
    where = [c.id == row.id] + ([c.version == expected_version] if expected_version is not None else [])
    res = conn.execute(update(table).where(*where).values(**values, version=c.version + 1))
    if res.rowcount != 1:
        raise stale(conn.execute(select(c.version).where(c.id == row.id)).one())


def update_contact(store: Store, conn: Connection, user: User, contact_id: int, data: ContactInput,
                   expected_version: int | None = None, expected: ContactInput | None = None) -> ContactInfo:
    """Two guards, either or both: `expected_version` (P10: a stale version is
    refused even for equal values) and `expected`, the values the editor started
    from (T15: a change made meanwhile opens the comparison)."""
    me = store.fresh_user(conn, user)
    row = _contact_row(conn, contact_id)
    clean = validate_contact(data)
    country = phone_match.customer_country(store, conn, row.customer_id)
    normalized = normalize_contact(clean.kind, clean.value, country)
    _refuse_same_contact(conn, row.customer_id, clean.kind.value, normalized, contact_id, clean.value, country)
    if (row.kind, row.value, row.label) == (clean.kind.value, clean.value, clean.label):
        _versioned_part(store, conn, contact, row, expected_version, {}, STALE_CONTACT)
        return contact_from_row(row)  # already so (also a retried request): nothing to compare
    if expected is not None and (row.kind, row.value, row.label) != (
            ContactKind(expected.kind).value, expected.value, expected.label):
        raise StaleWrite(N_("Someone changed this contact after you chose it; nothing was saved. "
                            "Compare your change with theirs and save again."))
    _versioned_part(store, conn, contact, row, expected_version, dict(
        kind=clean.kind.value, value=clean.value, normalized=normalized, label=clean.label), STALE_CONTACT)
    store.log(conn, me, [LogLine(EntityKind.CUSTOMER, row.customer_id, ChangeKind.CUSTOMER_CHANGED, "contact",
                                 _contact_text(row.kind, row.value), _contact_text(clean.kind.value, clean.value))])
    return contact_from_row(_contact_row(conn, contact_id))


def delete_contact(store: Store, conn: Connection, user: User, contact_id: int) -> None:
    me = store.fresh_user(conn, user)
    row = _contact_row(conn, contact_id)
    conn.execute(delete(contact).where(ct.id == contact_id))
    store.log(conn, me, [LogLine(EntityKind.CUSTOMER, row.customer_id, ChangeKind.CUSTOMER_CHANGED, "contact",
                                 _contact_text(row.kind, row.value), "")])


def list_accounts(store: Store, conn: Connection, user: User, customer_id: int) -> list[Account]:
    store.fresh_user(conn, user)
    customer_row(conn, customer_id)
    return [account_from_row(r) for r in conn.execute(
        select(account).where(account.c.customer_id == customer_id).order_by(account.c.id))]


def _account_row(conn: Connection, account_id: int) -> Any:
    row = conn.execute(select(account).where(account.c.id == account_id)).first()
    if row is None:
        raise NotFound(N_("There is no account with id {id}; reload the customer."), id=account_id)
    return row


def _account_text(number: str, name: str) -> str:
    return f"{number} ({name})" if name else number


def _refuse_same_number(conn: Connection, customer_id: int, number: str, but: int | None = None) -> None:
    """One account per number and customer: an Add repeated (two presses, two terminals) stores it once.
    The customer's row is locked first (PostgreSQL; SQLite's write transaction already is), so two
    concurrent Adds cannot both find the number free."""
    cu = schema.CustomerRow.__table__
    conn.execute(select(cu.c.id).where(cu.c.id == customer_id).with_for_update())
    stmt = select(account.c.id).where(account.c.customer_id == customer_id, account.c.number == number)
    if but is not None:
        stmt = stmt.where(account.c.id != but)
    if conn.execute(stmt).first() is not None:
        raise InvalidInput(N_("The customer already has account {number}; choose it in the list to change it."),
                           number=number, field="number")


def add_account(store: Store, conn: Connection, user: User, customer_id: int, data: AccountInput) -> Account:
    me = store.fresh_user(conn, user)
    customer_row(conn, customer_id)
    clean = validate_account(data)
    _refuse_same_number(conn, customer_id, clean.number)
    account_id = conn.execute(insert(account).values(
        customer_id=customer_id, number=clean.number, name=clean.name,
        extra=json.dumps(clean.extra, ensure_ascii=False))).inserted_primary_key[0]
    store.log(conn, me, [LogLine(EntityKind.CUSTOMER, customer_id, ChangeKind.CUSTOMER_CHANGED, "account", "",
                                 _account_text(clean.number, clean.name))])
    return account_from_row(_account_row(conn, account_id))


def update_account(store: Store, conn: Connection, user: User, account_id: int, data: AccountInput,
                   expected_version: int | None = None, expected: AccountInput | None = None) -> Account:
    me = store.fresh_user(conn, user)
    row = _account_row(conn, account_id)
    clean = validate_account(data)
    _refuse_same_number(conn, row.customer_id, clean.number, but=account_id)
    current = (row.number, row.name, json.loads(row.extra or "{}"))
    if expected is not None and current != (clean.number, clean.name, clean.extra) and current != (
            expected.number, expected.name, dict(expected.extra)):
        raise StaleWrite(N_("Someone changed this account after you chose it; nothing was saved. "
                            "Compare your change with theirs and save again."))
    extra = json.dumps(clean.extra, ensure_ascii=False)
    old_extra = json.loads(row.extra or "{}")
    lines = []
    if (row.number, row.name) != (clean.number, clean.name):
        lines.append(LogLine(EntityKind.CUSTOMER, row.customer_id, ChangeKind.CUSTOMER_CHANGED, "account",
                             _account_text(row.number, row.name), _account_text(clean.number, clean.name)))
    for key in sorted(set(old_extra) | set(clean.extra)):
        if old_extra.get(key) != clean.extra.get(key):
            lines.append(LogLine(EntityKind.CUSTOMER, row.customer_id, ChangeKind.CUSTOMER_CHANGED,
                                 f"account {clean.number}: {key}", old_extra.get(key, ""), clean.extra.get(key, "")))
    if not lines:
        _versioned_part(store, conn, account, row, expected_version, {}, STALE_ACCOUNT)
        return account_from_row(row)
    _versioned_part(store, conn, account, row, expected_version,
                    dict(number=clean.number, name=clean.name, extra=extra), STALE_ACCOUNT)
    store.log(conn, me, lines)
    return account_from_row(_account_row(conn, account_id))


# --- related customers (T4) --------------------------------------------------------------------------


def _related(r: Any, outgoing: bool, viewer: int) -> RelatedCustomer:
    return RelatedCustomer(
        id=r.id, customer_id=viewer, related_customer_id=r.other_id, relation=r.relation,
        related_name=_name(r.first_name, r.middle_name, r.last_name, r.second_last_name),
        related_id_type=IdType(r.id_type), related_id_number=r.id_number, outgoing=outgoing, version=r.version,
    )


def _relation_select(side: str):
    other = customer.alias("other")
    rc = relation.c
    join_col = rc.related_customer_id if side == "out" else rc.customer_id
    return select(rc.id, rc.relation, rc.version, other.c.id.label("other_id"), other.c.first_name, other.c.middle_name,
                  other.c.last_name, other.c.second_last_name, other.c.id_type,
                  other.c.id_number).join(other, other.c.id == join_col)


def relations_of(conn: Connection, customer_id: int) -> list[RelatedCustomer]:
    rc = relation.c
    out = [_related(r, True, customer_id) for r in conn.execute(
        _relation_select("out").where(rc.customer_id == customer_id).order_by(rc.id))]
    inc = [_related(r, False, customer_id) for r in conn.execute(
        _relation_select("in").where(rc.related_customer_id == customer_id).order_by(rc.id))]
    return out + inc


def list_relations(store: Store, conn: Connection, user: User, customer_id: int) -> list[RelatedCustomer]:
    store.fresh_user(conn, user)
    customer_row(conn, customer_id)
    return relations_of(conn, customer_id)


def _relation_row(conn: Connection, relation_id: int) -> Any:
    row = conn.execute(select(relation).where(relation.c.id == relation_id)).first()
    if row is None:
        raise NotFound(N_("There is no related-customer link with id {id}; reload the customer."), id=relation_id)
    return row


def _relation_lines(conn: Connection, a: int, b: int, previous: str, new: str) -> list[LogLine]:
    """One line on each side, naming the other customer."""
    name_a, name_b = row_name(customer_row(conn, a)), row_name(customer_row(conn, b))

    def text(value: str, other: str, other_id: int) -> str:
        return f"{value}: {other} (id {other_id})" if value else ""

    return [
        LogLine(EntityKind.CUSTOMER, a, ChangeKind.CUSTOMER_CHANGED, "relation",
                text(previous, name_b, b), text(new, name_b, b)),
        LogLine(EntityKind.CUSTOMER, b, ChangeKind.CUSTOMER_CHANGED, "relation",
                text(previous, name_a, a), text(new, name_a, a)),
    ]


def _one_relation(conn: Connection, relation_id: int, viewer: int) -> RelatedCustomer:
    rc = relation.c
    r = conn.execute(_relation_select("out").where(rc.id == relation_id)).one()
    return _related(r, True, viewer)


def add_relation(store: Store, conn: Connection, user: User, customer_id: int, related_id: int,
                 text: str) -> RelatedCustomer:
    me = store.fresh_user(conn, user)
    customer_row(conn, customer_id)
    customer_row(conn, related_id)
    if customer_id == related_id:
        raise InvalidInput(N_("A customer cannot be related to themselves; choose another customer."))
    value = validate_relation(text)
    rc = relation.c
    exists_ = conn.execute(select(rc.id).where(or_(
        and_(rc.customer_id == customer_id, rc.related_customer_id == related_id),
        and_(rc.customer_id == related_id, rc.related_customer_id == customer_id))).limit(1)).first()
    if exists_ is not None:
        raise InvalidInput(N_("These customers are already related; edit that relation instead."))
    relation_id = conn.execute(insert(relation).values(
        customer_id=customer_id, related_customer_id=related_id, relation=value)).inserted_primary_key[0]
    store.log(conn, me, _relation_lines(conn, customer_id, related_id, "", value))
    return _one_relation(conn, relation_id, customer_id)


def update_relation(store: Store, conn: Connection, user: User, relation_id: int, text: str,
                    expected_version: int | None = None) -> RelatedCustomer:
    me = store.fresh_user(conn, user)
    row = _relation_row(conn, relation_id)
    value = validate_relation(text)
    changes = {"relation": value} if value != row.relation else {}
    _versioned_part(store, conn, relation, row, expected_version, changes, STALE_RELATION)
    if changes:
        store.log(conn, me, _relation_lines(conn, row.customer_id, row.related_customer_id, row.relation, value))
    return _one_relation(conn, relation_id, row.customer_id)


def remove_relation(store: Store, conn: Connection, user: User, relation_id: int) -> None:
    me = store.fresh_user(conn, user)
    row = _relation_row(conn, relation_id)
    conn.execute(delete(relation).where(relation.c.id == relation_id))
    store.log(conn, me, _relation_lines(conn, row.customer_id, row.related_customer_id, row.relation, ""))


# --- the profile (C4) -----------------------------------------------------------------------------------


def profile(store: Store, conn: Connection, user: User, customer_id: int) -> CustomerProfile:
    me = store.fresh_user(conn, user)
    found = load(conn, customer_id)
    sc, campaigns = reads.scope(store, conn, me)
    in_scope = and_(t.customer_id == customer_id, tq.scope_predicate(sc))
    query = TicketQuery(customer_ids=(customer_id,), order=TicketOrder.CREATED_DESC)
    rows = conn.execute(tq.page_select(sc, query, store.dialect, limit=RECENT, after=None, offset=0)).all()
    now = store.clock()
    cards = tuple(reads.card_from_row(r, campaigns, now) for r in rows)
    open_n = conn.execute(select(func.count()).select_from(ticket).where(in_scope, t.status.in_(tq.OPEN))).scalar_one()
    at = schema.AttachmentRow.__table__.c
    attachments = tuple(
        CustomerAttachment(id=r.id, name=r.name, size=r.size, mime=r.mime, ticket_id=r.ticket_id,
                           ticket_number=r.number, created_at=from_epoch(r.created_at))
        for r in conn.execute(
            select(at.id, at.name, at.size, at.mime, at.ticket_id, at.created_at, t.number)
            .join(ticket, t.id == at.ticket_id).where(in_scope)
            .order_by(at.created_at.desc(), at.id.desc()).limit(MAX_ATTACHMENTS))
    )
    it = schema.InteractionRow.__table__
    interactions = tuple(
        ProfileInteraction(ticket_number=r.number, interaction=interaction_from_row(r))
        for r in conn.execute(
            select(it, t.number).join(ticket, t.id == it.c.ticket_id).where(in_scope)
            .order_by(it.c.created_at.desc(), it.c.id.desc()).limit(RECENT))
    )
    return CustomerProfile(
        customer=found,
        contacts=tuple(contact_from_row(r) for r in conn.execute(
            select(contact).where(ct.customer_id == customer_id).order_by(ct.kind, ct.id))),
        accounts=tuple(account_from_row(r) for r in conn.execute(
            select(account).where(account.c.customer_id == customer_id).order_by(account.c.id))),
        relations=tuple(relations_of(conn, customer_id)),
        attachments=attachments, recent_tickets=cards, recent_interactions=interactions,
        open_tickets=int(open_n), assigned_user_name=store.user_name(conn, found.assigned_user_id),
        assignments=assignments_of(store, conn, customer_id),
    )


# --- disable, enable, delete (C5) --------------------------------------------------------------------------


def set_status(store: Store, conn: Connection, user: User, customer_id: int, status: CustomerStatus,
               expected_version: int) -> Customer:
    me = store.fresh_user(conn, user)
    require(me, Permission.DELETE_CUSTOMERS)
    current = customer_row(conn, customer_id)
    if current.status == status.value:
        check_customer_version(store, conn, current, expected_version)
        return load(conn, customer_id)
    kind = ChangeKind.CUSTOMER_DISABLED if status is CustomerStatus.DISABLED else ChangeKind.STATUS
    line = LogLine(EntityKind.CUSTOMER, customer_id, kind, "status", CustomerStatus(current.status), status)
    write_customer(store, conn, me, current, expected_version, {"status": status.value}, [line])
    return load(conn, customer_id)


def _tickets_of(conn: Connection, customer_id: int) -> tuple[int, int]:
    """(open, all) tickets of the customer, whoever can see them."""
    r = conn.execute(
        select(func.count(), func.count().filter(t.status.in_(tq.OPEN))).select_from(ticket)
        .where(t.customer_id == customer_id)
    ).one()
    return int(r[1]), int(r[0])


def delete_customer(store: Store, conn: Connection, user: User, customer_id: int) -> None:
    """Delete a customer created by mistake, with their contacts, accounts,
    relations and features.

    A customer with tickets is never deleted: tickets keep their customer
    (their conversation, reports and change log name them). Open tickets must
    be closed or merged first; with closed tickets only, disable the customer.
    """
    me = store.fresh_user(conn, user)
    require(me, Permission.DELETE_CUSTOMERS)
    row = customer_row(conn, customer_id)
    name = row_name(row)
    open_n, all_n = _tickets_of(conn, customer_id)
    if open_n:
        if open_n == 1:
            raise RuleViolation(
                N_("{name} has 1 open ticket; close or merge it first, or disable the customer instead."), name=name)
        raise RuleViolation(
            N_("{name} has {count} open tickets; close or merge them first, or disable the customer instead."),
            name=name, count=open_n)
    if all_n == 1:
        raise RuleViolation(
            N_("{name} has 1 closed ticket, which must keep its customer; disable the customer instead."), name=name)
    if all_n:
        raise RuleViolation(
            N_("{name} has {count} closed tickets, which must keep their customer; disable the customer instead."),
            name=name, count=all_n)
    rc = relation.c
    lines: list[LogLine] = []
    for r in conn.execute(select(relation).where(or_(rc.customer_id == customer_id,
                                                     rc.related_customer_id == customer_id))).all():
        other = r.related_customer_id if r.customer_id == customer_id else r.customer_id
        if other != customer_id:
            lines.append(LogLine(EntityKind.CUSTOMER, other, ChangeKind.CUSTOMER_CHANGED, "relation",
                                 f"{r.relation}: {name} (id {customer_id})", ""))
    conn.execute(delete(relation).where(or_(rc.customer_id == customer_id, rc.related_customer_id == customer_id)))
    conn.execute(delete(feature).where(feature.c.customer_id == customer_id))
    conn.execute(delete(assignment).where(assignment.c.customer_id == customer_id))
    conn.execute(delete(contact).where(ct.customer_id == customer_id))
    conn.execute(delete(account).where(account.c.customer_id == customer_id))
    conn.execute(delete(customer).where(cu.id == customer_id))
    lines.append(LogLine(EntityKind.CUSTOMER, customer_id, ChangeKind.CUSTOMER_DELETED, "customer",
                         f"{row.id_type} {row.id_number} {name}".strip(), ""))
    lines.append(change_names.kept_name(customer_id, name))  # the ticket logs' "customer" reads it later
    store.log(conn, me, lines)


# --- the ticket's customer (T4) ------------------------------------------------------------------------------


def switch_ticket_customer(store: Store, conn: Connection, user: User, ticket_id: int, customer_id: int,
                           expected_version: int) -> Ticket:
    """Move one ticket to another customer (T4 Similar customers: switch)."""
    me = store.fresh_user(conn, user)
    current = reads.get(store, conn, me, ticket_id=ticket_id)
    refuse_closed(current)
    target = customer_row(conn, customer_id)
    if target.status == CustomerStatus.DISABLED.value:
        raise RuleViolation(N_("{name} is disabled; enable the customer first or choose another one."),
                            name=row_name(target))
    if current.customer_id == customer_id:
        check_ticket_version(store, conn, current, expected_version)
        return current
    values: dict[str, Any] = {"customer_id": customer_id}
    lines = [LogLine(EntityKind.TICKET, current.id, ChangeKind.CUSTOMER_CHANGED, "customer_id",
                     current.customer_id, customer_id)]
    if current.account_id is not None:  # the old customer's account does not follow the ticket
        values["account_id"] = None
        lines.append(LogLine(EntityKind.TICKET, current.id, ChangeKind.FIELD, "account_id", current.account_id, None))
    number = f"#{current.number}"
    lines += [
        LogLine(EntityKind.CUSTOMER, current.customer_id, ChangeKind.CUSTOMER_CHANGED, "ticket", number, ""),
        LogLine(EntityKind.CUSTOMER, customer_id, ChangeKind.CUSTOMER_CHANGED, "ticket", "", number),
    ]
    return write_ticket(store, conn, me, current, expected_version, values, lines)


# --- merge (C6) --------------------------------------------------------------------------------------------------


def _merge_ids(main_id: int, other_ids: list[int] | tuple[int, ...]) -> list[int]:
    others = list(dict.fromkeys(int(o) for o in other_ids if int(o) != main_id))
    if not others:
        raise InvalidInput(N_("Choose at least one other customer to merge into the main one."))
    return others


def _merge_counts(conn: Connection, ids: list[int]) -> dict[int, MergeCounts]:
    rows = {r.id: r for r in conn.execute(select(*LIST_COLUMNS, cu.version).where(cu.id.in_(ids)))}
    for cid in ids:
        if cid not in rows:
            raise NotFound(N_("There is no customer with id {id}."), id=cid)

    def per(table, where_col) -> dict[int, int]:
        return dict(conn.execute(select(where_col, func.count()).where(where_col.in_(ids)).group_by(where_col)).all())

    contacts = per(contact, ct.customer_id)
    accounts = per(account, account.c.customer_id)
    tickets = per(ticket, t.customer_id)
    open_ = dict(conn.execute(select(t.customer_id, func.count()).where(t.customer_id.in_(ids), t.status.in_(tq.OPEN))
                              .group_by(t.customer_id)).all())
    # How to tell two namesakes apart: the first e-mail, else the first phone.
    reach: dict[int, str] = {}
    for r in conn.execute(select(ct.customer_id, ct.kind, ct.value).where(ct.customer_id.in_(ids))
                          .order_by(ct.customer_id, ct.kind != ContactKind.EMAIL.value, ct.id)):
        if r.kind in (ContactKind.EMAIL.value, *PHONE_KINDS):
            reach.setdefault(r.customer_id, r.value)
    return {
        cid: MergeCounts(customer=item_from_row(rows[cid]), contacts=contacts.get(cid, 0),
                         accounts=accounts.get(cid, 0), tickets=tickets.get(cid, 0), open_tickets=open_.get(cid, 0),
                         version=rows[cid].version, reach=reach.get(cid, ""))
        for cid in ids
    }


#: How many ticket numbers a sentence names before it counts the rest.
NAMED_TICKETS = 20


def ticket_numbers_text(numbers: list[int] | tuple[int, ...]) -> str:
    shown = ", ".join(f"#{n}" for n in numbers[:NAMED_TICKETS])
    return shown + (f" (+{len(numbers) - NAMED_TICKETS})" if len(numbers) > NAMED_TICKETS else "")


def preview_merge(store: Store, conn: Connection, user: User, main_id: int, other_ids: list[int],
                  parts: MergeParts) -> CustomerMergePreview:
    me = store.fresh_user(conn, user)
    require(me, Permission.MERGE_CUSTOMERS)
    others = _merge_ids(main_id, other_ids)
    counts = _merge_counts(conn, [main_id, *others])
    main = counts[main_id]
    rest = [counts[o] for o in others]
    name = main.customer.full_name
    n_contacts = sum(c.contacts for c in rest)
    n_accounts = sum(c.accounts for c in rest)
    n_tickets = sum(c.tickets for c in rest)
    changes: list[Msg] = []
    unlinked: list[int] = []
    if parts.contacts:
        changes.append(msg(N_("{count} contacts move to {name} (contacts {name} already has are not duplicated)."),
                           count=n_contacts, name=name))
    elif n_contacts:
        changes.append(msg(N_("{count} contacts of the other customers are deleted with them."), count=n_contacts))
    if parts.accounts:
        changes.append(msg(N_("{count} accounts move to {name}."), count=n_accounts, name=name))
    elif n_accounts:
        changes.append(msg(N_("{count} accounts of the other customers are deleted with them."), count=n_accounts))
        unlinked = customer_merge.unlinked_tickets(conn, others)
        if unlinked:
            changes.append(msg(N_("These tickets lose their account, which is deleted with its customer: {tickets}."),
                               tickets=ticket_numbers_text(unlinked)))
    if parts.tickets:
        changes.append(msg(N_("{count} tickets ({open} open) move to {name}."), count=n_tickets,
                           open=sum(c.open_tickets for c in rest), name=name))
    changes.append(msg(N_("Their features are added to {name}; their related-customer links are removed."), name=name))
    changes.append(msg(N_("{count} customers are deleted: {names}."), count=len(rest),
                       names=", ".join(f"{c.customer.full_name} (id {c.customer.id})" for c in rest)))
    changes.append(msg(N_("A merge cannot be undone.")))
    blocked = None
    if not parts.tickets and n_tickets:
        blocked = msg(N_("The customers to remove have {count} tickets, and a ticket cannot be left without a "
                         "customer; choose to move the tickets too."), count=n_tickets)
    return CustomerMergePreview(main=main, others=tuple(rest), changes=tuple(changes), blocked=blocked,
                                unlinked=tuple(unlinked))


def merge(store: Store, conn: Connection, user: User, main_id: int, other_ids: list[int],
          parts: MergeParts, expected_versions: list[int] | None = None) -> CustomerMergeResult:
    me = store.fresh_user(conn, user)
    require(me, Permission.MERGE_CUSTOMERS)
    others = _merge_ids(main_id, other_ids)
    _merge_counts(conn, [main_id, *others])  # every customer exists
    if expected_versions is not None:
        ids = [main_id, *others]
        if len(expected_versions) != len(ids):
            raise InvalidInput(N_("The merge's versions do not match its customers; preview the merge again."))
        for cid, version in zip(ids, expected_versions, strict=True):
            # Locked until the merge commits (PostgreSQL): an edit waits, then finds its version moved on.
            check_customer_version(store, conn, customer_row(conn, cid), version)
    moved = customer_merge.merge_customers(store, conn, me, main_id, others, parts)
    return CustomerMergeResult(main=load(conn, main_id), deleted_ids=tuple(others),
                               contacts_moved=moved.contacts, accounts_moved=moved.accounts,
                               tickets_moved=moved.tickets)
