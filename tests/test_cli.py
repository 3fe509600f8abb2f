"""The `sagicc` command: headless verbs, errors as one sentence, lean start-up (P5)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factory import make_world

ENV = {**os.environ, "SAGICC_LANG": "en", "NO_COLOR": "1"}


def sagicc(*args: str, stdin: str | None = None, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sagicc_tui", *args], input=stdin, capture_output=True, text=True,
        env={**ENV, **(env or {})}, timeout=120, cwd=cwd,
    )


@pytest.fixture
def store(tmp_path) -> Path:
    path = tmp_path / "cli.db"

    async def build():
        w = await make_world(path)
        await w.incoming("lucia@example.com", "Mi factura llegó duplicada", name="Lucía Gómez")
        r = await w.incoming("pedro@example.com", "\x1b[2J\x1b]0;pwned\x07[@click=app.quit]hola", name="Pedro")
        w.set_ticket(r.ticket_id, assignee_id=4)  # bruno's: outside ana's scope
        await w.backend.aclose()

    asyncio.run(build())
    return path


def assert_one_sentence(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 1, proc
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("sagicc: "), proc.stderr
    return lines[0]


def test_help_and_headless_verbs_import_no_textual(store, tmp_path):
    probe = (
        "import sys\nfrom sagicc_tui.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('TEXTUAL' if 'textual' in sys.modules else 'NO-TEXTUAL', file=sys.stderr)\n"
        "print('ORM' if 'sqlalchemy' in sys.modules else 'NO-ORM', file=sys.stderr)\n"
    )
    help_run = subprocess.run([sys.executable, "-c", probe, "--help"], capture_output=True, text=True, env=ENV)
    assert "NO-TEXTUAL" in help_run.stderr and "NO-ORM" in help_run.stderr
    listing = subprocess.run([sys.executable, "-c", probe, "--db", str(store), "--user", "admin", "tickets", "list"],
                             capture_output=True, text=True, env=ENV)
    assert "NO-TEXTUAL" in listing.stderr and "100001" in listing.stdout


def test_tickets_list_json_and_filters(store):
    proc = sagicc("--db", str(store), "tickets", "list", "--user", "admin", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["number"] for r in rows] == [100002, 100001]
    assert rows[1]["customer_name"] == "Lucía Gómez" and rows[1]["status"] == "new"
    proc = sagicc("--db", str(store), "--user", "admin", "tickets", "list", "--search", "factura", "--json")
    assert [r["number"] for r in json.loads(proc.stdout)] == [100001]
    proc = sagicc("--db", str(store), "--user", "admin", "tickets", "list", "--assignee", "bruno", "--json")
    assert [r["number"] for r in json.loads(proc.stdout)] == [100002]


def test_text_output_is_sanitized(store):
    proc = sagicc("--db", str(store), "--user", "admin", "tickets", "list")
    assert proc.returncode == 0
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "^[[2J" in proc.stdout and "[@click=app.quit]" in proc.stdout
    show = sagicc("--db", str(store), "--user", "admin", "tickets", "show", "100002")
    assert "\x1b" not in show.stdout and "^[]0;pwned^G" in show.stdout


def test_agent_scope_applies_to_headless_verbs(store):
    proc = sagicc("--db", str(store), "--user", "ana", "tickets", "list", "--json")
    assert [r["number"] for r in json.loads(proc.stdout)] == [100001]
    line = assert_one_sentence(sagicc("--db", str(store), "--user", "ana", "tickets", "show", "100002"))
    assert "#100002" in line


def test_show_json(store):
    proc = sagicc("--db", str(store), "--user", "admin", "tickets", "show", "100001", "--json")
    data = json.loads(proc.stdout)
    assert data["ticket"]["number"] == 100001
    assert data["interactions"][0]["content"] == "Mi factura llegó duplicada"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--user", "nadie", "tickets", "list"), "nadie"),
        (("--user", "admin", "tickets", "list", "--status", "abierto"), "abierto"),
        (("--user", "admin", "tickets", "list", "--created-from", "25/11/2026"), "YYYY-MM-DD"),
        (("--user", "admin", "tickets", "list", "--campaign", "Marte"), "Marte"),
        (("tickets", "list"), "--user"),
    ],
)
def test_bad_arguments_give_one_sentence(store, args, needle):
    line = assert_one_sentence(sagicc("--db", str(store), *args))
    assert needle in line


def test_missing_and_foreign_store(tmp_path):
    line = assert_one_sentence(sagicc("--db", str(tmp_path / "nope.db"), "--user", "admin", "tickets", "list"))
    assert "sagicc demo" in line
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    line = assert_one_sentence(sagicc("--db", str(junk), "--user", "admin", "tickets", "list"))
    assert "store" in line


def test_locked_store_says_so(store, tmp_path):
    holder = sqlite3.connect(store, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        lines = tmp_path / "in.jsonl"
        lines.write_text(json.dumps({"channel": "email", "from": "x@y.com", "text": "hola"}) + "\n")
        proc = sagicc("--db", str(store), "ingest", str(lines), env={"SAGICC_BUSY_TIMEOUT": "0.5"})
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert "locked" in proc.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_ingest_reports_bad_lines_and_keeps_good_ones(store, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join([
            json.dumps({"channel": "email", "from": "lucia@example.com", "text": "¿Novedades?"}),
            "{not json",
            json.dumps({"channel": "fax", "from": "a@b.com", "text": "x"}),
            json.dumps({"channel": "whatsapp", "from": "+57 311 000 1122", "name": "Nuevo Cliente", "text": "Hola", "time": "2026-11-25T10:00:00Z"}),
            json.dumps({"channel": "email", "from": "c@d.com", "text": "adjunto", "attachments": ["/no/such/file.pdf"]}),
            json.dumps({"channel": "email", "from": "c@d.com", "text": "x", "colour": "red"}),
        ]) + "\n"
    )
    proc = sagicc("--db", str(store), "ingest", str(src))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    for n in (2, 3, 5, 6):
        assert f"line {n}:" in proc.stderr
    assert "2 interactions ingested (1 new tickets), 0 already in the store, 4 lines refused." in proc.stderr
    listing = json.loads(sagicc("--db", str(store), "--user", "admin", "tickets", "list", "--json").stdout)
    by_number = {r["number"]: r for r in listing}
    assert by_number[100001]["unread_count"] == 2  # appended to Lucía's open ticket
    assert by_number[100003]["customer_name"] == "Nuevo Cliente"
    # stdin works too
    proc = sagicc("--db", str(store), "ingest", "-", stdin=json.dumps({"channel": "chat", "from": "z@z.com", "text": "?"}) + "\n")
    assert proc.returncode == 1 and "chat" in proc.stderr  # no campaign receives chat in this store


def test_users_verb(store):
    proc = sagicc("--db", str(store), "users", "--json")
    assert {u["username"] for u in json.loads(proc.stdout)} >= {"admin", "ana", "sofia"}


def test_demo_verb_builds_a_store_and_refuses_to_overwrite(tmp_path):
    db = tmp_path / "demo.db"
    proc = sagicc("demo", "--tickets", "300", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    assert "300 tickets" in proc.stdout
    listing = json.loads(sagicc("--db", str(db), "--user", "admin", "tickets", "list", "--limit", "5", "--json").stdout)
    assert len(listing) == 5
    line = assert_one_sentence(sagicc("demo", "--tickets", "10", "--db", str(db)))
    assert "already has data" in line
    line = sagicc("demo", "--tickets", "0x", "--db", str(db))
    assert line.returncode == 2 and "Traceback" not in line.stderr


# --- #16.6: a plain `sagicc` line is parsed without building the verbs' parsers ---

LEAN = r"""
import json, sys
from sagicc_tui import cli
line = json.loads(sys.argv[1])
lean = cli._tui_args(line)
out = {"lean": None if lean is None else vars(lean), "verbs_loaded": "sagicc_tui.commands.tickets" in sys.modules}
if lean is not None:
    out["full"] = vars(cli.build_parser().parse_args(line))
print(json.dumps(out))
"""


@pytest.mark.parametrize("line", [[], ["--db", "x.db", "--user", "ana"], ["--lang", "es"], ["--server", "http://h:1"],
                                  ["--us", "ana"]])
def test_the_tuis_line_is_parsed_without_the_verbs(line):
    proc = subprocess.run([sys.executable, "-c", LEAN, json.dumps(line)], capture_output=True, text=True, timeout=60)
    out = json.loads(proc.stdout)
    assert out["verbs_loaded"] is False  # ...until the full parser below was built
    assert out["lean"] == {**out["full"], "verb": None}  # the same answer as the full parser's


@pytest.mark.parametrize("line", [["tickets", "list"], ["--db", "x", "demo"], ["-h"], ["--version"], ["--lang", "xx"],
                                  ["--bogus"]])
def test_other_lines_go_to_the_full_parser(line):
    proc = subprocess.run([sys.executable, "-c", LEAN, json.dumps(line)], capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stdout)["lean"] is None  # a verb, help, the version or a bad option
