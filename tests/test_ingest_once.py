"""#10.4 ingest exactly once, line by line: bad lines are reported one by one,
the good ones go in; a re-run, a kill -9 and a resume, or a retried /inbound
never add a message (or its files) twice. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading

import httpx
import pytest
from sqlalchemy import text

from tests.factory import make_world

ENV = {**os.environ, "SAGICC_LANG": "en", "NO_COLOR": "1"}


@pytest.fixture(params=["sqlite", "pg"])
def db(request, tmp_path) -> str:
    if request.param == "pg":
        from tests.support.pg import pg_store_url

        url = pg_store_url(request)
    else:
        url = str(tmp_path / "store.db")

    async def build():
        w = await make_world(url, blob_dir=tmp_path / "files")
        await w.backend.aclose()

    asyncio.run(build())
    return url


def _env(tmp_path) -> dict:
    # The CLI finds the blobs next to a SQLite file; a PostgreSQL store's in the data dir.
    return {**ENV, "SAGICC_DATA_DIR": str(tmp_path / "data")}


def sagicc(tmp_path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sagicc_tui", *args], input=stdin, capture_output=True,
                          env=_env(tmp_path), timeout=300)


def count(db: str, sql: str) -> int:
    from sagicc_tui.local_store.core import Store

    store = Store(db)
    try:
        with store.read() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        store.engine.dispose()


def line(**kw) -> bytes:
    return json.dumps({"channel": "email", **kw}).encode() + b"\n"


def test_each_bad_line_is_one_reported_line_and_the_good_ones_go_in(db, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join([
        line(**{"from": "uno@x.com", "text": "primera"}),                         # 1 good
        b'{"channel": "email", "from": "b@x.com", "text": "caf\xe9 \xff"}\n',     # 2 invalid UTF-8
        line(**{"from": "dos@x.com", "text": "segunda"}),                         # 3 good
        b'{"channel": "email", "from": "c@x.com", "text": "a \\ud800 b"}\n',      # 4 lone surrogate
        b'{"channel": "email", "from": "d@x.com", "text": "nul \\u0000"}\n',      # 5 NUL
        b"[" * 200_000 + b"]" * 200_000 + b"\n",                                   # 6 deep nesting
        b'{"channel": "email", "from": "e@x.com", "text": "' + b"x" * 10_000_000 + b'"}\n',  # 7 a 10 MB line
        line(**{"from": 5, "text": "x"}),                                          # 8 wrong type
        line(**{"from": "f@x.com", "text": "x", "attachments": "f.pdf"}),          # 9 wrong type
        line(**{"from": "g@x.com", "text": ["x"]}),                                # 10 wrong type
        line(**{"from": "tres@x.com", "text": "tercera"}),                        # 11 good
    ]))
    proc = sagicc(tmp_path, "--db", db, "ingest", str(src))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err, err
    reported = [ln for ln in err.splitlines() if ln.startswith("sagicc: line ")]
    assert [int(ln.split()[2].rstrip(":")) for ln in reported] == [2, 4, 5, 6, 7, 8, 9, 10]
    reasons = dict((int(ln.split()[2].rstrip(":")), ln) for ln in reported)
    assert "UTF-8" in reasons[2] and "surrogate" in reasons[4] and "NUL" in reasons[5]
    assert "nested too deeply" in reasons[6] and "longer than 1 MB" in reasons[7]
    assert "'from' must be text" in reasons[8] and "attachments" in reasons[9] and "'text' must be text" in reasons[10]
    assert "3 interactions ingested (3 new tickets), 0 already in the store, 8 lines refused." in err
    assert count(db, "SELECT count(*) FROM interaction") == 3


def test_running_the_same_file_again_adds_nothing(db, tmp_path):
    attachment = tmp_path / "factura.pdf"
    attachment.write_bytes(b"%PDF-1.4 factura")
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join([
        line(**{"from": "ana@x.com", "text": "hola", "time": "2026-11-25T10:00:00Z", "attachments": [str(attachment)]}),
        line(**{"from": "ana@x.com", "text": "hola otra vez", "time": "2026-11-25T10:05:00Z"}),
        line(**{"from": "ben@x.com", "text": "sin hora"}),
        line(**{"channel": "whatsapp", "from": "+57 300 111 2233", "text": "ok", "id": "wamid.77"}),
    ]))
    first = sagicc(tmp_path, "--db", db, "ingest", str(src))
    assert first.returncode == 0, first.stderr
    again = sagicc(tmp_path, "--db", db, "ingest", str(src), "--json")
    assert again.returncode == 0, again.stderr
    assert "0 interactions ingested (0 new tickets), 4 already in the store, 0 lines refused." in again.stderr.decode()
    assert all(json.loads(x)["duplicate"] for x in again.stdout.decode().splitlines())
    assert count(db, "SELECT count(*) FROM interaction") == 4
    assert count(db, "SELECT count(*) FROM attachment") == 1
    assert count(db, "SELECT count(*) FROM ticket") == 3


def test_killed_mid_ingest_then_run_again_gives_each_message_once(db, tmp_path):
    n = 1500
    attachment = tmp_path / "foto.jpg"
    attachment.write_bytes(b"\xff\xd8 jpeg")
    src = tmp_path / "big.jsonl"
    src.write_bytes(b"".join(
        line(**{"from": f"c{i % 97}@x.com", "text": f"mensaje {i}", "time": f"2026-11-25T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
                **({"attachments": [str(attachment)]} if i % 10 == 0 else {})})
        for i in range(n)))
    env = _env(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "sagicc_tui", "--db", db, "ingest", str(src)],
                            stderr=subprocess.PIPE, env=env)
    # The ingest says how far it got as it runs: kill it once it has said so.
    progress = proc.stderr.readline().decode()
    assert progress.strip().startswith("line "), progress
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    done = count(db, "SELECT count(*) FROM interaction")
    assert 0 < done < n, done  # really killed in the middle
    resumed = sagicc(tmp_path, "--db", db, "ingest", str(src))
    assert resumed.returncode == 0, resumed.stderr
    assert count(db, "SELECT count(*) FROM interaction") == n
    assert count(db, "SELECT count(*) FROM (SELECT content FROM interaction GROUP BY content "
                     "HAVING count(*) > 1) AS twice") == 0
    assert count(db, "SELECT count(*) FROM attachment") == n // 10
    assert count(db, "SELECT count(*) FROM message_identity") == n


def test_inbound_retries_and_concurrent_duplicates_add_one_message(db, tmp_path):
    from sagicc_tui.local_store import access
    from sagicc_tui.local_store.backend import LocalBackend
    from sagicc_tui.server.app import create_app
    from tests.support.remote_world import ServerThread

    backend = asyncio.run(LocalBackend.open(db, blob_dir=tmp_path / "files"))
    token = access.issue_token(backend.store, None, "gateway")
    server = ServerThread(create_app(backend))
    url = server.start()
    try:
        auth = {"Authorization": f"Bearer {token}"}
        body = {"channel": "whatsapp", "sender": "+57 300 999 0000", "text": "¿Llegó mi pedido?"}
        answers: list[httpx.Response] = []
        barrier = threading.Barrier(8)

        def post(headers: dict, payload: dict) -> None:
            with httpx.Client(base_url=url, timeout=60) as c:
                barrier.wait()
                answers.append(c.post("/api/v1/inbound", json=payload, headers={**auth, **headers}))

        # 8 concurrent copies with one Idempotency-Key (and no time: only the key ties them)
        threads = [threading.Thread(target=post, args=({"Idempotency-Key": "k-1"}, body)) for _ in range(8)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert sorted(r.status_code for r in answers) == [200] * 7 + [201], [r.text for r in answers]
        assert len({r.json()["ticket_id"] for r in answers}) == 1
        # 8 concurrent copies with the gateway's own id and different keys
        answers.clear()
        with_id = {**body, "text": "segundo", "id": "wamid.9"}
        threads = [threading.Thread(target=post, args=({"Idempotency-Key": f"k-{i + 2}"}, with_id)) for i in range(8)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert sorted(r.status_code for r in answers) == [200] * 7 + [201], [r.text for r in answers]
        with httpx.Client(base_url=url, timeout=60) as c:
            reused = c.post("/api/v1/inbound", json={**body, "text": "otra cosa"},
                            headers={**auth, "Idempotency-Key": "k-1"})
            assert reused.status_code == 422 and "Idempotency-Key" in reused.json()["detail"]
            again = c.post("/api/v1/inbound", json=with_id, headers=auth)
            assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert count(db, "SELECT count(*) FROM interaction") == 2
    finally:
        asyncio.run(server.stop())
        asyncio.run(backend.aclose())


def test_ingest_reports_progress_and_resumes_from_stdin(db, tmp_path):
    data = b"".join(line(**{"from": f"s{i}@x.com", "text": f"t{i}", "id": f"<{i}@x>"}) for i in range(5))
    first = sagicc(tmp_path, "--db", db, "ingest", "-", stdin=data[: len(data) // 2])
    assert first.returncode in (0, 1)  # the cut may split a line: that line is reported
    second = sagicc(tmp_path, "--db", db, "ingest", "-", stdin=data)
    assert second.returncode == 0, second.stderr
    assert count(db, "SELECT count(*) FROM interaction") == 5


def test_two_ingests_of_one_file_at_once_add_each_message_once(db, tmp_path):
    n = 300
    src = tmp_path / "both.jsonl"
    src.write_bytes(b"".join(line(**{"from": f"p{i % 40}@x.com", "text": f"a la vez {i}", "id": f"gw-{i}"})
                             for i in range(n)))
    procs = [subprocess.Popen([sys.executable, "-m", "sagicc_tui", "--db", db, "ingest", str(src)],
                              stderr=subprocess.PIPE, env=_env(tmp_path)) for _ in range(2)]
    errs = [p.communicate(timeout=300)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    added = [int(re.search(r"(\d+) interactions ingested", e).group(1)) for e in errs]
    dupes = [int(re.search(r"(\d+) already in the store", e).group(1)) for e in errs]
    assert sum(added) == n and [a + d for a, d in zip(added, dupes)] == [n, n], errs
    assert count(db, "SELECT count(*) FROM interaction") == n
    assert count(db, "SELECT count(*) FROM ticket") == 40
