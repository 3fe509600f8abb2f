"""#10.9: presence survives a crash. A terminal SIGKILLed inside a ticket
stops heart-beating; after PRESENCE_TTL its user is Available again (on the
next start too) and its "also open by" entry is gone (real process, real
SQLite file, kill -9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from sagicc_tui.domain.enums import AgentStatus
from sagicc_tui.domain.ticket_screen import PRESENCE_TTL
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.backend import LocalBackend
from tests.factory import Clock, make_world

TERMINAL = textwrap.dedent("""
    import asyncio, sys, time
    from sagicc_tui.local_store.backend import LocalBackend

    async def main(path, ticket_id):
        b = await LocalBackend.open(path)  # the real clock
        ana = await b.get_user("ana")
        await b.enter_ticket(ana, ticket_id)
        await b.heartbeat(ana, ticket_id)
        print("inside", flush=True)
        while True:  # the ticket screen's heartbeat, until the kill
            await asyncio.sleep(0.5)
            await b.heartbeat(ana, ticket_id)

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
""")


def stored_status(backend: LocalBackend, user_id: int) -> str:
    us = schema.UserRow.__table__
    with backend.store.read() as conn:
        return conn.execute(select(us.c.status).where(us.c.id == user_id)).scalar_one()


async def test_a_terminal_killed_inside_a_ticket_does_not_leave_its_user_busy(tmp_path):
    path = tmp_path / "store.db"
    world = await make_world(path)
    r = await world.incoming("lucia@x.com", "Mi factura", name="Lucía")
    world.set_ticket(r.ticket_id, assignee_id=3)  # Ana's
    await world.aclose()

    terminal = subprocess.Popen([sys.executable, "-c", TERMINAL, str(path), str(r.ticket_id)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert terminal.stdout.readline().strip() == "inside", terminal.stderr.read()
        clock = Clock(datetime.now(UTC))
        here = await LocalBackend.open(str(path), clock=clock)  # Sofía's terminal, on the same file
        try:
            sofia, ana = await here.get_user("sofia"), await here.get_user("ana")
            assert ana.status is AgentStatus.BUSY
            await here.enter_ticket(sofia, r.ticket_id)
            assert [p.user_name for p in await here.heartbeat(sofia, r.ticket_id)] == ["Ana Agente"]

            os.kill(terminal.pid, signal.SIGKILL)
            assert terminal.wait(timeout=30) == -signal.SIGKILL
            killed_at = datetime.now(UTC)

            # Within the timeout a silent terminal may just be slow: still Busy, still there.
            clock.at = killed_at + timedelta(seconds=PRESENCE_TTL - 5)
            assert (await here.get_user("ana")).status is AgentStatus.BUSY
            assert [p.user_name for p in await here.heartbeat(sofia, r.ticket_id)] == ["Ana Agente"]

            # After it: Available everywhere a user is read, and the entry is gone.
            clock.at = killed_at + timedelta(seconds=PRESENCE_TTL + 1)
            assert (await here.get_user("ana")).status is AgentStatus.AVAILABLE
            assert {u.username: u.status for u in await here.list_users()}["ana"] is AgentStatus.AVAILABLE
            assert await here.heartbeat(sofia, r.ticket_id) == ()
            assert (await here.ticket_header(sofia, r.ticket_id)).others_viewing == ()
            # Sofía's heartbeat swept the dead presence: the stored status follows.
            assert stored_status(here, ana.id) == "available"
        finally:
            await here.aclose()

        # The next start (a new process's view of the file): Available, and she can work as usual.
        again = await LocalBackend.open(str(path), clock=Clock(killed_at + timedelta(seconds=PRESENCE_TTL + 2)))
        try:
            ana = await again.get_user("ana")
            assert ana.status is AgentStatus.AVAILABLE
            assert (await again.enter_ticket(ana, r.ticket_id)).status is AgentStatus.BUSY
            assert (await again.leave_ticket(ana, r.ticket_id)).status is AgentStatus.AVAILABLE
        finally:
            await again.aclose()
    finally:
        if terminal.poll() is None:
            terminal.kill()
            terminal.wait()
