"""The list's priority order reads its index (#16): the page query spells the
priorities as the index does, so SQLite walks ix_ticket_priority_by_campaign
instead of sorting the whole scope (with bound parameters it sorted: an
agent's priority page cost 140-590 ms of CPU at 1M tickets)."""

from __future__ import annotations

from datetime import UTC, datetime

from sagicc_tui.domain.enums import Role, TicketOrder, TicketStatus
from sagicc_tui.domain.query import TicketQuery
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
