"""P3 fault: the server dies after committing a sent message and before
answering; the client retries (same Idempotency-Key, same composer key);
exactly one message exists.

The server is a real `sagicc serve` process. The crash is injected at the
one moment we cannot time from outside (tests/support/die_after.py
makes the process SIGKILL itself after the send committed); a watcher restarts
the server on the same port, as a supervisor (systemd) would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from sagicc_tui.domain.enums import ChannelType, Direction
from sagicc_tui.domain.ticket_screen import OutgoingMessage
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.remote.backend import RemoteBackend
from tests.factory import make_world
from tests.support.remote_world import user_tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DIE_AFTER = Path(__file__).resolve().parent.parent / "support" / "die_after.py"


def start_server(db: str, port: int, env: dict[str, str], *, die_after: str | None = None) -> subprocess.Popen:
    launcher = ([str(DIE_AFTER), f"sagicc_tui.local_store.backend:LocalBackend.{die_after}"] if die_after
                else ["-m", "sagicc_tui"])
    return subprocess.Popen(
        [sys.executable, *launcher, "serve", "--db", db, "--port", str(port)],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def start_servers(db: str, env: dict[str, str], n: int = 2) -> tuple[list[int], list[subprocess.Popen]]:
    """`n` separate `sagicc serve` processes on one store, each on its own port, ready."""
    ports = [free_port() for _ in range(n)]
    procs = [start_server(db, p, env) for p in ports]
    for p, proc in zip(ports, procs, strict=True):
        wait_ready(f"http://127.0.0.1:{p}", proc)
    return ports, procs


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    # Generous: a readiness wait, not a speed check (four test workers share two cores).
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(url + "/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not start")


async def test_send_survives_a_crash_between_commit_and_answer(tmp_path):
    db = str(tmp_path / "store.db")
    world = await make_world(db)
    r = await world.incoming("a@x.com", "hola")
    tokens, _channel = user_tokens(world)
    await world.aclose()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"SAGICC_BUSY_TIMEOUT": "30"}
    first = start_server(db, port, env, die_after="send_message")
    procs = [first]
    try:
        wait_ready(url, first)

        def supervisor() -> None:
            first.wait()  # died (SIGKILL) right after committing the send
            procs.append(start_server(db, port, env))

        watcher = threading.Thread(target=supervisor, daemon=True)
        watcher.start()

        backend = await RemoteBackend.open(url, tokens["ana"], backoff=(0.5, 1, 2, 4, 4, 4))
        try:
            ana = backend.me
            message = OutgoingMessage(client_key="composer-7f3a", channel=ChannelType.EMAIL, contact="a@x.com",
                                      text="Su caso quedó resuelto.", subject="Caso")
            sent = await backend.send_message(ana, r.ticket_id, message)
            assert first.returncode == -9  # the first server really died mid-request
            assert sent.client_key == "composer-7f3a" and sent.direction is Direction.OUTGOING
        finally:
            await backend.aclose()
        watcher.join(5)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(10)

    store = (await LocalBackend.open(db)).store
    it = schema.InteractionRow.__table__
    with store.read() as conn:
        n = conn.execute(select(func.count()).select_from(it).where(
            it.c.ticket_id == r.ticket_id, it.c.direction == Direction.OUTGOING.value)).scalar()
    store.engine.dispose()
    assert n == 1
