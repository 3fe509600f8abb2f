"""#16.2: server processes on one SQLite file name each other's changes.

Two real `sagicc serve` processes on one SQLite store, told of each other
through the feed file beside it (what `serve --workers N` sets up). Without
the feed the second process could only see its change token move, and every
client of it reloaded everything ("refresh") for every write on the first.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.remote.backend import RemoteBackend
from tests.factory import make_world
from tests.remote.test_fault import free_port, start_servers, wait_ready
from tests.support.remote_world import user_tokens


async def _next_change(backend: RemoteBackend, since: int, seconds: float = 15):
    for _ in range(int(seconds / 0.05)):
        found = await backend.changed_since(since)
        if found.token != since:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("no event came")


async def test_two_server_processes_on_one_sqlite_file_name_each_others_changes(tmp_path):
    db = str(tmp_path / "store.db")
    world = await make_world(db, blob_dir=tmp_path / "files")
    r = await world.incoming("a@x.com", "hola")
    world.set_ticket(r.ticket_id, assignee_id=None)
    tokens, _ = user_tokens(world)
    await world.aclose()
    ports, procs = start_servers(db, {"SAGICC_SERVER_FILES": str(tmp_path / "files"),
                                      "SAGICC_SERVER_FEED": db + "-live"})
    try:
        ana = await RemoteBackend.open(f"http://127.0.0.1:{ports[0]}", tokens["ana"])
        sofia = await RemoteBackend.open(f"http://127.0.0.1:{ports[1]}", tokens["sofia"])
        try:
            before = await sofia.change_token()  # subscribes to server 2's events
            ticket = await ana.get_ticket(ana.me, r.ticket_id)
            await ana.update_ticket(ana.me, r.ticket_id, TicketChanges(description="cambiado en el servidor 1"),
                                    expected_version=ticket.version)
            found = await _next_change(sofia, before)
            assert not found.change.refresh, "server 2 could only say 'refresh' of server 1's change"
            assert r.ticket_id in found.change.tickets
            # And back, from server 2 to server 1's client.
            mark = await ana.change_token()
            ticket = await sofia.get_ticket(sofia.me, r.ticket_id)
            await sofia.update_ticket(sofia.me, r.ticket_id, TicketChanges(description="y en el 2"),
                                      expected_version=ticket.version)
            found = await _next_change(ana, mark)
            assert not found.change.refresh and r.ticket_id in found.change.tickets
            # A program that is no server (a local store on the same file) announces
            # nothing: both processes' clients are told to refresh.
            mark = await sofia.change_token()
            local = await LocalBackend.open(db, blob_dir=tmp_path / "files")
            try:
                await local.ingest(_message())
            finally:
                await local.aclose()
            assert (await _next_change(sofia, mark)).change.refresh
        finally:
            await ana.aclose()
            await sofia.aclose()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(15)
    assert oct(os.stat(db + "-live").st_mode & 0o777) == "0o600"


def _message():
    from sagicc_tui.domain.enums import ChannelType
    from sagicc_tui.domain.ingest import IncomingMessage

    return IncomingMessage(channel=ChannelType.EMAIL, sender="otro@x.com", text="desde otro programa")


def test_serve_with_workers_on_sqlite_shares_changes_through_the_feed(tmp_path):
    """`serve --workers 2` on a SQLite file sets the feed up beside the store."""
    import asyncio as aio

    import httpx

    db = str(tmp_path / "store.db")
    world = aio.run(make_world(db, blob_dir=tmp_path / "files"))
    tokens, _ = user_tokens(world)
    aio.run(world.aclose())
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sagicc_tui", "serve", "--db", db, "--port", str(port),
                             "--workers", "2"], env={**os.environ, "SAGICC_SERVER_FILES": str(tmp_path / "files")},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        assert os.path.exists(db + "-live")
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/me", headers={"Authorization": f"Bearer {tokens['ana']}"})
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(15)


async def test_another_programs_write_while_the_server_writes_reaches_every_client(tmp_path):
    """#16.2: the watcher took every move of the change token while the server
    itself was writing (or while another worker's line was on its way) for the
    server's own, so another program's write landing then was never announced:
    the clients kept showing what was no longer true. Every writer now notes
    its commits in the store (local_store/commits.py); the server processes of
    one feed are one writer, and their own writes still never come back as a
    refresh."""
    import threading

    from sqlalchemy import text

    db = str(tmp_path / "store.db")
    world = await make_world(db, blob_dir=tmp_path / "files")
    r = await world.incoming("a@x.com", "hola")
    tokens, _ = user_tokens(world)
    await world.aclose()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sagicc_tui", "serve", "--db", db, "--port", str(port),
                             "--workers", "2"],
                            env={**os.environ, "SAGICC_SERVER_FILES": str(tmp_path / "files"),
                                 "SAGICC_BUSY_TIMEOUT": "60"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        admin = await RemoteBackend.open(f"http://127.0.0.1:{port}", tokens["admin"])
        try:
            await admin.change_token()  # subscribes
            await asyncio.sleep(1.5)  # the connect's own refresh has come
            # The server's own writes, through either worker: named, never a refresh.
            mark = await admin.change_token()
            for i in range(4):
                await admin.add_note(admin.me, r.ticket_id, f"nota {i}", "yellow")
                await asyncio.sleep(0.3)
            await asyncio.sleep(2.5)  # two more looks of each watcher
            found = await admin.changed_since(mark)
            assert found.token > mark and not found.change.refresh, found.change
            # Another program commits while a write of the server waits for its lock.
            local = await LocalBackend.open(db, blob_dir=tmp_path / "files")
            holding, go = threading.Event(), threading.Event()

            def other_program() -> None:
                with local.store.write() as conn:
                    conn.execute(text("UPDATE ticket SET description = 'cambiado por otro programa' WHERE id = :id"),
                                 {"id": r.ticket_id})
                    holding.set()
                    go.wait(30)

            try:
                mark = await admin.change_token()
                writer = asyncio.create_task(asyncio.to_thread(other_program))
                assert await asyncio.to_thread(holding.wait, 30)
                note = asyncio.create_task(admin.add_note(admin.me, r.ticket_id, "mientras tanto", "yellow"))
                await asyncio.sleep(1.5)  # the server's write waits in its queue; the watchers look meanwhile
                assert not note.done()
                go.set()
                await writer
                await note
                await asyncio.sleep(2.5)
                found = await admin.changed_since(mark)
                assert found.change.refresh, found.change
            finally:
                go.set()
                await local.aclose()
        finally:
            await admin.aclose()
    finally:
        proc.terminate()
        proc.wait(15)
