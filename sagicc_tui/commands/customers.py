"""`sagicc customers ...`: the customers module, headless (C1-C6, P5)."""

from __future__ import annotations

import argparse
import sys

from sagicc_tui.commands import common, json_flag, print_json, say
from sagicc_tui.commands.session import Session, UserError, run
from sagicc_tui.i18n import _

#: The most rows one `customers list` prints, like `tickets list`.
MAX_LIST = 500


def _positive(value: str) -> int:
    from sagicc_tui.commands.tickets import _positive as positive

    return positive(value)


def _form(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument("--type", default=None, choices=("person", "company"))
    p.add_argument("--id-type", default=None, required=required, metavar="T", help="document type, like cc or nit")
    p.add_argument("--id-number", default=None, required=required, metavar="N")
    p.add_argument("--first-name", default=None, required=required, metavar="TEXT", help="or the company name")
    p.add_argument("--middle-name", default=None, metavar="TEXT")
    p.add_argument("--last-name", default=None, metavar="TEXT")
    p.add_argument("--second-last-name", default=None, metavar="TEXT")
    p.add_argument("--birth-date", default=None, metavar="YYYY-MM-DD")
    p.add_argument("--feature", action="append", default=None, metavar="F", help="repeat; replaces them")
    p.add_argument("--allow-duplicate", action="store_true", help="save although another customer has the document")


def add_parsers(verbs) -> None:
    customers = verbs.add_parser("customers", help="list, add, edit, export or merge customers")
    cv = customers.add_subparsers(dest="customers_verb", required=True,
                                  metavar="list|show|add|edit|disable|enable|delete|contacts|accounts|export|merge")

    def verb(name, helptext, fn, *, one=True):
        p = cv.add_parser(name, help=helptext)
        common(p)
        json_flag(p)
        if one:
            p.add_argument("id", type=_positive, metavar="ID", help="the customer's id")
        p.set_defaults(run=fn)
        return p

    p = verb("list", "customers matching a search: name, document, e-mail or phone", customers_list, one=False)
    p.add_argument("--search", default="", metavar="TEXT")
    p.add_argument("--status", default="", choices=("active", "disabled"))
    p.add_argument("--order", default="created_desc", choices=("created_desc", "created_asc", "name"))
    p.add_argument("--limit", type=_positive, default=50, metavar="N", help=f"at most {MAX_LIST}")
    verb("show", "one customer with contacts and accounts", customers_show)
    p = verb("add", "a new customer", customers_add, one=False)
    _form(p, required=True)
    p.add_argument("--email", action="append", default=[], metavar="ADDRESS")
    p.add_argument("--phone", action="append", default=[], metavar="NUMBER")
    p = verb("edit", "change a customer's details (only the options given)", customers_edit)
    _form(p, required=False)
    verb("disable", "disable a customer (supervisors)", customers_disable)
    verb("enable", "enable a disabled customer (supervisors)", customers_enable)
    verb("delete", "delete a customer without tickets (supervisors)", customers_delete)
    p = verb("contacts", "list a customer's contacts, or add or remove one", customers_contacts)
    p.add_argument("--add", default=None, metavar="KIND:VALUE", help="like email:ana@example.com or phone:3001234567")
    p.add_argument("--label", default="", metavar="TEXT")
    p.add_argument("--remove", type=_positive, default=None, metavar="CONTACT_ID")
    p = verb("accounts", "list a customer's accounts, or add one", customers_accounts)
    p.add_argument("--add", default=None, metavar="NUMBER")
    p.add_argument("--name", default="", metavar="TEXT")
    p = cv.add_parser("export", help="the whole customer base to a spreadsheet (export permission)")
    common(p)
    p.add_argument("--format", choices=("xlsx", "csv"), default=None, help="default: from the file name, else xlsx")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.set_defaults(run=customers_export)
    p = cv.add_parser("merge", help="merge customers into MAIN; the others are deleted (irreversible)")
    common(p)
    p.add_argument("main", type=_positive, metavar="MAIN", help="id of the customer who stays")
    p.add_argument("others", type=_positive, nargs="+", metavar="OTHER", help="ids of the customers to merge")
    p.add_argument("--contacts", action="store_true", help="move their contact information")
    p.add_argument("--accounts", action="store_true", help="move their accounts")
    p.add_argument("--tickets", action="store_true", help="move their tickets (none of the three: all)")
    p.add_argument("--dry-run", action="store_true", help="only say what would change")
    json_flag(p)
    p.set_defaults(run=customers_merge)


def _line(c) -> str:
    from sagicc_tui.sanitize import one_line

    doc = one_line(f"{c.id_type.value} {c.id_number}", 22)
    created = c.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return f"{c.id:>8}  {c.type.value:<8} {doc:<22} {c.status.value:<9} {created:<16} {one_line(c.full_name, 60)}"


def _out(args, value, text: str) -> int:
    if args.json:
        print_json(value)
    else:
        print(text)
    return 0


def customers_list(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.customers import CustomerOrder, CustomerQuery
    from sagicc_tui.domain.enums import CustomerStatus

    query = CustomerQuery(search=args.search, order=CustomerOrder(args.order),
                          statuses=(CustomerStatus(args.status),) if args.status else ())
    limit = min(args.limit, MAX_LIST)

    async def verb(s: Session):
        rows, after = [], None
        while len(rows) < limit:
            page = await s.acting.customers.list_customers(query, limit=min(100, limit - len(rows)), after=after)
            rows += page.rows
            after = page.next_cursor
            if after is None:
                break
        return rows, (None if args.json else await s.acting.customers.count_customers(query))

    rows, total = run(args, verb)
    if args.json:
        print_json(rows)
        return 0
    print(f"{'ID':>8}  {'TYPE':<8} {'DOCUMENT':<22} {'STATUS':<9} {'CREATED':<16} NAME")
    for c in rows:
        print(_line(c))
    print(_("{shown} of {total} customers.", shown=len(rows), total=total), file=sys.stderr)
    return 0


def customers_show(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        c = await s.acting.customers.get_customer(args.id)
        return c, await s.acting.customers.list_contacts(c.id), await s.acting.customers.list_accounts(c.id)

    c, contacts, accounts = run(args, verb)
    if args.json:
        print_json({"customer": c, "contacts": contacts, "accounts": accounts})
        return 0
    from sagicc_tui.sanitize import one_line

    print(_line(c))
    for x in contacts:
        print("  " + _("contact {id}:", id=x.id) + f" {x.kind.value} {one_line(x.value)} {one_line(x.label)}")
    for a in accounts:
        print("  " + _("account {id}:", id=a.id) + f" {one_line(a.number)} {one_line(a.name)}")
    return 0


def _input(args, base=None):
    from datetime import date

    from sagicc_tui.domain.customers import CustomerInput
    from sagicc_tui.domain.enums import CustomerType, IdType

    def pick(name, current):
        value = getattr(args, name)
        return current if value is None else value

    try:
        birth = date.fromisoformat(args.birth_date) if args.birth_date else (base.birth_date if base else None)
    except ValueError:
        raise UserError(_("Write --birth-date as YYYY-MM-DD; {value} is not.", value=repr(args.birth_date))) from None
    try:
        data = CustomerInput(
            type=CustomerType(pick("type", base.type.value if base else "person")),
            id_type=IdType(pick("id_type", base.id_type.value if base else None)),
            id_number=pick("id_number", base.id_number if base else ""),
            first_name=pick("first_name", base.first_name if base else ""),
            middle_name=pick("middle_name", base.middle_name if base else ""),
            last_name=pick("last_name", base.last_name if base else ""),
            second_last_name=pick("second_last_name", base.second_last_name if base else ""),
            birth_date=birth, features=tuple(args.feature) if args.feature is not None else None)
    except ValueError:
        raise UserError(_("{value} is not a document type: {known}.", value=repr(args.id_type),
                          known=", ".join(t.value for t in IdType))) from None
    return data  # the store validates it (domain/customers.py)


def customers_add(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.customers import ContactInput
    from sagicc_tui.domain.enums import ContactKind

    data = _input(args)

    async def verb(s: Session):
        c = await s.acting.customers.create_customer(data, allow_duplicate=args.allow_duplicate)
        for value in args.email:
            await s.acting.customers.add_contact(c.id, ContactInput(kind=ContactKind.EMAIL, value=value))
        for value in args.phone:
            await s.acting.customers.add_contact(c.id, ContactInput(kind=ContactKind.PHONE, value=value))
        return c

    c = run(args, verb)
    return _out(args, c, _line(c))


def customers_edit(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        current = await s.acting.customers.get_customer(args.id)
        return await s.acting.customers.update_customer(args.id, _input(args, current),
                                               expected_version=current.version,
                                               allow_duplicate=args.allow_duplicate)

    c = run(args, verb)
    return _out(args, c, _line(c))


def customers_disable(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        current = await s.acting.customers.get_customer(args.id)
        return await s.acting.customers.disable_customer(args.id, expected_version=current.version)

    c = run(args, verb)
    return _out(args, c, _line(c))


def customers_enable(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        current = await s.acting.customers.get_customer(args.id)
        return await s.acting.customers.enable_customer(args.id, expected_version=current.version)

    c = run(args, verb)
    return _out(args, c, _line(c))


def customers_delete(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        await s.acting.customers.delete_customer(args.id)

    run(args, verb)
    return _out(args, {"deleted": args.id}, f"Customer {args.id} deleted.")


def customers_contacts(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.customers import ContactInput
    from sagicc_tui.domain.enums import ContactKind

    new = None
    if args.add:
        kind, sep, value = args.add.partition(":")
        try:
            new = ContactInput(kind=ContactKind(kind), value=value, label=args.label)
        except ValueError:
            sep = ""
        if not sep:
            raise UserError(_("Write --add as KIND:VALUE with KIND one of {known}.",
                              known=", ".join(k.value for k in ContactKind)))

    async def verb(s: Session):
        if new is not None:
            await s.acting.customers.add_contact(args.id, new)
        if args.remove:
            await s.acting.customers.delete_contact(args.remove)
        return await s.acting.customers.list_contacts(args.id)

    contacts = run(args, verb)
    from sagicc_tui.sanitize import one_line

    return _out(args, contacts, "\n".join(f"{x.id:>8}  {x.kind.value:<9} {one_line(x.value)}  {one_line(x.label)}"
                                          for x in contacts))


def customers_accounts(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.customers import AccountInput

    async def verb(s: Session):
        if args.add:
            await s.acting.customers.add_account(args.id, AccountInput(number=args.add, name=args.name))
        return await s.acting.customers.list_accounts(args.id)

    accounts = run(args, verb)
    from sagicc_tui.sanitize import one_line

    return _out(args, accounts, "\n".join(f"{a.id:>8}  {one_line(a.number):<20} {one_line(a.name)}" for a in accounts))


def customers_export(args: argparse.Namespace) -> int:
    fmt = args.format or ("csv" if args.output.lower().endswith(".csv") else "xlsx")
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        line = "  " + _("{done}/{total} customers", done=done, total=total)
        print("\r" + line if tty else line,
              end="" if tty else "\n", file=sys.stderr, flush=True)

    async def verb(s: Session):
        from sagicc_tui.files import export_to_file

        return await export_to_file(s.acting, args.output, fmt, progress)

    result = run(args, verb)
    if tty:
        print(file=sys.stderr)
    print(_("Exported {customers} customers ({contacts} contacts, {accounts} accounts) to {path} in {seconds} s.",
            customers=result.customers, contacts=result.contacts, accounts=result.accounts, path=result.path,
            seconds=f"{result.seconds:.1f}"), file=sys.stderr)
    return 0


def customers_merge(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.customers import MergeParts

    chosen = (args.contacts, args.accounts, args.tickets)
    parts = MergeParts(*chosen) if any(chosen) else MergeParts()

    async def verb(s: Session):
        preview = await s.acting.customers.preview_customer_merge(args.main, args.others, parts)
        if preview.blocked is not None:
            raise UserError(say(preview.blocked.template, **preview.blocked.params))
        if args.dry_run:
            return preview
        return await s.acting.customers.merge_customers(args.main, args.others, parts)

    result = run(args, verb)
    if args.json:
        print_json(result)
        return 0
    if args.dry_run:
        for change in result.changes:
            print(say(change.template, **change.params))
        return 0
    from sagicc_tui.sanitize import one_line

    print(_("Merged {n} customers into {name} (id {id}): {contacts} contacts, {accounts} accounts and {tickets} "
            "tickets moved.", n=len(result.deleted_ids), name=one_line(result.main.full_name), id=result.main.id,
            contacts=result.contacts_moved, accounts=result.accounts_moved, tickets=result.tickets_moved))
    return 0
