"""Done-when of #6: two agents in two terminals, each on a different server
process in front of one PostgreSQL store, see each other's changes live.

Two real `sagicc serve` processes; events cross them through LISTEN/NOTIFY.
Without PostgreSQL this FAILS with the reason (CI must run it).
"""

from __future__ import annotations

import asyncio

import pytest

from sagicc_tui.remote.backend import RemoteBackend
from tests.factory import make_world
from tests.remote.test_fault import start_servers
from tests.support.pg import migrated_schema, pg_available, release_schema
from tests.support.remote_world import user_tokens
from sagicc_tui.domain.ticket_changes import TicketChanges


async def _moves(backend: RemoteBackend, before: int, seconds: float = 10) -> bool:
    for _ in range(int(seconds / 0.05)):
        if await backend.change_token() != before:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_two_server_processes_on_postgresql_share_changes_live(tmp_path):
    reason = pg_available()
    if reason:
        pytest.fail(f"PostgreSQL is required for this test and is not reachable: {reason}")
    name, url = migrated_schema()
    procs = []
    try:
        world = await make_world(url, blob_dir=tmp_path / "files")
        r = await world.incoming("a@x.com", "hola")
        world.set_ticket(r.ticket_id, assignee_id=None)
        tokens, _ = user_tokens(world)
        await world.aclose()

        ports, procs = start_servers(url, {"SAGICC_SERVER_FILES": str(tmp_path / "files")})
        ana = await RemoteBackend.open(f"http://127.0.0.1:{ports[0]}", tokens["ana"])
        sofia = await RemoteBackend.open(f"http://127.0.0.1:{ports[1]}", tokens["sofia"])
        try:
            before = await sofia.change_token()  # subscribes to server 2's events
            ticket = await ana.get_ticket(ana.me, r.ticket_id)
            await ana.update_ticket(ana.me, r.ticket_id, TicketChanges(description="Ana lo cambió en el servidor 1"),
                                    expected_version=ticket.version)
            assert await _moves(sofia, before), "server 2's client never heard of server 1's change"
            seen = await sofia.get_ticket(sofia.me, r.ticket_id)
            assert seen.description == "Ana lo cambió en el servidor 1"

            # And back: sofia's change on server 2 reaches ana on server 1.
            before = await ana.change_token()
            await sofia.add_note(sofia.me, r.ticket_id, "Revisado", "yellow")
            assert await _moves(ana, before)
            assert [n.text for n in await ana.list_notes(ana.me, r.ticket_id)] == ["Revisado"]
        finally:
            await ana.aclose()
            await sofia.aclose()
        # The changes crossed by NOTIFY, not by the "reconnected" refresh a server sends
        # its clients each time its LISTEN connection fails (the test's URL has two
        # -c options: their rendered "+" once made every LISTEN connection fail).
        for proc in procs:
            proc.terminate()
            _, err = proc.communicate(timeout=20)
            assert b"LISTEN connection lost" not in err, err.decode()[-2000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)
        release_schema(name)
