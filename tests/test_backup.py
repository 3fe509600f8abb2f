"""`sagicc backup` (issue #18.5): a consistent copy of a SQLite store while
another process keeps writing; for PostgreSQL, the pg_dump line."""

from __future__ import annotations

import pytest

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

from sagicc_tui import cli
from tests.factory import make_world

PROJECT_ROOT = Path(__file__).resolve().parents[1]

WRITER = r"""
import sys, time
from sagicc_tui.local_store.engine import make_engine, write_tx
from sqlalchemy import text
engine = make_engine(sys.argv[1], busy_timeout=30)
print("ready", flush=True)
n = 0
while n < 400:
    with write_tx(engine) as conn:
        conn.execute(text("INSERT INTO meta(key, value) VALUES (:k, 'x')"), {"k": f"w{n}"})
    n += 1
print(n, flush=True)
"""


def test_sqlite_backup_while_another_process_writes(tmp_path, capsys):
    db = tmp_path / "live.db"

    async def build():
        w = await make_world(db)
        for i in range(20):
            await w.incoming(f"c{i}@example.com", f"hola {i}")
        await w.aclose()

    asyncio.run(build())
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True,
                              cwd=PROJECT_ROOT)
    assert writer.stdout.readline().strip() == "ready"
    copy = tmp_path / "copy.db"
    code = cli.main(["backup", "--db", str(db), str(copy)])
    _out, err = capsys.readouterr()
    assert code == 0, err
    assert writer.wait(120) == 0
    con = sqlite3.connect(copy)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("SELECT count(*) FROM ticket").fetchone() == (20,)
    written = con.execute("SELECT count(*) FROM meta WHERE key LIKE 'w%'").fetchone()[0]
    assert 0 <= written <= 400  # a snapshot of some moment of the writes, whole
    con.close()
    assert not list(tmp_path.glob("*.partial"))
    # Never over an existing file.
    code = cli.main(["backup", "--db", str(db), str(copy)])
    assert code == 1 and "already exists" in capsys.readouterr().err


def test_postgresql_backup_prints_the_pg_dump_line(capsys):
    url = "postgresql+psycopg://sagicc@db.internal/sagicc?options=-csearch_path%3Dt_abc"
    assert cli.main(["backup", "--db", url, "/backup/x.dump"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("pg_dump --format=custom --file=/backup/x.dump --schema=t_abc 'postgresql://sagicc@db.internal/sagicc'")


@pytest.mark.parametrize(("options", "schemas"), [
    ("-csearch_path%3Dt_abc%20-cstatement_timeout%3D5000", " --schema=t_abc"),
    ("-c%20search_path%3Dt_abc", " --schema=t_abc"),
    ("-cstatement_timeout%3D5000%20-csearch_path%3Da%2Cb", " --schema=a --schema=b"),
    ("-cstatement_timeout%3D5000", ""),
    ("--search-path%3Dt_x", " --schema=t_x"),
])
def test_the_pg_dump_line_names_only_the_search_paths_schemas(capsys, options, schemas):
    url = f"postgresql+psycopg://sagicc@db.internal/sagicc?options={options}"
    assert cli.main(["backup", "--db", url, "/backup/x.dump"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"pg_dump --format=custom --file=/backup/x.dump{schemas} 'postgresql://")
