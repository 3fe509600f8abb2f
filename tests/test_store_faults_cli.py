"""#10.6 (CLI): on a full disk `sagicc ingest` says the disk is full (not
"could not be read") and how many lines went in; those lines are in the store
(a real tmpfs filled to the last byte, a real subprocess). A store on a
read-only mount says read-only."""

from __future__ import annotations

import asyncio
import json
import re

from sqlalchemy import func, select

from sagicc_tui.local_store import schema
from sagicc_tui.local_store.backend import LocalBackend
from tests.factory import make_world
from tests.support.tiny_disk import tiny_disk  # noqa: F401 - the fixture
from tests.test_cli import sagicc


def test_ingest_on_a_full_disk_says_so_and_how_far_it_got(tiny_disk, tmp_path):  # noqa: F811
    store = tiny_disk.path / "store.db"

    async def build():
        w = await make_world(store)
        await w.aclose()

    asyncio.run(build())
    src = tmp_path / "in.jsonl"  # beside, not on the small disk
    src.write_text("".join(json.dumps({"channel": "email", "from": f"c{i}@x.com", "name": f"Cliente {i}",
                                       "text": f"mensaje {i} " + "texto largo " * 300}) + "\n"
                           for i in range(3000)))
    tiny_disk.fill(leave=400_000)  # room for some lines, not for all
    proc = sagicc("--db", str(store), "ingest", str(src))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "could not be read" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert "is full" in last, proc.stderr
    m = re.search(r"stopped at line (\d+): .* The (\d+) lines before it are in the store", last)
    assert m, last
    stopped, done = int(m.group(1)), int(m.group(2))
    assert done >= 1 and stopped == done + 1

    tiny_disk.free()

    async def count() -> int:
        b = await LocalBackend.open(str(store))
        try:
            with b.store.read() as conn:
                return conn.execute(select(func.count()).select_from(schema.InteractionRow.__table__)).scalar_one()
        finally:
            await b.aclose()

    assert asyncio.run(count()) == done  # every line it says went in, and no other


def read_only_view(source, where):
    """`where` shows `source` through a read-only bind mount (a real EROFS)."""
    import subprocess

    where.mkdir()
    for cmd in (["mount", "--bind", str(source), str(where)], ["mount", "-o", "remount,bind,ro", str(where)]):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            subprocess.run(["umount", str(where)], capture_output=True)
            import pytest

            pytest.skip(f"a read-only bind mount is not possible here (needs root): {proc.stderr.strip()}")
    return where


def test_a_store_on_a_read_only_mount_says_read_only(tmp_path):
    import subprocess

    rw = tmp_path / "rw"
    proc = sagicc("demo", "--db", str(rw / "store.db"), "--tickets", "5")
    assert proc.returncode == 0, proc.stderr
    ro = read_only_view(rw, tmp_path / "ro")
    try:
        for args in (("users",), ("ingest", "-")):
            proc = sagicc("--db", str(ro / "store.db"), *args, stdin='{"channel": "email", "from": "a@b.co", "text": "x"}\n')
            assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
            lines = proc.stderr.strip().splitlines()
            assert len(lines) == 1 and "cannot be written (read-only" in lines[0], proc.stderr
    finally:
        subprocess.run(["umount", str(ro)], capture_output=True)
