"""The headless verbs (P5), one module per area; cli.py only registers them.

Each module has `add_parsers(verbs)`, which sets `run` on its parsers: the
function cli.main calls with the parsed arguments. Imports nothing but the
standard library at module level (`sagicc --help` stays fast).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_ERROR = 1


def common(p: argparse.ArgumentParser) -> None:
    """--db/--user/--lang/--server after the verb too (`sagicc tickets list --db X`)."""
    s = argparse.SUPPRESS
    p.add_argument("--db", default=s, metavar="PATH", help="a store on this machine (forces local)")
    p.add_argument("--server", default=s, metavar="URL", help="a shared server (default: $SAGICC_SERVER, the last login)")
    p.add_argument("--user", default=s, metavar="NAME", help="act as this user (local stores)")
    p.add_argument("--lang", default=s, choices=("es", "en"), help="language of the sentences")


def json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON (one document) instead of text")


def print_json(value: Any) -> None:
    from sagicc_tui.remote.wire import jsonable

    json.dump(jsonable(value), sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


def say(template: str, **params: Any) -> str:
    """A sentence in the user's language (the catalog's English template)."""
    from sagicc_tui.i18n import _

    return _(template, **params)


def add_parsers(verbs) -> dict:
    """Registers every verb; returns the parsers other modules extend
    ("users add" and the "users" sub-verbs, for the shared host's --os-user)."""
    from sagicc_tui.commands import admin, customers, init, ops, tickets

    found: dict = {}
    for module in (init, admin, tickets, customers, ops):
        found.update(module.add_parsers(verbs) or {})
    return found
