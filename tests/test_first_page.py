"""#16.6 (L1, L2, L5): the first screen read without the ORM equals the store's own reads.

FirstPageReader (local_store/first_page.py) writes the list's opening query
in plain SQLite; these tests prove it gives exactly LocalBackend's answers --
the same cards, in the same order, with the same cursors -- for every user of
a seeded demo store (administrators, supervisors, agents in restricted and
View-All campaigns, agents in several campaigns), and that it declines
whatever it does not answer exactly (the full backend answers those).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from sagicc_tui.domain.admin import UserChanges
from sagicc_tui.domain.enums import AgentStatus, Role, TicketOrder, TicketStatus, UserFilter
from sagicc_tui.domain.errors import StoreError
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.domain.ticket_screen import PRESENCE_TTL
from sagicc_tui.local_store import first_page, schema
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.local_store.demo import build_demo
from sagicc_tui.local_store.first_page import FirstPageReader, is_first_page_query
from sagicc_tui.local_store.opening import OpeningBackend
from sagicc_tui.local_store.quick_open import open_reader

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("first-page") / "demo.db"
    build_demo(str(path), tickets=2500, now=NOW)
    return path


@pytest.fixture
async def stores(demo, tmp_path):
    """A copy of the demo store (tests change it), its LocalBackend and its reader."""
    path = tmp_path / "demo.db"
    src, dst = sqlite3.connect(demo), sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    backend = LocalBackend(path, clock=clock)
    reader = FirstPageReader.open(path, clock=clock)
    assert reader is not None
    yield backend, reader, path
    reader.close()
    await backend.aclose()


def test_the_reader_reads_the_schema_version_the_program_writes():
    """A migration moves SCHEMA_VERSION: first_page.py's statements must be looked at again."""
    assert first_page.SCHEMA_VERSION == schema.SCHEMA_VERSION


async def _walk(backend, reader, user, query, *, pages=3, limit=40):
    """Page by page through keyset cursors: the reader's pages are the store's."""
    after = None
    for _ in range(pages):
        expected = await backend.list_tickets(user, query, limit=limit, after=after)
        got = await asyncio.to_thread(reader.list_tickets, user, query, limit=limit, after=after, offset=0)
        assert got == expected, (user.username, query, after)
        if expected.next_cursor is None:
            break
        after = expected.next_cursor
    deep = await backend.list_tickets(user, query, limit=limit, offset=3 * limit)
    assert reader.list_tickets(user, query, limit=limit, after=None, offset=3 * limit) == deep


async def test_every_user_gets_the_stores_user_campaigns_and_pages(stores):
    backend, reader, _ = stores
    users = await backend.list_users()
    assert {u.role for u in users} == set(Role)
    seen_cards = 0
    for user in users:
        assert reader.get_user(user.username) == await backend.get_user(user.username)
        campaigns = await backend.list_campaigns(user)
        assert reader.list_campaigns(user) == campaigns
        # The list opens on the first campaign; the others and "all campaigns" are the same query's kin.
        for campaign_ids in [(c.id,) for c in campaigns] + [(), (1, 2, 3)]:
            for order in (TicketOrder.CREATED_DESC, TicketOrder.CREATED_ASC):
                query = TicketQuery(campaign_ids=campaign_ids, order=order)
                await _walk(backend, reader, user, query)
        first = await backend.list_tickets(user, TicketQuery(campaign_ids=(campaigns[0].id,)), limit=100)
        seen_cards += len(first.rows)
    assert seen_cards > 1000  # the comparison compared real pages, not empty ones


async def test_an_agents_scope_is_the_stores(stores):
    """L2 with edges: a campaign switched to View All, a campaign disabled, tickets given to another agent."""
    backend, reader, _ = stores
    admin = await backend.get_user("admin")
    agent = await backend.get_user("jospina")  # campaigns 1 and 2
    campaigns = {c.id: c for c in await backend.list_campaigns(admin)}
    one = campaigns[1]
    await backend.save_campaign(admin, 1, replace(one, view_all_tickets=not one.view_all_tickets, script=""),
                                expected_version=one.version)
    two = campaigns[2]
    await backend.save_campaign(admin, 2, replace(two, active=False, script=""), expected_version=two.version)
    assert reader.list_campaigns(agent) == await backend.list_campaigns(agent)
    for campaign_ids in ((1,), (2,), ()):
        await _walk(backend, reader, agent, TicketQuery(campaign_ids=campaign_ids), pages=2)
    # An agent of no campaign sees nothing, as the store says.
    nobody = replace(agent, campaign_ids=())
    assert reader.list_tickets(nobody, TicketQuery(), limit=50, after=None, offset=0) == \
        await backend.list_tickets(nobody, TicketQuery(), limit=50)


async def test_what_the_reader_does_not_answer_it_declines(stores):
    backend, reader, _ = stores
    agent = await backend.get_user("amartinez")
    assert reader.get_user("nadie") is None  # the store's NotFound says it in its words
    for query in (TicketQuery(campaign_ids=(1,), search="factura"),
                  TicketQuery(campaign_ids=(1,), statuses=(TicketStatus.OPEN,)),
                  TicketQuery(campaign_ids=(1,), user_filter=UserFilter.UNASSIGNED),
                  TicketQuery(campaign_ids=(1,), order=TicketOrder.PRIORITY),
                  TicketQuery.pending(agent.id, 1)):
        assert not is_first_page_query(query)
        assert reader.list_tickets(agent, query, limit=50, after=None, offset=0) is None
    # Disabled: the store refuses them with its sentence.
    admin = await backend.get_user("admin")
    cgarcia = await backend.get_user("cgarcia")
    await backend.update_user(admin, "cgarcia", UserChanges(active=False), expected_version=cgarcia.version)
    assert not (await backend.get_user("cgarcia")).active
    assert reader.get_user("cgarcia") is None and reader.list_campaigns(cgarcia) is None


async def test_busy_reads_as_the_store_says(stores):
    """T1/#10.9: a Busy chosen by hand stays; a Busy left by a terminal that stopped
    heart-beating inside a ticket reads Available -- for the reader as for the store."""
    backend, reader, path = stores
    agent = await backend.get_user("amartinez")
    await backend.set_agent_status(agent, AgentStatus.BUSY)  # by hand: no presence
    assert reader.get_user("amartinez") == await backend.get_user("amartinez")
    assert reader.get_user("amartinez").status is AgentStatus.BUSY
    ticket = (await backend.list_tickets(agent, TicketQuery(campaign_ids=(1,)), limit=1)).rows[0]
    await backend.set_agent_status(agent, AgentStatus.AVAILABLE)
    await backend.enter_ticket(agent, ticket.id)  # inside a ticket: Busy, a fresh heartbeat
    assert reader.get_user("amartinez") == await backend.get_user("amartinez")
    assert reader.get_user("amartinez").status is AgentStatus.BUSY
    with sqlite3.connect(path) as conn:  # the terminal died: its heartbeat grows old
        conn.execute("UPDATE ticket_presence SET heartbeat_at = heartbeat_at - ?", (PRESENCE_TTL + 1,))
    assert reader.get_user("amartinez") == await backend.get_user("amartinez")
    assert reader.get_user("amartinez").status is AgentStatus.AVAILABLE


def test_a_store_the_reader_cannot_vouch_for_is_left_to_the_full_backend(stores, tmp_path):
    _, reader, path = stores
    missing = tmp_path / "missing.db"
    assert FirstPageReader.open(missing) is None and not missing.exists()  # never creates a file
    not_ours = tmp_path / "other.db"
    sqlite3.connect(not_ours).execute("CREATE TABLE t (x)").connection.close()
    assert FirstPageReader.open(not_ours) is None
    assert open_reader(f"sqlite:///{path}") is not None
    assert open_reader("postgresql://localhost/test") is None
    # Another version: an upgrade to run, or a store of a newer program to refuse.
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '10' WHERE key = 'schema_version'")
    assert FirstPageReader.open(path) is None
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(schema.SCHEMA_VERSION),))
        conn.execute("INSERT INTO meta(key, value) VALUES ('bulk_load', 'pending')")
    assert FirstPageReader.open(path) is None  # a demo build that did not finish


def test_the_reader_never_writes(stores):
    _, reader, _ = stores
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader._conn.execute("DELETE FROM ticket")


def test_an_empty_store_has_no_reader(tmp_path):
    """`sagicc init` not run yet: the TUI's check (require_initialised) says so, as before."""
    path = tmp_path / "empty.db"
    LocalBackend(path).store.engine.dispose()  # the schema, no users
    assert FirstPageReader.open(path) is not None
    assert open_reader(str(path)) is None


def test_the_tui_still_says_when_a_store_is_missing_or_empty(stores, tmp_path):
    """The TUI checks the store before its first frame: through the reader now, the same sentences."""
    _, _, path = stores
    empty = tmp_path / "empty.db"
    LocalBackend(empty).store.engine.dispose()

    def tui(db) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sagicc_tui", "--db", str(db), "--user", "admin"],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "SAGICC_CONFIG_DIR": str(tmp_path / "cfg")})

    missing = tui(tmp_path / "missing.db")
    assert missing.returncode == 1 and "There is no store at" in missing.stderr
    assert not (tmp_path / "missing.db").exists()
    assert "has no users yet" in tui(empty).stderr
    ready = tui(path)  # the reader vouches for it; then only the terminal is missing
    assert ready.returncode == 1 and "The TUI needs a terminal" in ready.stderr, ready.stderr


async def test_the_opening_backend_hands_over_to_the_full_one(stores):
    """Before the full backend: the reader's answers; every other call waits for it; after: all its."""
    _, _, path = stores
    loads = []

    def load():
        loads.append(1)
        return LocalBackend(path, clock=clock)

    backend = OpeningBackend(FirstPageReader.open(path, clock=clock), load)
    try:
        user = await backend.get_user("amartinez")
        campaigns = await backend.list_campaigns(user)
        query = TicketQuery(campaign_ids=(campaigns[0].id,))
        page = await backend.list_tickets(user, query, limit=50)
        assert backend.full_backend is None and not loads  # nothing needed the ORM yet
        total = await backend.count_tickets(user, query)  # waits for the full backend
        full = backend.full_backend
        assert full is not None and loads == [1]
        assert total == await full.count_tickets(user, query)
        assert page == await full.list_tickets(user, query, limit=50)
        assert await backend.list_tickets(user, query, limit=50) == page  # now the full backend's
        busy = await backend.set_agent_status(user, AgentStatus.BUSY)  # a write
        assert busy.status is AgentStatus.BUSY and (await full.get_user("amartinez")).status is AgentStatus.BUSY
        assert loads == [1]
    finally:
        await backend.aclose()


async def test_a_full_backend_that_cannot_load_is_one_sentence(stores, monkeypatch):
    _, _, path = stores
    # No list page is read here, so the load would wait out its safety net for one.
    monkeypatch.setattr("sagicc_tui.local_store.opening.HOLD_AT_MOST", 0.2)

    def load():
        raise OSError("disk I/O error")

    backend = OpeningBackend(FirstPageReader.open(path, clock=clock), load)
    user = await backend.get_user("amartinez")
    for _ in range(2):  # every caller, not only the first
        with pytest.raises(StoreError, match=r"could not be opened \(disk I/O error\)"):
            await backend.count_tickets(user, TicketQuery())
    await backend.aclose()
