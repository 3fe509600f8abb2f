"""`sagicc serve --workers 2`: a worker killed with SIGKILL is replaced, and
the server keeps answering on the same socket (issue #16)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.factory import make_world
from tests.remote.test_fault import free_port, wait_ready


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found |= {int(x) for x in text}
    return found


def _workers(pid: int, n: int, timeout: float = 30) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = _children(pid)
        if len(kids) == n:
            return kids
        time.sleep(0.1)
    raise AssertionError(f"expected {n} workers, found {_children(pid)}")


async def test_a_killed_worker_is_replaced(tmp_path):
    db = tmp_path / "store.db"
    world = await make_world(db)
    await world.aclose()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sagicc_tui", "serve", "--db", str(db), "--port", str(port),
                             "--workers", "2"], env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        before = _workers(proc.pid, 2)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _children(proc.pid)
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.1)
        now = _children(proc.pid)
        assert victim not in now and len(now) == 2, now
        # Fresh connections land on both workers; every one is answered.
        for _ in range(20):
            assert httpx.get(url + "/openapi.json", timeout=10).status_code == 200
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0  # the stop was graceful
    stderr = proc.stderr.read().decode()
    assert "starting another" in stderr
