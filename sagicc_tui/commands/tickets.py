"""`sagicc tickets ...`: what the ticket list and the ticket screen do, headless (P5).

Verbs that act on tickets name them by number; each ticket's result is a line
(or, with --json, one document with a result per ticket). Exit code 1 when
any ticket was refused, so a script knows without parsing.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import datetime

from sagicc_tui.commands import EXIT_ERROR, common, json_flag, print_json, say
from sagicc_tui.commands.session import Session, UserError, run
from sagicc_tui.i18n import _


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{value} is not a whole number", value=repr(value))) from None
    if n < 1:
        raise argparse.ArgumentTypeError(_("must be 1 or more"))
    return n


def filters(p: argparse.ArgumentParser, *, limit: bool = True) -> None:
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
                            "next_task_furthest", "next_task_closest", "priority"))
    if limit:
        p.add_argument("--limit", type=_positive, default=50, metavar="N", help="at most 500")


def add_parsers(verbs) -> None:
    tickets = verbs.add_parser("tickets", help="list, show and work tickets")
    tv = tickets.add_subparsers(dest="tickets_verb", required=True,
                                metavar="list|show|close|assign|merge|task|note|reply|attach|attachments|redistribute")

    def verb(name: str, helptext: str, fn, *, numbers: str | None = None):
        p = tv.add_parser(name, help=helptext)
        common(p)
        json_flag(p)
        if numbers == "one":
            p.add_argument("number", type=_positive, metavar="N", help="the ticket's number")
        elif numbers == "many":
            p.add_argument("numbers", type=_positive, nargs="+", metavar="N", help="ticket numbers")
        p.set_defaults(run=fn)
        return p

    p = verb("list", "tickets matching filters, in your scope", tickets_list)
    filters(p)
    verb("show", "one ticket with its conversation (attachments included) and tasks", tickets_show, numbers="one")
    verb("close", "close tickets (final: a closed ticket stays closed)", tickets_close, numbers="many")
    p = verb("assign", "assign tickets to a user, unassign them, or move them to a campaign", tickets_assign,
             numbers="many")
    p.add_argument("--to", default=None, metavar="USER", help="the new assignee")
    p.add_argument("--unassign", action="store_true")
    p.add_argument("--campaign", type=_positive, default=None, metavar="ID", help="move to this campaign")
    p = verb("merge", "merge ticket OTHER into N (OTHER ends closed; irreversible)", tickets_merge, numbers="one")
    p.add_argument("other", type=_positive, metavar="OTHER")
    p.add_argument("--merge-customers", action="store_true", help="their customers too, when they differ")
    p = verb("task", "add a task (the campaign's task form)", tickets_task, numbers="many")
    p.add_argument("--value", action="append", default=[], metavar="KEY=VALUE", help="a task field (repeat)")
    p.add_argument("--observations", default="", metavar="TEXT")
    p.add_argument("--next", default=None, metavar="YYYY-MM-DDTHH:MM", help="schedule the next task")
    p = verb("note", "add a note to a ticket", tickets_note, numbers="one")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--color", default="yellow", choices=("yellow", "green", "blue", "red", "purple"))
    p = verb("reply", "send a message on the ticket (its channel and contact by default)", tickets_reply,
             numbers="one")
    p.add_argument("--text", default="", metavar="TEXT")
    p.add_argument("--template", default=None, metavar="NAME|KEY", help="one of the campaign's templates")
    p.add_argument("--channel", default=None, metavar="CH", help="default: the ticket's last channel")
    p.add_argument("--contact", default=None, metavar="ID|VALUE", help="default: the customer's contact for it")
    p.add_argument("--subject", default="", metavar="TEXT")
    p.add_argument("--file", action="append", default=[], metavar="PATH", help="attach a file (repeat)")
    p = verb("attach", "add a file to a ticket (at most 10 MB)", tickets_attach, numbers="one")
    p.add_argument("path", metavar="PATH")
    verb("attachments", "the files of a ticket", tickets_attachments, numbers="one")
    p = verb("redistribute", "share tickets among agents at random (supervisors); --dry-run first",
             tickets_redistribute)
    p.add_argument("numbers", type=_positive, nargs="*", metavar="N", help="ticket numbers (or --query filters)")
    p.add_argument("--query", action="store_true", help="every ticket matching the filters below")
    filters(p, limit=False)
    p.add_argument("--agents", default="", metavar="USER,..", help="default: every agent of the campaign")
    p.add_argument("--seed", type=int, default=None, help="a fixed draw (reproducible)")
    p.add_argument("--dry-run", action="store_true", help="print what would change; change nothing")


# --- shared ------------------------------------------------------------------------------------


async def query_from(s: Session, args: argparse.Namespace):
    from sagicc_tui.domain.enums import ChannelType, Priority, TicketOrder, TicketStatus, TicketType, UserFilter
    from sagicc_tui.domain.query import TicketQuery
    from sagicc_tui.headless import _day, _list

    campaigns = await s.acting.agent.list_campaigns()
    campaign_ids = []
    for ref in args.campaign:
        match = [c for c in campaigns if str(c.id) == ref or c.name.lower() == ref.lower()]
        if not match:
            raise UserError(_("There is no campaign {ref} for you; yours are: {names}.", ref=repr(ref),
                              names=", ".join(c.name for c in campaigns)))
        campaign_ids.append(match[0].id)
    user_filter, user_ids = UserFilter.ALL, []
    if args.assignee:
        names = [n.strip() for n in args.assignee.split(",") if n.strip()]
        if names == ["unassigned"]:
            user_filter = UserFilter.UNASSIGNED
        else:
            user_filter = UserFilter.SPECIFIC
            user_ids = [(await s.backend.get_user(n)).id for n in names]
    return TicketQuery(
        campaign_ids=tuple(campaign_ids), statuses=_list(args.status, TicketStatus, "status"),
        priorities=_list(args.priority, Priority, "priority"), types=_list(args.type, TicketType, "ticket type"),
        channels=_list(args.channel, ChannelType, "channel"), user_filter=user_filter, user_ids=tuple(user_ids),
        features=tuple(f.strip() for f in args.feature.split(",") if f.strip()),
        primary_values=tuple(v.strip() for v in args.outcome.split(",") if v.strip()),
        created_from=_day(args.created_from, "--created-from"), created_to=_day(args.created_to, "--created-to"),
        search=args.search, order=TicketOrder(args.order))


def _sentence(e: Exception) -> str:
    from sagicc_tui.domain.errors import SagiccError

    if isinstance(e, SagiccError):
        return say(e.message.template, **e.message.params)
    return str(e)


async def _each(s: Session, numbers, act) -> list[dict]:
    """act(ticket) on each numbered ticket; a refusal is that ticket's result, not the end."""
    from sagicc_tui.domain.errors import SagiccError

    results = []
    for n in numbers:
        try:
            t = await s.acting.tickets.get_ticket_by_number(n)
            value = await act(t)
            results.append({"number": n, "ok": True, "result": value})
        except SagiccError as e:
            results.append({"number": n, "ok": False, "error": _sentence(e)})
    return results


def _report(args, results: list[dict], done: str) -> int:
    if args.json:
        print_json(results)
    else:
        for r in results:
            if r["ok"]:
                print(f"#{r['number']}: {done}")
            else:
                print(f"sagicc: #{r['number']}: {r['error']}", file=sys.stderr)
    return 0 if all(r["ok"] for r in results) else EXIT_ERROR


# --- reading ------------------------------------------------------------------------------------


def tickets_list(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        query = await query_from(s, args)
        rows, after = [], None
        limit = min(args.limit, 500)
        while len(rows) < limit:
            page = await s.acting.lists.list_tickets(query, limit=min(100, limit - len(rows)), after=after)
            rows += page.rows
            after = page.next_cursor
            if after is None:
                break
        return rows, (None if args.json else await s.acting.lists.count_tickets(query))

    rows, total = run(args, verb)
    if args.json:
        print_json(rows)
        return 0
    from sagicc_tui.headless import ticket_table

    print(ticket_table(tuple(rows)))
    print(_("{shown} of {total} tickets.", shown=len(rows), total=total), file=sys.stderr)
    return 0


def tickets_show(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        t = await s.acting.tickets.get_ticket_by_number(args.number)
        customer = await s.acting.customers.get_customer(t.customer_id)
        interactions, after = [], None
        while True:
            page = await s.acting.tickets.conversation(t.id, after_key=after, limit=100)
            interactions += [item.interaction for item in page.items]
            if page.next_key is None or len(interactions) >= 2000:
                break
            after = page.next_key
        # The list gives no files; the ones that have any are read whole (T8 View more).
        files = {a.interaction_id for a in await s.acting.tickets.list_attachments(t.id) if a.interaction_id}
        interactions = [await s.acting.tickets.get_interaction(i.id) if i.id in files else i for i in interactions]
        tasks = await s.acting.tickets.list_tasks_page(t.id)
        return t, customer, interactions, tasks

    t, customer, interactions, tasks = run(args, verb)
    if args.json:
        print_json({"ticket": t, "customer": customer, "interactions": interactions, "tasks": tasks})
        return 0
    from sagicc_tui.headless import ticket_detail

    print(ticket_detail(t, customer, interactions, tasks))
    return 0


def tickets_attachments(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        t = await s.acting.tickets.get_ticket_by_number(args.number)
        return await s.acting.tickets.list_attachments(t.id)

    found = run(args, verb)
    if args.json:
        print_json(found)
        return 0
    from sagicc_tui.sanitize import one_line

    for a in found:
        print(f"{a.id:>8}  {a.size:>10}  {one_line(a.name, 60)}")
    return 0


# --- acting ---------------------------------------------------------------------------------------


def tickets_close(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        return await _each(s, args.numbers, lambda t: s.acting.tickets.close_ticket(t.id, expected_version=t.version))

    return _report(args, run(args, verb), _("closed"))


def tickets_assign(args: argparse.Namespace) -> int:
    if not (args.to or args.unassign or args.campaign):
        raise UserError(_("Say where the tickets go: --to USER, --unassign, or --campaign ID."))
    if args.to and args.unassign:
        raise UserError(_("Give either --to USER or --unassign, not both."))

    async def verb(s: Session):
        assignee = (await s.backend.get_user(args.to)).id if args.to else None
        return await _each(s, args.numbers, lambda t: s.acting.tickets.reassign_ticket(
            t.id, assignee_id=assignee, campaign_id=args.campaign, expected_version=t.version))

    done = (_("assigned to {user}", user=args.to) if args.to else _("unassigned") if args.unassign
            else _("moved to campaign {id}", id=args.campaign))
    return _report(args, run(args, verb), done)


def tickets_merge(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        return await _each(s, [args.number], lambda t: s.acting.tickets.merge_ticket(
            t.id, args.other, merge_customers=args.merge_customers, expected_version=t.version))

    return _report(args, run(args, verb), _("received everything of #{other}, which is now closed", other=args.other))


def _when(value: str | None):
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(_("Write --next as YYYY-MM-DDTHH:MM, like 2026-12-01T09:30; {value} is not.",
                          value=repr(value))) from None
    return at.astimezone() if at.tzinfo is None else at


def tickets_task(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.models import TaskInput

    values = {}
    for item in args.value:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(_("Write task values as KEY=VALUE, like outcome=Solved; {value} is not.", value=repr(item)))
        values[key.strip()] = value
    task = TaskInput(values=values, observations=args.observations, next_task_at=_when(args.next))

    async def verb(s: Session):
        return await _each(s, args.numbers, lambda t: s.acting.tickets.add_task(t.id, task, expected_version=t.version))

    return _report(args, run(args, verb), _("task added"))


def tickets_note(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        return await _each(s, [args.number], lambda t: s.acting.tickets.add_note(t.id, args.text, args.color))

    return _report(args, run(args, verb), _("note added"))


def tickets_attach(args: argparse.Namespace) -> int:
    from sagicc_tui.files import attach_file

    async def verb(s: Session):
        return await _each(s, [args.number], lambda t: attach_file(s.acting, t.id, args.path))

    return _report(args, run(args, verb), _("{path} attached", path=args.path))


def tickets_reply(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.enums import ChannelType
    from sagicc_tui.domain.ticket_screen import OutgoingMessage
    from sagicc_tui.files import send_with_files

    if not args.text and not args.template:
        raise UserError(_("Give the message with --text TEXT or --template NAME."))

    async def verb(s: Session):
        t = await s.acting.tickets.get_ticket_by_number(args.number)
        campaign = await s.acting.agent.get_campaign(t.campaign_id)
        try:
            channel = ChannelType(args.channel) if args.channel else (t.last_channel or t.origin_channel)
        except ValueError:
            raise UserError(_("{channel} is not a channel: {known}.", channel=repr(args.channel),
                              known=", ".join(c.value for c in ChannelType))) from None
        template = None
        if args.template:
            found = [x for x in campaign.templates if args.template in (x.key, x.name)]
            if not found:
                names = ", ".join(x.name for x in campaign.templates) or _("none")
                raise UserError(_("Campaign {campaign} has no template {template}; it has: {names}.",
                                  campaign=campaign.name, template=repr(args.template), names=names))
            template = found[0]
        contact: int | str
        if args.contact is None:
            contact = await _contact_for(s, t.customer_id, channel)
        else:
            contact = int(args.contact) if args.contact.isdigit() else args.contact
        message = OutgoingMessage(
            client_key=str(uuid.uuid4()), channel=channel, contact=contact, text=args.text,
            subject=args.subject or (template.subject if template else ""),
            template_key=template.key if template else None)
        return await send_with_files(s.acting, t.id, message, args.file)

    sent = run(args, verb)
    if args.json:
        print_json(sent)
    else:
        state = sent.delivery.value
        print(_("#{number}: message {id} on {channel} to {contact}: {state}", number=args.number, id=sent.id,
                channel=sent.channel.value, contact=sent.contact, state=state)
              + (f" ({sent.delivery_error})" if sent.delivery_error else ""))
    return EXIT_ERROR if sent.delivery.value == "failed" else 0


async def _contact_for(s: Session, customer_id: int, channel) -> int:
    from sagicc_tui.domain.enums import ChannelType, ContactKind

    wanted = ContactKind.EMAIL if channel is ChannelType.EMAIL else None
    contacts = await s.acting.customers.list_contacts(customer_id)
    fit = [c for c in contacts if (c.kind is wanted if wanted else c.kind is not ContactKind.EMAIL)]
    if not fit:
        raise UserError(_("The customer has no contact for {channel}; give one with --contact VALUE.",
                          channel=channel.value))
    return fit[0].id


def tickets_redistribute(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.enums import MassActionKind
    from sagicc_tui.domain.query import MassAction, RedistributeSpec, TicketSelection

    if bool(args.numbers) == bool(args.query):
        raise UserError(_("Name the tickets by number, or pass --query with filters (one of the two)."))

    async def verb(s: Session):
        if args.query:
            selection = TicketSelection(query=await query_from(s, args))
        else:
            ids = [(await s.acting.tickets.get_ticket_by_number(n)).id for n in args.numbers]
            selection = TicketSelection(ids=frozenset(ids))
        agents = tuple([(await s.backend.get_user(n.strip())).id for n in args.agents.split(",") if n.strip()])
        action = MassAction(kind=MassActionKind.REDISTRIBUTE, selection=selection,
                            redistribute=RedistributeSpec(agent_ids=agents, seed=args.seed))
        if args.dry_run:
            return await s.acting.lists.preview_mass_action(action)
        return await s.acting.lists.run_mass_action(action)

    result = run(args, verb)
    if args.json:
        print_json(result)
        return 0
    if args.dry_run:
        print(_("{n} tickets selected; nothing changed (--dry-run).", n=result.total))
        for change in result.changes:
            print("  " + say(change.template, **change.params))
        for o in result.refused:
            print(f"  #{o.number}: {say(o.reason.template, **o.reason.params) if o.reason else _('refused')}")
        return 0
    for o in result.outcomes:
        if o.ok:
            print(f"#{o.number}: " + _("redistributed"))
        else:
            print(f"sagicc: #{o.number}: {say(o.reason.template, **o.reason.params) if o.reason else _('refused')}",
                  file=sys.stderr)
    print(_("{done} redistributed, {refused} refused.", done=result.done, refused=result.refused), file=sys.stderr)
    return EXIT_ERROR if result.refused else 0
