"""The e-mail driver: a real SMTP client on `smtplib`.

Every connection has an explicit timeout (connect and each reply). Security
is explicit: `starttls` (the default; refuses to go on if the server does not
offer STARTTLS, never falls back to plain text), `ssl` (TLS from the first
byte, usually port 465) or `plain` (a local relay). A login over plain text is
refused unless the server is this machine.

Bcc recipients get the message but never appear in its headers.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from enum import StrEnum

from sagicc_tui.channels.driver import ChannelConfigError, ChannelDriver, DeliveryReport, Envelope
from sagicc_tui.domain.enums import DeliveryState
from sagicc_tui.domain.messages import N_, msg


class SmtpSecurity(StrEnum):
    STARTTLS = "starttls"
    SSL = "ssl"
    PLAIN = "plain"


_DEFAULT_PORT = {SmtpSecurity.STARTTLS: 587, SmtpSecurity.SSL: 465, SmtpSecurity.PLAIN: 25}
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpConfig:
    host: str
    sender: str  # "Name <address>" or "address"
    port: int = 0  # 0: the security's default port
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0

    @property
    def effective_port(self) -> int:
        return self.port or _DEFAULT_PORT[self.security]

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]

    def check(self) -> SmtpConfig:
        if not self.sender_address or "@" not in self.sender_address:
            raise ChannelConfigError(N_("SAGICC_SMTP_FROM must be the sender's e-mail address, like soporte@example.com."))
        if self.user and self.security is SmtpSecurity.PLAIN and self.host not in _LOOPBACK:
            raise ChannelConfigError(
                N_("A mail login over plain SMTP would send the password unencrypted to {host}; set "
                   "SAGICC_SMTP_SECURITY to starttls or ssl."), host=self.host,
            )
        if self.timeout <= 0:
            raise ChannelConfigError(N_("SAGICC_SMTP_TIMEOUT must be a positive number of seconds."))
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpConfig | None:
        host = (env.get("SAGICC_SMTP_HOST") or "").strip()
        if not host:
            return None
        raw_security = (env.get("SAGICC_SMTP_SECURITY") or "").strip().lower()
        if raw_security:
            try:
                security = SmtpSecurity(raw_security)
            except ValueError:
                raise ChannelConfigError(
                    N_("SAGICC_SMTP_SECURITY must be starttls, ssl or plain, not {value}."), value=raw_security,
                ) from None
        else:
            starttls = (env.get("SAGICC_SMTP_STARTTLS") or "1").strip().lower()
            security = SmtpSecurity.PLAIN if starttls in ("0", "false", "no", "off") else SmtpSecurity.STARTTLS
        return cls(
            host=host,
            port=_number(env, "SAGICC_SMTP_PORT", 0, int),
            sender=(env.get("SAGICC_SMTP_FROM") or "").strip(),
            security=security,
            user=env.get("SAGICC_SMTP_USER") or "",
            password=env.get("SAGICC_SMTP_PASSWORD") or "",
            timeout=_number(env, "SAGICC_SMTP_TIMEOUT", 30.0, float),
        ).check()


def _number(env: Mapping[str, str], name: str, default, kind):
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ChannelConfigError(N_("{name} must be a number, not {value}."), name=name, value=raw) from None


class SmtpDriver(ChannelDriver):
    def __init__(self, config: SmtpConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config.check()
        self.description = f"SMTP {config.host}:{config.effective_port} ({config.security.value})"
        self._ssl_context = ssl_context

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def build(self, envelope: Envelope) -> EmailMessage:
        m = EmailMessage()
        m["From"] = self.config.sender
        m["To"] = envelope.to
        if envelope.cc:
            m["Cc"] = ", ".join(envelope.cc)
        m["Subject"] = envelope.subject
        m["Date"] = formatdate(usegmt=True)
        if envelope.message_id:
            domain = self.config.sender_address.rpartition("@")[2] or "sagicc.invalid"
            m["Message-ID"] = f"<{envelope.message_id}@{domain}>"
        if envelope.in_reply_to:
            m["In-Reply-To"] = envelope.in_reply_to
        if envelope.references:
            m["References"] = " ".join(envelope.references)
        m.set_content(envelope.text or "")
        if envelope.html:
            m.add_alternative(envelope.html, subtype="html")
        for f in envelope.files:
            maintype, _, subtype = (f.mime or "application/octet-stream").partition("/")
            m.add_attachment(f.data, maintype=maintype or "application", subtype=subtype or "octet-stream",
                             filename=f.name)
        return m

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.security is SmtpSecurity.SSL:
            return smtplib.SMTP_SSL(c.host, c.effective_port, timeout=c.timeout, context=self._context())
        return smtplib.SMTP(c.host, c.effective_port, timeout=c.timeout)

    def deliver(self, envelope: Envelope) -> DeliveryReport:
        c = self.config
        recipients = [envelope.to, *envelope.cc, *envelope.bcc]
        failed = DeliveryState.FAILED
        try:
            message = self.build(envelope)
            with self._connect() as smtp:
                smtp.ehlo()
                if c.security is SmtpSecurity.STARTTLS:
                    if not smtp.has_extn("starttls"):
                        return DeliveryReport(failed, msg(
                            N_("The mail server {host} does not offer STARTTLS; nothing was sent. Set "
                               "SAGICC_SMTP_SECURITY to ssl, or to plain for a local relay."), host=c.host))
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if c.user:
                    smtp.login(c.user, c.password)
                refused = smtp.send_message(message, from_addr=c.sender_address, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as e:
            return DeliveryReport(failed, msg(N_("The mail server refused every recipient: {detail}."),
                                              detail=_refusals(e.recipients)))
        except smtplib.SMTPSenderRefused as e:
            return DeliveryReport(failed, msg(N_("The mail server refused the sender {sender}: {code} {reason}."),
                                              sender=c.sender_address, code=e.smtp_code, reason=_text(e.smtp_error)))
        except smtplib.SMTPAuthenticationError as e:
            return DeliveryReport(failed, msg(N_("The mail server refused the login of {user}: {code} {reason}."),
                                              user=c.user, code=e.smtp_code, reason=_text(e.smtp_error)))
        except smtplib.SMTPResponseException as e:
            return DeliveryReport(failed, msg(N_("The mail server refused the message: {code} {reason}."),
                                              code=e.smtp_code, reason=_text(e.smtp_error)))
        except TimeoutError:
            return DeliveryReport(failed, msg(N_("The mail server {host}:{port} did not answer within {seconds} seconds."),
                                              host=c.host, port=c.effective_port, seconds=f"{c.timeout:g}"))
        except smtplib.SMTPServerDisconnected as e:
            if isinstance(e.__context__, TimeoutError):  # smtplib wraps a reply timeout as a disconnect
                return DeliveryReport(failed, msg(N_("The mail server {host}:{port} did not answer within {seconds} seconds."),
                                                  host=c.host, port=c.effective_port, seconds=f"{c.timeout:g}"))
            return DeliveryReport(failed, msg(N_("The mail server {host}:{port} closed the connection before the message was accepted."),
                                              host=c.host, port=c.effective_port))
        except ssl.SSLError as e:
            return DeliveryReport(failed, msg(N_("The secure connection to the mail server {host} failed: {reason}."),
                                              host=c.host, reason=e.reason or e))
        except smtplib.SMTPException as e:
            return DeliveryReport(failed, msg(N_("The mail server {host} reported an error: {reason}."),
                                              host=c.host, reason=e))
        except OSError as e:
            return DeliveryReport(failed, msg(N_("Cannot reach the mail server {host}:{port}: {reason}."),
                                              host=c.host, port=c.effective_port, reason=e.strerror or e))
        except ValueError as e:  # a header the e-mail library refuses
            return DeliveryReport(failed, msg(N_("The message cannot be written as e-mail: {reason}."), reason=e))
        if refused:
            return DeliveryReport(DeliveryState.SENT, msg(N_("Sent, but the mail server refused some recipients: {detail}."),
                                                          detail=_refusals(refused)))
        return DeliveryReport(DeliveryState.SENT)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _refusals(recipients: dict) -> str:
    return "; ".join(f"{addr} ({code} {_text(reason)})" for addr, (code, reason) in recipients.items())
