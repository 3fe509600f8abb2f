"""Ticket counters (local_store/ticket_counts.py, issue #16.1): a counter count
is exactly a plain COUNT over the tickets, for many random queries and users,
after many random writes (inserts, deletes, updates of every counted column,
and writes through the backend), on SQLite and PostgreSQL; the 15 -> 16 step
fills them for an existing store; concurrent writers on PostgreSQL lose no
increment.

PostgreSQL kinds FAIL (never skip) when the server on 127.0.0.1:5432 is absent.
"""

from __future__ import annotations

import multiprocessing
import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from sagicc_tui.domain.enums import ChannelType, Priority, TicketOrder, TicketStatus, TicketType, UserFilter
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.local_store import schema, ticket_counts
from sagicc_tui.local_store import ticket_query as tq
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.local_store.engine import make_engine, write_tx
from sagicc_tui.local_store.migrations import ensure_schema, read_version
from sagicc_tui.local_store.tickets import scope
from sagicc_tui.domain.ticket_changes import TicketChanges
from tests.support.demo_store import demo_store

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
GROUPED = ("SELECT campaign_id, coalesce(assignee_id, 0), origin_channel, status, priority, type, count(*) "
           "FROM ticket GROUP BY 1, 2, 3, 4, 5, 6")


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_url(request, tmp_path):
    return demo_store(request, tmp_path, tickets=400, seed=7, now=NOW)


def _table(conn) -> dict[tuple, int]:
    rows = conn.execute(text("SELECT campaign_id, assignee_id, origin_channel, status, priority, type, n "
                             "FROM ticket_count WHERE n <> 0"))
    return {tuple(r[:6]): r[6] for r in rows}


def _grouped(conn) -> dict[tuple, int]:
    return {tuple(r[:6]): r[6] for r in conn.execute(text(GROUPED))}


def _random_query(rng: random.Random, campaign_ids: list[int], user_ids: list[int]) -> TicketQuery:
    def some(values):
        return tuple(rng.sample(values, rng.randint(1, 2))) if rng.random() < 0.4 else ()

    user_filter, users = UserFilter.ALL, ()
    roll = rng.random()
    if roll < 0.15:
        user_filter = UserFilter.UNASSIGNED
    elif roll < 0.35:
        user_filter, users = UserFilter.SPECIFIC, tuple(rng.sample(user_ids, rng.randint(1, 2)))
    return TicketQuery(campaign_ids=some(campaign_ids), statuses=some(list(TicketStatus)),
                       priorities=some(list(Priority)), types=some(list(TicketType)),
                       channels=some(list(ChannelType)), user_filter=user_filter, user_ids=users,
                       order=rng.choice(list(TicketOrder)))


def _random_write(conn, rng: random.Random, campaign_ids: list[int], user_ids: list[int]) -> None:
    ids = [r[0] for r in conn.execute(text("SELECT id FROM ticket ORDER BY id"))]
    pick = rng.choice(ids)
    roll = rng.random()
    column, value = rng.choice([
        ("status", rng.choice(list(TicketStatus)).value), ("priority", rng.choice(list(Priority)).value),
        ("type", rng.choice(list(TicketType)).value), ("origin_channel", rng.choice(list(ChannelType)).value),
        ("campaign_id", rng.choice(campaign_ids)), ("assignee_id", rng.choice([*user_ids, None])),
    ])
    if roll < 0.15:  # a new ticket, a copy of another with a new number
        number = conn.execute(text("SELECT max(number) + 1 FROM ticket")).scalar_one()
        conn.execute(text(
            "INSERT INTO ticket (number, campaign_id, customer_id, assignee_id, status, priority, type, description, "
            "origin_channel, created_at, updated_at, unread_count, last_summary, version) "
            "SELECT :n, campaign_id, customer_id, assignee_id, status, priority, type, 'copia', origin_channel, "
            "created_at, updated_at, 0, '', 1 FROM ticket WHERE id = :id"), {"n": number, "id": pick})
    elif roll < 0.25:  # a ticket without anything pointing at it goes
        gone = conn.execute(text("SELECT id FROM ticket WHERE description = 'copia' ORDER BY id LIMIT 1")).first()
        if gone:
            conn.execute(text("DELETE FROM ticket WHERE id = :id"), {"id": gone[0]})
    elif roll < 0.35:  # many rows at once, two columns
        conn.execute(text(f"UPDATE ticket SET {column} = :v, version = version + 1 WHERE mod(id, 7) = :m"),
                     {"v": value, "m": rng.randint(0, 6)})
    elif roll < 0.45:  # a column written with its own value: no counter moves
        conn.execute(text(f"UPDATE ticket SET {column} = {column} WHERE id = :id"), {"id": pick})
    else:
        conn.execute(text(f"UPDATE ticket SET {column} = :v WHERE id = :id"), {"v": value, "id": pick})


async def test_counter_counts_equal_a_plain_count(demo_url) -> None:
    backend = await LocalBackend.open(demo_url)
    rng = random.Random(16)
    try:
        store = backend.store
        users = await backend.list_users()
        user_ids = [u.id for u in users]
        campaign_ids = [c.id for c in await backend.list_campaigns(users[0])]
        # every role; agents with and without View All Tickets, with different channels
        people = [u for u in users if u.active]
        compared = nonzero = 0
        for round_ in range(12):
            with store.read() as conn:
                assert _table(conn) == _grouped(conn), round_
                for _ in range(25):
                    query = _random_query(rng, campaign_ids, user_ids)
                    user = rng.choice(people)
                    assert ticket_counts.answers(query)
                    sc, _ = scope(store, conn, user)
                    plain = conn.execute(tq.count_select(sc, query, store.dialect)).scalar_one()
                    assert ticket_counts.count(conn, sc, query) == plain, (user.username, query)
                    compared += 1
                    nonzero += plain > 0
            with store.write() as conn:
                for _ in range(8):
                    _random_write(conn, rng, campaign_ids, user_ids)
        # Writes through the backend's own paths: a new ticket by ingest, its status and priority.
        from sagicc_tui.domain.ingest import IncomingMessage

        admin = await backend.get_user("admin")
        made = await backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="cuenta@example.com",
                                                    text="hola", at=NOW))
        ticket = await backend.get_ticket(admin, made.ticket_id)
        await backend.update_ticket(admin, ticket.id, TicketChanges(status=TicketStatus.ESCALATED,
                                                                    priority=Priority.CRITICAL),
                                    expected_version=ticket.version)
        for user in people:
            for query in (TicketQuery(), TicketQuery(statuses=(TicketStatus.CLOSED,)),
                          TicketQuery(user_filter=UserFilter.SPECIFIC, user_ids=(0,))):
                with store.read() as conn:
                    sc, _ = scope(store, conn, user)
                    plain = conn.execute(tq.count_select(sc, query, store.dialect)).scalar_one()
                assert await backend.count_tickets(user, query) == plain, (user.username, query)
        with store.read() as conn:
            assert _table(conn) == _grouped(conn)
        assert compared == 300 and nonzero > 100  # the comparison compared something
    finally:
        await backend.aclose()


def test_only_counter_dimensions_are_answered() -> None:
    assert ticket_counts.answers(TicketQuery(campaign_ids=(1,), statuses=(TicketStatus.OPEN,),
                                             order=TicketOrder.PRIORITY, search="  "))
    assert ticket_counts.answers(TicketQuery(user_filter=UserFilter.SPECIFIC, user_ids=(3,),
                                             channels=(ChannelType.SMS,), types=(TicketType.CLAIM,)))
    for other in (dict(search="factura"), dict(customer_ids=(1,)), dict(features=("vip",)),
                  dict(primary_values=("x",)), dict(created_from=NOW), dict(next_task_to=NOW),
                  dict(assigned_since=NOW)):
        assert not ticket_counts.answers(TicketQuery(**other)), other


async def test_the_16_step_fills_the_counters_of_an_existing_store(demo_url) -> None:
    engine = make_engine(demo_url)
    try:
        with write_tx(engine) as conn:  # the store as schema 15 left it: no table, no triggers
            for trigger in ("ticket_count_insert", "ticket_count_delete", "ticket_count_update",
                            "ticket_count_insert_delete"):
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger} ON ticket")
                else:
                    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
            conn.exec_driver_sql("DROP TABLE ticket_count")
            conn.exec_driver_sql("UPDATE ticket SET status = 'closed' WHERE mod(id, 3) = 0")
            conn.exec_driver_sql("UPDATE meta SET value = '15' WHERE key = 'schema_version'")
        assert ensure_schema(engine) == schema.SCHEMA_VERSION
        with engine.connect() as conn:
            assert read_version(conn) == schema.SCHEMA_VERSION
            assert _table(conn) == _grouped(conn) and sum(_table(conn).values()) >= 400
        with write_tx(engine) as conn:  # and its triggers follow the next write
            conn.exec_driver_sql("UPDATE ticket SET status = 'new' WHERE mod(id, 5) = 0")
        with engine.connect() as conn:
            assert _table(conn) == _grouped(conn)
    finally:
        engine.dispose()


def _close_some(url: str, ids: list[int]) -> None:
    """One writer process: each ticket moved in its own transaction."""
    engine = make_engine(url)
    try:
        for i in ids:
            with write_tx(engine) as conn:
                conn.execute(text("UPDATE ticket SET status = CASE WHEN status = 'closed' THEN 'open' "
                                  "ELSE 'closed' END, assignee_id = NULL WHERE id = :id"), {"id": i})
    finally:
        engine.dispose()


def test_concurrent_writers_lose_no_count(demo_url) -> None:
    """Two processes moving tickets between the same counter rows at once
    (SQLite: one writer at a time; PostgreSQL: row locks on the counters)."""
    engine = make_engine(demo_url)
    try:
        with engine.connect() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM ticket WHERE campaign_id = 1 ORDER BY id"))][:80]
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=_close_some, args=(demo_url, ids[k::2])) for k in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0, 0]
        with engine.connect() as conn:
            assert _table(conn) == _grouped(conn)
    finally:
        engine.dispose()
