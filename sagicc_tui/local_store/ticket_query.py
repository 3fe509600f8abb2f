"""The ticket list's SQL: L2 scope, L4 filters, L5 orders, L6 search, keyset pages.

Everything here returns SQLAlchemy expressions; the caller runs them inside a
read or write transaction. One predicate builder serves the list, the counts,
the pending list and the resolution of a "tag all matching" selection, so the
rows a supervisor sees are exactly the rows a mass action touches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    union,
)
from sqlalchemy import text as sql_text

from sagicc_tui.domain.enums import TicketStatus, UserFilter
from sagicc_tui.domain.query import TicketCursor, TicketQuery
from sagicc_tui.domain.rules import Scope
from sagicc_tui.local_store import schema, textsearch, ticket_words
from sagicc_tui.local_store.convert import to_epoch

t = schema.ticket.c
customer = schema.CustomerRow.__table__
cu = customer.c
user_t = schema.UserRow.__table__
feature = schema.CustomerFeature.__table__
interaction = schema.InteractionRow.__table__


def scope_predicate(scope: Scope) -> ColumnElement[bool]:
    """L2: agents see, per campaign, assigned-to-me or unassigned tickets that
    came in through a channel configured for the campaign, unless the
    campaign's View All Tickets is on. Campaigns they do not belong to: none."""
    if scope.all_campaigns:
        return true()
    parts: list[ColumnElement[bool]] = []
    if scope.unrestricted_campaigns:
        parts.append(t.campaign_id.in_(sorted(scope.unrestricted_campaigns)))
    for campaign_id, channels in sorted(scope.restricted_campaigns.items()):
        parts.append(
            and_(
                t.campaign_id == campaign_id,
                or_(t.assignee_id == scope.user_id, t.assignee_id.is_(None)),
                t.origin_channel.in_(sorted(channels)),
            )
        )
    return or_(*parts) if parts else false()


def _epoch(at: datetime | None) -> int | None:
    return to_epoch(at)


def filter_predicates(query: TicketQuery, dialect: str, *,
                      plan: SearchPlan | None = None) -> list[ColumnElement[bool]]:
    preds: list[ColumnElement[bool]] = []
    if query.campaign_ids:
        preds.append(t.campaign_id.in_(query.campaign_ids))
    if query.created_from:
        preds.append(t.created_at >= _epoch(query.created_from))
    if query.created_to:
        preds.append(t.created_at < _epoch(query.created_to))
    if query.next_task_from:
        preds.append(t.next_task_at >= _epoch(query.next_task_from))
    if query.next_task_to:
        preds.append(t.next_task_at < _epoch(query.next_task_to))
    if query.statuses:
        preds.append(t.status.in_([s.value for s in query.statuses]))
    if query.priorities:
        preds.append(t.priority.in_([p.value for p in query.priorities]))
    if query.customer_ids:
        preds.append(t.customer_id.in_(query.customer_ids))
    if query.user_filter is UserFilter.UNASSIGNED:
        preds.append(t.assignee_id.is_(None))
    elif query.user_filter is UserFilter.SPECIFIC and query.user_ids:
        preds.append(t.assignee_id.in_(query.user_ids))
    if query.types:
        preds.append(t.type.in_([x.value for x in query.types]))
    if query.channels:
        preds.append(t.origin_channel.in_([x.value for x in query.channels]))
    if query.features:
        preds.append(
            exists().where(feature.c.customer_id == t.customer_id, feature.c.feature.in_(query.features))
        )
    if query.primary_values:
        preds.append(t.last_outcome.in_(query.primary_values))
    if query.assigned_since:
        preds.append(t.assigned_at >= _epoch(query.assigned_since))
    if query.search.strip():
        preds.append(search_predicate(query.search, dialect, plan=plan))
    return preds


_TOKEN = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str | None:
    """Words of the search box as an FTS5 query: every word, as a prefix."""
    words = _TOKEN.findall(text)
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words[:8])


def _one_word(text: str) -> bool:
    """One FTS5 word: one \\w+ run without "_" (FTS5 splits at "_", making a
    phrase, which the ticket-level index -- no positions -- cannot answer)."""
    found = _TOKEN.findall(text)
    return len(found) == 1 and "_" not in found[0]


def _number(text: str) -> str | None:
    """The digits of a ticket number or a document ("#1234", "1020304050"), if the search is one."""
    digits = text.lstrip("#")
    return digits if digits.isdigit() and len(digits) <= 18 else None


def search_predicate(text: str, dialect: str, *, ticket_level: bool = True,
                     plan: SearchPlan | None = None) -> ColumnElement[bool]:
    """L6: ticket number, customer name or document, description, message text.

    A one-word search finds messages through the ticket-level index
    (ticket_words.py: one row per ticket, no lookup per matching message);
    several words must occur in one message, which only the per-message index
    can tell, so those keep it. ``ticket_level=False`` is the per-message path
    for every search (tests compare both).

    ``plan`` (see search_plan; SQLite) names the index's words a
    prefix stands for, and whether a page should walk its order index,
    testing each candidate against the match lists (``id + 0`` keeps the
    planner from starting at them): the plan for a word in thousands of
    tickets. The rows are the same either way."""
    text = text.strip()
    by_number: list[ColumnElement[bool]] = []
    digits = _number(text)
    if digits is not None:
        by_number.append(t.number == int(digits))
        by_number.append(
            t.customer_id.in_(select(cu.id).where(cu.id_number == digits))
        )
    if dialect == "sqlite":
        q = fts_query(text)
        if q is None:
            return or_(*by_number) if by_number else false()
        if ticket_level and _one_word(text):
            # Two INs (the ticket's own words, its customer's), each an index
            # lookup: the planner probes them per candidate row, or starts
            # from them, instead of materialising one union of every match.
            walk = plan is not None and plan.walk
            tid, cid = (t.id + 0, t.customer_id + 0) if walk else (t.id, t.customer_id)
            words = plan.words.match if plan is not None else q
            by_ticket = tid.in_(sql_text(ticket_words.sqlite_match()).bindparams(words=words))
            return or_(*by_number, by_ticket, _sqlite_by_customer(cid, q))
        if plan is not None and plan.walk and _several_words(text):
            # Several common words, tested per ticket as the order index is
            # walked (``+ 0``: never started from): its description, one of
            # its messages or its customer holds them all. Each match list is
            # built once (FTS5 cannot test one row cheaply: a prefix query
            # probed by rowid took 8 ms); a ticket's messages are read by
            # its index and looked up in the messages' list, never the
            # other way round (``id + 0``).
            # The plan's words are the index's own words each prefix stands for.
            words = plan.words.match if plan.words is not None else q
            in_message = exists().where(interaction.c.ticket_id == t.id, (interaction.c.id + 0).in_(
                sql_text("SELECT rowid FROM interaction_fts WHERE interaction_fts MATCH :words").bindparams(
                    words=words)))
            in_description = (t.id + 0).in_(
                sql_text("SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH :words").bindparams(words=words))
            return or_(*by_number, in_description, in_message, _sqlite_by_customer(t.customer_id + 0, q))
        # One IN over the union of every way a ticket can match, so the
        # planner can start from the (usually few) matching ids.
        matching = sql_text(
            "SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH :q "
            "UNION SELECT ticket.id FROM ticket WHERE ticket.customer_id IN "
            "(SELECT rowid FROM customer_fts WHERE customer_fts MATCH :q) "
            "UNION SELECT interaction.ticket_id FROM interaction WHERE interaction.id IN "
            "(SELECT rowid FROM interaction_fts WHERE interaction_fts MATCH :q)"
        ).bindparams(q=q)
        return or_(*by_number, t.id.in_(matching))
    # PostgreSQL: the same three ways through the GIN indexes of textsearch.py.
    if plan is not None and plan.ticket_ids is not None:
        # The matches, looked up beforehand (search_plan): three indexed lists
        # PostgreSQL ORs in one bitmap. The document's customers are among
        # plan.customer_ids.
        numbers = [t.number == int(digits)] if by_number else []
        return or_(*numbers, t.id.in_(plan.ticket_ids), t.customer_id.in_(plan.customer_ids))
    q = textsearch.prefix_query(text)
    if q is None:
        return or_(*by_number) if by_number else false()
    by_customer = select(cu.id).where(textsearch.matches(textsearch.CUSTOMER_TSV, q))
    several = len(textsearch.words(text)[:textsearch.MAX_WORDS]) > 1
    if ticket_level and several and plan is not None and plan.walk:
        return or_(*by_number, _pg_has_words(t.id, q), t.customer_id.in_(by_customer))
    if ticket_level and not several:
        if plan is not None and plan.walk:
            # Tested per candidate as the order index is walked (OFFSET 0 keeps
            # PostgreSQL from hashing every match of the word first).
            return or_(*by_number, ticket_words.pg_has_word(t.id, q), t.customer_id.in_(by_customer))
        within = q if plan is None or not plan.campaigns else ticket_words.pg_in_campaigns(q, plan.campaigns)
        by_ticket = sql_text(ticket_words.pg_match()).bindparams(q=within).columns(ticket_id=t.id.type)
        return or_(*by_number, t.id.in_(by_ticket), t.customer_id.in_(by_customer))
    matching = union(
        select(t.id).where(textsearch.matches(textsearch.TICKET_TSV, q)).correlate(None),
        select(t.id).where(t.customer_id.in_(by_customer)).correlate(None),
        select(interaction.c.ticket_id).where(textsearch.matches(textsearch.INTERACTION_TSV, q)),
    )
    return or_(*by_number, t.id.in_(matching))


def _sqlite_by_customer(customer_id, q: str) -> ColumnElement[bool]:
    """SQL: the ticket's customer matches the FTS5 query ``q`` (names, document)."""
    return customer_id.in_(sql_text("SELECT rowid FROM customer_fts WHERE customer_fts MATCH :q").bindparams(q=q))


def _pg_has_words(ticket_id, q: str) -> ColumnElement[bool]:
    """SQL, tested for one ticket as a page walks its order: the description
    or one message holds every word of ``q``. The ticket-level index holds
    them all first (one primary-key probe); only then are the description's
    and the messages' own words read, those of this ticket alone (OFFSET 0:
    as in ticket_words.pg_has_word)."""
    in_message = select(literal(1)).select_from(interaction).where(
        interaction.c.ticket_id == ticket_id, textsearch.matches(textsearch.INTERACTION_TSV, q)).offset(0).exists()
    return and_(ticket_words.pg_has_word(ticket_id, q),
                or_(textsearch.matches(textsearch.TICKET_TSV, q), in_message))


@dataclass(frozen=True, slots=True)
class SearchPlan:
    words: ticket_words.WordPlan | None  # SQLite
    walk: bool  # a page (or a capped count) walks its order index, testing each ticket
    # PostgreSQL, a word in few tickets and customers: their ids, looked up first.
    ticket_ids: tuple[int, ...] | None = None
    customer_ids: tuple[int, ...] | None = None
    # PostgreSQL, one word hashed: only the matches in these campaigns (the
    # searched ones, ticket_words' campaign lexemes).
    campaigns: tuple[int, ...] | None = None


#: PostgreSQL: a one-word search whose word is in at most this many tickets
#: and customers looks them up first. Its planner estimates ~20,000 matches
#: for any prefix query, so it walked the order index with the match lists as
#: filters: a ticket number at 1M tickets removed 550,628 rows to find one
#: (228 ms); as lists, the three ways are one bitmap of index lookups (~5 ms).
PG_LOOKUP_UP_TO = 2000


#: PostgreSQL, a word common in the store: how many of the searched tickets
#: are tested for it first, and how many tickets a page or a capped count may
#: then expect to test before it has its rows (~5 us each at 1M here). A word
#: in 23 % of the tickets fills a page in ~450 tested (3 ms, against 230 ms to
#: hash its 200,000 matches first); one common elsewhere but rare here would
#: test every ticket of the campaign, so it is looked up within the searched
#: campaigns instead (their lexemes in ticket_words; with none named, the hash).
PG_SAMPLE = 500
PG_WALK_AT_MOST = 10_000


def _pg_walks(conn, scope: Scope, query: TicketQuery, need: int, has_words) -> bool:
    """Whether a page (or a capped count) of ``need`` rows should walk its order
    testing each ticket with ``has_words``: tried on the first PG_SAMPLE
    searched tickets, it would test at most PG_WALK_AT_MOST."""
    searched = where_clause(scope, query.with_(search=""), "postgresql")
    sample = select(t.id).where(searched).limit(PG_SAMPLE).scalar_subquery()
    tried, hits = conn.execute(select(func.count(), func.count().filter(has_words(t.id)))
                               .select_from(schema.ticket).where(t.id.in_(sample))).one()
    return hits > 0 and need * tried / hits <= PG_WALK_AT_MOST


def _pg_is_common(word: str, common: frozenset[str]) -> bool:
    """The prefix ``word`` stands for a word the planner's statistics call common."""
    return any(c.startswith(word) for c in common)


def _pg_plan(conn, scope: Scope, query: TicketQuery, text: str, need: int | None) -> SearchPlan | None:
    q = textsearch.prefix_query(text)
    found_words = [w[:textsearch.MAX_WORD_CHARS] for w in textsearch.words(text)[:textsearch.MAX_WORDS]]
    if q is None:
        return None
    common = ticket_words.pg_common(conn, above=PG_LOOKUP_UP_TO)
    if len(found_words) > 1:
        # Several words, all common ("factura pago": 83,156 tickets at 1M):
        # the per-message indexes hashed every match before the first row.
        # One rare word keeps them, their intersection then being small.
        every_common = all(_pg_is_common(w, common) for w in found_words)
        if need is not None and every_common and _pg_walks(conn, scope, query, need, lambda i: _pg_has_words(i, q)):
            return SearchPlan(None, walk=True)
        return None
    word = found_words[0]
    campaigns = searched_campaigns(scope, query) or None  # none at all: the scope's false() answers
    if _pg_is_common(word, common):
        # Looking its matches up in the whole store would first build their
        # whole bitmap; within campaigns, only where the word is rare there.
        if need is not None and _pg_walks(conn, scope, query, need, lambda i: ticket_words.pg_has_word(i, q)):
            return SearchPlan(None, walk=True)
        if campaigns is None:
            return None
    n = PG_LOOKUP_UP_TO + 1
    lookup = q if campaigns is None else ticket_words.pg_in_campaigns(q, campaigns)
    # Too many to list: the word's matches are hashed, those of the searched
    # campaigns only (a word in 58,898 tickets, 15,000 of them in the agent's
    # campaign: a fourth of the index's rows read).
    hashed = SearchPlan(None, walk=False, campaigns=campaigns) if campaigns is not None else None
    found = conn.execute(sql_text(ticket_words.pg_match() + " LIMIT :n").bindparams(q=lookup, n=n)).scalars().all()
    if len(found) >= n:
        return hashed
    by_words = select(cu.id).where(textsearch.matches(textsearch.CUSTOMER_TSV, q))
    digits = _number(text)
    if digits is not None:
        by_words = union(by_words, select(cu.id).where(cu.id_number == digits))
    customers = conn.execute(select(by_words.subquery().c[0]).limit(n)).scalars().all()
    if len(customers) >= n:
        return hashed
    return SearchPlan(None, walk=False, ticket_ids=tuple(found), customer_ids=tuple(customers))


def searched_campaigns(scope: Scope, query: TicketQuery) -> tuple[int, ...] | None:
    """The campaigns a query's tickets can be in (its filter within the user's
    scope); None when that is every campaign."""
    mine = None if scope.all_campaigns else scope.unrestricted_campaigns | scope.restricted_campaigns.keys()
    if query.campaign_ids:
        wanted = set(query.campaign_ids)
        return tuple(sorted(wanted if mine is None else wanted & mine))
    return None if mine is None else tuple(sorted(mine))


def search_plan(conn, scope: Scope, query: TicketQuery, dialect: str, *, page: bool, limit: int = 100,
                at_most: int | None = None) -> SearchPlan | None:
    """How to run a search (search_predicate's ``plan``): one word, or several
    common ones; None for anything else. ``page``: for a page of ``limit`` rows
    (an exact count never walks: it visits every candidate anyway);
    ``at_most``: a count that stops there."""
    text = query.search.strip()
    if dialect == "postgresql" and text:
        need = limit if page else (None if at_most is None else at_most + 1)
        return _pg_plan(conn, scope, query, text, need)
    if dialect != "sqlite":
        return None
    if _several_words(text):
        return _sqlite_words_plan(conn, query, text, walk_allowed=page or at_most is not None)
    if not _one_word(text):
        return None
    q = fts_query(text)
    assert q is not None
    words = ticket_words.plan(conn, _TOKEN.findall(text)[0], q)
    walk = (page and words.estimate > ticket_words.WALK_ABOVE
            and ticket_words.in_campaigns(conn, words, query.campaign_ids) > ticket_words.WALK_ABOVE)
    return SearchPlan(words, walk=walk)


def _several_words(text: str) -> bool:
    """Two to eight FTS5 words, none with "_" (see _one_word)."""
    found = _TOKEN.findall(text)
    return 1 < len(found) <= 8 and not any("_" in w for w in found)


def _sqlite_words_plan(conn, query: TicketQuery, text: str, *, walk_allowed: bool) -> SearchPlan | None:
    """Several words, all common, and common together in the searched
    campaigns ("factura pago": 83,156 tickets at 1M): a page or a capped count
    walks its order (search_predicate), instead of the union of every matching
    message's ticket before the first row. Otherwise the per-message indexes."""
    if not walk_allowed:
        return None
    plans = []
    for word in _TOKEN.findall(text):
        plan = ticket_words.plan(conn, word, f'"{word}"*')
        # A word that stands for more than MAX_EXPANDED words ("S" of "S.A.S.")
        # would be merged whole by FTS5 before any count could stop.
        if plan.estimate <= ticket_words.WALK_ABOVE or plan.match.endswith("*"):
            return None
        plans.append(plan)
    match = " AND ".join(f"({p.match})" for p in plans)
    enough = ticket_words.WALK_ABOVE + 1
    together = ticket_words.WordPlan(match, ticket_words.matches_up_to(conn, match, enough))
    if ticket_words.in_campaigns(conn, together, query.campaign_ids) <= ticket_words.WALK_ABOVE:
        return None
    # Together in tickets but seldom in one message (a customer's "factura",
    # the agent's "pago"): a walk would test most of the campaign for few rows.
    if ticket_words.matches_up_to(conn, match, enough, index="interaction_fts") < enough:
        return None
    return SearchPlan(together, walk=True)


def where_clause(scope: Scope, query: TicketQuery, dialect: str, *,
                 plan: SearchPlan | None = None) -> ColumnElement[bool]:
    return and_(scope_predicate(scope), *filter_predicates(query, dialect, plan=plan))


def card_columns() -> list:
    return [
        t.id, t.number, t.campaign_id, t.status, t.priority, t.type, t.last_outcome,
        t.unread_count, t.unread_at, t.last_summary, t.last_direction, t.customer_id,
        cu.id_number.label("customer_id_number"),
        cu.first_name.label("c_first"), cu.middle_name.label("c_middle"),
        cu.last_name.label("c_last"), cu.second_last_name.label("c_second"),
        t.assignee_id, user_t.c.full_name.label("assignee_name"), t.description, t.created_at,
        t.last_channel, t.next_task_at, t.first_response_at, t.closed_at, t.version, t.assigned_at,
    ]


def page_select(
    scope: Scope,
    query: TicketQuery,
    dialect: str,
    *,
    limit: int,
    after: TicketCursor | None,
    offset: int,
    plan: SearchPlan | None = None,
) -> Select:
    """One page of cards.

    Two steps (a "deferred join"): the inner query walks the order index and
    picks `limit` ticket ids — for an offset jump it skips index entries only,
    never joining the rows it skips — and the outer query joins the customer
    and assignee of just those ids.
    """
    key, desc = schema.order_key(query.order.value)
    inner = select(t.id).where(where_clause(scope, query, dialect, plan=plan))
    if after is not None:
        pos = tuple_(key, t.id)
        bound = tuple_(literal(after.key), literal(after.id))
        inner = inner.where(pos < bound if desc else pos > bound)
    ordering = (key.desc(), t.id.desc()) if desc else (key.asc(), t.id.asc())
    inner = inner.order_by(*ordering).limit(limit)
    if offset and after is None:
        inner = inner.offset(offset)
    return (
        select(*card_columns(), key.label("sort_key"))
        .select_from(
            schema.ticket.join(customer, cu.id == t.customer_id).outerjoin(
                user_t, user_t.c.id == t.assignee_id
            )
        )
        .where(t.id.in_(inner.scalar_subquery()))
        .order_by(*ordering)
    )


def count_select(scope: Scope, query: TicketQuery, dialect: str, *, plan: SearchPlan | None = None,
                 at_most: int | None = None) -> Select:
    where = where_clause(scope, query, dialect, plan=plan)
    if at_most is None:
        return select(func.count()).select_from(schema.ticket).where(where)
    first = select(literal(1)).select_from(schema.ticket).where(where).limit(at_most + 1).subquery()
    return select(func.count()).select_from(first)


def ids_select(scope: Scope, query: TicketQuery, dialect: str) -> Select:
    return select(t.id).where(where_clause(scope, query, dialect))


OPEN = [s.value for s in TicketStatus if s is not TicketStatus.CLOSED]
