"""The ticket-level message index (local_store/ticket_words.py, issue #16):
the same answers as the per-message search it replaces for one-word searches,
on SQLite and PostgreSQL, in both SQLite plans (walk the order index, or look
the matches up); kept up to date by the triggers in the message's own
transaction; added to an existing store by the 5 -> 6 migration step.

PostgreSQL kinds FAIL (never skip) when the server on 127.0.0.1:5432 is absent.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import and_, select, text

from sagicc_tui.domain.ingest import IncomingMessage
from sagicc_tui.domain.enums import ChannelType, TicketOrder
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.local_store import schema, ticket_words
from sagicc_tui.local_store import ticket_query as tq
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.local_store.demo import build_demo
from sagicc_tui.local_store.migrations import ensure_schema, read_version
from sagicc_tui.local_store.tickets import scope
from tests.support.demo_store import demo_store

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
t = schema.ticket.c


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_url(request, tmp_path_factory):
    return demo_store(request, tmp_path_factory.mktemp("words"), tickets=1500, seed=11, now=NOW)


def _words(store) -> list[str]:
    """Search words taken from the store itself: common and rare message
    words, prefixes, surnames with and without accents, a document, a number."""
    with store.read() as conn:
        names = [r[0] for r in conn.execute(text("SELECT last_name FROM customer ORDER BY id LIMIT 40"))]
        doc = conn.execute(text("SELECT id_number FROM customer ORDER BY id LIMIT 1")).scalar_one()
        number = conn.execute(text("SELECT number FROM ticket ORDER BY id DESC LIMIT 1")).scalar_one()
        contents = [r[0] for r in conn.execute(text("SELECT content FROM interaction ORDER BY id LIMIT 300"))]
    words: list[str] = []
    for c in contents:
        words += [w for w in tq._TOKEN.findall(c) if len(w) > 3][:2]
    picked = sorted(set(words))[::7][:25]
    accented = [n for n in names if any(ch in n for ch in "áéíóúñÁÉÍÓÚÑ")][:3]
    plain = [n.translate(str.maketrans("áéíóúñÁÉÍÓÚÑ", "aeiounAEIOUN")) for n in accented]
    return picked + accented + plain + [names[0].upper(), doc, str(number), "#" + str(number), "fac", "factura",
                                        "fa", "zzzqx", "foo_bar", '"', "a"]


def _ids(store, user, word: str, *, ticket_level: bool, walk: bool | None) -> set[int]:
    with store.read() as conn:
        sc, _ = scope(store, conn, user)
        plan = None
        if walk is not None:
            plan = tq.search_plan(conn, sc, TicketQuery(search=word), store.dialect, page=True)
            if plan is not None:
                plan = tq.SearchPlan(plan.words, walk=walk)
        pred = tq.search_predicate(word, store.dialect, ticket_level=ticket_level, plan=plan)
        return {r[0] for r in conn.execute(select(t.id).where(and_(tq.scope_predicate(sc), pred)))}


async def test_one_word_searches_find_what_the_message_search_found(demo_url) -> None:
    backend = await LocalBackend.open(demo_url)
    try:
        store = backend.store
        users = [await backend.get_user(name) for name in ("admin",)]
        users += [u for u in await backend.list_users() if u.role.value == "agent"][:2]
        found_any = 0
        for word in _words(store):
            for user in users:
                old = _ids(store, user, word, ticket_level=False, walk=None)
                assert _ids(store, user, word, ticket_level=True, walk=None) == old, word
                if store.dialect == "sqlite":
                    assert _ids(store, user, word, ticket_level=True, walk=True) == old, word
                    assert _ids(store, user, word, ticket_level=True, walk=False) == old, word
                found_any += bool(old)
                # Through the backend: the page and the count agree with the old answer.
                query = TicketQuery(search=word, order=TicketOrder.CREATED_DESC)
                page = await backend.list_tickets(user, query, limit=500)
                assert {c.id for c in page.rows} == set(sorted(old, reverse=True)[:500]) or len(old) > 500, word
                if len(old) <= 500:
                    assert {c.id for c in page.rows} == old, word
                assert await backend.count_tickets(user, query) == len(old), word
        assert found_any > 20  # the words found tickets: the comparison compared something
    finally:
        await backend.aclose()


async def test_the_index_follows_messages_and_descriptions(demo_url, tmp_path) -> None:
    backend = await LocalBackend.open(demo_url)
    try:
        admin = await backend.get_user("admin")
        result = await backend.ingest(IncomingMessage(
            channel=ChannelType.EMAIL, sender="zumbido@example.com", text="Llegó el zumbídoxq de ayer", at=NOW))
        query = TicketQuery(search="zumbidoxq")
        assert {c.id for c in (await backend.list_tickets(admin, query)).rows} == {result.ticket_id}
        # A second message on the same ticket: the ticket's row is replaced, both words found.
        await backend.ingest(IncomingMessage(
            channel=ChannelType.EMAIL, sender="zumbido@example.com", text="Y otro: ronroneoqz", at=NOW))
        for word in ("zumbidoxq", "ronroneoqz"):
            assert {c.id for c in (await backend.list_tickets(admin, TicketQuery(search=word))).rows} == {
                result.ticket_id}, word
        ticket = await backend.get_ticket(admin, result.ticket_id)
        await backend.update_ticket(admin, ticket.id, TicketChanges(description="chirridoqw"), expected_version=ticket.version)
        assert (await backend.count_tickets(admin, TicketQuery(search="chirridoqw"))) == 1
        assert (await backend.count_tickets(admin, TicketQuery(search="zumbidoxq"))) == 1
        store = backend.store
        with store.write() as conn:  # a message moved to another ticket (no path does it today; the index copes)
            other = conn.execute(select(t.id).where(t.id != ticket.id).limit(1)).scalar_one()
            conn.execute(text("UPDATE interaction SET ticket_id = :o WHERE ticket_id = :t AND content LIKE '%ronroneo%'"),
                         {"o": other, "t": ticket.id})
        assert {c.id for c in (await backend.list_tickets(admin, TicketQuery(search="ronroneoqz"))).rows} == {other}
        assert {c.id for c in (await backend.list_tickets(admin, TicketQuery(search="zumbidoxq"))).rows} == {ticket.id}
        with store.write() as conn:
            conn.execute(text("DELETE FROM interaction WHERE content LIKE '%ronroneo%'"))
        assert await backend.count_tickets(admin, TicketQuery(search="ronroneoqz")) == 0
        _assert_index_matches_content(store)
    finally:
        await backend.aclose()


def _assert_index_matches_content(store) -> None:
    with store.write() as conn:
        if store.dialect == "sqlite":
            # FTS5 compares the index with its content (the view) and raises when out of step.
            conn.exec_driver_sql("INSERT INTO ticket_words(ticket_words, rank) VALUES('integrity-check', 1)")
        else:
            stale = conn.exec_driver_sql(
                f"SELECT count(*) FROM ticket LEFT JOIN ticket_words w ON w.ticket_id = ticket.id "
                f"WHERE w.words IS DISTINCT FROM {ticket_words._PG_WORDS}").scalar_one()
            assert stale == 0


def test_the_migration_adds_the_index_to_an_existing_store(tmp_path) -> None:
    path = tmp_path / "v6.db"
    build_demo(str(path), tickets=300, seed=3, now=NOW)
    con = sqlite3.connect(path)
    for name, kind in con.execute("SELECT name, type FROM sqlite_master WHERE name LIKE 'ticket_words%' "
                                  "AND type IN ('trigger', 'view')").fetchall():
        con.execute(f"DROP {kind.upper()} {name}")
    for name in ("ticket_words", "ticket_words_vocab", "customer_fts_vocab"):
        con.execute(f"DROP TABLE {name}")
    con.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    backend = LocalBackend(str(path))
    try:
        with backend.store.read() as conn:
            assert read_version(conn) == schema.SCHEMA_VERSION
        _assert_index_matches_content(backend.store)
        with backend.store.write() as conn:  # the step is idempotent: running it again changes nothing
            ticket_words.create(conn, rebuild=False)
        _assert_index_matches_content(backend.store)
        ensure_schema(backend.store.engine)
    finally:
        backend.store.engine.dispose()


def test_pending_tickets_read_their_own_index(tmp_path) -> None:
    """L7 pending: the statuses spelled in ix_ticket_pending are the open ones,
    and SQLite reads the pending list off that index (no sort of every
    ticket the agent holds)."""
    from sagicc_tui.local_store.ticket_query import OPEN
    from sagicc_tui.local_store.tickets import pending

    assert list(schema.PENDING_STATUSES) == OPEN
    path = tmp_path / "p.db"
    build_demo(str(path), tickets=300, seed=3, now=NOW)
    backend = LocalBackend(str(path))
    try:
        store = backend.store
        statements: list[str] = []
        from sqlalchemy import event

        event.listen(store.engine, "before_cursor_execute",
                     lambda conn, cur, stmt, params, ctx, many: statements.append((stmt, params)))
        with store.read() as conn:
            agent = next(u for u in store.users(conn) if u.role.value == "agent")
            pending(store, conn, agent, agent.campaign_ids[0], 50)
            stmt, params = statements[-1]
            plan = " ".join(str(r) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + stmt, params))
        assert "ix_ticket_pending" in plan
    finally:
        store.engine.dispose()


async def test_a_page_walks_its_order_only_for_a_word_common_in_its_own_campaigns(tmp_path, monkeypatch) -> None:
    # The index's statistics count the whole store: "envio" (19,120 tickets at
    # 1M, nearly all in other campaigns) made campaign 1's page walk all of
    # campaign 1 (295 ms). The share among the first matches tells them apart.
    url = str(tmp_path / "demo.db")
    build_demo(url, tickets=300, seed=3, now=NOW)
    backend = await LocalBackend.open(url)
    try:
        store = backend.store
        with store.write() as conn:
            conn.exec_driver_sql(
                "UPDATE interaction SET content = content || ' zzenvioq' WHERE ticket_id IN "
                "(SELECT id FROM ticket WHERE campaign_id = 2 ORDER BY id LIMIT 40)")
        monkeypatch.setattr(ticket_words, "WALK_ABOVE", 10)
        admin = await backend.get_user("admin")
        with store.read() as conn:
            sc = scope(store, conn, admin)[0]

            def walks(campaigns: tuple[int, ...]) -> bool:
                return tq.search_plan(conn, sc, TicketQuery(campaign_ids=campaigns, search="zzenvioq"), "sqlite",
                                      page=True).walk

            assert not walks((1,)) and walks((2,)) and walks(()) and walks((1, 2))
            assert ticket_words.in_campaigns(conn, ticket_words.plan(conn, "zzenvioq", '"zzenvioq"*'), (1,)) == 0
        for campaigns in ((1,), (2,)):  # the plan changes the speed, never the answer
            page = await backend.list_tickets(admin, TicketQuery(campaign_ids=campaigns, search="zzenvioq"))
            assert len(page.rows) == (0 if campaigns == (1,) else 40)
    finally:
        await backend.aclose()


async def test_postgresql_looks_a_rare_words_matches_up_first_and_answers_alike_either_way(demo_url, monkeypatch):
    # PostgreSQL's planner estimates ~20,000 matches for any prefix query and
    # walked the order index with the match lists as filters (a ticket number
    # at 1M: 228 ms). A word in few tickets and customers is looked up first.
    backend = await LocalBackend.open(demo_url)
    try:
        store = backend.store
        admin = await backend.get_user("admin")
        with store.read() as conn:
            sc = scope(store, conn, admin)[0]
            number = conn.execute(text("SELECT number FROM ticket ORDER BY id DESC LIMIT 1")).scalar_one()
            plan = tq.search_plan(conn, sc, TicketQuery(search=str(number)), store.dialect, page=True)
        if store.dialect == "postgresql":
            assert plan is not None and plan.ticket_ids is not None and plan.customer_ids is not None
        else:
            assert plan is None or plan.ticket_ids is None  # SQLite plans by its own statistics
        words = [str(number), "factura", "fac", _words(store)[0], "zzzqx", "factura pago", "pago fac"]

        async def answers() -> list[tuple[set[int], int]]:
            found = []
            for word in words:
                query = TicketQuery(search=word, order=TicketOrder.CREATED_DESC)
                page = await backend.list_tickets(admin, query, limit=500)
                found.append(({c.id for c in page.rows}, await backend.count_tickets(admin, query),
                              await backend.count_tickets(admin, query, at_most=7)))
            return found

        looked_up = await answers()
        assert any(number_ids for number_ids, *_ in looked_up[:1])  # the number found its ticket
        if store.dialect == "postgresql":
            # A word the planner's statistics call common (the bulk load analyses
            # ticket_words) is never looked up: that would build its whole bitmap
            # first. Common among the searched tickets too, a page and a capped
            # count test each ticket as they walk its order instead; an exact
            # count visits every match anyway.
            monkeypatch.setattr(tq, "PG_LOOKUP_UP_TO", 5)
            factura = TicketQuery(search="factura")
            with store.read() as conn:
                assert any(w.startswith("factura") for w in ticket_words.pg_common(conn, above=tq.PG_LOOKUP_UP_TO))
                plan = tq.search_plan(conn, sc, factura, store.dialect, page=True)
                assert plan is not None and plan.walk and plan.ticket_ids is None
                assert tq.search_plan(conn, sc, factura, store.dialect, page=False, at_most=7).walk
                assert tq.search_plan(conn, sc, factura, store.dialect, page=False) is None
                # A word common elsewhere but in none of the searched campaigns
                # is looked up within them (ticket_words' campaign lexemes).
                elsewhere = tq.search_plan(conn, sc, factura.with_(campaign_ids=(99,)), store.dialect, page=True)
                assert elsewhere is not None and elsewhere.ticket_ids == () and not elsewhere.walk
            assert await answers() == looked_up
            monkeypatch.setattr(tq, "PG_WALK_AT_MOST", 0)  # never walks
            with store.read() as conn:
                assert tq.search_plan(conn, sc, factura, store.dialect, page=True) is None
            assert await answers() == looked_up
        monkeypatch.setattr(tq, "PG_LOOKUP_UP_TO", 0)  # every word with a match takes the other way
        if store.dialect == "postgresql":
            with store.read() as conn:
                assert tq.search_plan(conn, sc, TicketQuery(search="factura"), store.dialect, page=True) is None
        assert await answers() == looked_up
    finally:
        await backend.aclose()


@pytest.fixture(params=["sqlite", "postgresql"])
def small_store(request, tmp_path):
    return demo_store(request, tmp_path, tickets=300, seed=3, now=NOW)


@pytest.mark.parametrize("small_store", ["postgresql"], indirect=True)
async def test_postgresql_looks_a_word_up_within_the_searched_campaigns_and_follows_a_ticket_that_moves(
        small_store, monkeypatch) -> None:
    # "envio" at 1M tickets: 19,009 tickets in one campaign, none in another.
    # Searched in the other, its page hashed all 19,009 and read every ticket
    # to filter them by campaign (275 ms); the campaign's lexeme in
    # ticket_words makes it one GIN lookup of the word in that campaign.
    backend = await LocalBackend.open(small_store)
    try:
        store = backend.store
        with store.write() as conn:
            conn.exec_driver_sql(
                "UPDATE interaction SET content = content || ' zzenvioq' WHERE ticket_id IN "
                "(SELECT id FROM ticket WHERE campaign_id = 2 ORDER BY id LIMIT 40)")
            conn.exec_driver_sql("ANALYZE ticket_words")
        monkeypatch.setattr(ticket_words, "PG_STATS_TTL", 0.0)
        monkeypatch.setattr(tq, "PG_LOOKUP_UP_TO", 10)  # 40 tickets: "common" for this store's size
        admin = await backend.get_user("admin")
        query = TicketQuery(search="zzenvioq")
        with store.read() as conn:
            assert any(w.startswith("zzenvioq") for w in ticket_words.pg_common(conn, above=10))
            sc = scope(store, conn, admin)[0]
            rare_here = tq.search_plan(conn, sc, query.with_(campaign_ids=(1,)), store.dialect, page=True)
            assert rare_here is not None and rare_here.ticket_ids == ()
            # Common where it is searched: the page walks its order, as before;
            # an exact count hashes the matches of that campaign only.
            assert tq.search_plan(conn, sc, query.with_(campaign_ids=(2,)), store.dialect, page=True).walk
            hashed = tq.search_plan(conn, sc, query.with_(campaign_ids=(2,)), store.dialect, page=False)
            assert hashed is not None and hashed.campaigns == (2,) and hashed.ticket_ids is None
            moved = conn.execute(text("SELECT min(ticket_id) FROM interaction WHERE content LIKE '%zzenvioq'"))
            moved = moved.scalar_one()
        assert len((await backend.list_tickets(admin, query.with_(campaign_ids=(1,)))).rows) == 0
        assert len((await backend.list_tickets(admin, query.with_(campaign_ids=(2,)))).rows) == 40
        assert await backend.count_tickets(admin, query.with_(campaign_ids=(2,))) == 40
        # A ticket that changes campaign takes its lexeme along (the trigger on ticket).
        with store.write() as conn:
            conn.execute(text("UPDATE ticket SET campaign_id = 1 WHERE id = :id"), {"id": moved})
        with store.read() as conn:
            plan = tq.search_plan(conn, sc, query.with_(campaign_ids=(1,)), store.dialect, page=True)
            assert plan is not None and plan.ticket_ids == (moved,)
        assert [c.id for c in (await backend.list_tickets(admin, query.with_(campaign_ids=(1,)))).rows] == [moved]
        assert len((await backend.list_tickets(admin, query.with_(campaign_ids=(2,)))).rows) == 39
        assert await backend.count_tickets(admin, query.with_(campaign_ids=(2,))) == 39
        # An agent's scope names its campaigns without a filter.
        agent = next(u for u in await backend.list_users() if u.role.value == "agent" and u.campaign_ids)
        with store.read() as conn:
            mine = scope(store, conn, agent)[0]
            assert tq.searched_campaigns(mine, query) == tuple(sorted(agent.campaign_ids))
            assert tq.searched_campaigns(mine, query.with_(campaign_ids=(1, 2, 99))) == tuple(
                sorted({1, 2} & set(agent.campaign_ids)))
        _assert_index_matches_content(store)
    finally:
        await backend.aclose()


async def test_several_common_words_walk_the_order_and_still_want_them_in_one_message(
        small_store, monkeypatch) -> None:
    # "factura pago" at 1M: 83,156 matching tickets, every match mapped to its
    # ticket by the per-message indexes before the first row (PostgreSQL 330 ms
    # a page, SQLite 150 ms). Every word common: the page walks its order and
    # tests each ticket (4 / 26 ms). The words must still be in one message
    # (or the description), never spread over two.
    backend = await LocalBackend.open(small_store)
    try:
        store = backend.store
        with store.write() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM ticket WHERE campaign_id = 2 ORDER BY id LIMIT 40"))]
            one_message, two_messages, in_description = ids[:10], ids[10:20], ids[20]
            listed = ", ".join(str(i) for i in ids)  # ints from the store: SQLite has no ANY(:list)
            conn.execute(text(f"UPDATE interaction SET content = content || ' zzenvioq' WHERE ticket_id IN ({listed})"))
            conn.execute(text("UPDATE interaction SET content = content || ' zzpagoq' WHERE ticket_id IN "
                              f"({', '.join(str(i) for i in one_message)})"))
            columns = [c.name for c in schema.InteractionRow.__table__.columns if c.name not in ("id", "content")]
            for ticket_id in two_messages:  # the second word in a message of its own
                conn.execute(text(
                    f"INSERT INTO interaction ({', '.join(columns)}, content) SELECT {', '.join(columns)}, "
                    f"'otra vez zzpagoq' FROM interaction WHERE ticket_id = :t ORDER BY id LIMIT 1"), {"t": ticket_id})
            conn.execute(text("UPDATE ticket SET description = 'zzenvioq y zzpagoq' WHERE id = :t"),
                         {"t": in_description})
            apart = ids[21:40]  # two words together in 19 tickets, never in one message
            conn.execute(text("UPDATE interaction SET content = content || ' zzalfaq' WHERE ticket_id IN "
                              f"({', '.join(str(i) for i in apart)})"))
            for ticket_id in apart:
                conn.execute(text(
                    f"INSERT INTO interaction ({', '.join(columns)}, content) SELECT {', '.join(columns)}, "
                    f"'y zzbetaq' FROM interaction WHERE ticket_id = :t ORDER BY id LIMIT 1"), {"t": ticket_id})
            if store.dialect == "postgresql":
                conn.exec_driver_sql("ANALYZE ticket_words")
        monkeypatch.setattr(ticket_words, "PG_STATS_TTL", 0.0)
        monkeypatch.setattr(tq, "PG_LOOKUP_UP_TO", 10)  # 40 and 20 tickets: common, for this store's size
        monkeypatch.setattr(ticket_words, "WALK_ABOVE", 10)
        admin = await backend.get_user("admin")
        query = TicketQuery(search="zzenvioq zzpagoq", campaign_ids=(2,))
        with store.read() as conn:
            sc = scope(store, conn, admin)[0]
            plan = tq.search_plan(conn, sc, query, store.dialect, page=True)
            assert plan is not None and plan.walk
            # One of the words rare: its per-message intersection is small, no walk.
            assert tq.search_plan(conn, sc, query.with_(search="zzenvioq zzzqx"), store.dialect, page=True) is None

        async def answer() -> tuple[set[int], int]:
            page = await backend.list_tickets(admin, query, limit=500)
            return {c.id for c in page.rows}, await backend.count_tickets(admin, query, at_most=7)

        walked = await answer()
        assert walked == (set(one_message) | {in_description}, 8)
        with store.read() as conn:  # a capped count walks too
            assert tq.search_plan(conn, sc, query, store.dialect, page=False, at_most=7).walk
            # Together in tickets, never in one message: walking would test the
            # whole campaign for nothing.
            assert tq.search_plan(conn, sc, query.with_(search="zzalfaq zzbetaq"), store.dialect, page=True) is None
        assert (await backend.list_tickets(admin, query.with_(search="zzalfaq zzbetaq"))).rows == ()
        # Never walking: the per-message indexes, the same rows.
        monkeypatch.setattr(tq, "PG_WALK_AT_MOST", 0)
        monkeypatch.setattr(ticket_words, "WALK_ABOVE", 10**9)
        with store.read() as conn:
            assert tq.search_plan(conn, sc, query, store.dialect, page=True) is None
        assert await answer() == walked
    finally:
        await backend.aclose()
