"""#10.11: every CLI failure is one sentence, never a traceback; exit codes
are the documented ones (README "Exit codes"): 1 for a failure said in a
sentence, 2 for a usage error (argparse: usage, then one error line)."""

from __future__ import annotations

import pytest

from tests.test_cli import assert_one_sentence, sagicc, store  # noqa: F401 - the fixture


@pytest.mark.parametrize(("env", "args", "needle"), [
    ({"SAGICC_BUSY_TIMEOUT": "abc"}, ("--user", "admin", "tickets", "list"), "SAGICC_BUSY_TIMEOUT"),
    ({"SAGICC_BUSY_TIMEOUT": "-5"}, ("users",), "SAGICC_BUSY_TIMEOUT"),
    ({"SAGICC_BUSY_TIMEOUT": "nan"}, ("users",), "SAGICC_BUSY_TIMEOUT"),
    ({"SAGICC_BUSY_TIMEOUT": "inf"}, ("users",), "SAGICC_BUSY_TIMEOUT"),
    ({}, ("customers", "export", "--format", "csv", "-o", "/nonexistent-dir/x.csv", "--user", "admin"), "folder"),
])
def test_domain_failures_are_one_sentence_exit_1(store, tmp_path, env, args, needle):  # noqa: F811
    binary = tmp_path / "photo.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd" * 20)
    args = tuple(str(binary) if a == "BINARY" else a for a in args)
    proc = sagicc("--db", str(store), *args, env=env)
    line = assert_one_sentence(proc)  # exit 1, one line on stderr, no traceback
    assert needle in line


def test_a_binary_ingest_file_is_one_sentence_a_bad_line(store, tmp_path):  # noqa: F811
    """#10.4 and #10.11: each bad line is reported with its number and reason
    (one sentence each, never a traceback), then the summary; exit 1."""
    binary = tmp_path / "photo.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd" * 20)
    proc = sagicc("--db", str(store), "ingest", str(binary))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    bad = [ln for ln in lines if ln.startswith("sagicc: line ")]
    assert bad and any("UTF-8" in ln for ln in bad), proc.stderr
    assert all(ln.count(": ") >= 2 for ln in bad)  # "sagicc: line N: reason"
    assert "0 interactions ingested" in lines[-1], proc.stderr


@pytest.mark.parametrize("args", [
    ("serve", "--port", "99999"),
    ("serve", "--port", "0"),
    ("serve", "--port", "http"),
    ("tickets", "list", "--limit", "-3"),
    ("tickets", "frobnicate"),
    ("--lang", "fr"),
])
def test_usage_errors_exit_2_with_usage_and_one_error_line(store, args):  # noqa: F811
    proc = sagicc("--db", str(store), *args)
    assert proc.returncode == 2, proc
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines[0].startswith("usage: sagicc")
    errors = [ln for ln in lines if ": error: " in ln]
    assert len(errors) == 1 and errors[0] == lines[-1], proc.stderr


def test_a_bug_is_still_one_sentence_and_debug_shows_the_traceback(store, tmp_path):  # noqa: F811
    """An exception nobody turned into a sentence (a ValueError from a store
    whose `meta` says schema version 'x') is one sentence too."""
    import sqlite3

    conn = sqlite3.connect(store)
    conn.execute("UPDATE meta SET value = 'x' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    proc = sagicc("--db", str(store), "users")
    line = assert_one_sentence(proc)
    assert "ValueError" in line and "SAGICC_DEBUG=1" in line
    debug = sagicc("--db", str(store), "users", env={"SAGICC_DEBUG": "1"})
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_a_closed_pipe_is_quiet(store):  # noqa: F811
    """`sagicc tickets list | head`: the reader is gone before the first write."""
    import subprocess
    import sys

    from tests.test_cli import ENV

    proc = subprocess.Popen([sys.executable, "-m", "sagicc_tui", "--db", str(store), "--user", "admin",
                             "tickets", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    proc.stdout.close()  # long before the child has imported anything
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err and "Exception ignored" not in err and err == "", err
