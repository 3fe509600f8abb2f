"""The list's pages read their order indexes (#16).

The priority order: the page query spells the priorities as the index does,
so SQLite walks ix_ticket_priority_by_campaign instead of sorting the whole
scope (with bound parameters it sorted: an agent's priority page cost
140-590 ms of CPU at 1M tickets). The orders of schema.STATUS_ORDERS with one
status read their (campaign, status) index."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from sagicc_tui.domain.enums import Role, TicketOrder, TicketStatus
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.local_store import schema
from sagicc_tui.local_store import ticket_query as tq
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.local_store.demo import build_demo
from sagicc_tui.local_store.tickets import scope

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def test_the_priority_page_walks_its_index(tmp_path) -> None:
    url = str(tmp_path / "demo.db")
    build_demo(url, tickets=300, seed=2, now=NOW)
    backend = await LocalBackend.open(url)
    try:
        store = backend.store
        users = await backend.list_users()
        with store.read() as conn:
            # A lead's scope is the campaign alone: the order index is the plan at
            # any size (an agent's small demo scope may start from its own index).
            for user in [u for u in users if u.role is not Role.AGENT][:2]:
                for statuses in ((), (TicketStatus.OPEN,)):
                    sc, _ = scope(store, conn, user)
                    query = TicketQuery(campaign_ids=(1,), order=TicketOrder.PRIORITY, statuses=statuses)
                    compiled = tq.page_select(sc, query, "sqlite", limit=100, after=None, offset=0).compile(
                        conn, compile_kwargs={"render_postcompile": True})
                    params = tuple(compiled.params[k] for k in compiled.positiontup)
                    plan = [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params)]
                    assert any("ix_ticket_priority_by_campaign" in p for p in plan), plan
                    # one sort only: the outer query's 100 rows, never the scope's
                    assert sum("TEMP B-TREE" in p for p in plan) <= 1, plan
    finally:
        await backend.aclose()


def _plan(conn, store, user, query) -> list[str]:
    sc, _ = scope(store, conn, user)
    compiled = tq.page_select(sc, query, "sqlite", limit=100, after=None, offset=0).compile(
        conn, compile_kwargs={"render_postcompile": True})
    params = tuple(compiled.params[k] for k in compiled.positiontup)
    return [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params)]


def _order_index(plan: list[str]) -> str:
    [inner] = [p for p in plan if "ix_ticket_" in p and "_by_" in p]
    return inner.split("USING INDEX ")[1].split()[0]


async def _check_status_plans(backend) -> None:
    store = backend.store
    users = await backend.list_users()
    lead = next(u for u in users if u.role is Role.SUPERVISOR)
    with store.read() as conn:
        for name in schema.STATUS_ORDERS:
            order = TicketOrder(name)
            for status in (TicketStatus.NEW, TicketStatus.CLOSED):
                plan = _plan(conn, store, lead, TicketQuery(campaign_ids=(1,), order=order, statuses=(status,)))
                assert _order_index(plan) == f"ix_ticket_{name}_by_status", plan
                assert sum("TEMP B-TREE" in p for p in plan) <= 1, plan
            # No status, or several: the campaign's order index, as before.
            for statuses in ((), (TicketStatus.NEW, TicketStatus.OPEN)):
                plan = _plan(conn, store, lead, TicketQuery(campaign_ids=(1,), order=order, statuses=statuses))
                assert _order_index(plan) == f"ix_ticket_{name}_by_campaign", plan


async def test_a_one_status_page_reads_the_orders_status_index(tmp_path) -> None:
    # Every new ticket has no next task, every closed one is read and has no
    # deadline: without the status in the index such a page walked the whole
    # campaign (220-530 ms at 1M tickets).
    url = str(tmp_path / "demo.db")
    build_demo(url, tickets=300, seed=2, now=NOW)
    backend = await LocalBackend.open(url)
    try:
        await _check_status_plans(backend)
    finally:
        await backend.aclose()


async def test_the_17_step_measures_its_indexes_in_an_analysed_store(tmp_path) -> None:
    # An analysed store (a bulk load runs ANALYZE) upgraded without statistics
    # for the new indexes took them for the most selective and sorted whole
    # campaigns on every page; the step measures them.
    url = str(tmp_path / "demo.db")
    build_demo(url, tickets=300, seed=2, now=NOW)
    con = sqlite3.connect(url)
    with con:
        for name in schema.STATUS_ORDERS:
            con.execute(f"DROP INDEX ix_ticket_{name}_by_status")
        con.execute("DELETE FROM sqlite_stat1 WHERE idx LIKE '%_by_status'")
        con.execute("UPDATE meta SET value = '16' WHERE key = 'schema_version'")
        con.execute("UPDATE alembic_version SET version_num = '0016'")
    con.close()
    backend = await LocalBackend.open(url)
    try:
        with backend.store.read() as conn:
            measured = {r[0] for r in conn.exec_driver_sql("SELECT idx FROM sqlite_stat1")}
        assert {f"ix_ticket_{name}_by_status" for name in schema.STATUS_ORDERS} <= measured
        await _check_status_plans(backend)
    finally:
        await backend.aclose()
