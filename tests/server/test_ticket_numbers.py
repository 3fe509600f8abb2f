"""#10.3 Ticket numbers are safe under concurrency (P10).

8 threads x 40 POST /api/v1/inbound from new senders (each opens a new
ticket) against `sagicc serve --workers 2`: every answer is 201, every
message is stored once, every ticket has its own number. SQLite and
PostgreSQL.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from sagicc_tui.local_store import schema
from tests.support.served import serve

THREADS = 8
EACH = 40


@pytest.mark.parametrize("dialect", ["sqlite", "pg"])
async def test_new_tickets_from_concurrent_inbound_messages_get_distinct_numbers(dialect, tmp_path, request):
    s = await serve(dialect, tmp_path, request, workers=2)
    try:
        barrier = threading.Barrier(THREADS)

        def sender(n: int) -> list[int]:
            codes = []
            with httpx.Client(base_url=s.url + "/api/v1", timeout=120,
                              headers={"Authorization": f"Bearer {s.channel}"}) as client:
                barrier.wait()
                for i in range(EACH):
                    try:
                        r = client.post("/inbound", json={"channel": "email", "sender": f"nuevo-{n}-{i}@x.com",
                                                          "text": f"mensaje {n}-{i}"})
                        codes.append(r.status_code)
                    except httpx.TransportError:  # a reset connection counts as an error, not a crash
                        codes.append(-1)
            return codes

        with ThreadPoolExecutor(THREADS) as pool:
            codes = [c for batch in pool.map(sender, range(THREADS)) for c in batch]
        t, it = schema.ticket, schema.InteractionRow.__table__
        with s.world.store.read() as conn:
            tickets = conn.execute(select(func.count(), func.count(t.c.number.distinct()))).one()
            messages = conn.execute(select(func.count(), func.count(it.c.content.distinct()))
                                    .where(it.c.content.like("mensaje %"))).one()
        errors = sum(1 for c in codes if c != 201)
        assert (errors, tuple(tickets), tuple(messages)) == (0, (THREADS * EACH,) * 2, (THREADS * EACH,) * 2)
    finally:
        s.stop()
        await s.world.aclose()
