"""#10.1 Idempotency-Key is exclusive while the first request runs (P10).

A real `sagicc serve --workers 2` (separate processes on one socket) over
SQLite and over PostgreSQL; 8 threads send one creating request with one key
at the same moment (a barrier), round after round. Exactly one change per
key, and every answer is the first one (replayed), never a second effect or
an error caused by the first request's effect.

And the client's own retry: a RemoteBackend whose read timeout is shorter
than a first request held on the store's lock sends the same key again (as
the real client does after its read timeout); still one note.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from sagicc_tui.domain.customers import MergeParts
from sagicc_tui.domain.enums import MassActionKind
from sagicc_tui.domain.models import TaskInput
from sagicc_tui.domain.query import MassAction, TicketSelection
from sagicc_tui.local_store import schema
from sagicc_tui.remote import wire
from sagicc_tui.remote.backend import WRITE_TIMEOUT, RemoteBackend
from sagicc_tui.remote.routes import hints
from sagicc_tui.server.idempotency import answer_wait
from tests.support.served import serve

CLIENTS = 8
ROUNDS = 4
TASK = TaskInput(values={"resultado": "Solucionado"}, observations="una vez")


@pytest.fixture(params=["sqlite", "pg"])
async def served(request, tmp_path):
    s = await serve(request.param, tmp_path, request, workers=2)
    try:
        yield s
    finally:
        s.stop()
        await s.world.aclose()


def _count(world, table, *where) -> int:
    with world.store.read() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _burst(s, path: str, body: dict, headers: dict) -> list[httpx.Response]:
    """CLIENTS requests with one key released at the same instant, each on its own connection."""
    barrier = threading.Barrier(CLIENTS)

    def one(_i: int) -> httpx.Response:
        with httpx.Client(base_url=s.url + "/api/v1", timeout=120) as client:
            client.get("/me", headers=s.auth())  # connected before the barrier
            barrier.wait()
            return client.post(path, json=body, headers=headers)

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, range(CLIENTS)))


async def _new_ticket(s, n: int):
    r = await s.world.incoming(f"cliente{n}-{uuid.uuid4().hex[:6]}@x.com", f"mensaje {n}")
    return r


def _other_answers(answers: list[httpx.Response]) -> int:
    """How many answers are not the first request's (a replay of it is the only right one):
    an error caused by the first one's effect, or a second effect's own answer."""
    first = next((a for a in answers if "idempotent-replayed" not in a.headers), answers[0])
    return sum(1 for a in answers if not (200 <= a.status_code < 300 and a.content == first.content))


async def test_same_key_notes_tasks_mass_actions_and_merges_take_effect_once(served):
    s = served
    nt, tk = schema.NoteRow.__table__, schema.TaskRow.__table__
    made = {"notes": 0, "tasks": 0, "mass tasks": 0, "other answers": 0}
    for n in range(ROUNDS):
        key = {**s.auth(), "Idempotency-Key": f"k-{uuid.uuid4()}"}
        # a note
        t = await _new_ticket(s, n)
        made["other answers"] += _other_answers(
            _burst(s, f"/tickets/{t.ticket_id}/notes", {"text": f"nota {n}", "color": "yellow"}, key))
        made["notes"] += _count(s.world, nt, nt.c.ticket_id == t.ticket_id)
        # a task
        key = {**s.auth(), "Idempotency-Key": f"k-{uuid.uuid4()}"}
        t = await _new_ticket(s, n)
        made["other answers"] += _other_answers(
            _burst(s, f"/tickets/{t.ticket_id}/tasks", {"task": wire.dump(TaskInput, TASK)}, key))
        made["tasks"] += _count(s.world, tk, tk.c.ticket_id == t.ticket_id)
        # a mass Add Task over three tickets
        key = {**s.auth(), "Idempotency-Key": f"k-{uuid.uuid4()}"}
        three = [(await _new_ticket(s, n)).ticket_id for _ in range(3)]
        action = MassAction(kind=MassActionKind.ADD_TASK, selection=TicketSelection(ids=frozenset(three)), task=TASK)
        made["other answers"] += _other_answers(
            _burst(s, "/mass-actions", {"action": wire.dump(hints("run_mass_action")["action"], action)}, key))
        made["mass tasks"] += _count(s.world, tk, tk.c.ticket_id.in_(three))
    assert made == {"notes": ROUNDS, "tasks": ROUNDS, "mass tasks": 3 * ROUNDS, "other answers": 0}


async def test_same_key_merges_take_effect_once(served):
    s = served
    cu, it = schema.CustomerRow.__table__, schema.InteractionRow.__table__
    made = {"customer merges": 0, "ticket merges": 0, "other answers": 0}
    for n in range(ROUNDS):
        # C6: merge one customer into another
        a, b = await _new_ticket(s, n), await _new_ticket(s, n)
        key = {**s.auth(), "Idempotency-Key": f"k-{uuid.uuid4()}"}
        made["other answers"] += _other_answers(_burst(
            s, f"/customers/{a.customer_id}/merge",
            {"other_ids": [b.customer_id], "parts": wire.dump(MergeParts, MergeParts())}, key))
        made["customer merges"] += _count(s.world, cu, cu.c.id == b.customer_id) == 0
        # T3: merge one ticket into another (If-Match: the first one's version)
        a, b = await _new_ticket(s, n), await _new_ticket(s, n)
        version = httpx.get(f"{s.url}/api/v1/tickets/{a.ticket_id}", headers=s.auth()).json()["version"]
        key = {**s.auth(), "Idempotency-Key": f"k-{uuid.uuid4()}", "If-Match": wire.etag(version)}
        made["other answers"] += _other_answers(
            _burst(s, f"/tickets/{a.ticket_id}/merge", {"other_number": b.ticket_number}, key))
        made["ticket merges"] += _count(s.world, it, it.c.ticket_id == a.ticket_id) == 2
    assert made == {"customer merges": ROUNDS, "ticket merges": ROUNDS, "other answers": 0}


def _hold_store_lock(s, seconds: float, held: threading.Event) -> None:
    """Another writer holds the lock the first request needs, for `seconds`."""
    if s.dialect == "sqlite":
        con = sqlite3.connect(s.world.path, timeout=30, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        con.execute("ROLLBACK")
        con.close()
        return
    import psycopg

    from sagicc_tui.local_store.engine import libpq_conninfo

    with psycopg.connect(libpq_conninfo(s.world.store.engine.url)) as con:
        con.execute("LOCK TABLE note IN EXCLUSIVE MODE")  # reads go on; a note insert waits
        held.set()
        time.sleep(seconds)
        con.rollback()


async def test_a_retry_during_a_long_first_request_takes_effect_once(served):
    import asyncio

    s = served
    t = await _new_ticket(s, 0)
    # Read timeout 1 s: the client gives up on the first request (held 4 s on
    # the lock) and retries with the same key, as after a real read timeout.
    backend = await RemoteBackend.open(s.url, s.tokens["admin"], backoff=(0.2, 0.5, 1, 2, 2, 2),
                                       timeout=httpx.Timeout(connect=5, read=1.0, write=5, pool=5))
    try:
        admin = backend.me
        held = threading.Event()
        locker = threading.Thread(target=_hold_store_lock, args=(s, 4.0, held))
        locker.start()
        assert held.wait(10), "the other writer never took the lock: the test would prove nothing"
        note = await backend.add_note(admin, t.ticket_id, "una sola vez", "yellow")
        await asyncio.to_thread(locker.join, 30)
    finally:
        await backend.aclose()
    nt = schema.NoteRow.__table__
    assert note.text == "una sola vez"
    assert _count(s.world, nt, nt.c.ticket_id == t.ticket_id) == 1


def test_the_clients_write_timeout_outlasts_the_servers_waits():
    # A write may wait the store's lock (30 s), a duplicate the first answer
    # (answer_wait); the client must not give up (and retry) before either.
    from sagicc_tui.local_store.engine import DEFAULT_BUSY_TIMEOUT

    assert WRITE_TIMEOUT.read > answer_wait() > DEFAULT_BUSY_TIMEOUT
