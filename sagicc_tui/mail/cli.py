"""`sagicc mail fetch | watch | password`: the support mailbox from the command line.

Registered from cli.py; this module imports only the standard library at
module level, like cli.py (the verbs import what they use when they run).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable


def add_parser(verbs, common: Callable[..., None]) -> None:
    mail = verbs.add_parser("mail", help="read the support mailboxes (IMAP) into tickets; see README "
                                         "\"Connect a support mailbox\"")
    mverbs = mail.add_subparsers(dest="mail_verb", metavar="fetch|watch|password", required=True)
    fetch = mverbs.add_parser("fetch", help="one pass: ingest every unread message, then mark it read")
    watch = mverbs.add_parser("watch", help="keep ingesting as mail arrives (IMAP IDLE); reconnects by itself")
    for p in (fetch, watch):
        common(p, suppress=True)
        p.add_argument("--server", default=None, metavar="URL",
                       help="feed a sagicc server (POST /api/v1/inbound) instead of a local store "
                            "(the SAGICC_IMAP_* mailbox only)")
        p.add_argument("--token-file", default=None, metavar="PATH",
                       help="with --server: a file (mode 0600) holding the channel token from "
                            "`sagicc channels token NAME` (default: $SAGICC_CHANNEL_TOKEN)")
        p.add_argument("--campaign", default=None, metavar="ID|NAME",
                       help="only this campaign's mailbox (`sagicc campaigns mail`); default: the SAGICC_IMAP_* "
                            "mailbox and every campaign's")
    password = mverbs.add_parser("password", help="keep a mailbox password in the system keyring "
                                                  "(typed, or the first line of standard input)")
    common(password, suppress=True)
    password.add_argument("--campaign", default=None, metavar="ID|NAME",
                          help="the mailbox of this campaign (default: SAGICC_IMAP_HOST and SAGICC_IMAP_USER)")


def run(args: argparse.Namespace) -> int:
    if args.mail_verb == "password":
        return _password(args)
    from sagicc_tui.mail.sink import LoopThread

    with LoopThread() as loop:
        backend = loop.run(_backend(args))
        try:
            boxes = _mailboxes(args, backend)
            where = args.server or _("the store")
            if args.mail_verb == "fetch":
                return _fetch(boxes, backend, loop, where)
            return _watch(boxes, backend, loop, where)
        finally:
            loop.run(backend.aclose())


def _mailboxes(args: argparse.Namespace, backend) -> list:
    """The mailboxes to read: the environment's and the campaigns' (a local store)."""
    from sagicc_tui.cli import UserError
    from sagicc_tui.mail.config import ImapConfig
    from sagicc_tui.mail.mailboxes import campaign_mailbox, configured

    if args.server:
        if args.campaign:
            raise UserError(_("A campaign's mailbox is read beside its store or by `sagicc serve --mail`; "
                              "with --server only the SAGICC_IMAP_* mailbox is read."))
        ImapConfig.from_env()  # its settings' sentence, when they are missing or wrong
        return configured(())
    with backend.store.read() as conn:
        campaigns = backend.store.campaigns(conn)
    if args.campaign:
        wanted = args.campaign.strip()
        match = [c for c in campaigns if str(c.id) == wanted or c.name.casefold() == wanted.casefold()]
        if not match:
            raise UserError(_("There is no campaign {campaign}; `sagicc campaigns list` shows them.",
                              campaign=wanted))
        box = campaign_mailbox(match[0])
        if box is None:
            raise UserError(_("Campaign {name} reads no mailbox (or is disabled); set one with `sagicc campaigns "
                              "mail {id} --host ...`.", name=match[0].name, id=match[0].id))
        return [box]
    boxes = configured(campaigns)
    if not boxes:
        ImapConfig.from_env()  # says which settings to give
    return boxes


def _fetcher(box, backend, loop):
    from sagicc_tui.mail.fetch import MailFetcher
    from sagicc_tui.mail.sink import BackendSink, StoreSink

    config = box.config()
    store = getattr(backend, "store", None)  # a store on this machine: a batch in one transaction
    sink = StoreSink(store, config.campaign_id) if store is not None else BackendSink(backend, loop.loop,
                                                                                     config.campaign_id)
    return config, MailFetcher(config, sink, say=_say)


def _fetch(boxes: list, backend, loop, where: str) -> int:
    """Each mailbox once; one that fails is said in a sentence and the others still go."""
    from sagicc_tui.domain.errors import SagiccError

    failed = 0
    for box in boxes:
        try:
            config, fetcher = _fetcher(box, backend, loop)
            report = fetcher.fetch_once()
        except SagiccError as e:
            if len(boxes) == 1:
                raise
            failed += 1
            _say(_(e.message.template, **e.message.params))
            continue
        _summary(report, config, where)
        failed += bool(report.refused)
    return 1 if failed else 0


def _watch(boxes: list, backend, loop, where: str) -> int:
    """One watcher thread per mailbox until Ctrl+C."""
    import threading

    from sagicc_tui.mail.fetch import FetchReport

    fetchers = [_fetcher(box, backend, loop) for box in boxes]  # a missing password stops here, before any
    stop = threading.Event()
    threads = []
    for config, fetcher in fetchers:
        def on_pass(report: FetchReport, config=config) -> None:
            if report.fetched:
                _summary(report, config, where)

        _say(_("Watching {account} {folder} for new mail (Ctrl+C stops).", account=config.account,
               folder=config.folder))
        t = threading.Thread(target=fetcher.watch, args=(stop,), kwargs={"on_pass": on_pass}, daemon=True,
                             name=f"sagicc-mail-{config.account}")
        t.start()
        threads.append(t)
    try:
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(0.5)
    except KeyboardInterrupt:
        stop.set()
        for t in threads:
            t.join(10)
    return 0


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


def _password(args: argparse.Namespace) -> int:
    from sagicc_tui.cli import UserError
    from sagicc_tui.mail.config import save_keyring_password

    if args.campaign:
        account = _campaign_account(args)
    else:
        host = os.environ.get("SAGICC_IMAP_HOST", "").strip()
        user = os.environ.get("SAGICC_IMAP_USER", "").strip()
        if not host or not user:
            raise UserError(_("Set SAGICC_IMAP_HOST and SAGICC_IMAP_USER first: the password is kept for that "
                              "mailbox."))
        account = f"{user}@{host}"
    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass(_("Password of {account}: ", account=account))
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise UserError(_("No password was given; nothing was kept."))
    save_keyring_password(account, password)
    print(_("The password of {account} is kept in the system keyring.", account=account))
    return 0


def _campaign_account(args: argparse.Namespace) -> str:
    from sagicc_tui.mail.sink import LoopThread

    with LoopThread() as loop:
        backend = loop.run(_backend(args))
        try:
            [box] = _mailboxes(args, backend)
        finally:
            loop.run(backend.aclose())
    assert box.settings is not None
    return box.settings.account
