"""A store written by an older version opens, upgraded; a newer one is refused."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine

from sagicc_tui.domain.errors import StoreError
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.backend import LocalBackend
from tests.factory import seed_reference


def _write_v1_store(path) -> None:
    """Schema 1 as it shipped: the tables, no search index, version 1 in meta."""
    engine = create_engine(f"sqlite:///{path}")
    schema.ALL_TABLES.create_all(engine)
    engine.dispose()
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO meta(key, value) VALUES ('schema_version', '1')")
        con.execute("INSERT INTO campaign(id, name, config) VALUES (9, 'Vieja', '{\"incoming_channels\": [\"email\"]}')")
        con.execute("INSERT INTO app_user(id, username, full_name, role, status, active) VALUES (1, 'admin', 'Ada', 'administrator', 'available', 1)")
        con.execute("INSERT INTO customer(id, type, id_type, id_number, first_name, middle_name, last_name, second_last_name, status, created_at, updated_at, version) "
                    "VALUES (1, 'person', 'cc', '123', 'Lucía', '', 'Gómez', '', 'active', 1700000000, 1700000000, 1)")
        con.execute("INSERT INTO ticket(id, number, campaign_id, customer_id, status, priority, type, description, origin_channel, created_at, updated_at, unread_count, last_summary, version) "
                    "VALUES (1, 500, 9, 1, 'open', 'high', 'claim', 'Factura duplicada', 'email', 1700000000, 1700000000, 0, '', 1)")
    con.close()


async def test_v1_store_opens_and_gains_search(tmp_path):
    path = tmp_path / "old.db"
    _write_v1_store(path)
    backend = await LocalBackend.open(str(path))
    try:
        admin = await backend.get_user("admin")
        assert [c.number for c in (await backend.list_tickets(admin, TicketQuery(search="gomez"))).rows] == [500]
        assert [c.number for c in (await backend.list_tickets(admin, TicketQuery(search="factura"))).rows] == [500]
    finally:
        await backend.aclose()
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(schema.SCHEMA_VERSION),)
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
