"""T9/T11: a draft survives the terminal being killed (SIGKILL) while typing.

A real process saves the composer draft the way a typing user does, is killed
without warning, and a new process opens the store: the last draft the first
process saw saved is there, whole, and the file passes integrity_check.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]

TYPIST = r"""
import asyncio, sys
from sagicc_tui.local_store.backend import LocalBackend

async def main(path, ticket_id, pause):
    backend = await LocalBackend.open(path)
    ana = await backend.get_user("ana")
    n, text = 0, ""
    while True:
        n += 1
        text += "palabra%d " % n
        await backend.save_draft(ana, ticket_id, "composer",
                                 {"n": n, "text": text, "subject": "Caso", "cc": ["jefe@empresa.co"]})
        print(n, flush=True)  # only after save_draft returned: the draft is committed
        if pause:
            await asyncio.sleep(pause)

asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
"""

READER = r"""
import asyncio, json, sqlite3, sys
from sagicc_tui.local_store.backend import LocalBackend

async def main(path, ticket_id):
    backend = await LocalBackend.open(path)
    ana = await backend.get_user("ana")
    draft = await backend.get_draft(ana, ticket_id, "composer")
    await backend.aclose()
    con = sqlite3.connect(path)
    check = con.execute("PRAGMA integrity_check").fetchall()
    con.close()
    print(json.dumps({"data": draft.data if draft else None, "integrity": check}))

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def _run_and_kill(path: str, ticket_id: int, pause: float, saves: int) -> int:
    """Start the typist, wait for `saves` committed drafts, SIGKILL it; returns the last one seen."""
    proc = subprocess.Popen(
        [sys.executable, "-c", TYPIST, path, str(ticket_id), str(pause)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    last = 0
    deadline = time.monotonic() + 60  # a readiness wait, not a speed check: workers share the cores
    try:
        while last < saves:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"the typist stopped: {proc.stderr.read()[-2000:]}")
            last = int(line)
            if time.monotonic() > deadline:
                pytest.fail(f"only {last} drafts saved in 60 s")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    for line in proc.stdout.read().split():  # printed before the kill, not read yet
        last = max(last, int(line))
    return last


def _read(path: str, ticket_id: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", READER, path, str(ticket_id)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30, check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize(("pause", "saves"), [(0.05, 12), (0.0, 150)], ids=["typing", "hammering"])
async def test_draft_survives_sigkill(world, pause, saves):
    r = await world.incoming("a@x.com", "hola")
    last = _run_and_kill(world.path, r.ticket_id, pause, saves)
    got = _read(world.path, r.ticket_id)
    assert got["integrity"] == [["ok"]]
    data = got["data"]
    # The last save the typist saw returned is there, or the one it was making
    # when killed, if that one had committed: never an older or a torn draft.
    assert data["n"] in (last, last + 1), (data["n"], last)
    assert data["text"] == "".join(f"palabra{i} " for i in range(1, data["n"] + 1))
    assert data["subject"] == "Caso" and data["cc"] == ["jefe@empresa.co"]
    # The terminal that survived sees it too.
    ana = await world.user("ana")
    assert (await world.backend.get_draft(ana, r.ticket_id, "composer")).data == data
