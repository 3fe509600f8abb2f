"""#15.8 C1: the Spanish name order is served by an index on SQLite and on
PostgreSQL (keyset pages at 300,000 customers read only their rows), and an
older store gets the order's key on upgrade (schema 12)."""

from __future__ import annotations

import re
import sqlite3

import pytest
from sqlalchemy import event, insert, text

from sagicc_tui.domain.customers import CustomerOrder, CustomerQuery, name_sort_key
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.backend import LocalBackend
from tests.factory import seed_reference

FIRST = ["Zoë", "Óscar", "Álvaro", "ángela", "Bruno", "Nuño", "Ñandú", "Carla"]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    from tests.support.pg import pg_store_url

    url = pg_store_url(request, empty=True)
    return url


def _fill(backend: LocalBackend, n: int) -> None:
    rows = []
    for i in range(n):
        first, last = FIRST[i % len(FIRST)], f"Apellido{i:05d}"
        rows.append(dict(type="person", id_type="cc", id_number=str(10_000_000 + i), first_name=first,
                         last_name=last, created_at=1_700_000_000 + i, updated_at=1_700_000_000 + i,
                         sort_name=name_sort_key(first, "", last)))
    with backend.store.write() as conn:
        conn.execute(insert(schema.CustomerRow.__table__), rows)
        conn.exec_driver_sql("ANALYZE customer")


async def test_the_name_order_pages_through_its_index(store_url):
    backend = await LocalBackend.open(store_url)
    try:
        seed_reference(backend)
        _fill(backend, 3000)
        admin = await backend.get_user("admin")
        statements: list[tuple[str, object]] = []
        engine = backend.store.engine

        def capture(conn, cursor, statement, parameters, context, executemany):
            if "FROM customer" in statement and "sort_name" in statement:
                statements.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        try:
            first = await backend.list_customers(admin, CustomerQuery(order=CustomerOrder.NAME), limit=50)
            await backend.list_customers(admin, CustomerQuery(order=CustomerOrder.NAME), limit=50,
                                         after=first.next_cursor)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert [r.first_name for r in first.rows[:1]] == ["Álvaro"]
        assert len(statements) == 2
        for statement, params in statements:
            with engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                cur = raw.cursor()
                if engine.dialect.name == "sqlite":
                    plan = " ".join(str(r[-1]) for r in cur.execute("EXPLAIN QUERY PLAN " + statement, params))
                    # The page's ids come off the index in order; only the page itself is sorted again.
                    assert "USING COVERING INDEX ix_customer_sort_name" in plan, plan
                    assert plan.count("TEMP B-TREE") == 1 and plan.endswith("USE TEMP B-TREE FOR ORDER BY"), plan
                else:
                    cur.execute("SET enable_seqscan = off")  # a tiny table may scan; the index must serve
                    cur.execute("EXPLAIN " + statement, params)
                    plan = " ".join(r[0].strip() for r in cur.fetchall())
                    # The Limit reads the index in order; only the page's rows are sorted again.
                    assert re.search(r"Limit\s+\([^)]*\)\s+->\s+Index (Only )?Scan using ix_customer_sort_name", plan), plan
                    assert plan.count("Sort Key") == 1 and plan.index("Sort Key") < plan.index("Limit"), plan
                cur.close()
                raw.rollback()
    finally:
        await backend.aclose()


async def test_an_older_store_gets_the_order_key_on_upgrade(tmp_path):
    path = tmp_path / "v11.db"
    backend = await LocalBackend.open(str(path))
    seed_reference(backend)
    with backend.store.write() as conn:  # the store as schema 11 left it: no key, the old index
        for i, first in enumerate(["Zoë", "Álvaro", "Óscar", "Ángela"]):
            conn.execute(insert(schema.CustomerRow.__table__).values(
                type="person", id_type="cc", id_number=f"5200050{i}", first_name=first, last_name="Ruiz",
                created_at=1_700_000_000, updated_at=1_700_000_000))
        conn.exec_driver_sql("DROP INDEX ix_customer_sort_name")
        conn.exec_driver_sql("CREATE INDEX ix_customer_name ON customer (lower(first_name), lower(last_name), id)")
        conn.execute(text("UPDATE meta SET value = '11' WHERE key = 'schema_version'"))
    await backend.aclose()
    con = sqlite3.connect(path)
    con.execute("ALTER TABLE customer DROP COLUMN sort_name")
    con.commit()
    con.close()
    backend = await LocalBackend.open(str(path))
    try:
        admin = await backend.get_user("admin")
        page = await backend.list_customers(admin, CustomerQuery(order=CustomerOrder.NAME), limit=10)
        assert [r.first_name for r in page.rows] == ["Álvaro", "Ángela", "Óscar", "Zoë"]
    finally:
        await backend.aclose()
    con = sqlite3.connect(path)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "ix_customer_sort_name" in names and "ix_customer_name" not in names
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
