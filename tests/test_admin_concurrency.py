"""Administration under concurrency (issue #18.2): real processes on one store.

Several administrators save the same campaign at the same version: exactly one
save goes through, every other is refused as stale (never a silent overwrite),
and the change log holds exactly the winner's entry. Several processes add users
with the same name: exactly one is created. Several administrators save the
same user at the same version: one wins, the others are stale, the log has the
winner's change only. SQLite file and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factory import make_world

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WORKERS = 4

WORKER = r"""
import asyncio, dataclasses, json, sys
from sagicc_tui.domain.admin import UserInput
from sagicc_tui.domain.enums import Role
from sagicc_tui.domain.errors import InvalidInput, StaleWrite
from sagicc_tui.local_store.backend import LocalBackend

async def main(url, n, version):
    b = LocalBackend(url)
    admin = await b.get_user("admin")
    c = await b.get_campaign(admin, 1)
    print("ready", flush=True)
    sys.stdin.readline()
    out = {}
    try:
        await b.save_campaign(admin, 1, dataclasses.replace(c, script=f"guion {n}"), expected_version=version)
        out["campaign"] = "saved"
    except StaleWrite:
        out["campaign"] = "stale"
    try:
        await b.add_user(admin, UserInput(username="mismo", role=Role.AGENT))
        out["user"] = "added"
    except InvalidInput:
        out["user"] = "refused"
    except Exception as e:  # a unique-constraint race would land here: counted as a failure
        out["user"] = type(e).__name__
    print(json.dumps(out), flush=True)

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"""

USER_WORKER = r"""
import asyncio, json, sys
from sagicc_tui.domain.admin import UserChanges
from sagicc_tui.domain.errors import StaleWrite
from sagicc_tui.local_store.backend import LocalBackend

async def main(url, n):
    b = LocalBackend(url)
    admin = await b.get_user("admin")
    read = await b.get_user("bruno")
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        # Name and campaigns together: the membership rows move only with the winner.
        await b.update_user(admin, "bruno", UserChanges(full_name=f"Bruno {n}", campaign_ids=(1, 2) if n % 2 else (2,)),
                            expected_version=read.version)
        out = "saved"
    except StaleWrite:
        out = "stale"
    print(json.dumps({"n": n, "user": out}), flush=True)

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def _race(worker: str, *argv_of) -> list[dict]:
    procs = [subprocess.Popen([sys.executable, "-c", worker, *argv], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)
             for argv in argv_of]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    for p in procs:  # everyone has read; now they all save at once
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "postgresql":
        from tests.support.pg import pg_store_url

        u = pg_store_url(request)
    else:
        u = str(tmp_path / "admin.db")

    async def build():
        w = await make_world(u)
        await w.aclose()

    asyncio.run(build())
    return u


def test_one_save_wins_and_the_others_are_stale(url):
    results = _race(WORKER, *[(url, str(n), "1") for n in range(WORKERS)])
    assert sorted(r["campaign"] for r in results) == ["saved"] + ["stale"] * (WORKERS - 1), results
    assert sorted(r["user"] for r in results) == ["added"] + ["refused"] * (WORKERS - 1), results

    from sagicc_tui.domain.enums import EntityKind
    from sagicc_tui.local_store.backend import LocalBackend

    async def check():
        b = LocalBackend(url)
        admin = await b.get_user("admin")
        c = await b.get_campaign(admin, 1)
        log = [e for e in await b.change_log(admin, EntityKind.CAMPAIGN, 1) if e.field == "script"]
        await b.aclose()
        return c, log

    c, log = asyncio.run(check())
    assert c.version == 2 and len(log) == 1 and log[0].new == c.script


def test_one_user_save_wins_and_the_others_are_stale(url):
    """#18: update_user's version guard across processes (the row's compare-and-swap)."""
    results = _race(USER_WORKER, *[(url, str(n)) for n in range(WORKERS)])
    assert sorted(r["user"] for r in results) == ["saved"] + ["stale"] * (WORKERS - 1), results
    winner = next(r["n"] for r in results if r["user"] == "saved")

    from sagicc_tui.domain.enums import EntityKind
    from sagicc_tui.local_store.backend import LocalBackend

    async def check():
        b = LocalBackend(url)
        admin = await b.get_user("admin")
        bruno = await b.get_user("bruno")
        log = [e for e in await b.change_log(admin, EntityKind.USER, bruno.id) if e.field == "full_name"]
        await b.aclose()
        return bruno, log

    bruno, log = asyncio.run(check())
    assert bruno.full_name == f"Bruno {winner}" and bruno.version == 2
    assert bruno.campaign_ids == ((1, 2) if winner % 2 else (2,))
    assert [e.new for e in log] == [f"Bruno {winner}"]
