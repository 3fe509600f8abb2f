"""CPU per call of what the server does for an agent's requests (issue #16), in-process.

    python -m bench.route_cpu --db big.db [--repeat 30]

An agent (L2 scope) of the store's first campaign: its count, its count with
a status filter, a supervisor's count, a page of 100 cards as the server
encodes it (rows -> JSON: server/encode.py where it exists, else cards +
pydantic), and the token lookup (kept per process where access.TokenCache
exists, else the plain lookup). Median CPU ms of this process
(`time.process_time()`) -- the steadier figure on a shared machine -- and
median wall ms. Runs against older checkouts too (PYTHONPATH=<checkout>):
what they lack is measured their way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time

from sagicc_tui.domain.enums import Role, TicketOrder, TicketStatus
from sagicc_tui.domain.query import TicketPage, TicketQuery
from sagicc_tui.local_store import access, tickets
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.remote import wire


def timed(fn, repeat: int) -> tuple[float, float]:
    cpu, wall = [], []
    fn()  # warm: caches, compiled statements
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - t0) * 1000)
    return statistics.median(cpu), statistics.median(wall)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    backend = await LocalBackend.open(args.db)
    store = backend.store
    users = await backend.list_users()
    agent = next(u for u in users if u.role is Role.AGENT and 1 in u.campaign_ids)
    lead = next(u for u in users if u.role is Role.SUPERVISOR)
    base = TicketQuery(campaign_ids=(1,))
    status = base.with_(statuses=(TicketStatus.NEW, TicketStatus.OPEN))
    token = access.issue_token(store, agent.id, "bench-route-cpu")

    def read(fn):
        def run():
            with store.read() as conn:
                return fn(conn)
        return run

    try:
        from sagicc_tui.server import encode

        def page(conn, query=base):
            return encode.page_json(tickets.page_rows(store, conn, agent, query, limit=100, after=None, offset=0))
        page_how = "rows -> orjson"
    except ImportError:
        def page(conn, query=base):
            return wire.adapter(TicketPage).dump_json(
                tickets.list_page(store, conn, agent, query, limit=100, after=None, offset=0))
        page_how = "cards -> pydantic"
    if hasattr(access, "TokenCache"):
        cache = access.TokenCache()

        def lookup():
            return cache.signed_in(store, token)
        lookup_how = "kept per process"
    else:
        def lookup():
            return access.signed_in(store, token)
        lookup_how = "looked up"
    cases = {
        "agent count": read(lambda c: tickets.count(store, c, agent, base)),
        "agent count, status filter": read(lambda c: tickets.count(store, c, agent, status)),
        "supervisor count": read(lambda c: tickets.count(store, c, lead, base)),
        f"agent page of 100 ({page_how})": read(page),
        "agent page of 100, priority order": read(lambda c: page(c, base.with_(order=TicketOrder.PRIORITY))),
        f"token lookup ({lookup_how})": lookup,
    }
    out = {"db": args.db, "load_average": [round(x, 1) for x in os.getloadavg()],
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    print(f"{'case':<44} {'CPU ms':>8} {'wall ms':>8}")
    for name, fn in cases.items():
        cpu, wall = await asyncio.to_thread(timed, fn, args.repeat)
        out[name] = [round(cpu, 2), round(wall, 2)]
        print(f"{name:<44} {cpu:>8.2f} {wall:>8.2f}")
    out["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(out))
    await backend.aclose()


if __name__ == "__main__":
    asyncio.run(main())
