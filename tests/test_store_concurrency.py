"""Multi-process concurrency tests for sagicc_tui.local_store.engine.

Real processes, real SQLite file.  The main test runs 8 processes x 200
read-modify-write transactions through ``write_tx`` and demands zero lock
errors and zero lost updates.  The negative control runs the same workload
with a deferred BEGIN and must fail, proving the main test would catch a
regression of the BEGIN IMMEDIATE discipline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text

from sagicc_tui.local_store.engine import (
    ChangeWatcher,
    StoreLocked,
    StoreUnavailable,
    data_version,
    make_engine,
    read_tx,
    write_tx,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]

WORKERS = 8
TX_PER_WORKER = 200
CONTROL_TX_PER_WORKER = 50

# Runs in a fresh interpreter (`python -c`), so it does not depend on how
# pytest imports this test module.  Prints "ready", waits for a line on stdin
# (so all workers start together), runs the workload, prints a JSON result.
WORKER_SRC = r"""
import json, random, sys, time
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sagicc_tui.local_store.engine import StoreLocked, make_engine, write_tx

url, mode, n, worker = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
engine = make_engine(url, write_begin=mode)
with engine.connect():  # open the pooled connection before the start signal
    pass
print("ready", flush=True)
sys.stdin.readline()

locked = other = ok = 0
first_other = None
for _ in range(n):
    try:
        with write_tx(engine) as conn:
            value = conn.execute(text("SELECT value FROM counter WHERE id = 1")).scalar_one()
            time.sleep(random.random() / 1000)  # widen the race window
            conn.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": value + 1})
            conn.execute(
                text("INSERT INTO journal (worker, seen) VALUES (:w, :s)"),
                {"w": worker, "s": value},
            )
        ok += 1
    except StoreLocked:
        locked += 1
    except OperationalError as exc:
        if "database is locked" in str(exc):
            locked += 1
        else:
            other += 1
            first_other = first_other or repr(exc)
    except Exception as exc:
        other += 1
        first_other = first_other or repr(exc)
engine.dispose()
print(json.dumps({"ok": ok, "locked": locked, "other": other, "first_other": first_other}), flush=True)
"""


def _setup_db(path: Path) -> None:
    engine = make_engine(str(path))
    with write_tx(engine) as conn:
        conn.exec_driver_sql(
            "CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"
        )
        conn.exec_driver_sql(
            "CREATE TABLE journal ("
            "id INTEGER PRIMARY KEY AUTOINCREMENT, worker INTEGER, seen INTEGER)"
        )
        conn.exec_driver_sql("INSERT INTO counter (id, value) VALUES (1, 0)")
    engine.dispose()


def _run_workers(path: Path, mode: str, n: int) -> list[dict]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PROJECT_ROOT), *filter(None, [env.get("PYTHONPATH")])]
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER_SRC, f"sqlite:///{path}", mode, str(n), str(i)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=PROJECT_ROOT,
            env=env,
        )
        for i in range(WORKERS)
    ]
    try:
        for p in procs:
            line = p.stdout.readline()
            assert line.strip() == "ready", (line, p.stderr.read())
        for p in procs:  # start signal: everyone at once
            p.stdin.write("go\n")
            p.stdin.flush()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def _final_state(path: Path) -> tuple[int, int, int, str]:
    engine = make_engine(str(path))
    try:
        with read_tx(engine) as conn:
            counter = conn.execute(text("SELECT value FROM counter WHERE id = 1")).scalar_one()
            rows = conn.execute(text("SELECT count(*) FROM journal")).scalar_one()
            distinct = conn.execute(text("SELECT count(DISTINCT seen) FROM journal")).scalar_one()
            integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar_one()
        return counter, rows, distinct, integrity
    finally:
        engine.dispose()


def test_concurrent_writers_no_lock_errors_no_lost_updates(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    _setup_db(db)
    results = _run_workers(db, "IMMEDIATE", TX_PER_WORKER)

    total = WORKERS * TX_PER_WORKER
    locked = sum(r["locked"] for r in results)
    other = sum(r["other"] for r in results)
    assert locked == 0, results
    assert other == 0, [r["first_other"] for r in results if r["other"]]
    assert sum(r["ok"] for r in results) == total

    counter, rows, distinct, integrity = _final_state(db)
    assert counter == total
    assert rows == total
    assert distinct == total  # every transaction saw a different value
    assert integrity == "ok"


def test_negative_control_deferred_begin_fails(tmp_path: Path) -> None:
    """Same workload with a deferred BEGIN: the read-then-write upgrade must
    hit SQLITE_BUSY (and/or lose updates).  If this ever passes cleanly, the
    main test above has lost its power to detect a regression."""
    db = tmp_path / "control.sqlite"
    _setup_db(db)
    results = _run_workers(db, "DEFERRED", CONTROL_TX_PER_WORKER)

    total = WORKERS * CONTROL_TX_PER_WORKER
    locked = sum(r["locked"] for r in results)
    other = sum(r["other"] for r in results)
    assert other == 0, [r["first_other"] for r in results if r["other"]]
    counter, _rows, _distinct, integrity = _final_state(db)
    assert integrity == "ok"
    assert locked > 0 or counter < total, (locked, counter)


# --------------------------------------------------------------------------
# Single-process behaviour
# --------------------------------------------------------------------------


@pytest.fixture
def engine(tmp_path: Path):
    db = tmp_path / "unit.sqlite"
    _setup_db(db)
    eng = make_engine(str(db))
    yield eng
    eng.dispose()


def _counter(engine) -> int:
    with read_tx(engine) as conn:
        return conn.execute(text("SELECT value FROM counter WHERE id = 1")).scalar_one()


def test_begin_statements(engine) -> None:
    seen: list[str] = []

    def capture(conn, cursor, statement, params, context, executemany):
        if statement.upper().startswith("BEGIN"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    with write_tx(engine) as conn:
        conn.execute(text("SELECT 1"))
    with read_tx(engine) as conn:
        conn.execute(text("SELECT 1"))
    assert seen == ["BEGIN IMMEDIATE", "BEGIN"]

    control = make_engine(engine.url, write_begin="DEFERRED")
    seen.clear()
    event.listen(control, "before_cursor_execute", capture)
    with write_tx(control) as conn:
        conn.execute(text("SELECT 1"))
    control.dispose()
    assert seen == ["BEGIN"]


def test_pragmas(engine) -> None:
    with read_tx(engine) as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30000


def test_write_tx_rolls_back_on_exception(engine) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with write_tx(engine) as conn:
            conn.execute(text("UPDATE counter SET value = 99 WHERE id = 1"))
            conn.execute(text("INSERT INTO journal (worker, seen) VALUES (1, 1)"))
            raise Boom()

    assert _counter(engine) == 0
    with read_tx(engine) as conn:
        assert conn.execute(text("SELECT count(*) FROM journal")).scalar_one() == 0

    with write_tx(engine) as conn:
        conn.execute(text("UPDATE counter SET value = 5 WHERE id = 1"))
    assert _counter(engine) == 5


def test_read_does_not_block_while_write_is_held(engine) -> None:
    with write_tx(engine) as wconn:
        wconn.execute(text("UPDATE counter SET value = 42 WHERE id = 1"))
        # The write lock is held (BEGIN IMMEDIATE + uncommitted update).  A
        # reader on another pooled connection must proceed from its snapshot.
        # If it blocked it would wait out the busy timeout and raise
        # StoreLocked, failing the test; run it in a thread so a hang can
        # never wedge the suite.
        result: dict = {}

        def reader() -> None:
            try:
                result["value"] = _counter(engine)
            except BaseException as exc:  # pragma: no cover - failure path
                result["error"] = exc

        t = threading.Thread(target=reader)
        t.start()
        t.join(timeout=60)
        assert not t.is_alive(), "read_tx blocked behind a write_tx"
        assert "error" not in result, result.get("error")
        assert result["value"] == 0  # snapshot: uncommitted write invisible
    assert _counter(engine) == 42


def test_second_writer_gets_store_locked(tmp_path: Path) -> None:
    db = tmp_path / "locked.sqlite"
    _setup_db(db)
    holder = make_engine(str(db))
    impatient = make_engine(str(db), busy_timeout=0.2)
    try:
        with write_tx(holder):
            with pytest.raises(StoreLocked) as info:
                with write_tx(impatient) as conn:
                    conn.execute(text("UPDATE counter SET value = 1 WHERE id = 1"))
        assert str(info.value) == (
            f"The store file {db} is locked by another program; try again in a moment."
        )
    finally:
        holder.dispose()
        impatient.dispose()


def test_change_watcher(engine) -> None:
    with ChangeWatcher(engine) as watcher:
        assert watcher.changed() is False

        with read_tx(engine) as conn:
            conn.execute(text("SELECT value FROM counter"))
        assert watcher.changed() is False

        with write_tx(engine) as conn:
            conn.execute(text("UPDATE counter SET value = value + 1 WHERE id = 1"))
        assert watcher.changed() is True
        assert watcher.changed() is False

        # A rolled-back write is not a change.
        with pytest.raises(ZeroDivisionError):
            with write_tx(engine) as conn:
                conn.execute(text("UPDATE counter SET value = 7 WHERE id = 1"))
                1 / 0
        assert watcher.changed() is False

        # A commit from a completely separate engine (another "terminal").
        other = make_engine(engine.url)
        with write_tx(other) as conn:
            conn.execute(text("UPDATE counter SET value = value + 1 WHERE id = 1"))
        other.dispose()
        assert watcher.changed() is True


def test_data_version_is_int(engine) -> None:
    with read_tx(engine) as conn:
        assert isinstance(data_version(conn), int)


def test_store_unavailable_for_directory(tmp_path: Path) -> None:
    a_dir = tmp_path / "not_a_file"
    a_dir.mkdir()
    eng = make_engine(str(a_dir))
    try:
        with pytest.raises(StoreUnavailable) as info:
            with read_tx(eng):
                pass
        msg = str(info.value)
        assert msg.startswith(f"Cannot open the store file {a_dir}: ")
        assert msg.endswith(". Check the path and its permissions.")
        with pytest.raises(StoreUnavailable):
            with write_tx(eng):
                pass
    finally:
        eng.dispose()


def test_store_unavailable_when_parent_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(StoreUnavailable) as info:
        make_engine(str(blocker / "sub" / "store.sqlite"))
    assert str(info.value).endswith(". Check the path and its permissions.")
