"""A store written by an older version opens, upgraded; a newer one is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sagicc_tui.domain.errors import StoreError
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.backend import LocalBackend
from tests.factory import seed_reference


V2_SQL = Path(__file__).parent / "fixtures" / "schema_v2.sql"


def _old_store(path, version: int) -> None:
    """A store exactly as an older sagicc wrote it, from the frozen schema 2.

    Schema 1 is schema 2 without the search index (virtual tables and their
    triggers), which is all the 1 -> 2 step adds.
    """
    sql = "\n".join(ln for ln in V2_SQL.read_text().splitlines() if not ln.startswith("--"))
    statements = [st.strip() for st in sql.split(";\n") if st.strip()]
    if version == 1:
        statements = [st for st in statements if "_fts" not in st]
    con = sqlite3.connect(path)
    with con:
        for st in statements:
            con.execute(st)
        con.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (str(version),))
        con.execute("INSERT INTO campaign(id, name, config) VALUES (9, 'Vieja', '{\"incoming_channels\": [\"email\"]}')")
        con.execute("INSERT INTO app_user(id, username, full_name, role, status, active) VALUES (1, 'admin', 'Ada', 'administrator', 'available', 1)")
        con.execute("INSERT INTO customer(id, type, id_type, id_number, first_name, middle_name, last_name, second_last_name, status, created_at, updated_at, version) "
                    "VALUES (1, 'person', 'cc', '123', 'Lucía', '', 'Gómez', '', 'active', 1700000000, 1700000000, 1)")
        con.execute("INSERT INTO ticket(id, number, campaign_id, customer_id, status, priority, type, description, origin_channel, created_at, updated_at, unread_count, last_summary, version) "
                    "VALUES (1, 500, 9, 1, 'open', 'high', 'claim', 'Factura duplicada', 'email', 1700000000, 1700000000, 0, '', 1)")
    con.close()


@pytest.mark.parametrize("version", [1, 2])
async def test_older_store_opens_upgraded(tmp_path, version):
    path = tmp_path / "old.db"
    _old_store(path, version)
    backend = await LocalBackend.open(str(path))
    try:
        admin = await backend.get_user("admin")
        assert [c.number for c in (await backend.list_tickets(admin, TicketQuery(search="gomez"))).rows] == [500]
        assert [c.number for c in (await backend.list_tickets(admin, TicketQuery(search="factura"))).rows] == [500]
    finally:
        await backend.aclose()
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(schema.SCHEMA_VERSION),)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    assert {"ticket_presence", "external_view", "outgoing_delivery", "customer_assignment",
            "ix_customer_created", "ix_interaction_ticket_time", "ix_app_user_os_user"} <= names
    assert "os_user" in {r[1] for r in con.execute("PRAGMA table_info(app_user)")}
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()


async def test_store_from_a_newer_program_is_refused_untouched(tmp_path):
    path = tmp_path / "new.db"
    b = await LocalBackend.open(str(path))
    seed_reference(b)
    await b.aclose()
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError) as err:
        await LocalBackend.open(str(path))
    assert "newer" in str(err.value) and "99" in str(err.value)


async def test_interrupted_bulk_load_is_completed_on_open(tmp_path):
    """A demo build killed between the load and the index build must not leave
    a store that runs without indexes or search triggers."""
    from sagicc_tui.local_store.engine import make_engine
    from sagicc_tui.local_store.migrations import ensure_schema

    path = tmp_path / "half.db"
    engine = make_engine(str(path))
    ensure_schema(engine, indexes=False)
    engine.dispose()
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'ix_ticket_created_by_campaign'").fetchone() == (0,)
    con.close()
    backend = await LocalBackend.open(str(path))
    seed_reference(backend)
    await backend.aclose()
    con = sqlite3.connect(path)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    assert {"ix_ticket_created_by_campaign", "ix_ticket_unread_asc_by_campaign", "ticket_fts", "ticket_fts_ai"} <= names
    assert con.execute("SELECT count(*) FROM meta WHERE key = 'bulk_load'").fetchone() == (0,)
    con.close()


V1_SQL = Path(__file__).parent / "fixtures" / "schema_v1.sql"


async def test_store_of_the_first_release_upgrades_with_its_data(tmp_path):
    """tests/fixtures/schema_v1.sql is a store the first commit's own code wrote (sqlite3 .dump):
    it opens under today's program, upgraded to today's schema, every row still there."""
    path = tmp_path / "first.db"
    con = sqlite3.connect(path)
    con.executescript(V1_SQL.read_text())
    con.close()
    backend = await LocalBackend.open(str(path))
    try:
        admin = await backend.get_user("admin")
        cards = {c.number: c for c in (await backend.list_tickets(admin, TicketQuery())).rows}
        assert set(cards) == {100001, 100002}
        first = await backend.get_ticket_by_number(admin, 100001)
        second = await backend.get_ticket_by_number(admin, 100002)
        assert first.description == "Me cobraron dos veces la factura de octubre"
        assert (second.priority.value, second.assignee_id) == ("high", 3)
        customer = await backend.get_customer(admin, first.customer_id)
        assert (customer.first_name, customer.last_name) == ("Lucía", "Gómez")
        page = await backend.conversation(admin, first.id)
        assert [i.interaction.content for i in page.items] == [
            "Me cobraron dos veces la factura de octubre", "Sigo esperando la devolución"]
        (task,) = await backend.list_tasks_page(admin, first.id)
        assert (task.values, task.observations) == ({"resultado": "Pendiente"}, "Llamar el lunes")
        for words in ("factura", "gomez", "devolucion"):  # the search index came along
            assert [c.number for c in (await backend.list_tickets(admin, TicketQuery(search=words))).rows] == [100001]
        # Today's writes work on the upgraded file (tables and columns added since).
        await backend.update_ticket(admin, second.id, TicketChanges(priority="low"), expected_version=second.version)
        assert (await backend.get_ticket(admin, second.id)).priority.value == "low"
    finally:
        await backend.aclose()
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(schema.SCHEMA_VERSION),)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()


def test_a_postgresql_bulk_load_leaves_later_stores_their_foreign_keys(tmp_path):
    """A demo built on PostgreSQL adds its foreign keys back after the load
    (migrations._add_foreign_keys). SQLAlchemy's AddConstraint marks the model's
    constraint as added separately by default: every SQLite store created later
    in the same process (a test worker, say) then came without its foreign keys."""
    import subprocess
    import sys

    probe = (
        "import sqlite3, sys\n"
        "from sagicc_tui.local_store.demo import build_demo\n"
        "from sagicc_tui.local_store.engine import make_engine\n"
        "from sagicc_tui.local_store.migrations import ensure_schema\n"
        "build_demo(sys.argv[1], tickets=20)\n"
        "engine = make_engine(sys.argv[2]); ensure_schema(engine); engine.dispose()\n"
        "print(len(sqlite3.connect(sys.argv[2]).execute('PRAGMA foreign_key_list(account)').fetchall()))\n"
    )
    from tests.support.pg import drop_schema, new_schema, pg_available

    reason = pg_available()
    if reason:
        pytest.fail(f"PostgreSQL is required for this test and is not reachable: {reason}")
    name, url = new_schema()
    try:
        # A fresh process: this one may have done a bulk load already.
        proc = subprocess.run([sys.executable, "-c", probe, url, str(tmp_path / "later.db")],
                              capture_output=True, text=True, timeout=300)
    finally:
        drop_schema(name)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-1] == "1"  # account.customer_id -> customer.id
