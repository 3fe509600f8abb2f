"""Which mailboxes to read: the one of the environment (SAGICC_IMAP_*), whose
mail goes to the campaign that receives e-mail, and each active campaign's
own (its e-mail channel's settings, #13), whose mail goes to that campaign.

A `Mailbox` is known by its account and folder (`key`): the serve-side
watcher takes a lock by it, so one process reads a mailbox at a time. Its
password is read only when it connects (`config()`), so a password file or
keyring entry fixed after a failure is used on the next attempt.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sagicc_tui.domain.models import Campaign, CampaignMailbox
from sagicc_tui.mail.config import ImapConfig

ENV_LABEL = "SAGICC_IMAP"


@dataclass(frozen=True, slots=True)
class Mailbox:
    label: str  # what logs and /healthz call it: SAGICC_IMAP, or campaign:<id>
    key: str  # user@host:port/folder -- one reader at a time per key
    campaign_id: int = 0
    settings: CampaignMailbox | None = None  # None: the environment's

    def config(self, env: Mapping[str, str] | None = None) -> ImapConfig:
        if self.settings is None:
            return ImapConfig.from_env(env)
        return ImapConfig.for_campaign(self.campaign_id, self.settings, env)


def _key(user: str, host: str, port: int, folder: str) -> str:
    return f"{user}@{host.lower()}:{port or ''}/{folder}"


def env_mailbox(env: Mapping[str, str] | None = None) -> Mailbox | None:
    env = os.environ if env is None else env
    host = (env.get("SAGICC_IMAP_HOST") or "").strip()
    if not host:
        return None
    port = (env.get("SAGICC_IMAP_PORT") or "").strip()
    return Mailbox(ENV_LABEL, _key((env.get("SAGICC_IMAP_USER") or "").strip(), host,
                                   int(port) if port.isdigit() else 0,
                                   (env.get("SAGICC_IMAP_FOLDER") or "INBOX").strip() or "INBOX"))


def campaign_mailbox(c: Campaign) -> Mailbox | None:
    m = c.mailbox
    if m is None or not c.active:
        return None
    return Mailbox(f"campaign:{c.id}", _key(m.user, m.host, m.port, m.folder), c.id, m)


def configured(campaigns: Iterable[Campaign], env: Mapping[str, str] | None = None) -> list[Mailbox]:
    """Every mailbox to read, each once (a campaign naming the environment's
    mailbox takes it over: its mail goes to that campaign)."""
    found: dict[str, Mailbox] = {}
    for c in campaigns:
        box = campaign_mailbox(c)
        if box is not None:
            found.setdefault(box.key, box)
    own = env_mailbox(env)
    if own is not None:
        found.setdefault(own.key, own)
    return list(found.values())
