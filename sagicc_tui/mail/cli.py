"""`sagicc mail fetch | watch | password`: the support mailbox from the command line.

Registered from cli.py; this module imports only the standard library at
module level, like cli.py (the verbs import what they use when they run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable


def add_parser(verbs, common: Callable[..., None]) -> None:
    mail = verbs.add_parser("mail", help="read the support mailbox (IMAP) into tickets; see README "
                                         "\"Connect a support mailbox\"")
    mverbs = mail.add_subparsers(dest="mail_verb", metavar="fetch|watch|password", required=True)
    fetch = mverbs.add_parser("fetch", help="one pass: ingest every unread message, then mark it read")
    watch = mverbs.add_parser("watch", help="keep ingesting as mail arrives (IMAP IDLE); reconnects by itself")
    for p in (fetch, watch):
        common(p, suppress=True)
        p.add_argument("--server", default=None, metavar="URL",
                       help="feed a sagicc server (POST /api/v1/inbound) instead of a local store")
        p.add_argument("--token-file", default=None, metavar="PATH",
                       help="with --server: a file (mode 0600) holding the channel token from "
                            "`sagicc channels token NAME` (default: $SAGICC_CHANNEL_TOKEN)")
    password = mverbs.add_parser("password", help="keep the mailbox password in the system keyring "
                                                  "(typed, or the first line of standard input)")
    common(password, suppress=True)


def run(args: argparse.Namespace) -> int:
    if args.mail_verb == "password":
        return _password()
    from sagicc_tui.mail.config import ImapConfig
    from sagicc_tui.mail.fetch import FetchReport, MailFetcher
    from sagicc_tui.mail.sink import BackendSink

    config = ImapConfig.from_env()
    loop = asyncio.new_event_loop()
    backend = loop.run_until_complete(_backend(args))
    fetcher = MailFetcher(config, BackendSink(backend, loop), say=_say)
    where = args.server or _("the store")
    try:
        if args.mail_verb == "fetch":
            report = fetcher.fetch_once()
            _summary(report, config, where)
            return 1 if report.refused else 0

        def on_pass(report: FetchReport) -> None:
            if report.fetched:
                _summary(report, config, where)

        _say(_("Watching {account} {folder} for new mail (Ctrl+C stops).", account=config.account,
               folder=config.folder))
        fetcher.watch(on_pass=on_pass)
        return 0
    finally:
        loop.run_until_complete(backend.aclose())
        loop.close()


def _(text: str, **params) -> str:
    from sagicc_tui.i18n import _ as gettext

    return gettext(text, **params)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _summary(report, config, where: str) -> None:
    _say(_("{account} {folder}: {fetched} messages read, {added} added to {where} ({new} new tickets), "
           "{duplicates} already there, {automatic} auto-replies or delivery reports recorded, {refused} left "
           "unread.", account=config.account, folder=config.folder, fetched=report.fetched, added=report.added,
           where=where, new=report.new_tickets, duplicates=report.duplicates, automatic=report.automatic,
           refused=len(report.refused)))


async def _backend(args: argparse.Namespace):
    if args.server:
        from sagicc_tui.remote import credentials
        from sagicc_tui.remote.backend import RemoteBackend

        url = credentials.normalize_url(args.server)
        token = _channel_token(args.token_file)
        return RemoteBackend(url, token, channel_token=token)
    from sagicc_tui.cli import _db, _open_existing

    return _open_existing(_db(args))


def _channel_token(token_file: str | None) -> str:
    from sagicc_tui.cli import UserError

    if token_file:
        from pathlib import Path

        from sagicc_tui.mail.config import read_password_file

        token = read_password_file(Path(token_file).expanduser())
    else:
        token = os.environ.get("SAGICC_CHANNEL_TOKEN", "").strip()
    if not token:
        raise UserError(_("Feeding a server needs a channel token: `sagicc channels token NAME` on the server, "
                          "then --token-file PATH (mode 0600) or SAGICC_CHANNEL_TOKEN."))
    return token


def _password() -> int:
    from sagicc_tui.cli import UserError
    from sagicc_tui.mail.config import save_keyring_password

    host = os.environ.get("SAGICC_IMAP_HOST", "").strip()
    user = os.environ.get("SAGICC_IMAP_USER", "").strip()
    if not host or not user:
        raise UserError(_("Set SAGICC_IMAP_HOST and SAGICC_IMAP_USER first: the password is kept for that "
                          "mailbox."))
    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass(_("Password of {account}: ", account=f"{user}@{host}"))
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise UserError(_("No password was given; nothing was kept."))
    save_keyring_password(f"{user}@{host}", password)
    print(_("The password of {account} is kept in the system keyring.", account=f"{user}@{host}"))
    return 0
