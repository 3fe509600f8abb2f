"""The shared host's verbs and options, registered on the CLI's parser.

`ssh-keys add|list|remove`, the `ssh-session` forced command, `users os-user`,
`users add --os-user`, `serve --socket/--socket-group`. A verb's handler is
set as `_handler` on its parser; cli.main runs it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(verbs, *, common, users_add, users_verbs, serve) -> None:
    users_add.add_argument("--os-user", default=None, metavar="LOGIN",
                           help="their account on this host: a client of `serve --socket` running as LOGIN is them")
    los = users_verbs.add_parser("os-user", help="users' accounts on this host (serve --socket): list, bind, unbind")
    common(los, suppress=True)
    los.add_argument("name", nargs="?", default=None, metavar="NAME", help="leave out to list every binding")
    los.add_argument("os_user", nargs="?", default=None, metavar="LOGIN", help="the account to bind NAME to")
    los.add_argument("--unbind", action="store_true", help="NAME is no longer anyone's on this host")
    los.set_defaults(_handler=cmd_os_user)

    serve.add_argument("--socket", default=None, metavar="PATH",
                       help="serve on a Unix socket instead of TCP; each client is the sagicc user of its "
                            "OS account (users add --os-user), no tokens")
    serve.add_argument("--socket-group", default=None, metavar="GROUP",
                       help="the group that may connect to the socket (mode 0660)")

    keys = verbs.add_parser("ssh-keys", help="agents' SSH keys for this service account: ssh sagicc@host opens "
                                             "the TUI as them")
    kverbs = keys.add_subparsers(dest="ssh_keys_verb", metavar="add|list|remove", required=True)
    kadd = kverbs.add_parser("add", help="let KEYFILE's owner in as USER")
    common(kadd, suppress=True)
    kadd.add_argument("username", metavar="USER")
    kadd.add_argument("keyfile", metavar="KEYFILE", help="their public key (id_ed25519.pub)")
    klist = kverbs.add_parser("list", help="the keys and whom each opens")
    common(klist, suppress=True)
    klist.add_argument("--json", action="store_true")
    kremove = kverbs.add_parser("remove", help="a user's keys (or one, by fingerprint)")
    common(kremove, suppress=True)
    kremove.add_argument("username", metavar="USER")
    kremove.add_argument("--fingerprint", default=None, metavar="SHA256:…")
    for p in (kadd, klist, kremove):
        p.add_argument("--authorized-keys", default=None, metavar="PATH",
                       help="the file sshd reads (default: ~/.ssh/authorized_keys of this account)")
        p.set_defaults(_handler=cmd_ssh_keys)

    # What sshd runs for an agent's key; not for people to type.
    ssh = verbs.add_parser("ssh-session")
    ssh.add_argument("ssh_user", metavar="USER")
    ssh.add_argument("--db", default=argparse.SUPPRESS, metavar="PATH")
    ssh.set_defaults(_handler=_ssh_session)


def _say(template: str, **params: object) -> str:
    from sagicc_tui.i18n import _

    return _(template, **params)


def cmd_os_user(args: argparse.Namespace) -> int:
    from sagicc_tui.cli import _acting_user, _db, _open_existing
    from sagicc_tui.i18n import N_
    from sagicc_tui.local_store import os_users

    backend = _open_existing(_db(args))
    store = backend.store
    if args.os_user is None and not args.unbind:
        bound = os_users.os_users(store)
        for name, login in sorted(bound.items()):
            if args.name in (None, name):
                print(f"{name:<16} {login}")
        if args.name is not None and args.name not in bound:
            print(_say(N_("{user} is not bound to an account on this host."), user=args.name))
        return 0
    if args.name is None or (args.unbind and args.os_user is not None):
        from sagicc_tui.domain.errors import InvalidInput

        raise InvalidInput(N_("Say whom: `sagicc users os-user NAME LOGIN` binds, "
                              "`sagicc users os-user NAME --unbind` unbinds."))
    # Binding is an administrator's change (the store checks who acts: --user, $SAGICC_USER, the last user).
    os_users.set_os_user(store, _acting_user(backend, args), args.name, None if args.unbind else args.os_user)
    if args.unbind:
        print(_say(N_("{user} is no longer bound to an account on this host."), user=args.name))
    else:
        print(_say(N_("{user} is now {os_user}'s sagicc user on this host."), user=args.name, os_user=args.os_user))
    return 0


def cmd_ssh_keys(args: argparse.Namespace) -> int:
    from sagicc_tui.i18n import N_
    from sagicc_tui.shared_host import ssh_keys

    path = Path(args.authorized_keys) if args.authorized_keys else ssh_keys.default_file()
    if args.ssh_keys_verb == "list":
        found = ssh_keys.entries(path)
        if args.json:
            from sagicc_tui.cli import _print_json

            _print_json([{"user": e.username, "type": e.key.kind, "fingerprint": e.key.fingerprint,
                          "command": e.command} for e in found])
        for e in found if not args.json else ():
            print(f"{e.username:<16} {e.key.kind:<12} {e.key.fingerprint}")
        return 0
    if args.ssh_keys_verb == "remove":
        n = ssh_keys.remove(path, args.username, args.fingerprint)
        print(_say(N_("Removed {n} key(s) of {user} from {path}; their open sessions go on until they leave."),
                   n=n, user=args.username, path=str(path)))
        return 0
    import asyncio
    import os

    from sagicc_tui.cli import _db, _open_existing

    if os.geteuid() == 0 and not args.authorized_keys:
        from sagicc_tui.domain.errors import InvalidInput

        # root's own authorized_keys would let agents in as root.
        raise InvalidInput(N_("Run this as the service account (sudo -u sagicc sagicc ssh-keys add …), or give "
                              "its file with --authorized-keys; as root it would let agents in as root."))
    key = ssh_keys.read_public_key(args.keyfile)
    db = _db(args)
    backend = _open_existing(db)
    user = asyncio.run(backend.get_user(args.username))  # a sentence when there is no such user
    if "://" not in db:
        db = str(Path(db).resolve())
        _private(db)
    added = ssh_keys.add(path, user.username, key, db)
    if added:
        print(_say(N_("{user} can now sign in with the key {fingerprint}: `ssh -t {account}@THIS-HOST` opens "
                      "sagicc as {user}."), user=user.username, fingerprint=key.fingerprint, account=_account()))
    else:
        print(_say(N_("That key already opens sagicc as {user}; nothing changed."), user=user.username))
    return 0


def _private(db: str) -> None:
    """The store is this account's alone: agents reach it only through sagicc."""
    import os
    import stat

    mode = stat.S_IMODE(os.stat(db).st_mode)
    if mode & 0o077:
        from sagicc_tui.i18n import N_

        os.chmod(db, mode & 0o700)
        print(_say(N_("The store {path} was readable by others (mode {mode}); it is now 0600."),
                   path=db, mode=f"{mode:o}"), file=sys.stderr)


def _account() -> str:
    import getpass

    return getpass.getuser()


def _ssh_session(args: argparse.Namespace) -> int:
    from sagicc_tui.cli import run_tui

    return run_tui(args)
