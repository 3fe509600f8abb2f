"""`sagicc backup`: a consistent copy of the store while agents keep working.

SQLite: the online backup API copies the file in one read transaction: in
WAL mode writers go on meanwhile, and the copy is one consistent snapshot. PostgreSQL: its own tool does it; we print the line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sagicc_tui.commands import common
from sagicc_tui.commands.session import UserError, is_url, local_db, no_store
from sagicc_tui.i18n import _


def add_parsers(verbs) -> None:
    p = verbs.add_parser("backup", help="copy the store to a file while it is in use (SQLite; pg_dump for PostgreSQL)")
    common(p)
    p.add_argument("target", metavar="FILE", help="the copy to write (must not exist)")
    p.set_defaults(run=cmd_backup)


def _search_path(options: str) -> list[str]:
    """The schemas of libpq `options` (`-csearch_path=a,b -cstatement_timeout=5s`,
    `-c search_path=a`, `--search_path=a`): the other settings are not schemas."""
    import shlex

    words = shlex.split(options)
    settings = []
    for i, word in enumerate(words):
        if word == "-c" and i + 1 < len(words):
            settings.append(words[i + 1])
        elif word.startswith("-c"):
            settings.append(word[2:])
        elif word.startswith("--"):
            name, _eq, value = word[2:].partition("=")
            settings.append(name.replace("-", "_") + "=" + value)
    for setting in settings:
        name, _eq, value = setting.partition("=")
        if name.strip() == "search_path":
            return [s.strip().strip('"') for s in value.split(",") if s.strip()]
    return []


def cmd_backup(args: argparse.Namespace) -> int:
    db = local_db(args)
    if is_url(db) and not db.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        url = make_url(db)
        schemas = _search_path(url.query.get("options", ""))
        dsn = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        print(f"pg_dump --format=custom --file={args.target}" + "".join(f" --schema={s}" for s in schemas)
              + f" '{dsn}'")
        print(_("PostgreSQL stores are backed up with pg_dump (above); restore with pg_restore."), file=sys.stderr)
        return 0
    source = Path(db.removeprefix("sqlite:///"))
    if not source.exists():
        raise no_store(db)
    target = Path(args.target)
    if target.exists():
        raise UserError(_("{target} already exists; give a new file name for the backup.", target=str(target)))
    import sqlite3

    partial = target.with_name(target.name + ".partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            # One step, one read transaction: in WAL mode readers never block
            # writers, and a copy in steps would restart whenever an agent writes.
            src.backup(dst, pages=-1)
        finally:
            dst.close()
    finally:
        src.close()
    partial.replace(target)  # whole or not at all
    print(_("Backed up {source} to {target} ({kib} KiB). Attachments are in {files}: copy that folder too.",
            source=str(source), target=str(target), kib=target.stat().st_size // 1024,
            files=str(source.with_suffix(".files"))), file=sys.stderr)
    return 0
