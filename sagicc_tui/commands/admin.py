"""`sagicc users`, `sagicc campaigns`, `sagicc channels`: administration (P3, P4).

On a local store or on the server alike: the store refuses these to anyone but
an administrator, validates every change and logs it. Tokens are printed once,
on stdout (nothing else goes there without --json), so a script can capture them.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from sagicc_tui.commands import common, json_flag, print_json
from sagicc_tui.commands.session import Session, UserError, run
from sagicc_tui.i18n import _

ROLES = ("agent", "supervisor", "administrator")


def _ids(value: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(x) for x in value.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(_("{value} is not a list of campaign ids like 1,2", value=repr(value))) from None
    return ids


def _channels(value: str):
    from sagicc_tui.domain.enums import ChannelType

    try:
        return tuple(ChannelType(x.strip()) for x in value.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(_("{value}: channels are {known}, comma-separated", value=repr(value),
                                           known=", ".join(c.value for c in ChannelType))) from None


def _yes_no(value: str) -> bool:
    if value not in ("yes", "no"):
        raise argparse.ArgumentTypeError(_("yes or no"))
    return value == "yes"


def add_parsers(verbs) -> dict:
    found = _users(verbs)
    _campaigns(verbs)
    _channels_parser(verbs)
    return found


# --- users ------------------------------------------------------------------------------------


def _users(verbs) -> dict:
    users = verbs.add_parser("users", help="list, add and edit users; give or revoke their server tokens")
    common(users)
    json_flag(users)
    users.set_defaults(run=users_list)
    uv = users.add_subparsers(dest="users_verb", metavar="list|add|edit|disable|enable|token|revoke")
    p = uv.add_parser("list", help="every user, with role and campaigns")
    common(p)
    json_flag(p)
    p.set_defaults(run=users_list)
    p = uv.add_parser("add", help="a new user; prints their server token once")
    found = {"users": uv, "users add": p}
    common(p)
    p.add_argument("name", metavar="NAME", help="the user name they sign in with, like ana.perez")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--full-name", default="", metavar="TEXT", help="the name shown (default: NAME)")
    p.add_argument("--campaign", type=int, action="append", default=[], metavar="ID",
                   help="a campaign they belong to (repeat; default: every campaign)")
    p.add_argument("--export", choices=("yes", "no", "role"), default="role",
                   help="may export the customer base (default: the role's default)")
    p.add_argument("--language", choices=("es", "en"), default=None)
    json_flag(p)
    p.set_defaults(run=users_add)
    p = uv.add_parser("edit", help="change a user's name, role, campaigns, export permission or language")
    common(p)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--full-name", default=None, metavar="TEXT")
    p.add_argument("--role", default=None, choices=ROLES)
    p.add_argument("--campaigns", type=_ids, default=None, metavar="ID,..", help="replaces their campaigns")
    p.add_argument("--export", choices=("yes", "no", "role"), default=None)
    p.add_argument("--language", choices=("es", "en", "default"), default=None)
    json_flag(p)
    p.set_defaults(run=users_edit)
    for verb, helptext in (("disable", "the user can no longer sign in or work (their tokens are revoked)"),
                           ("enable", "the user may work again (give them a new token)")):
        p = uv.add_parser(verb, help=helptext)
        common(p)
        p.add_argument("name", metavar="NAME")
        json_flag(p)
        p.set_defaults(run=users_disable if verb == "disable" else users_enable)
    p = uv.add_parser("token", help="a new server token for an existing user (printed once)")
    common(p)
    p.add_argument("name", metavar="NAME")
    json_flag(p)
    p.set_defaults(run=users_token)
    p = uv.add_parser("revoke", help="revoke every server token of a user")
    common(p)
    p.add_argument("name", metavar="NAME")
    json_flag(p)
    p.set_defaults(run=users_revoke)
    return found


def _user_line(u) -> str:
    from sagicc_tui.sanitize import one_line

    camps = ",".join(map(str, u.campaign_ids)) or "-"
    state = "" if u.active else "  (" + _("disabled") + ")"
    return f"{u.username:<16} {u.role.value:<14} {camps:<10} {one_line(u.full_name)}{state}"


def users_list(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        return await s.backend.list_users()

    users = run(args, verb, need_user=False)
    if args.json:
        print_json(users)
    else:
        for u in users:
            print(_user_line(u))
    return 0


def _print_token(args, username: str, user, token: str) -> None:
    if args.json:
        print_json({"user": user, "token": token})
        return
    print(_("Token for {user} (shown only now; the store keeps only its hash):", user=username), file=sys.stderr)
    print(token)
    print(_("On their machine: sagicc login https://YOUR-SERVER:8765   (then paste the token)"), file=sys.stderr)


def users_add(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.admin import UserInput, check_export
    from sagicc_tui.domain.enums import Role

    data = UserInput(username=args.name, role=Role(args.role), full_name=args.full_name,
                     campaign_ids=tuple(args.campaign), can_export=check_export(args.export),
                     language=args.language, os_user=getattr(args, "os_user", None))

    async def verb(s: Session):
        user = await s.acting.admin.add_user(data)
        issued = await s.acting.admin.issue_user_token(user.username)
        return user, issued.token

    user, token = run(args, verb)
    _print_token(args, user.username, user, token)
    return 0


def _edit(args: argparse.Namespace, changes) -> int:
    """Read the user, save the changes at the version read (a change by another
    administrator in between is refused, not overwritten)."""

    async def verb(s: Session):
        current = await s.backend.get_user(args.name)
        return await s.acting.admin.update_user(args.name, changes, expected_version=current.version)

    user = run(args, verb)
    if args.json:
        print_json(user)
    else:
        print(_user_line(user))
    return 0


def users_edit(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.admin import UserChanges
    from sagicc_tui.domain.enums import Role

    language = None if args.language is None else ("" if args.language == "default" else args.language)
    changes = UserChanges(full_name=args.full_name, role=Role(args.role) if args.role else None,
                          campaign_ids=args.campaigns, export=args.export, language=language)
    if changes == UserChanges():
        raise UserError(_("Say what to change: --full-name, --role, --campaigns, --export or --language."))
    return _edit(args, changes)


def users_disable(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.admin import UserChanges

    return _edit(args, UserChanges(active=False))


def users_enable(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.admin import UserChanges

    return _edit(args, UserChanges(active=True))


def users_token(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        issued = await s.acting.admin.issue_user_token(args.name)
        return await s.backend.get_user(args.name), issued.token

    user, token = run(args, verb)
    _print_token(args, args.name, user, token)
    return 0


def users_revoke(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        return await s.acting.admin.revoke_user_tokens(args.name)

    n = run(args, verb)
    if args.json:
        print_json({"user": args.name, "revoked": n})
    else:
        print(_("Revoked {n} token(s) of {user}; their terminals must sign in again.", n=n, user=args.name))
    return 0


# --- channel gateways ---------------------------------------------------------------------------


def _channels_parser(verbs) -> None:
    channels = verbs.add_parser("channels", help="tokens for channel gateways (POST /api/v1/inbound)")
    cv = channels.add_subparsers(dest="channels_verb", metavar="token|revoke", required=True)
    p = cv.add_parser("token", help="a new gateway token (printed once)")
    common(p)
    p.add_argument("name", metavar="NAME", help="which gateway, like whatsapp-1")
    json_flag(p)
    p.set_defaults(run=channels_token)
    p = cv.add_parser("revoke", help="revoke a gateway's tokens")
    common(p)
    p.add_argument("name", metavar="NAME")
    json_flag(p)
    p.set_defaults(run=channels_revoke)


def channels_token(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        return await s.acting.admin.issue_channel_token(args.name)

    issued = run(args, verb)
    if args.json:
        print_json(issued)
        return 0
    print(_("Gateway token for {name} (shown only now): POST /api/v1/inbound with Authorization: Bearer TOKEN",
            name=issued.label), file=sys.stderr)
    print(issued.token)
    return 0


def channels_revoke(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        return await s.acting.admin.revoke_channel_tokens(args.name)

    n = run(args, verb)
    if args.json:
        print_json({"gateway": args.name, "revoked": n})
    else:
        print(_("Revoked {n} token(s) of the gateway {name}.", n=n, name=args.name))
    return 0


# --- campaigns ------------------------------------------------------------------------------------


def _campaigns(verbs) -> None:
    camps = verbs.add_parser("campaigns", help="list, add and configure campaigns (administrators)")
    cv = camps.add_subparsers(dest="campaigns_verb", required=True,
                              metavar="list|show|add|edit|fields|template|sla|survey|mail")
    p = cv.add_parser("list", help="the campaigns you see")
    common(p)
    json_flag(p)
    p.set_defaults(run=campaigns_list)
    p = cv.add_parser("show", help="one campaign's whole configuration")
    common(p)
    p.add_argument("id", type=int, metavar="ID")
    json_flag(p)
    p.set_defaults(run=campaigns_show)
    p = cv.add_parser("add", help="a new campaign (a starter task form; then configure it)")
    common(p)
    p.add_argument("name", metavar="NAME")
    json_flag(p)
    p.set_defaults(run=campaigns_add)
    p = cv.add_parser("edit", help="rename, disable or enable; View All Tickets, mass close, country, channels, script")
    common(p)
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--name", default=None)
    p.add_argument("--view-all-tickets", type=_yes_no, default=None, metavar="yes|no")
    p.add_argument("--mass-close", type=_yes_no, default=None, metavar="yes|no", help="mass close allowed")
    p.add_argument("--country", default=None, metavar="CC",
                   help="the country its phones without + are read in, like CO or MX")
    p.add_argument("--incoming", type=_channels, default=None, metavar="CH,..", help="channels it receives")
    p.add_argument("--outgoing", type=_channels, default=None, metavar="CH,..", help="channels it answers on")
    p.add_argument("--script", default=None, metavar="TEXT",
                   help="placeholders: {customer_name} {ticket_number} {agent_name} {campaign_name}")
    p.add_argument("--primary-field", default=None, metavar="KEY", help="the task field shown on cards")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--disable", action="store_true")
    state.add_argument("--enable", action="store_true")
    json_flag(p)
    p.set_defaults(run=campaigns_edit)
    p = cv.add_parser("fields", help="replace the task form: --field key:Label:type[:required][:A|B|C] ...")
    common(p)
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--field", action="append", default=[], required=True, metavar="SPEC",
                   help="type is text, number, date or choice; e.g. outcome:Outcome:choice:required:Solved|Pending")
    p.add_argument("--primary", default=None, metavar="KEY", help="the primary field (default: the first)")
    json_flag(p)
    p.set_defaults(run=campaigns_fields)
    p = cv.add_parser("template", help="add, replace (same name) or remove a message template")
    common(p)
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--body", default=None, metavar="TEXT", help="the message; placeholders as in the script")
    p.add_argument("--subject", default="", metavar="TEXT")
    p.add_argument("--channel", default=None, metavar="CH", help="only for this channel (default: any)")
    p.add_argument("--remove", action="store_true")
    json_flag(p)
    p.set_defaults(run=campaigns_template)
    p = cv.add_parser("sla", help="the SLA rule of one priority, in hours")
    common(p)
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("priority", choices=("critical", "high", "medium", "low"))
    p.add_argument("--first-response", type=float, default=None, metavar="HOURS")
    p.add_argument("--resolution", type=float, default=None, metavar="HOURS")
    p.add_argument("--remove", action="store_true")
    json_flag(p)
    p.set_defaults(run=campaigns_sla)
    p = cv.add_parser("survey", help="add, replace (same name) or remove a survey link")
    common(p)
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--url", default=None)
    p.add_argument("--remove", action="store_true")
    json_flag(p)
    p.set_defaults(run=campaigns_survey)
    from sagicc_tui.commands import campaign_mail  # the e-mail channel's mailbox (#13)

    campaign_mail.add_parser(cv)


def _campaign_text(c) -> str:
    from sagicc_tui.sanitize import one_line

    lines = [f"Campaign {c.id}: {one_line(c.name)}{'' if c.active else '  (disabled)'}   version {c.version}",
             f"  View All Tickets: {'yes' if c.view_all_tickets else 'no'}   "
             f"mass close allowed: {'yes' if c.mass_close_allowed else 'no'}   country: {c.country}",
             f"  incoming: {','.join(ch.value for ch in c.incoming_channels) or '-'}   "
             f"outgoing: {','.join(ch.value for ch in c.outgoing_channels) or '-'}",
             "  task form:"]
    for f in c.task_fields:
        mark = " (primary)" if f.key == c.primary_field else ""
        req = " required" if f.required else ""
        choices = f" [{'|'.join(f.choices)}]" if f.choices else ""
        lines.append(f"    {f.key}: {one_line(f.label)} {f.type.value}{req}{choices}{mark}")
    lines.append(f"  script: {one_line(c.script) or '-'}")
    for r in c.sla_rules:
        lines.append(f"  SLA {r.priority.value}: first answer {r.first_response_minutes / 60:g} h, "
                     f"close {r.resolution_minutes / 60:g} h")
    for t in c.templates:
        lines.append(f"  template {one_line(t.name)}: {one_line(t.body, 70)}")
    for s in c.surveys:
        lines.append(f"  survey {one_line(s.name)}: {one_line(s.url)}")
    if c.mailbox is not None:
        m = c.mailbox
        lines.append(f"  mailbox: {one_line(m.account)} {one_line(m.folder)} ({m.security.value}); "
                     f"see `sagicc campaigns mail {c.id}`")
    return "\n".join(lines)


def _show(args, campaign) -> int:
    if args.json:
        print_json(campaign)
    else:
        print(_campaign_text(campaign))
    return 0


def campaigns_list(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        return await s.acting.agent.list_campaigns()

    found = run(args, verb)
    if args.json:
        print_json(found)
        return 0
    from sagicc_tui.sanitize import one_line

    for c in found:
        print(f"{c.id:>4}  {one_line(c.name, 40):<40} {_('active') if c.active else _('disabled')}")
    return 0


def campaigns_show(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        return await s.acting.agent.get_campaign(args.id)

    return _show(args, run(args, verb))


def campaigns_add(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.admin import starter_campaign

    async def verb(s: Session):
        return await s.acting.admin.add_campaign(starter_campaign(args.name))

    return _show(args, run(args, verb))


def _change(args: argparse.Namespace, change) -> int:
    """Read the campaign, apply `change(campaign) -> campaign`, save at the version read."""

    async def verb(s: Session):
        current = await s.acting.agent.get_campaign(args.id)
        return await s.acting.admin.save_campaign(args.id, change(current), expected_version=current.version)

    return _show(args, run(args, verb))


def campaigns_edit(args: argparse.Namespace) -> int:
    given = {k: v for k, v in {
        "name": args.name, "view_all_tickets": args.view_all_tickets, "mass_close_allowed": args.mass_close,
        "country": args.country,
        "incoming_channels": args.incoming, "outgoing_channels": args.outgoing, "script": args.script,
        "primary_field": args.primary_field,
        "active": True if args.enable else False if args.disable else None}.items() if v is not None}
    if not given:
        raise UserError(_("Say what to change, like --name, --incoming email,sms or --disable (see --help)."))
    return _change(args, lambda c: dataclasses.replace(c, **given))


def parse_field(spec: str):
    """key:Label:type[:required][:A|B|C] -> TaskField."""
    from sagicc_tui.domain.enums import FieldType
    from sagicc_tui.domain.models import TaskField

    parts = spec.split(":")
    if len(parts) < 3:
        raise UserError(_("The field {spec} needs at least key:Label:type, like outcome:Outcome:choice:Solved|Pending.",
                          spec=repr(spec)))
    key, label, kind, *rest = parts
    try:
        ftype = FieldType(kind.strip())
    except ValueError:
        raise UserError(_("The field type {kind} is not one of text, number, date, choice.", kind=repr(kind))) from None
    required = bool(rest and rest[0] == "required")
    if required:
        rest = rest[1:]
    choices = tuple(x.strip() for x in rest[0].split("|") if x.strip()) if rest else ()
    return TaskField(key=key.strip(), label=label.strip(), type=ftype, required=required, choices=choices)


def campaigns_fields(args: argparse.Namespace) -> int:
    fields = tuple(parse_field(s) for s in args.field)
    primary = args.primary or (fields[0].key if fields else None)
    return _change(args, lambda c: dataclasses.replace(c, task_fields=fields, primary_field=primary))


def campaigns_template(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.admin import key_for
    from sagicc_tui.domain.enums import ChannelType
    from sagicc_tui.domain.models import MessageTemplate

    if not args.remove and args.body is None:
        raise UserError(_("Give the template's text with --body TEXT (or --remove to delete it)."))
    try:
        channel = ChannelType(args.channel) if args.channel else None
    except ValueError:
        raise UserError(_("{channel} is not a channel: {known}.", channel=repr(args.channel),
                          known=", ".join(c.value for c in ChannelType))) from None

    def change(c):
        same = [t for t in c.templates if t.name.casefold() == args.name.strip().casefold()]
        others = tuple(t for t in c.templates if t not in same)
        if args.remove:
            if not same:
                raise UserError(_("Campaign {campaign} has no template named {name}.", campaign=c.name, name=args.name))
            return dataclasses.replace(c, templates=others)
        key = same[0].key if same else key_for(args.name, {t.key for t in c.templates})
        new = MessageTemplate(key=key, name=args.name.strip(), body=args.body, subject=args.subject, channel=channel)
        return dataclasses.replace(c, templates=(*others, new))

    return _change(args, change)


def campaigns_sla(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.enums import Priority
    from sagicc_tui.domain.models import SlaRule

    priority = Priority(args.priority)
    if not args.remove and (args.first_response is None or args.resolution is None):
        raise UserError(_("Give both --first-response HOURS and --resolution HOURS (or --remove)."))

    def change(c):
        others = tuple(r for r in c.sla_rules if r.priority is not priority)
        if args.remove:
            return dataclasses.replace(c, sla_rules=others)
        rule = SlaRule(priority=priority, first_response_minutes=round(args.first_response * 60),
                       resolution_minutes=round(args.resolution * 60))
        return dataclasses.replace(c, sla_rules=(*others, rule))

    return _change(args, change)


def campaigns_survey(args: argparse.Namespace) -> int:
    from sagicc_tui.domain.admin import key_for
    from sagicc_tui.domain.models import Survey

    if not args.remove and not args.url:
        raise UserError(_("Give the survey's link with --url https://... (or --remove)."))

    def change(c):
        same = [s for s in c.surveys if s.name.casefold() == args.name.strip().casefold()]
        others = tuple(s for s in c.surveys if s not in same)
        if args.remove:
            return dataclasses.replace(c, surveys=others)
        key = same[0].key if same else key_for(args.name, {s.key for s in c.surveys})
        return dataclasses.replace(c, surveys=(*others, Survey(key=key, name=args.name.strip(), url=args.url)))

    return _change(args, change)
