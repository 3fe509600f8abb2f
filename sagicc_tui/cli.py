"""`sagicc`: open the TUI, or run a headless verb (spec P5).

Start-up discipline: this module imports only the standard library at module
level. `sagicc --help` and the headless verbs never import Textual; the store
(SQLAlchemy, SQLModel) is imported only by the verbs that open it.

Errors a person can fix are printed as one sentence on stderr with exit code 1;
usage errors exit 2 (argparse). Never a traceback for those.
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

    users = verbs.add_parser("users", help="list the users of the store; add one, give or revoke server tokens")
    _common(users, suppress=True)
    users.add_argument("--json", action="store_true")
    uverbs = users.add_subparsers(dest="users_verb", metavar="add|token|revoke")
    uadd = uverbs.add_parser("add", help="a new user; prints their server token once")
    _common(uadd, suppress=True)
    uadd.add_argument("name", metavar="NAME", help="the user name they sign in with, like ana.perez")
    uadd.add_argument("--role", required=True, choices=("agent", "supervisor", "administrator"))
    uadd.add_argument("--full-name", default="", metavar="TEXT", help="the name shown (default: NAME)")
    uadd.add_argument("--campaign", type=_positive, action="append", default=[], metavar="ID",
                      help="a campaign they belong to (repeat; default: every campaign)")
    utoken = uverbs.add_parser("token", help="a new server token for an existing user (printed once)")
    _common(utoken, suppress=True)
    utoken.add_argument("name", metavar="NAME")
    urevoke = uverbs.add_parser("revoke", help="revoke every server token of a user")
    _common(urevoke, suppress=True)
    urevoke.add_argument("name", metavar="NAME")

    channels = verbs.add_parser("channels", help="tokens for channel gateways (POST /api/v1/inbound)")
    chverbs = channels.add_subparsers(dest="channels_verb", metavar="token|revoke", required=True)
    ctoken = chverbs.add_parser("token", help="a new gateway token (printed once)")
    _common(ctoken, suppress=True)
    ctoken.add_argument("name", metavar="NAME", help="which gateway, like whatsapp-1")
    crevoke = chverbs.add_parser("revoke", help="revoke a gateway's tokens")
    _common(crevoke, suppress=True)
    crevoke.add_argument("name", metavar="NAME")

    serve = verbs.add_parser("serve", help="serve the store to remote terminals over HTTP (needs sagicc-tui[server])")
    _common(serve, suppress=True)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_positive, default=8765)
    serve.add_argument("--workers", type=_positive, default=1, help="server processes (PostgreSQL stores)")

    tickets = verbs.add_parser("tickets", help="list or show tickets")
    tverbs = tickets.add_subparsers(dest="tickets_verb", metavar="list|show", required=True)
    tlist = tverbs.add_parser("list", help="tickets matching filters, in the user's scope")
    _common(tlist, suppress=True)
    _ticket_filters(tlist)
    tshow = tverbs.add_parser("show", help="one ticket with its conversation and tasks")
    _common(tshow, suppress=True)
    tshow.add_argument("number", type=_positive, metavar="N")
    tshow.add_argument("--json", action="store_true")
    _customers_parser(verbs)
    _external_views_parser(verbs)
    _login_parsers(verbs)
    from sagicc_tui.shared_host.verbs import register  # ssh-keys, ssh-session, users os-user, serve --socket

    register(verbs, common=_common, users_add=uadd, users_verbs=uverbs, serve=serve)
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


def _customers_parser(verbs) -> None:
    customers = verbs.add_parser("customers", help="list, export or merge customers")
    cverbs = customers.add_subparsers(dest="customers_verb", metavar="list|export|merge", required=True)
    clist = cverbs.add_parser("list", help="customers matching a search: name, document, e-mail or phone")
    _common(clist, suppress=True)
    clist.add_argument("--search", default="", metavar="TEXT")
    clist.add_argument("--status", default="", choices=("active", "disabled"))
    clist.add_argument("--order", default="created_desc", choices=("created_desc", "created_asc", "name"))
    clist.add_argument("--limit", type=_positive, default=50, metavar="N")
    clist.add_argument("--json", action="store_true")
    cexport = cverbs.add_parser("export", help="the whole customer base to a spreadsheet (export permission)")
    _common(cexport, suppress=True)
    cexport.add_argument("--format", choices=("xlsx", "csv"), default=None,
                         help="default: from the file name, else xlsx")
    cexport.add_argument("-o", "--output", required=True, metavar="FILE")
    cmerge = cverbs.add_parser("merge", help="merge customers into MAIN; the others are deleted (irreversible)")
    _common(cmerge, suppress=True)
    cmerge.add_argument("main", type=_positive, metavar="MAIN", help="id of the customer who stays")
    cmerge.add_argument("others", type=_positive, nargs="+", metavar="OTHER", help="ids of the customers to merge")
    cmerge.add_argument("--contacts", action="store_true", help="move their contact information")
    cmerge.add_argument("--accounts", action="store_true", help="move their accounts")
    cmerge.add_argument("--tickets", action="store_true", help="move their tickets (none of the three: all)")
    cmerge.add_argument("--dry-run", action="store_true", help="only say what would change")
    cmerge.add_argument("--json", action="store_true")


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


def _ticket_filters(p: argparse.ArgumentParser) -> None:
    from_values = "comma-separated: "
    p.add_argument("--campaign", action="append", default=[], metavar="NAME|ID", help="repeatable")
    p.add_argument("--status", default="", metavar="S,..", help=from_values + "new,open,transferred,escalated,closed")
    p.add_argument("--priority", default="", metavar="P,..", help=from_values + "critical,high,medium,low")
    p.add_argument("--type", default="", metavar="T,..", help=from_values + "question,suggestion,complaint,claim")
    p.add_argument("--channel", default="", metavar="C,..", help=from_values + "email,whatsapp,telephony,chat,sms")
    p.add_argument("--assignee", default="", metavar="USER,..|unassigned")
    p.add_argument("--feature", default="", metavar="F,..")
    p.add_argument("--outcome", default="", metavar="V,..", help="last task's primary field value")
    p.add_argument("--created-from", default="", metavar="YYYY-MM-DD")
    p.add_argument("--created-to", default="", metavar="YYYY-MM-DD", help="exclusive")
    p.add_argument("--search", default="", metavar="TEXT")
    p.add_argument("--order", default="created_desc",
                   choices=("created_asc", "created_desc", "unread_asc", "unread_desc",
                            "next_task_furthest", "next_task_closest"))
    p.add_argument("--limit", type=_positive, default=50, metavar="N")
    p.add_argument("--json", action="store_true")


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return n


def _version() -> str:
    from sagicc_tui import __version__

    return __version__


class UserError(Exception):
    """A sentence for stderr, exit code 1."""


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.lang:
            from sagicc_tui import i18n

            i18n.set_language(args.lang)
        handler: Callable[[argparse.Namespace], int] = getattr(args, "_handler", None) or {
            None: run_tui,
            "demo": cmd_demo,
            "ingest": cmd_ingest,
            "users": cmd_users,
            "tickets": cmd_tickets,
            "customers": cmd_customers,
            "external-views": cmd_external_views,
            "login": cmd_login,
            "channels": cmd_channels,
            "serve": cmd_serve,
            "logout": cmd_logout,
        }[args.verb]
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - the one place errors become sentences
        message = _sentence(e)
        if message is None:
            raise
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
    if isinstance(e, OSError):
        return f"{e.strerror or e}: {e.filename or ''}".rstrip(": ")
    mod = type(e).__module__
    if mod.startswith("sqlalchemy") or mod == "sqlite3":
        # Unexpected database states (a corrupt file, a foreign file): say what to check.
        return f"The store could not be read ({str(e).splitlines()[0]}); check that --db points to a sagicc store."
    return None


# --- store and session ----------------------------------------------------------------------


def _db(args: argparse.Namespace) -> str:
    from sagicc_tui.paths import resolve_db

    return resolve_db(getattr(args, "db", None))


def _is_url(db: str) -> bool:
    return "://" in db


def _open_existing(db: str):
    if not _is_url(db) and not Path(db).exists():
        raise UserError(f"There is no store at {db}; create one with `sagicc demo --db {db}` or check --db.")
    from sagicc_tui.local_store.backend import LocalBackend

    return LocalBackend(db)


def _acting_user(backend, args: argparse.Namespace):
    name = getattr(args, "user", None) or os.environ.get("SAGICC_USER")
    if not name:
        from sagicc_tui.settings import load_settings  # the user the TUI remembers

        name = load_settings().last_user
    if not name:
        raise UserError("Say who you are with --user NAME (see `sagicc users`).")
    return asyncio.run(backend.get_user(name))


def _print_json(value: Any) -> None:
    from sagicc_tui.serialize import to_jsonable

    json.dump(to_jsonable(value), sys.stdout, ensure_ascii=False, indent=None)
    sys.stdout.write("\n")


# --- verbs ------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from sagicc_tui.local_store.demo import build_demo

    db = _db(args)
    started = []

    def progress(line: str) -> None:
        if not started:  # only once the store has been accepted
            started.append(True)
            print(f"Building a demo store with {args.tickets} tickets at {db}…", file=sys.stderr)
        print(f"  {line}", file=sys.stderr)

    summary = build_demo(db, tickets=args.tickets, seed=args.seed, progress=progress)
    print(f"Done in {summary.elapsed_seconds:.1f} s: {summary.tickets} tickets, {summary.customers} customers, "
          f"{summary.users} users, {summary.campaigns} campaigns. Open it with: sagicc --db {db}")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    verb = getattr(args, "users_verb", None)
    if verb is not None:
        return _users_tokens(args, verb)
    backend = _open_existing(_db(args))
    users = asyncio.run(backend.list_users())
    if args.json:
        _print_json(users)
        return 0
    from sagicc_tui.sanitize import one_line

    for u in users:
        print(f"{u.username:<16} {u.role.value:<14} {one_line(u.full_name)}")
    return 0


def _users_tokens(args: argparse.Namespace, verb: str) -> int:
    from sagicc_tui.domain.enums import Role
    from sagicc_tui.local_store import access

    store = _open_existing(_db(args)).store
    if verb == "revoke":
        n = access.revoke_user_tokens(store, args.name)
        print(f"Revoked {n} token(s) of {args.name}; their terminals must sign in again.")
        return 0
    if verb == "add":
        uid = access.add_user(store, args.name, args.full_name, Role(args.role), tuple(args.campaign),
                              os_user=args.os_user)
    else:
        from sqlalchemy import select

        from sagicc_tui.local_store import schema

        users = schema.UserRow.__table__
        with store.read() as conn:
            uid = conn.execute(select(users.c.id).where(users.c.username == args.name)).scalar()
        if uid is None:
            raise UserError(f"There is no user {args.name}; `sagicc users` lists them.")
    token = access.issue_token(store, uid, args.name)
    print(f"Token for {args.name} (shown only now; the store keeps only its hash):", file=sys.stderr)
    print(token)
    print("On their machine: sagicc login https://YOUR-SERVER:8765   (then paste the token)", file=sys.stderr)
    return 0


def cmd_channels(args: argparse.Namespace) -> int:
    from sagicc_tui.local_store import access

    store = _open_existing(_db(args)).store
    if args.channels_verb == "revoke":
        n = access.revoke_channel_tokens(store, args.name)
        print(f"Revoked {n} token(s) of the gateway {args.name}.")
        return 0
    token = access.issue_token(store, None, args.name)
    print(f"Gateway token for {args.name} (shown only now): POST /api/v1/inbound with "
          "Authorization: Bearer TOKEN", file=sys.stderr)
    print(token)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise UserError("The server needs its extra packages: pip install 'sagicc-tui[server]'.") from None
    from sagicc_tui.server.serve import run

    db = _db(args)
    if not _is_url(db) and not Path(db).exists():
        raise UserError(f"There is no store at {db}; create one (sagicc demo --db {db}) or pass --db.")
    where = f"the socket {args.socket}" if args.socket else f"http://{args.host}:{args.port}"
    print(f"Serving {db} on {where} (API /api/v1, documentation /docs)", file=sys.stderr)
    run(db, args.host, args.port, args.workers, socket_path=args.socket, socket_group=args.socket_group)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from sagicc_tui.ingest_file import ingest_lines

    backend = _open_existing(_db(args))
    if args.file == "-":
        lines = sys.stdin
    else:
        try:
            lines = open(args.file, encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as e:
            raise UserError(f"Cannot read {args.file}: {e.strerror}.") from None
    try:
        report = ingest_lines(backend, lines)
    finally:
        if lines is not sys.stdin:
            lines.close()
    for ok in report.done:
        if args.json:
            _print_json({"line": ok[0], "ok": True, **__import__("dataclasses").asdict(ok[1])})
    for line_no, reason in report.errors:
        if args.json:
            _print_json({"line": line_no, "ok": False, "error": reason})
        print(f"sagicc: line {line_no}: {reason}", file=sys.stderr)
    print(f"{len(report.done)} interactions ingested ({report.new_tickets} new tickets), "
          f"{len(report.errors)} lines refused.", file=sys.stderr)
    return EXIT_ERROR if report.errors else 0


def _backend_and_user(args: argparse.Namespace):
    """The store a verb works on and who acts: on a shared host its server says who (never --user)."""
    from sagicc_tui.shared_host.session import headless

    found = headless(args)
    if found is not None:
        return found
    backend = _open_existing(_db(args))
    return backend, _acting_user(backend, args)


def cmd_tickets(args: argparse.Namespace) -> int:
    backend, user = _backend_and_user(args)
    if args.tickets_verb == "show":
        return _show_ticket(backend, user, args)
    from sagicc_tui.headless import query_from_args

    query = query_from_args(backend, user, args)
    page = asyncio.run(backend.list_tickets(user, query, limit=min(args.limit, 500)))
    rows = page.rows
    if args.json:
        _print_json(list(rows))
        return 0
    from sagicc_tui.headless import ticket_table

    total = asyncio.run(backend.count_tickets(user, query))
    print(ticket_table(rows))
    print(f"{len(rows)} of {total} tickets.", file=sys.stderr)
    return 0


def cmd_external_views(args: argparse.Namespace) -> int:
    backend = _open_existing(_db(args))
    user = _acting_user(backend, args)
    if args.links_verb == "revoke":
        asyncio.run(backend.revoke_external_view(user, args.token))
        print("Revoked: the link no longer opens.", file=sys.stderr)
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
    print(f"{len(links)} links.", file=sys.stderr)
    return 0


def _show_ticket(backend, user, args: argparse.Namespace) -> int:
    from sagicc_tui.headless import ticket_detail

    async def gather():
        t = await backend.get_ticket_by_number(user, args.number)
        customer = await backend.get_customer(user, t.customer_id)
        interactions = await backend.list_interactions(user, t.id, limit=500)
        tasks = await backend.list_tasks(user, t.id)
        return t, customer, interactions, tasks

    t, customer, interactions, tasks = asyncio.run(gather())
    if args.json:
        _print_json({"ticket": t, "customer": customer, "interactions": interactions, "tasks": tasks})
        return 0
    print(ticket_detail(t, customer, interactions, tasks))
    return 0


def cmd_customers(args: argparse.Namespace) -> int:
    backend, user = _backend_and_user(args)
    verb = {"list": _customers_list, "export": _customers_export, "merge": _customers_merge}
    return verb[args.customers_verb](backend, user, args)


def _customers_list(backend, user, args: argparse.Namespace) -> int:
    from sagicc_tui.domain.customers import CustomerOrder, CustomerQuery
    from sagicc_tui.domain.enums import CustomerStatus

    query = CustomerQuery(search=args.search, order=CustomerOrder(args.order),
                          statuses=(CustomerStatus(args.status),) if args.status else ())

    async def gather():
        rows, after = [], None
        while len(rows) < args.limit:
            page = await backend.list_customers(user, query, limit=min(500, args.limit - len(rows)), after=after)
            rows += page.rows
            after = page.next_cursor
            if after is None:
                break
        return rows, await backend.count_customers(user, query)

    rows, total = asyncio.run(gather())
    if args.json:
        _print_json(rows)
        return 0
    from sagicc_tui.sanitize import one_line

    print(f"{'ID':>8}  {'TYPE':<8} {'DOCUMENT':<22} {'STATUS':<9} {'CREATED':<16} NAME")
    for c in rows:
        doc = one_line(f"{c.id_type.value} {c.id_number}", 22)
        created = c.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        print(f"{c.id:>8}  {c.type.value:<8} {doc:<22} {c.status.value:<9} {created:<16} {one_line(c.full_name, 60)}")
    print(f"{len(rows)} of {total} customers.", file=sys.stderr)
    return 0


def _customers_export(backend, user, args: argparse.Namespace) -> int:
    fmt = args.format or ("csv" if args.output.lower().endswith(".csv") else "xlsx")
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        print(f"\r  {done}/{total} customers" if tty else f"  {done}/{total} customers",
              end="" if tty else "\n", file=sys.stderr, flush=True)

    result = asyncio.run(backend.export_customers(user, args.output, fmt, progress))
    if tty:
        print(file=sys.stderr)
    print(f"Exported {result.customers} customers ({result.contacts} contacts, {result.accounts} accounts) "
          f"to {result.path} in {result.seconds:.1f} s.", file=sys.stderr)
    return 0


def _customers_merge(backend, user, args: argparse.Namespace) -> int:
    from sagicc_tui.domain.customers import MergeParts
    from sagicc_tui.i18n import _

    chosen = (args.contacts, args.accounts, args.tickets)
    parts = MergeParts(*chosen) if any(chosen) else MergeParts()
    preview = asyncio.run(backend.preview_customer_merge(user, args.main, args.others, parts))
    if preview.blocked is not None:
        raise UserError(_(preview.blocked.template, **preview.blocked.params))
    if args.dry_run:
        if args.json:
            _print_json(preview)
        else:
            for change in preview.changes:
                print(_(change.template, **change.params))
        return 0
    result = asyncio.run(backend.merge_customers(user, args.main, args.others, parts))
    if args.json:
        _print_json(result)
        return 0
    from sagicc_tui.sanitize import one_line

    print(f"Merged {len(result.deleted_ids)} customers into {one_line(result.main.full_name)} (id {result.main.id}): "
          f"{result.contacts_moved} contacts, {result.accounts_moved} accounts and {result.tickets_moved} tickets moved.")
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
    if not _is_url(db) and not Path(db).exists():
        from sagicc_tui.local_store.demo import build_demo

        print(f"No store at {db}: creating a demo store there…", file=sys.stderr)
        build_demo(db, tickets=2000)
        notice = db
    _need_terminal()

    async def open_backend():
        def load():
            # The ORM import and the schema check run off the event loop.
            from sagicc_tui.local_store.backend import LocalBackend

            return LocalBackend(db)

        return await asyncio.to_thread(load)

    from sagicc_tui.app import SagiccApp

    app = SagiccApp(open_backend=open_backend, username=args.user, language=args.lang, demo_created_at=notice)
    app.run()
    return app.return_code or 0


def _need_terminal() -> None:
    if not sys.stdout.isatty() and not os.environ.get("SAGICC_ALLOW_NO_TTY"):
        raise UserError("The TUI needs a terminal; use a headless verb (see `sagicc --help`) in scripts.")


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
