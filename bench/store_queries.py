"""Ticket-list queries through the LocalBackend on a demo store.

    python -m bench.store_queries --db big.db [--user admin] [--repeat 15]

Times (median and p95, milliseconds) of what the list screen asks the store:
first page, the next page by keyset, an offset jump to the middle, counts,
filters, search and each order. Build the store first with
`sagicc demo --tickets 1000000 --db big.db`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from datetime import timedelta

from sagicc_tui.domain.enums import Priority, TicketOrder, TicketStatus, UserFilter
from sagicc_tui.domain.query import SEARCH_COUNT_AT_MOST, TicketQuery
from sagicc_tui.local_store.backend import LocalBackend


async def timed(fn, repeat: int) -> tuple[float, float, float]:
    """Median and p95 wall time, and the median CPU time of this process (all
    threads: the store runs in a worker thread) -- on a shared machine the CPU
    time is the steadier figure."""
    samples, cpu = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    samples.sort()
    return (statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))],
            statistics.median(cpu))


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--user", default="admin")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--word-elsewhere", default="envio",
                    help="a word common in another campaign and rare in the first (the demo's sales replies)")
    args = ap.parse_args()
    b = await LocalBackend.open(args.db)
    user = await b.get_user(args.user)
    campaigns = await b.list_campaigns(user)
    camp = campaigns[0].id
    base = TicketQuery(campaign_ids=(camp,))
    total = await b.count_tickets(user, TicketQuery())
    in_campaign = await b.count_tickets(user, base)
    first = await b.list_tickets(user, base)
    sample = first.rows[len(first.rows) // 2]
    now = b.store.clock()
    cases = {
        "first page (100 cards)": lambda: b.list_tickets(user, base),
        "next page (keyset)": lambda: b.list_tickets(user, base, after=first.next_cursor),
        "jump to the middle (offset)": lambda: b.list_tickets(user, base, offset=in_campaign // 2),
        "count, campaign": lambda: b.count_tickets(user, base),
        "filter status=new+open": lambda: b.list_tickets(user, base.with_(statuses=(TicketStatus.NEW, TicketStatus.OPEN))),
        "count status=new+open": lambda: b.count_tickets(user, base.with_(statuses=(TicketStatus.NEW, TicketStatus.OPEN))),
        "filter priority+unassigned": lambda: b.list_tickets(user, base.with_(priorities=(Priority.CRITICAL,), user_filter=UserFilter.UNASSIGNED)),
        "filter created last 7 days": lambda: b.list_tickets(user, base.with_(created_from=now - timedelta(days=7))),
        "search customer surname": lambda: b.list_tickets(user, base.with_(search=sample.customer_name.split()[-1])),
        "search ticket number": lambda: b.list_tickets(user, base.with_(search=str(sample.number))),
        "search message word": lambda: b.list_tickets(user, base.with_(search="factura")),
        "count, message word": lambda: b.count_tickets(user, base.with_(search="factura")),
        "count, customer surname": lambda: b.count_tickets(user, base.with_(search=sample.customer_name.split()[-1])),
        # As the list counts a search (#16.5): no further than SEARCH_COUNT_AT_MOST + 1.
        "count, message word, capped": lambda: b.count_tickets(user, base.with_(search="factura"),
                                                              at_most=SEARCH_COUNT_AT_MOST),
        "count, customer surname, capped": lambda: b.count_tickets(
            user, base.with_(search=sample.customer_name.split()[-1]), at_most=SEARCH_COUNT_AT_MOST),
        "count, two words, capped": lambda: b.count_tickets(user, base.with_(search="factura pago"),
                                                           at_most=SEARCH_COUNT_AT_MOST),
        "search two words": lambda: b.list_tickets(user, base.with_(search="factura pago")),
        # Common in the store, rare in this campaign: neither looked up first nor walked (#16.5).
        "search word common elsewhere": lambda: b.list_tickets(user, base.with_(search=args.word_elsewhere)),
        "count, word common elsewhere, capped": lambda: b.count_tickets(
            user, base.with_(search=args.word_elsewhere), at_most=SEARCH_COUNT_AT_MOST),
    }
    for order in TicketOrder:
        cases[f"order {order.value}"] = (lambda o=order: b.list_tickets(user, base.with_(order=o)))
    # The agents' load (bench/agents.py) filters by status in every order: a
    # narrow status walks an order index past every ticket of the others.
    for statuses in ((TicketStatus.NEW,), (TicketStatus.OPEN,), (TicketStatus.NEW, TicketStatus.OPEN)):
        label = "+".join(s.value for s in statuses)
        for order in TicketOrder:
            cases[f"order {order.value}, {label}"] = (
                lambda o=order, st=statuses: b.list_tickets(user, base.with_(order=o, statuses=st)))
    print(f"# store: {args.db}  tickets: {total}  in campaign {camp}: {in_campaign}  user: {args.user} ({user.role.value})")
    print(f"# machine: {platform.node()} {platform.machine()} {platform.python_version()}  repeat={args.repeat}"
          f"  load average {os.getloadavg()[0]:.1f}")
    print(f"{'case':<34} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8}")
    for name, fn in cases.items():
        med, p95, cpu = await timed(fn, args.repeat)
        print(f"{name:<34} {med:>10.1f} {p95:>8.1f} {cpu:>8.1f}")
    print(f"# load average at the end {os.getloadavg()[0]:.1f}")
    await b.aclose()


if __name__ == "__main__":
    asyncio.run(main())
