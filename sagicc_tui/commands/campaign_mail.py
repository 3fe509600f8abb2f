"""`sagicc campaigns mail ID`: a campaign's e-mail channel -- the mailbox it
reads (#13) -- shown, set, changed or removed, on a local store or the server.

Saved at the version read (a concurrent administrator's save is refused, not
overwritten), checked by the store (domain/admin.py), logged. The password is
never given here: `--password-file` names a file (mode 0600) on the machine
that reads the mail; without one that machine's keyring is used
(`sagicc mail password --campaign ID` puts it there).
"""

from __future__ import annotations

import argparse
import dataclasses

from sagicc_tui.commands import common, json_flag, print_json, say
from sagicc_tui.commands.session import Session, UserError, run


def add_parser(cv) -> None:
    p = cv.add_parser("mail", help="the mailbox the campaign reads (IMAP): show, set, change or --remove")
    common(p)
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--host", default=None, help="the mail server, like imap.example.com")
    p.add_argument("--login", default=None, help="the mailbox's login (--user is who acts)")
    p.add_argument("--port", type=int, default=None, help="default 993 (ssl) or 143 (starttls, plain)")
    p.add_argument("--security", choices=("ssl", "starttls", "plain"), default=None,
                   help="ssl (default), starttls, or plain (a server on this machine only)")
    p.add_argument("--folder", default=None, help="default INBOX")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--password-file", default=None, metavar="PATH",
                       help="a file only its owner can read, on the machine that reads the mail")
    where.add_argument("--keyring", action="store_true",
                       help="the password is in that machine's keyring (`sagicc mail password --campaign ID`)")
    p.add_argument("--remove", action="store_true", help="the campaign reads no mailbox any more")
    json_flag(p)
    p.set_defaults(run=campaigns_mail)


def _changed(args: argparse.Namespace, campaign):
    from sagicc_tui.domain.enums import MailSecurity
    from sagicc_tui.domain.models import CampaignMailbox

    if args.remove:
        return dataclasses.replace(campaign, mailbox=None)
    given = {k: v for k, v in {"host": args.host, "user": args.login, "port": args.port,
                               "security": MailSecurity(args.security) if args.security else None,
                               "folder": args.folder, "password_file": args.password_file}.items()
             if v is not None}
    if args.keyring:
        given["password_file"] = ""
    if not given:
        return None  # nothing to change: show it
    before = campaign.mailbox
    if before is None:
        if "host" not in given or "user" not in given:
            raise UserError(say("Campaign {name} reads no mailbox yet: give at least --host and --login.",
                                name=campaign.name))
        box = CampaignMailbox(**given)
    else:
        box = dataclasses.replace(before, **given)
    return dataclasses.replace(campaign, mailbox=box)


def _text(c) -> str:
    m = c.mailbox
    if m is None:
        return say("Campaign {id} ({name}) reads no mailbox.", id=c.id, name=c.name)
    kept = m.password_file or say("this machine's keyring")
    return say("Campaign {id} ({name}) reads {account} {folder} on port {port} ({security}); the password is in "
               "{kept}.", id=c.id, name=c.name, account=m.account, folder=m.folder, port=m.port or say("default"),
               security=m.security.value, kept=kept)


def campaigns_mail(args: argparse.Namespace) -> int:
    async def verb(s: Session):
        current = await s.acting.agent.get_campaign(args.id)
        changed = _changed(args, current)
        if changed is None:
            return current
        return await s.acting.admin.save_campaign(args.id, changed, expected_version=current.version)

    campaign = run(args, verb)
    if args.json:
        print_json(campaign)
    else:
        from sagicc_tui.sanitize import one_line

        print(one_line(_text(campaign), 300))
    return 0
