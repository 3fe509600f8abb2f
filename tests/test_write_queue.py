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


async def test_a_servers_mail_waits_in_its_write_queue_and_is_told_on_its_loop(tmp_path):
    """#16.2: `serve --mail` reads mail on threads of its own. Its batch waits in
    the server's write queue like every other write of the server (not in
    SQLite's busy handler), and the queue counts it, so the live watcher takes
    the store's move for the server's own write, announced to the clients by
    `published`, instead of another program's (which reloads every client)."""
    import threading

    from sagicc_tui.mail.parse import parse
    from sagicc_tui.mail.sink import StoreSink
    from tests.test_mail import mail

    w = await make_world(tmp_path / "store.db")
    try:
        store = w.local.store
        loop = asyncio.get_running_loop()
        counted: list[bool] = []  # per write the queue answered: on the server's loop thread?
        store.writes.after_each(lambda: counted.append(threading.current_thread() is threading.main_thread()))
        told: list[tuple[int, bool]] = []
        sink = StoreSink(store, published=lambda r: told.append(
            (r.ticket_id, threading.current_thread() is threading.main_thread())), loop=loop)
        batch = [parse(mail(f"c{i}@x.com", f"Asunto {i}", "Hola", message_id=f"<m{i}@x>")) for i in range(3)]

        # The fetcher is a thread of its own; the loop (this test's) goes on meanwhile.
        outcomes = await asyncio.to_thread(sink.batch, batch)
        assert [o.duplicate for o in outcomes] == [False, False, False]
        assert counted == [True]  # one write for the batch, counted by the queue, answered on the loop
        assert told == [(o.ticket_id, True) for o in outcomes]  # each new ticket told, on the loop
        assert store.writes.running == 0

        again = await asyncio.to_thread(sink.batch, batch[:1])  # read again: nothing new, nothing told
        assert again[0].duplicate and len(told) == 3 and counted == [True, True]
    finally:
        await w.aclose()
