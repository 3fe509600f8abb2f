"""The store on PostgreSQL beyond the contract suite: the search index's
folding, the upgrade that creates it, and the demo generator's COPY path.

Like the contract suite's PostgreSQL kinds, these FAIL (never skip) when the
server on 127.0.0.1:5432 is not reachable."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, inspect, text

from sagicc_tui.domain.ingest import IncomingMessage
from sagicc_tui.domain.customers import CustomerQuery
from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.local_store import schema, textsearch
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.local_store.demo import build_demo
from sagicc_tui.local_store.migrations import read_version
from tests.factory import seed_reference

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def pg_url(request):
    from tests.support.pg import pg_store_url

    url = pg_store_url(request, empty=True)
    return url


SAMPLES = [
    "Acme Gómez S.A.S. lucia.gomez@correo.co ¿Dónde? 300-111 Ge\u0301rard ÑANDÚ hola😀 foo_bar",
    "http://x.com/a/b.txt 1e5 12,5 v1.2.3 İstanbul STRASSE straße ½ <b>Hola</b> “comillas” — guion… ﬁn ²x",
    "ΑΒΓ Жук 日本語 apellido5 5apellido «cita» ¡hola! Œuvre Łódź Ørsted",
    '"*) OR (',
]


def test_query_words_are_folded_as_the_index_folds_them(pg_url):
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            for sample in SAMPLES:
                sql = (f"SELECT tsvector_to_array(to_tsvector('simple', {textsearch.fold_sql('x.v')})) "
                       "FROM (SELECT CAST(:s AS text) AS v) x")
                indexed = set(conn.execute(text(sql), {"s": sample}).scalar_one())
                assert indexed == set(textsearch.words(sample)), sample
    finally:
        engine.dispose()


async def test_a_version_4_store_gets_the_search_indexes(pg_url):
    backend = await LocalBackend.open(pg_url)
    await backend.aclose()
    engine = create_engine(pg_url)
    try:
        with engine.begin() as conn:
            for name in textsearch.INDEXES:
                conn.exec_driver_sql(f"DROP INDEX {name}")
            conn.exec_driver_sql("ALTER TABLE app_user DROP COLUMN os_user")  # version 6's
            conn.exec_driver_sql("ALTER TABLE app_user DROP COLUMN language")  # version 8's
            conn.exec_driver_sql("ALTER TABLE ticket DROP COLUMN assigned_at")  # version 10's
            conn.execute(text("UPDATE meta SET value = '4' WHERE key = 'schema_version'"))
        backend = await LocalBackend.open(pg_url)
        await backend.aclose()
        with engine.connect() as conn:
            assert read_version(conn) == schema.SCHEMA_VERSION
            names = {r[0] for r in conn.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"))}
        assert set(textsearch.INDEXES) | {"ix_app_user_os_user"} <= names
    finally:
        engine.dispose()


def _counts(conn, tables) -> dict[str, int]:
    return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


async def test_demo_on_postgresql_matches_the_sqlite_build(pg_url, tmp_path):
    summary = build_demo(pg_url, tickets=300, seed=5, now=NOW)
    lite = str(tmp_path / "demo.db")
    assert build_demo(lite, tickets=300, seed=5, now=NOW).tickets == summary.tickets == 300

    tables = [t.name for t in schema.ALL_TABLES.sorted_tables]
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            pg_counts = _counts(conn, tables)
            pg_tickets = [tuple(r) for r in conn.execute(text(
                "SELECT id, number, customer_id, status, description, last_summary, unread_count, created_at "
                "FROM ticket ORDER BY id"))]
            assert conn.execute(text("SELECT count(*) FROM meta WHERE key = 'bulk_load'")).scalar_one() == 0
            # the foreign keys dropped for the load are back, as in a store created empty
            found = inspect(conn)
            fks = {(t, tuple(fk["constrained_columns"])) for t in tables for fk in found.get_foreign_keys(t)}
            expected = {(t.name, tuple(c.name for c in fk.columns))
                        for t in schema.ALL_TABLES.sorted_tables for fk in t.foreign_key_constraints}
            assert fks == expected
        with sqlite3.connect(lite) as db:
            lite_counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
            lite_tickets = db.execute(
                "SELECT id, number, customer_id, status, description, last_summary, unread_count, created_at "
                "FROM ticket ORDER BY id").fetchall()
    finally:
        engine.dispose()
    assert pg_counts == lite_counts
    assert pg_tickets == lite_tickets

    # The id sequences moved past the demo's rows: the store keeps working.
    backend = await LocalBackend.open(pg_url)
    try:
        admin = await backend.get_user("admin")
        result = await backend.ingest(IncomingMessage(
            channel=ChannelType.EMAIL, sender="nuevo@example.com", text="Una devolución pendiente", at=NOW))
        assert result.ticket_id == 301
        found = await backend.list_tickets(admin, TicketQuery(search="devolucion pendiente"))
        assert result.ticket_id in {c.id for c in found.rows}
        munoz = await backend.list_customers(admin, CustomerQuery(search="munoz"))
        assert munoz.rows and all("Muñoz" in (r.last_name, r.second_last_name) or "Munoz" in
                                  (r.last_name, r.second_last_name) for r in munoz.rows)
    finally:
        await backend.aclose()


async def test_odd_searches_are_answered_not_errors(pg_url):
    backend = await LocalBackend.open(pg_url)
    try:
        seed_reference(backend)
        admin = await backend.get_user("admin")
        for search in ("x" * 5000, "'\\:*&|!()<->", "\x00", "ñ" * 3000 + " b"):
            assert (await backend.list_tickets(admin, TicketQuery(search=search))).rows == ()
            assert (await backend.list_customers(admin, CustomerQuery(search=search))).rows == ()
    finally:
        await backend.aclose()
