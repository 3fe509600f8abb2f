"""#10.8: a file that is not a sagicc store is refused and left untouched;
a URL sagicc cannot open is one sentence (real subprocesses, real files)."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from tests.test_cli import assert_one_sentence, sagicc


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def other_db(tmp_path):
    """Another program's SQLite database (rollback journal, one table)."""
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("verb", [
    ("--user", "admin", "tickets", "list"),
    ("users",),
    ("ingest", "-"),
    ("demo", "--tickets", "5"),
])
def test_another_programs_database_is_refused_byte_identical(other_db, tmp_path, verb):
    before = digest(other_db)
    line = assert_one_sentence(sagicc("--db", str(other_db), *verb, stdin=""))
    assert "is not a sagicc store" in line and str(other_db) in line
    assert digest(other_db) == before
    # Nothing beside it either (no -wal/-shm, no attachment folder).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]
    conn = sqlite3.connect(f"file:{other_db}?mode=ro", uri=True)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["invoices"]
    conn.close()


def test_a_file_that_is_not_sqlite_is_refused_byte_identical(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping: milk, bread\n" * 50)
    before = digest(notes)
    line = assert_one_sentence(sagicc("--db", str(notes), "users"))
    assert "is not a sagicc store" in line
    assert digest(notes) == before


@pytest.mark.parametrize("url", ["mysql://ana:secret@db.example.com/sagicc", "oracle://x/y", "nonsense://"])
def test_unsupported_urls_are_one_sentence(url):
    line = assert_one_sentence(sagicc("--db", url, "--user", "admin", "tickets", "list"))
    assert "is not a store sagicc can open" in line
    assert "secret" not in line  # the password is never printed


def test_demo_and_first_use_still_work_on_a_new_or_empty_path(tmp_path):
    new = tmp_path / "new.db"
    proc = sagicc("demo", "--db", str(new), "--tickets", "5")
    assert proc.returncode == 0, proc.stderr
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    proc = sagicc("demo", "--db", str(empty), "--tickets", "5")
    assert proc.returncode == 0, proc.stderr
    # And the store made is accepted again.
    proc = sagicc("--db", str(new), "users")
    assert proc.returncode == 0 and "admin" in proc.stdout
