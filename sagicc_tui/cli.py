"""`sagicc`: open the TUI, or run a headless verb (spec P5).

Start-up discipline: this module imports only the standard library at module
level. `sagicc --help` and the headless verbs never import Textual; the store
(SQLAlchemy, SQLModel) is imported only by the verbs that open it.

Exit codes (README "Exit codes"): 0 done; 1 a failure said in one sentence on
stderr (a refused input, a store or server problem, and also an unexpected
error: `main()` turns every exception into one sentence, never a traceback;
SAGICC_DEBUG=1 shows the traceback for a bug report); 2 a usage error
(argparse prints the usage and one line); 130 interrupted (Ctrl+C).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_ERROR = 1
EXIT_USAGE = 2  # argparse's own
EXIT_INTERRUPTED = 130


def _common(p: argparse.ArgumentParser, *, suppress: bool) -> None:
    """--db/--user/--lang on the main parser and on every verb, so they work
    before or after the verb (`sagicc --db X tickets list` or `sagicc tickets list --db X`)."""
    d = argparse.SUPPRESS if suppress else None
    p.add_argument("--db", default=d, metavar="PATH", help="store file (default: $SAGICC_DB or the data dir)")
    p.add_argument("--user", default=d, metavar="NAME", help="act as this user (default: the last one)")
    p.add_argument("--lang", default=d, choices=("es", "en"), help="interface language (default: from the locale)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sagicc",
        description="Sagicc tickets and customers in the terminal. Without a verb, opens the TUI.",
    )
    _common(parser, suppress=False)
    parser.add_argument("--version", action="version", version=f"sagicc-tui {_version()}")
    parser.add_argument("--server", default=None, metavar="URL",
                        help="work on a shared server (sign in first with `sagicc login URL`; "
                             "default: $SAGICC_SERVER, or the last login unless --db is given)")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    demo = verbs.add_parser("demo", help="build a demo store (campaigns, users, customers, tickets)")
    _common(demo, suppress=True)
    demo.add_argument("--tickets", type=_positive, default=2000, metavar="N")
    demo.add_argument("--seed", type=int, default=7, metavar="S")

    ingest = verbs.add_parser("ingest", help="add incoming interactions from a JSON Lines file")
    _common(ingest, suppress=True)
    ingest.add_argument("file", metavar="FILE.jsonl", help="one interaction a line, or - for standard input")
    ingest.add_argument("--json", action="store_true", help="print one JSON result a line")
    ingest.add_argument("--server", default=argparse.SUPPRESS, metavar="URL",
                        help="deliver to this server as a gateway ($SAGICC_CHANNEL_TOKEN)")

    serve = verbs.add_parser("serve", help="serve the store to remote terminals over HTTP (needs sagicc-tui[server])")
    _common(serve, suppress=True)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8765, help="TCP port, 1-65535 (default 8765)")
    serve.add_argument("--workers", type=_positive, default=1, help="server processes (on SQLite they share their changes through STORE-live)")
    serve.add_argument("--mail", action="store_true",
                       help="also read the support mailboxes (SAGICC_IMAP_* and the campaigns'), one process per "
                            "mailbox; see README \"Connect a support mailbox\"")

    _external_views_parser(verbs)
    _login_parsers(verbs)
    from sagicc_tui.commands import add_parsers  # init, users, campaigns, channels, tickets, customers, backup

    parsers = add_parsers(verbs)
    from sagicc_tui.shared_host.verbs import register  # ssh-keys, ssh-session, users os-user, serve --socket

    register(verbs, common=_common, users_add=parsers["users add"], users_verbs=parsers["users"], serve=serve)
    from sagicc_tui.mail import cli as mail_cli  # standard library only at import

    mail_cli.add_parser(verbs, _common)
    return parser


def _external_views_parser(verbs) -> None:
    links = verbs.add_parser("external-views", help="list or revoke the shared external-view links of tickets")
    lverbs = links.add_subparsers(dest="links_verb", metavar="list|revoke", required=True)
    llist = lverbs.add_parser("list", help="a ticket's link, or the links you shared (supervisors: all)")
    _common(llist, suppress=True)
    llist.add_argument("--ticket", type=_positive, default=None, metavar="N", help="the ticket's number")
    llist.add_argument("--json", action="store_true")
    lrevoke = lverbs.add_parser("revoke", help="stop a link: its address no longer opens")
    _common(lrevoke, suppress=True)
    lrevoke.add_argument("token", metavar="TOKEN")


def _login_parsers(verbs) -> None:
    login = verbs.add_parser("login", help="sign in to a sagicc server with a token (asked for, or read from stdin)")
    _common(login, suppress=True)
    login.add_argument("url", metavar="URL", help="the server, like https://sagicc.example.com")
    login.add_argument("--token-file", default=None, metavar="PATH",
                       help="when no system keyring works here, keep the token in this file (mode 0600)")
    logout = verbs.add_parser("logout", help="forget the token for a sagicc server on this computer")
    _common(logout, suppress=True)
    logout.add_argument("url", metavar="URL")
    logout.add_argument("--token-file", default=None, metavar="PATH",
                        help="also remove it from this token file (default: the one login used)")


def _positive(value: str) -> int:
    """One whole-number check for every verb (commands.tickets'), imported when a
    verb's line is parsed: the TUI's start does not load the verbs (#16.6)."""
    from sagicc_tui.commands.tickets import _positive as positive

    return positive(value)


def _port(value: str) -> int:
    n = _positive(value)
    if n > 65535:
        raise argparse.ArgumentTypeError(_("{n} is not a TCP port; use 1 to 65535", n=n))
    return n


def _version() -> str:
    from sagicc_tui import __version__

    return __version__


from sagicc_tui.commands.session import UserError  # noqa: E402 - stdlib only; a sentence, exit code 1
from sagicc_tui.i18n import _  # noqa: E402 - standard library only; every sentence in the user's language


class _NotTheTui(Exception):
    """The lean parse gave up: the full parser decides (and words any error)."""


class _TuiParser(argparse.ArgumentParser):
    def error(self, message: str):  # noqa: ANN201 - argparse's hook; never exits here
        raise _NotTheTui(message)


def _tui_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The arguments of a plain `sagicc [--db --user --lang --server]`, parsed
    without building the verbs' parsers; None when the line names a verb, asks
    for help or the version, or is not valid for the TUI.

    Building every verb's parser imports the verbs' modules (about 40 ms of CPU
    before the TUI's first frame, #16.6); a line with a verb pays it as before."""
    if any(a in ("-h", "--help", "--version") for a in argv):
        return None
    parser = _TuiParser(prog="sagicc", add_help=False)
    _common(parser, suppress=False)
    parser.add_argument("--server", default=None)
    try:
        args, rest = parser.parse_known_args(argv)
    except _NotTheTui:
        return None
    if rest:
        return None
    args.verb = None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _tui_args(argv) or build_parser().parse_args(argv)
    try:
        if args.lang:
            from sagicc_tui import i18n

            i18n.set_language(args.lang)
        handler: Callable[[argparse.Namespace], int] = (getattr(args, "_handler", None) or getattr(args, "run", None)
                                                        or {
            None: run_tui,
            "demo": cmd_demo,
            "ingest": cmd_ingest,
            "external-views": cmd_external_views,
            "login": cmd_login,
            "serve": cmd_serve,
            "logout": cmd_logout,
            "mail": cmd_mail,
        }[args.verb])
        return handler(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `sagicc tickets list | head`: the reader left; say nothing, and keep
        # Python from complaining about the unflushed stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as e:  # noqa: BLE001 - the one place errors become sentences
        message = _sentence(e)
        if message is None:
            if os.environ.get("SAGICC_DEBUG"):
                raise
            # A bug: still one sentence, never a traceback in the user's terminal.
            first = str(e).splitlines()[0][:200] if str(e) else ""
            message = _("Unexpected error ({error}); nothing more was done. Run it again with SAGICC_DEBUG=1 "
                        "for the details to report.", error=type(e).__name__ + (": " + first if first else ""))
        print(f"sagicc: {message}", file=sys.stderr)
        return EXIT_ERROR


def _sentence(e: Exception) -> str | None:
    """The user-facing sentence for errors a person can act on; None: a bug."""
    if isinstance(e, UserError):
        return str(e)
    from sagicc_tui.domain.errors import SagiccError

    if isinstance(e, SagiccError):
        from sagicc_tui.i18n import _

        return _(e.message.template, **e.message.params)
    if isinstance(e, UnicodeDecodeError):
        return _("The input is not UTF-8 text (byte {byte} at position {position}); save it as UTF-8 and try again.",
                 byte=f"0x{e.object[e.start]:02x}", position=e.start)
    if isinstance(e, OSError):
        return f"{e.strerror or e}: {e.filename or ''}".rstrip(": ")
    mod = type(e).__module__
    if mod.startswith("sqlalchemy") or mod == "sqlite3":
        # Unexpected database states (a corrupt file, a foreign file): say what to check.
        return _("The store could not be read ({reason}); check that --db points to a sagicc store.",
                 reason=str(e).splitlines()[0])
    return None


# --- store and session ----------------------------------------------------------------------


def _db(args: argparse.Namespace) -> str:
    from sagicc_tui.paths import resolve_db

    return resolve_db(getattr(args, "db", None))


def _is_url(db: str) -> bool:
    return "://" in db


def _open_existing(db: str):
    from sagicc_tui.commands.session import open_local  # a missing or empty store says to run init

    return open_local(db)


def _acting_user(backend, args: argparse.Namespace):
    name = getattr(args, "user", None) or os.environ.get("SAGICC_USER")
    if not name:
        from sagicc_tui.settings import load_settings  # the user the TUI remembers

        name = load_settings().last_user
    if not name:
        raise UserError(_("Say who you are with --user NAME (see `sagicc users`)."))
    return asyncio.run(backend.get_user(name))


def _print_json(value: Any) -> None:
    from sagicc_tui.remote.wire import jsonable

    json.dump(jsonable(value), sys.stdout, ensure_ascii=False, indent=None)
    sys.stdout.write("\n")


# --- verbs ------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from sagicc_tui.local_store.demo import build_demo

    db = _db(args)
    started = []

    def progress(line: str) -> None:
        if not started:  # only once the store has been accepted
            started.append(True)
            print(_("Building a demo store with {n} tickets at {db}…", n=args.tickets, db=db), file=sys.stderr)
        print(f"  {line}", file=sys.stderr)

    summary = build_demo(db, tickets=args.tickets, seed=args.seed, progress=progress)
    print(_("Done in {seconds} s: {tickets} tickets, {customers} customers, {users} users, {campaigns} campaigns. "
            "Open it with: sagicc --db {db}", seconds=f"{summary.elapsed_seconds:.1f}", tickets=summary.tickets,
            customers=summary.customers, users=summary.users, campaigns=summary.campaigns, db=db))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise UserError(_("The server needs its extra packages: pip install 'sagicc-tui[server]'.")) from None
    from sagicc_tui.server.serve import run

    db = _db(args)
    from sagicc_tui.commands.session import require_initialised

    require_initialised(db)  # a missing or empty location says to run `sagicc init`
    where = _("the socket {path}", path=args.socket) if args.socket else f"http://{args.host}:{args.port}"
    print(_("Serving {db} on {where} (API /api/v1, documentation /docs)", db=db, where=where), file=sys.stderr)
    run(db, args.host, args.port, args.workers, socket_path=args.socket, socket_group=args.socket_group,
        mail=args.mail)
    return 0


def _ingest_backend(args: argparse.Namespace):
    """The local store, or on a server its gateway door with $SAGICC_CHANNEL_TOKEN."""
    from sagicc_tui.commands.session import server_url

    url = server_url(args)
    if url is None:
        return _open_existing(_db(args))
    token = os.environ.get("SAGICC_CHANNEL_TOKEN", "").strip()
    if not token:
        raise UserError(_("Ingesting on the server {url} needs a gateway token in $SAGICC_CHANNEL_TOKEN "
                          "(`sagicc channels token NAME`), or pass --db PATH for a store on this machine.", url=url))
    from sagicc_tui.remote.backend import RemoteBackend
    from sagicc_tui.remote.credentials import normalize_url

    return RemoteBackend(normalize_url(url), token, channel_token=token)


def cmd_ingest(args: argparse.Namespace) -> int:
    import dataclasses

    from sagicc_tui.ingest_file import ingest_lines

    backend = _ingest_backend(args)
    if args.file == "-":
        stream = sys.stdin.buffer
    else:
        try:
            stream = open(args.file, "rb")  # noqa: SIM115 - closed below; each line is decoded by itself
        except OSError as e:
            raise UserError(_("Cannot read {path}: {reason}.", path=args.file, reason=e.strerror)) from None

    def on_line(number: int, result, error: str | None) -> None:
        # As each line is done, so a killed ingest has said how far it got.
        if error is not None:
            print("sagicc: " + _("line {number}: {error}", number=number, error=error), file=sys.stderr, flush=True)
        if args.json:
            _print_json({"line": number, "ok": True, **dataclasses.asdict(result)} if error is None
                        else {"line": number, "ok": False, "error": error})
            sys.stdout.flush()

    def progress(report) -> None:
        print("  " + _("line {line}: {added} added, {duplicates} already there, {refused} refused",
                       line=report.lines, added=report.added, duplicates=report.duplicates,
                       refused=len(report.errors)), file=sys.stderr, flush=True)

    try:
        report = ingest_lines(backend, stream, on_line=on_line, progress=progress)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    print(_("{added} interactions ingested ({new} new tickets), {duplicates} already in the store, {refused} lines "
            "refused.", added=report.added, new=report.new_tickets, duplicates=report.duplicates,
            refused=len(report.errors)), file=sys.stderr)
    if report.stopped is not None:
        line_no, error = report.stopped
        print("sagicc: " + _("stopped at line {line}: {reason} The {before} lines before it are in the store or "
                             "were reported above; run the same file again: what is already in the store is "
                             "skipped.", line=line_no, reason=_sentence(error), before=line_no - 1), file=sys.stderr)
    return EXIT_ERROR if report.errors or report.stopped else 0


def cmd_mail(args: argparse.Namespace) -> int:
    from sagicc_tui.mail import cli as mail_cli

    return mail_cli.run(args)


def cmd_external_views(args: argparse.Namespace) -> int:
    from sagicc_tui.commands.session import open_session

    # The same store or server as every other verb (commands/session.py).
    session = asyncio.run(open_session(args))
    backend, user = session.backend, session.user
    if args.links_verb == "revoke":
        asyncio.run(backend.revoke_external_view(user, args.token))
        print(_("Revoked: the link no longer opens."), file=sys.stderr)
        return 0

    async def gather():
        ticket_id = None
        if args.ticket is not None:
            ticket_id = (await backend.get_ticket_by_number(user, args.ticket)).id
        return await backend.list_external_views(user, ticket_id=ticket_id)

    links = asyncio.run(gather())
    if args.json:
        _print_json(links)
        return 0
    print(f"{'TICKET':>8}  {'STATE':<8} {'EXPIRES':<16} {'BY':<24} TOKEN")
    for link in links:
        state = "revoked" if link.revoked_at else "works" if link.active else "stopped"
        until = link.expires_at.astimezone().strftime("%Y-%m-%d %H:%M") if link.expires_at else "-"
        from sagicc_tui.sanitize import one_line

        print(f"{link.ticket_number:>8}  {state:<8} {until:<16} {one_line(link.created_by_name, 24):<24} {link.token}")
    print(_("{n} links.", n=len(links)), file=sys.stderr)
    return 0




# --- server sign-in (the token never reaches stdout, stderr or settings.json) ----------------------


def cmd_login(args: argparse.Namespace) -> int:
    from sagicc_tui.i18n import _
    from sagicc_tui.remote import credentials
    from sagicc_tui.sanitize import one_line

    url = credentials.normalize_url(args.url)
    if args.token_file is None:
        usable, reason = credentials.keyring_status()
        if not usable:  # say so before asking for the token
            raise credentials.no_keyring_error(reason)
    token = _read_token(url)
    username = credentials.verify_token(url, token)
    kept_in = credentials.save_token(url, username, token, token_file=args.token_file)
    credentials.remember_login(url, token_file=kept_in)
    if kept_in is None:
        print(_("Signed in to {url} as {user}; the token is kept in the system keyring.",
                url=url, user=one_line(username, 80)))
    else:
        print(_("Signed in to {url} as {user}; the token is kept in {path}, readable only by you.",
                url=url, user=one_line(username, 80), path=str(kept_in)))
    return 0


def _read_token(url: str) -> str:
    """From the terminal without echo, or the first line of standard input."""
    from sagicc_tui.domain.errors import InvalidInput
    from sagicc_tui.domain.messages import N_
    from sagicc_tui.i18n import _

    stdin = sys.stdin
    if stdin is not None and stdin.isatty():
        import getpass

        token = getpass.getpass(_("Token for {url}: ", url=url))
    else:
        token = stdin.readline() if stdin is not None else ""
    token = token.strip()
    if not token:
        raise InvalidInput(N_("No token was given; type the token an administrator gave you, or pipe it on "
                              "standard input."))
    return token


def cmd_logout(args: argparse.Namespace) -> int:
    from sagicc_tui.i18n import _
    from sagicc_tui.remote import credentials

    url = credentials.normalize_url(args.url)
    removed = credentials.delete_token(url, token_file=args.token_file)
    credentials.forget_login(url)
    if removed:
        print(_("Signed out of {url}; this computer no longer keeps its token.", url=url))
    else:
        print(_("There was no saved token for {url} on this computer.", url=url))
    if os.environ.get(credentials.TOKEN_ENV, "").strip():
        print(_("SAGICC_TOKEN is still set in this environment and will still be used; unset it too."),
              file=sys.stderr)
    return 0


# --- the TUI ------------------------------------------------------------------------------------


def run_tui(args: argparse.Namespace) -> int:
    from sagicc_tui.shared_host.session import host_session

    host = host_session(args)  # an SSH key's forced command or the host's socket: the host says who
    if host is not None:
        return _run_host_tui(args, host)
    server = _server_for(args)
    if server is not None:
        return _run_remote_tui(args, *server)
    db = _db(args)
    notice = None
    if not args.db and not os.environ.get("SAGICC_DB") and not Path(db).exists():
        # The first run on this machine (the Quick start): a demo store to try it.
        from sagicc_tui.local_store.demo import build_demo

        print(_("No store at {db}: creating a demo store there…", db=db), file=sys.stderr)
        build_demo(db, tickets=2000)
        notice = db
    from sagicc_tui.local_store.quick_open import backend_opener, open_reader

    # The first screen is read without the ORM, which loads meanwhile (#16.6); a store
    # this reader cannot vouch for is opened whole first, as before.
    reader = open_reader(db)
    if reader is None:
        from sagicc_tui.commands.session import require_initialised

        require_initialised(db)  # a store asked for by name: missing or empty says to run init
    _need_terminal()

    from sagicc_tui.app import SagiccApp

    app = SagiccApp(open_backend=backend_opener(db, reader), username=args.user, language=args.lang, demo_created_at=notice)
    app.run()
    return app.return_code or 0


def _need_terminal() -> None:
    if not sys.stdout.isatty() and not os.environ.get("SAGICC_ALLOW_NO_TTY"):
        raise UserError(_("The TUI needs a terminal; use a headless verb (see `sagicc --help`) in scripts."))


def _server_for(args: argparse.Namespace) -> tuple[str, str | None] | None:
    """(server URL, remembered token file) when the TUI should work on a server."""
    url = args.server or os.environ.get("SAGICC_SERVER")
    from sagicc_tui.settings import load_settings

    settings = load_settings()
    if url is None and not args.db and not os.environ.get("SAGICC_DB"):
        url = settings.server_url
    return (url, settings.token_file) if url else None


def _run_remote_tui(args: argparse.Namespace, url: str, token_file: str | None) -> int:
    """The same TUI on a RemoteBackend: the user is the one the token signs in.
    Not signed in (or the token was revoked): the TUI asks for a token itself."""
    from sagicc_tui.remote.session import RemoteSession

    session = RemoteSession(url, token_file=token_file, username=args.user)
    _need_terminal()
    from sagicc_tui.app import SagiccApp

    app = SagiccApp(open_backend=session.open_backend, username=session.username, language=args.lang,
                    remote_url=session.url, sign_in=session.sign_in)
    session.on_user = app.set_username
    app.run()
    return app.return_code or 0


def _run_host_tui(args: argparse.Namespace, host) -> int:
    """The TUI on a shared host: the user is the host's, the picker is never shown."""
    _need_terminal()
    from sagicc_tui.app import SagiccApp

    app = SagiccApp(open_backend=host.open_backend, username=host.username, language=args.lang,
                    settings_path=host.settings_path, identity_from_host=True)
    host.on_user = app.set_username
    app.run()
    return app.return_code or 0
