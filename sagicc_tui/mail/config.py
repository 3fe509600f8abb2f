"""The support mailbox's settings, configured like SMTP is (environment):

    SAGICC_IMAP_HOST       the mail server (required)
    SAGICC_IMAP_PORT       default 993 (ssl), 143 (starttls, plain)
    SAGICC_IMAP_USER       the mailbox's login (required)
    SAGICC_IMAP_SECURITY   ssl (default), starttls, or plain (a server on this machine)
    SAGICC_IMAP_FOLDER     default INBOX
    SAGICC_IMAP_TIMEOUT    seconds for connecting and each answer, default 60

The password, first match wins: SAGICC_IMAP_PASSWORD; the file named by
SAGICC_IMAP_PASSWORD_FILE (refused unless only its owner can read it, like
the token file of `sagicc login`); the system keyring (`sagicc mail password`
puts it there). Never logged, printed or stored in the store.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sagicc_tui.channels.driver import ChannelConfigError
from sagicc_tui.domain.admin import LOOPBACK
from sagicc_tui.domain.enums import MailSecurity
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import CampaignMailbox

KEYRING_SERVICE = "sagicc-tui-imap"  # keyring entry: (service, "user@host") -> password
_LOOPBACK = LOOPBACK
ImapSecurity = MailSecurity  # one enum: a campaign's mailbox settings use it too

_DEFAULT_PORT = {ImapSecurity.SSL: 993, ImapSecurity.STARTTLS: 143, ImapSecurity.PLAIN: 143}


@dataclass(frozen=True, slots=True, kw_only=True)
class ImapConfig:
    host: str
    user: str
    password: str = field(default="", repr=False)
    port: int = 0
    security: ImapSecurity = ImapSecurity.SSL
    folder: str = "INBOX"
    timeout: float = 60.0
    campaign_id: int = 0  # a campaign's own mailbox: its mail goes to that campaign (0: by channel)

    @property
    def effective_port(self) -> int:
        return self.port or _DEFAULT_PORT[self.security]

    @property
    def account(self) -> str:
        return f"{self.user}@{self.host}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ImapConfig:
        env = os.environ if env is None else env
        host = (env.get("SAGICC_IMAP_HOST") or "").strip()
        user = (env.get("SAGICC_IMAP_USER") or "").strip()
        if not host or not user:
            raise ChannelConfigError(N_("Set SAGICC_IMAP_HOST and SAGICC_IMAP_USER to the support mailbox's server "
                                        "and login (see README, \"Connect a support mailbox\")."))
        raw = (env.get("SAGICC_IMAP_SECURITY") or "ssl").strip().lower()
        try:
            security = ImapSecurity(raw)
        except ValueError:
            raise ChannelConfigError(N_("SAGICC_IMAP_SECURITY must be ssl, starttls or plain, not {value}."),
                                     value=raw) from None
        if security is ImapSecurity.PLAIN and host not in _LOOPBACK:
            raise ChannelConfigError(N_("A mailbox login over plain IMAP would send the password unencrypted to "
                                        "{host}; set SAGICC_IMAP_SECURITY to ssl or starttls."), host=host)
        port = _number(env, "SAGICC_IMAP_PORT", 0, int)
        if not 0 <= port <= 65535:
            raise ChannelConfigError(N_("SAGICC_IMAP_PORT must be a port number (1-65535), not {value}."), value=port)
        timeout = _number(env, "SAGICC_IMAP_TIMEOUT", 60.0, float)
        if timeout <= 0:
            raise ChannelConfigError(N_("SAGICC_IMAP_TIMEOUT must be a positive number of seconds."))
        config = cls(host=host, user=user, port=port, security=security, timeout=timeout,
                     folder=(env.get("SAGICC_IMAP_FOLDER") or "INBOX").strip() or "INBOX")
        return _with_password(config, env)


    @classmethod
    def for_campaign(cls, campaign_id: int, mailbox: CampaignMailbox,
                     env: Mapping[str, str] | None = None) -> ImapConfig:
        """A campaign's mailbox (its settings, checked when saved); the password
        from its file, else from this machine's keyring."""
        from dataclasses import replace

        env = os.environ if env is None else env
        timeout = _number(env, "SAGICC_IMAP_TIMEOUT", 60.0, float)
        config = cls(host=mailbox.host, user=mailbox.user, port=mailbox.port, security=mailbox.security,
                     folder=mailbox.folder, timeout=timeout if timeout > 0 else 60.0, campaign_id=campaign_id)
        if mailbox.password_file:
            password = read_password_file(Path(mailbox.password_file))
        else:
            password = keyring_password(config.account) or ""
        if not password:
            raise ChannelConfigError(
                N_("No password for the mailbox {account}: name a password file (mode 0600) in the campaign's "
                   "e-mail settings, or keep it in this machine's keyring with `sagicc mail password --campaign`."),
                account=config.account)
        return replace(config, password=password)


def _number(env: Mapping[str, str], name: str, default, kind):
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ChannelConfigError(N_("{name} must be a number, not {value}."), name=name, value=raw) from None


def _with_password(config: ImapConfig, env: Mapping[str, str]) -> ImapConfig:
    from dataclasses import replace

    password = env.get("SAGICC_IMAP_PASSWORD") or ""
    if not password and (path := (env.get("SAGICC_IMAP_PASSWORD_FILE") or "").strip()):
        password = read_password_file(Path(path).expanduser())
    if not password:
        password = keyring_password(config.account) or ""
    if not password:
        raise ChannelConfigError(N_("No password for the mailbox {account}: set SAGICC_IMAP_PASSWORD_FILE to a "
                                    "file only you can read, or keep it in the keyring with `sagicc mail password`."),
                                 account=config.account)
    return replace(config, password=password)


def read_password_file(path: Path) -> str:
    """The first line of a file that only its owner can read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise ChannelConfigError(N_("The password file {path} cannot be read ({reason})."), path=str(path),
                                 reason=e.strerror or str(e)) from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ChannelConfigError(N_("The password file {path} is not a regular file."), path=str(path))
        if os.name == "posix" and st.st_mode & 0o077:
            raise ChannelConfigError(
                N_("The password file {path} can be read by other users (mode {mode}), so it was not used; run "
                   "chmod 600 {path}, and change the mailbox password if someone else could have read it."),
                path=str(path), mode=f"{stat.S_IMODE(st.st_mode):04o}")
        raw = f.read(10_000)
    return raw.decode("utf-8", "replace").splitlines()[0].strip() if raw.strip() else ""


def keyring_password(account: str) -> str | None:
    """The password kept in the system keyring, or None (no keyring, none kept)."""
    from sagicc_tui.remote import credentials

    try:
        return credentials._in_thread(
            lambda: credentials._usable_keyring().get_password(KEYRING_SERVICE, account), credentials.KEYRING_TIMEOUT)
    except Exception:  # noqa: BLE001 - no usable keyring: the other sources were already tried
        return None


def save_keyring_password(account: str, password: str) -> None:
    from sagicc_tui.domain.errors import StoreError
    from sagicc_tui.remote import credentials

    usable, reason = credentials.keyring_status()
    if not usable:
        raise StoreError(N_("No system keyring works here ({reason}); keep the password in a file only you can "
                            "read and set SAGICC_IMAP_PASSWORD_FILE to it."), reason=reason)
    credentials._in_thread(
        lambda: credentials._usable_keyring().set_password(KEYRING_SERVICE, account, password),
        credentials.KEYRING_TIMEOUT)
