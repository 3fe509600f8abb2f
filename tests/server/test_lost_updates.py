"""#10.2 Versions are checked, not values (P10).

8 client processes increment one counter by read-modify-write with the
version they read (If-Match over HTTP, expected_version locally). A write
whose version is stale must be refused even when its new value equals the
current one (two clients that read 5 both write 6): the counter must end at
exactly the number of writes the store accepted. Tickets and accounts; local
processes on one store and HTTP clients of a real `sagicc serve --workers 2`;
SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sagicc_tui.domain.customers import AccountInput
from tests.support.served import serve, store_url
from tests.factory import make_world

CLIENTS = 8
ATTEMPTS = 12
ROOT = Path(__file__).resolve().parents[2]


def _run_clients(mode: str, target: str, r, account, env: dict[str, str]) -> tuple[int, int]:
    """CLIENTS processes at once; the writes each counter accepted, summed."""
    args = [str(r.ticket_id), str(r.customer_id), str(account.id), str(ATTEMPTS)]
    procs = [subprocess.Popen([sys.executable, "-m", "tests.support.counter", mode, target, *args], cwd=ROOT,
                              env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(CLIENTS)]
    accepted = [0, 0]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()[-2000:]
        for n, value in enumerate(out.decode().split()[-2:]):
            accepted[n] += int(value)
    return accepted[0], accepted[1]


async def _counters(world):
    r = await world.incoming("contador@x.com", "contar")
    world.set_ticket(r.ticket_id, description="0")
    admin = await world.user("admin")
    account = await world.backend.add_account(admin, r.customer_id, AccountInput(number="C-1", name="0"))
    return r, account


async def _values(world, r, account) -> tuple[int, int]:
    admin = await world.user("admin")
    ticket = await world.backend.get_ticket(admin, r.ticket_id)
    acc = next(a for a in await world.backend.list_accounts(admin, r.customer_id) if a.id == account.id)
    return int(ticket.description), int(acc.name)


@pytest.mark.parametrize("dialect", ["sqlite", "pg"])
async def test_local_processes_lose_no_increment(dialect, tmp_path, request):
    url = store_url(dialect, tmp_path, request)
    world = await make_world(url, blob_dir=tmp_path / "files")
    try:
        r, account = await _counters(world)
        accepted = _run_clients("local", url, r, account, {})
        assert await _values(world, r, account) == accepted
        assert min(accepted) > 0
    finally:
        await world.aclose()


@pytest.mark.parametrize("dialect", ["sqlite", "pg"])
async def test_http_clients_lose_no_increment(dialect, tmp_path, request):
    s = await serve(dialect, tmp_path, request, workers=2)
    try:
        r, account = await _counters(s.world)
        accepted = _run_clients("http", s.url, r, account, {"COUNTER_TOKEN": s.tokens["admin"]})
        assert await _values(s.world, r, account) == accepted
        assert min(accepted) > 0
    finally:
        s.stop()
        await s.world.aclose()
