"""#15.1 C6 under concurrency: real processes merge two customers while
others edit them, all from the same reads (version 1). A merge and an edit
never both land: whoever commits first wins, the rest are refused (stale, or
the customer is gone), nothing is overwritten unseen. SQLite file and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factory import make_world

PROJECT_ROOT = Path(__file__).resolve().parents[1]

WORKER = r"""
import asyncio, json, sys
from sagicc_tui.domain.customers import CustomerInput, MergeParts
from sagicc_tui.domain.enums import IdType
from sagicc_tui.domain.errors import NotFound, StaleWrite
from sagicc_tui.local_store.backend import LocalBackend

async def main(url, role, main_id, other_id):
    b = LocalBackend(url)
    admin = await b.get_user("admin")
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        if role == "merge":
            await b.merge_customers(admin, main_id, [other_id], MergeParts(), [1, 1])
        else:
            target = main_id if role == "edit-main" else other_id
            await b.update_customer(admin, target, CustomerInput(id_type=IdType.CC, id_number=str(52000000 + target),
                                    first_name="Editado", last_name=role), expected_version=1)
        out = "done"
    except StaleWrite:
        out = "stale"
    except NotFound:
        out = "gone"
    print(json.dumps({"role": role, "out": out}), flush=True)
    await b.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
"""

ROLES = ["merge", "edit-other", "merge", "edit-main"]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "postgresql":
        from tests.support.pg import pg_store_url

        u = pg_store_url(request)
    else:
        u = str(tmp_path / "merge.db")

    async def build():
        from sagicc_tui.domain.customers import CustomerInput
        from sagicc_tui.domain.enums import IdType

        w = await make_world(u)
        admin = await w.user("admin")
        ids = []
        for last in ("Remoto", "Remoto"):
            c = await w.backend.create_customer(admin, CustomerInput(
                id_type=IdType.CC, id_number=str(52100000 + len(ids)), first_name="Duplicado", last_name=last))
            ids.append(c.id)
        await w.aclose()
        return ids

    return u, asyncio.run(build())


def test_a_merge_and_an_edit_never_both_land(store):
    url, (main_id, other_id) = store
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, role, str(main_id), str(other_id)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=PROJECT_ROOT) for role in ROLES]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    done = [r["role"] for r in results if r["out"] == "done"]
    assert done.count("merge") <= 1, results
    if "merge" in done:
        assert done == ["merge"], results  # every edit read version 1: refused, never applied after it
    else:
        assert sorted(done) in (["edit-main", "edit-other"], ["edit-other"], ["edit-main"]), results

    from sagicc_tui.domain.errors import NotFound
    from sagicc_tui.local_store.backend import LocalBackend

    async def check():
        b = LocalBackend(url)
        admin = await b.get_user("admin")
        main = await b.get_customer(admin, main_id)
        try:
            other = await b.get_customer(admin, other_id)
        except NotFound:
            other = None
        await b.aclose()
        return main, other

    main, other = asyncio.run(check())
    if "merge" in done:
        assert other is None and main.last_name == "Remoto" and main.version == 2
    else:
        assert other is not None
        assert (other.last_name == "edit-other") == ("edit-other" in done)
        assert (main.last_name == "edit-main") == ("edit-main" in done)
