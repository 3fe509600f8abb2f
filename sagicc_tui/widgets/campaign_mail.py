"""The "E-mail" section of a campaign's administration form (#13, P4): the
mailbox the campaign reads. An empty server means it reads none.

`show(mailbox)` fills it; `read()` gives the settings typed (or None), raising
InvalidInput with one sentence for a port that is not a number -- every other
rule is the store's (domain/admin.py check_mailbox), so the screen shows its
sentence and the typing stays. The password is never typed here: the
section names where it is kept on the machine that reads the mail.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Label, Select

from sagicc_tui.domain.enums import MailSecurity
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.models import CampaignMailbox
from sagicc_tui.i18n import N_, _


class CampaignMailForm(Vertical):
    DEFAULT_CSS = """
    CampaignMailForm { height: auto; }
    CampaignMailForm .mail-row { height: auto; }
    CampaignMailForm .mail-row Input { width: 1fr; }
    CampaignMailForm .mail-row Select { width: 16; }
    """

    def compose(self) -> ComposeResult:
        yield Label(Content(_("E-mail: the mailbox this campaign reads (empty server: none)")), classes="mail-title")
        yield Label(Content(_("Mail server and login")))
        with Horizontal(classes="mail-row"):
            yield Input(id="mail-host", placeholder="imap.example.com", max_length=253)
            yield Input(id="mail-login", placeholder="soporte@example.com", max_length=320)
        yield Label(Content(_("Port (empty: the default), security, folder")))
        with Horizontal(classes="mail-row"):
            yield Input(id="mail-port", placeholder="993", max_length=5)
            yield Select([(s.value, s.value) for s in MailSecurity], id="mail-security",
                         value=MailSecurity.SSL.value, allow_blank=False)
            yield Input(id="mail-folder", placeholder="INBOX", max_length=200)
        yield Label(Content(_("Password file on the server (mode 0600; empty: the server's keyring, "
                              "`sagicc mail password --campaign ID`)")))
        yield Input(id="mail-password-file", placeholder="/etc/sagicc/soporte.password", max_length=1000)

    def show(self, mailbox: CampaignMailbox | None) -> None:
        m = mailbox
        self.query_one("#mail-host", Input).value = m.host if m else ""
        self.query_one("#mail-login", Input).value = m.user if m else ""
        self.query_one("#mail-port", Input).value = str(m.port) if m and m.port else ""
        self.query_one("#mail-security", Select).value = (m.security if m else MailSecurity.SSL).value
        self.query_one("#mail-folder", Input).value = m.folder if m else ""
        self.query_one("#mail-password-file", Input).value = m.password_file if m else ""

    def read(self) -> CampaignMailbox | None:
        host = self.query_one("#mail-host", Input).value.strip()
        if not host:
            return None
        raw = self.query_one("#mail-port", Input).value.strip()
        if raw and not raw.isdigit():
            raise InvalidInput(N_("The mailbox port must be 1 to 65535 (or empty for the default), not {port}."),
                               port=raw)
        return CampaignMailbox(
            host=host, user=self.query_one("#mail-login", Input).value.strip(), port=int(raw or 0),
            security=MailSecurity(str(self.query_one("#mail-security", Select).value)),
            folder=self.query_one("#mail-folder", Input).value.strip() or "INBOX",
            password_file=self.query_one("#mail-password-file", Input).value.strip())
