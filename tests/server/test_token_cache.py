"""Token lookups kept per server process (access.TokenCache, #16.3), with
revocation still immediate: through a real `sagicc serve --workers 2`, a
token used on both worker processes is revoked through one of them and
refused on its very next request through the other; a status change and a
disabled user are seen the same way. In-process: a kept lookup is used (the
cache hits), and a revocation by another process ends it at once. SQLite and
PostgreSQL.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import time

import psutil
import pytest
from sqlalchemy import text

from sagicc_tui.local_store import access
from tests.factory import make_world
from tests.support.served import serve, store_url


def _holder(proc, conn: http.client.HTTPConnection) -> int | None:
    """The pid of the server process that accepted this client connection."""
    mine = conn.sock.getsockname()[1]
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if any(c.raddr and c.raddr.port == mine for c in child.net_connections(kind="tcp")):
                return child.pid
        except psutil.NoSuchProcess:
            pass
    return None


def _on(s, pid: int | None) -> tuple[int, http.client.HTTPConnection]:
    """A new connection accepted by worker `pid` (None: by whichever), used
    at once: the server closes idle kept-alive connections after seconds."""
    port = int(s.url.rsplit(":", 1)[1])
    for _ in range(300):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        holder = None
        for _ in range(100):  # until a worker's event loop accepts it
            holder = _holder(s.proc, conn)
            if holder is not None:
                break
            time.sleep(0.02)
        if holder is not None and (pid is None or holder == pid):
            return holder, conn
        conn.close()
    raise AssertionError(f"no connection reached worker {pid}")


def _call(conn, path: str, token: str, method: str = "GET", body: dict | None = None) -> tuple[int, dict]:
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, (json.loads(data) if data else {})


def _workers(s) -> tuple[int, int]:
    """The two workers' pids, as connections find them (the kernel hands a
    connection to whichever worker accepts first)."""
    found: set[int] = set()
    for _ in range(300):
        pid, conn = _on(s, None)
        conn.close()
        found.add(pid)
        if len(found) == 2:
            return tuple(sorted(found))
    raise AssertionError("every connection went to one worker")


def _me(s, pid: int, who: str) -> tuple[int, dict]:
    return _call(_on(s, pid)[1], "/api/v1/me", s.tokens[who])


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_a_revoked_token_is_refused_at_once_by_the_other_worker(dialect, tmp_path, request) -> None:
    s = await serve(dialect, tmp_path, request, workers=2)
    try:
        first, second = _workers(s)
        for pid in (first, second, first, second):  # both workers keep the lookups now
            assert _me(s, pid, "ana")[1]["status"] == "available"
            assert _me(s, pid, "bruno")[0] == 200
        # A status change through one worker is what the other answers next.
        _, conn = _on(s, first)
        assert _call(conn, "/api/v1/me/status", s.tokens["ana"], "PUT", {"status": "busy"})[0] == 200
        assert _me(s, second, "ana")[1]["status"] == "busy"
        # Revoked through the first worker: refused on the next request through the second.
        _, conn = _on(s, first)
        assert _call(conn, "/api/v1/users/ana/tokens", s.tokens["admin"], "DELETE")[0] == 200
        assert _me(s, second, "ana")[0] == 401
        assert _me(s, first, "ana")[0] == 401
        # Another user disabled outside the server (another process): refused
        # at once by both workers, which had kept the lookup.
        with s.world.local.store.write() as conn:
            conn.execute(text("UPDATE app_user SET active = false WHERE username = 'bruno'"))
        assert _me(s, second, "bruno")[0] == 401 and _me(s, first, "bruno")[0] == 401
        assert _me(s, second, "admin")[0] == 200
    finally:
        s.stop()
        await s.world.local.aclose()


def _revoke(url: str, username: str) -> None:
    from sagicc_tui.local_store.core import Store

    store = Store(url)
    try:
        access.revoke_user_tokens(store, username)
    finally:
        store.engine.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_the_cache_keeps_lookups_and_drops_them_on_change(dialect, tmp_path, request) -> None:
    world = await make_world(store_url(dialect, tmp_path, request))
    try:
        store = world.local.store
        ana, gateway = access.issue_token(store, 3, "t"), access.issue_token(store, None, "g")
        cache = access.TokenCache()
        first = cache.signed_in(store, ana)
        assert first is not None and first[1].username == "ana" and cache.hits == 0
        assert cache.signed_in(store, ana) == first and cache.hits == 1
        assert cache.signed_in(store, gateway)[1] is None and cache.signed_in(store, gateway)[1] is None
        assert cache.hits == 2
        # a membership change is seen at once: the lookup is made again
        with store.write() as conn:
            conn.execute(text("INSERT INTO campaign_member (user_id, campaign_id) VALUES (3, 2)"))
        assert cache.signed_in(store, ana)[1].campaign_ids == (1, 2) and cache.hits == 2
        # revoked by another process: refused on the next lookup
        proc = multiprocessing.get_context("spawn").Process(target=_revoke, args=(world.path, "ana"))
        proc.start()
        proc.join(60)
        assert proc.exitcode == 0
        assert cache.signed_in(store, ana) is None
        assert cache.signed_in(store, "sgc_unknown") is None
    finally:
        await world.local.aclose()
