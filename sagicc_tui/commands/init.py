"""`sagicc init`: a new, empty store with its first administrator and one campaign.

The one way to start a real team (the demo is for trying sagicc out): the
store is created (a SQLite file or a PostgreSQL database), the administrator
and a campaign to start from are written in one transaction, and the
administrator's first server token is printed once, on stdout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sagicc_tui.commands import common, json_flag, print_json
from sagicc_tui.commands.session import UserError, is_url, local_db, store_is_empty
from sagicc_tui.i18n import _


def add_parsers(verbs) -> None:
    p = verbs.add_parser("init", help="create an empty store with one administrator and one campaign")
    common(p)
    p.add_argument("--admin", required=True, metavar="NAME", help="the first administrator's user name")
    p.add_argument("--full-name", default="", metavar="TEXT", help="the administrator's name as shown")
    p.add_argument("--campaign", default="General", metavar="NAME", help="the first campaign (default General)")
    json_flag(p)
    p.set_defaults(run=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.admin import UserInput, check_username, starter_campaign
    from sagicc_tui.domain.enums import Role
    from sagicc_tui.local_store import admin
    from sagicc_tui.local_store.backend import LocalBackend

    db = local_db(args)
    username = check_username(args.admin)  # before anything is created
    if not is_url(db):
        path = Path(db)
        if path.is_dir():
            raise UserError(_("{db} is a folder; give the store's file name, like {example}.", db=db,
                              example=str(path / "sagicc.db")))
        path.parent.mkdir(parents=True, exist_ok=True)
    backend = LocalBackend(db)
    store = backend.store
    try:
        if not store_is_empty(store):
            raise UserError(_("The store at {db} already has users; `sagicc init` only starts new stores. "
                              "Add people with `sagicc users add`.", db=db))
        with store.write() as conn:
            campaign = admin.add_campaign(store, conn, None, starter_campaign(args.campaign))  # domain/admin.py
            user = admin.add_user(store, conn, None, UserInput(
                username=username, role=Role.ADMINISTRATOR, full_name=args.full_name))
            token = admin.issue_user_token(store, conn, None, username)
    finally:
        store.engine.dispose()
    shown = store.engine.url.render_as_string(hide_password=True) if is_url(db) else db
    if args.json:
        print_json({"store": shown, "admin": user, "campaign": campaign, "token": token})
        return 0
    print(_("Created the store {store} with the administrator {user} and the campaign {campaign} (id {id}).",
            store=shown, user=username, campaign=campaign.name, id=campaign.id), file=sys.stderr)
    print(_("Token for {user} (shown only now; the store keeps only its hash):", user=username), file=sys.stderr)
    print(token)
    steps = ((f"sagicc --db {db} --user {username} users add NAME --role agent --campaign {campaign.id}", ""),
             (f"sagicc --db {db} --user {username} campaigns show {campaign.id}",
              _("(then campaigns edit / fields / templates)")),
             (f"sagicc serve --db {db} --host 0.0.0.0", _("(a team on other machines)")),
             ("sagicc login http://SERVER:8765", _("(on each machine, with the user's token)")))
    print(_("Next:"), file=sys.stderr)
    for line, why in steps:
        print(f"  {line:<54} {why}".rstrip(), file=sys.stderr)
    return 0
