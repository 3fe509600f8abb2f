"""Idempotency-Key on the server: one change per key, whatever arrives meanwhile.

The key is taken in the change's own transaction (local_store/idempotency.py).
A request whose key is already taken never runs again: it waits for the
first request's answer and replays it, or -- when the first is still running
after `answer_wait()`, or died after its change committed -- gets a 409 that
says the change was made. Only a method whose store recognises the repeat by
itself (a message's client_key) is run again after its first request died,
to give the caller its answer.

Timeouts, consistent end to end: a write may wait `SAGICC_BUSY_TIMEOUT`
(30 s) for the store's lock; a duplicate waits `answer_wait()` = that plus
10 s for the first answer; the remote client's read timeout for writes
(remote/backend.py WRITE_TIMEOUT, 60 s) is longer than both, so the client
does not give up (and retry) while the server is still legitimately waiting,
and when it does retry, the retry carries the same key and waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from collections.abc import Awaitable, Callable

from fastapi.responses import JSONResponse, Response

from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.messages import N_
from sagicc_tui.local_store import access
from sagicc_tui.local_store import idempotency as keys
from sagicc_tui.local_store.engine import DEFAULT_BUSY_TIMEOUT
from sagicc_tui.remote import wire

#: Pause between two looks at a key whose first request is still running.
POLL = (0.02, 0.05, 0.1, 0.2, 0.25)


def answer_wait() -> float:
    """Seconds a duplicate waits for the first request's answer."""
    try:
        busy = float(os.environ.get("SAGICC_BUSY_TIMEOUT") or DEFAULT_BUSY_TIMEOUT)
    except ValueError:
        busy = DEFAULT_BUSY_TIMEOUT
    return busy + 10.0


def _start_time(pid: int) -> str | None:
    """The process's start (clock ticks since boot, Linux); None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # The name (field 2) may hold spaces and parentheses: split after the last ")".
    return stat[stat.rfind(b")") + 2:].split()[19].decode()


_owner: tuple[int, str] | None = None


def owner() -> str:
    """This process as a key's holder: host, pid and start (the pid alone can be reused)."""
    global _owner
    pid = os.getpid()  # per call: `--workers` forks after import
    if _owner is None or _owner[0] != pid:
        _owner = (pid, f"{socket.gethostname()} {pid} {_start_time(pid) or '-'}")
    return _owner[1]


def holder_alive(claimed_by: str) -> bool:
    """False only when the holder is surely gone: a process of this host that
    no longer runs (or whose pid now belongs to another process)."""
    try:
        host, pid_text, start = claimed_by.split(" ")
        pid = int(pid_text)
    except ValueError:
        return True  # unknown holder: only the wait's end decides
    if host != socket.gethostname() or pid == os.getpid():
        return True
    now = _start_time(pid)
    if now is not None:
        return start in ("-", now)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return start == "-"


def request_hash(parts: object) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


Run = Callable[[], Awaitable[Response]]


async def once(store, token_id: int, key: str, digest: str, run: Run, *, rerun_safe: bool = False) -> Response:
    """The answer to a creating request with an Idempotency-Key: its own when it
    made the change, otherwise the first request's (waited for)."""
    for _attempt in range(100):
        kept = await asyncio.to_thread(keys.read, store, token_id, key)
        if kept is not None:
            return await _settle(store, token_id, key, digest, kept, run, rerun_safe)
        claim = keys.Claim(token_id, key, digest, owner())
        try:
            with keys.claiming(claim):
                response = await run()
        except keys.KeyTaken:
            continue  # another request's change committed with the key: its answer is ours
        except SagiccError as exc:
            status, doc = wire.problem_for(exc)
            if claim.taken:  # the change committed, then a later step refused
                await store.writes.run(keys.finish, store, token_id, key, status, json.dumps(doc))
                raise
            if status >= 500:
                raise  # the store was unavailable: nothing was done, a retry may run
            theirs = await store.writes.run(access.keep_answer, store, token_id, key, digest, status,
                                            json.dumps(doc))
            if theirs.body == json.dumps(doc) and theirs.status == status and theirs.request_hash == digest:
                raise
            continue  # nothing done here; another request holds the key meanwhile
        except BaseException:
            if claim.taken:
                with contextlib.suppress(Exception):
                    await store.writes.run(keys.finish, store, token_id, key, keys.LOST, "")
            raise
        body = bytes(response.body) if response.status_code != 204 else b""
        if claim.taken:
            await store.writes.run(keys.finish, store, token_id, key, response.status_code, body.decode())
            return response
        theirs = await store.writes.run(access.keep_answer, store, token_id, key, digest, response.status_code,
                                        body.decode())
        if theirs.request_hash == digest and theirs.status == response.status_code and theirs.body == body.decode():
            return response
        # Our run changed nothing, and another request took the key meanwhile: its answer counts.
    raise RuntimeError("the Idempotency-Key was taken and released a hundred times in a row")


async def _settle(store, token_id: int, key: str, digest: str, kept: keys.KeptKey, run: Run,
                  rerun_safe: bool) -> Response:
    deadline = time.monotonic() + answer_wait()
    pause = iter(POLL)
    while True:
        if kept.request_hash != digest:
            return _problem(422, "idempotency-key-reused", "Idempotency-Key reused", N_(
                "This Idempotency-Key was already used for a different request; use a new key for a new request."))
        if kept.status > 0:
            return replay(kept.status, kept.body)
        dead = kept.status == keys.LOST or not holder_alive(kept.claimed_by)
        if dead and rerun_safe:
            # The store knows this change by its own key (a message's
            # client_key): running it again returns what was done, once.
            response = await run()
            body = bytes(response.body) if response.status_code != 204 else b""
            await store.writes.run(keys.finish, store, token_id, key, response.status_code, body.decode())
            return response
        if dead:
            return _problem(409, "idempotency-answer-lost", "Done, answer lost", N_(
                "This request was already carried out, but the server stopped before answering it; reload to "
                "see the result instead of sending it again."))
        if time.monotonic() >= deadline:
            return _problem(409, "idempotency-key-running", "Still running", N_(
                "A request with this Idempotency-Key is still running and its change has been made; reload in "
                "a moment to see the result instead of sending it again."))
        await asyncio.sleep(next(pause, POLL[-1]))
        again = await asyncio.to_thread(keys.read, store, token_id, key)
        if again is None:  # pruned meanwhile (a day later): as good as a first request
            return await once(store, token_id, key, digest, run, rerun_safe=rerun_safe)
        kept = again


def replay(status: int, body: str) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    if status == 204:
        return Response(status_code=204, headers=headers)
    media = wire.PROBLEM_JSON if status >= 400 else "application/json"
    return Response(body.encode(), status_code=status, media_type=media, headers=headers)


def _problem(status: int, kind: str, title: str, template: str) -> Response:
    return JSONResponse(wire.problem(status, kind, title, template), status_code=status,
                        media_type=wire.PROBLEM_JSON)
