"""#16: the writes of one process on a SQLite store wait in one queue.

SQLite lets one writer in at a time. A write that waits in SQLite's busy
handler holds a worker thread and sleeps in steps; a server process under
load then has no thread left for the reads, which never needed the lock.
LocalBackend queues its SQLite writes on one thread of their own instead.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor

from tests.factory import make_world

WRITES = 4


async def test_queued_writes_leave_the_threads_to_reads_and_commit_in_the_order_asked(tmp_path, monkeypatch):
    # Long enough for any machine: a write that waits in the busy handler
    # longer than this fails, and the test with it.
    monkeypatch.setenv("SAGICC_BUSY_TIMEOUT", "20")
    path = tmp_path / "store.db"
    w = await make_world(path)
    try:
        sofia = await w.user("sofia")
        ticket = (await w.incoming("cliente@example.com", "Hola")).ticket_id
        # A busy server: two threads for whatever it runs off the event loop.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=2))
        other_program = sqlite3.connect(path, isolation_level=None)
        other_program.execute("BEGIN IMMEDIATE")  # holds the write lock
        try:
            writes = [asyncio.create_task(w.backend.add_note(sofia, ticket, f"nota {i}", "yellow"))
                      for i in range(WRITES)]
            await asyncio.sleep(0)  # each write is asked for, in this order
            # The reads go on while the writes wait (before, the waiting writes
            # held both threads and this read waited for the lock too).
            assert await w.backend.list_notes(sofia, ticket) == []
            assert not any(t.done() for t in writes)
        finally:
            other_program.execute("ROLLBACK")
            other_program.close()
        await asyncio.gather(*writes)
        notes = sorted(await w.backend.list_notes(sofia, ticket), key=lambda n: n.id)
        assert [n.text for n in notes] == [f"nota {i}" for i in range(WRITES)]
    finally:
        await w.aclose()
