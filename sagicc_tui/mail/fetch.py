"""Read the support mailbox over IMAP and ingest each new message exactly once.

One pass (`fetch_pending`): the UIDs without \\Seen, fetched with BODY.PEEK
(fetching alone never marks them), parsed, ingested -- a batch of 50 in one
store transaction when the store is on this machine, else each message in its
own -- and only then, after the commit, flagged \\Seen. A crash
between the commit and the flag leaves the message unseen; the next pass
fetches it again and the store knows it by its Message-ID (or content hash)
and adds nothing. Two watchers on one mailbox are safe the same way.

`watch` repeats the pass whenever the server says something arrived (IMAP
IDLE, renewed before the 29 minutes servers allow), and reconnects after a
lost connection with a growing pause (1 s, 2 s, 4 s ... at most 5 minutes).
A message the store refuses (no campaign receives e-mail, ...) stays unseen
and is reported on every pass until it can go in.
"""

from __future__ import annotations

import imaplib
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sagicc_tui.domain.ingest import IngestResult
from sagicc_tui.domain.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation, SagiccError
from sagicc_tui.i18n import _
from sagicc_tui.mail.config import ImapConfig, ImapSecurity
from sagicc_tui.mail.parse import ParsedMail, parse

BATCH = 50  # messages fetched, ingested and flagged together
IDLE_SECONDS = 25 * 60
MAX_BACKOFF = 300.0
_UID = re.compile(rb"UID (\d+)")
_REFUSED = (InvalidInput, NotFound, RuleViolation, PermissionDenied)  # the message stays unread, said

Ingest = Callable[[ParsedMail], IngestResult]
Say = Callable[[str], None]


class MailboxError(SagiccError):
    """The mailbox cannot be reached or refused us: one sentence."""


@dataclass
class FetchReport:
    fetched: int = 0
    added: int = 0
    new_tickets: int = 0
    duplicates: int = 0
    automatic: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (uid, reason): left unseen

    def add(self, other: FetchReport) -> None:
        self.fetched += other.fetched
        self.added += other.added
        self.new_tickets += other.new_tickets
        self.duplicates += other.duplicates
        self.automatic += other.automatic
        self.refused += other.refused


def connect(config: ImapConfig, *, ssl_context: ssl.SSLContext | None = None) -> imaplib.IMAP4:
    from sagicc_tui.domain.messages import N_

    try:
        if config.security is ImapSecurity.SSL:
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(config.host, config.effective_port, timeout=config.timeout,
                                                    ssl_context=ssl_context or ssl.create_default_context())
        else:
            conn = imaplib.IMAP4(config.host, config.effective_port, timeout=config.timeout)
            if config.security is ImapSecurity.STARTTLS:
                conn.starttls(ssl_context or ssl.create_default_context())
    except (OSError, imaplib.IMAP4.error) as e:
        raise MailboxError(N_("Cannot reach the mailbox server {host}:{port}: {reason}."), host=config.host,
                           port=config.effective_port, reason=getattr(e, "strerror", None) or e) from None
    try:
        conn.login(config.user, config.password)
    except imaplib.IMAP4.error as e:
        conn.shutdown()
        raise MailboxError(N_("The mailbox server refused the login of {user}: {reason}."), user=config.user,
                           reason=_text(e)) from None
    typ, data = conn.select(_quoted(config.folder))
    if typ != "OK":
        conn.logout()
        raise MailboxError(N_("The mailbox has no folder {folder} ({reason}); set SAGICC_IMAP_FOLDER."),
                           folder=config.folder, reason=_text(data))
    return conn


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        value = b" ".join(v for v in value if isinstance(v, bytes)) or str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class MailFetcher:
    def __init__(self, config: ImapConfig, ingest: Ingest, *, say: Say = print,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.ingest = ingest
        self.say = say
        self.ssl_context = ssl_context

    def connect(self) -> imaplib.IMAP4:
        return connect(self.config, ssl_context=self.ssl_context)

    def fetch_once(self) -> FetchReport:
        conn = self.connect()
        try:
            return self.fetch_pending(conn)
        finally:
            try:
                conn.logout()
            except (OSError, imaplib.IMAP4.error):
                pass

    def fetch_pending(self, conn: imaplib.IMAP4) -> FetchReport:
        report = FetchReport()
        typ, data = conn.uid("SEARCH", None, "UNSEEN")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"SEARCH failed: {_text(data)}")
        uids = [int(u) for u in (data[0] or b"").split()]
        started = time.monotonic()
        for i in range(0, len(uids), BATCH):
            chunk = uids[i:i + BATCH]
            fetched = [(uid, parse(raw)) for uid, raw in self._fetch(conn, chunk)]
            report.fetched += len(fetched)
            seen = [uid for (uid, parsed), outcome in zip(fetched, self._ingest_all(fetched), strict=True)
                    if self._counted(uid, parsed, outcome, report)]
            if seen:
                # Only now: every message of `seen` is committed in the store.
                typ, data = conn.uid("STORE", ",".join(map(str, seen)), "+FLAGS.SILENT", r"(\Seen)")
                if typ != "OK":
                    raise imaplib.IMAP4.error(f"STORE failed: {_text(data)}")
            if len(uids) > BATCH:
                rate = report.fetched / max(time.monotonic() - started, 1e-6)
                self.say(_("  {done}/{total} messages ({rate}/s)", done=report.fetched, total=len(uids),
                           rate=f"{rate:.0f}"))
        return report

    def _fetch(self, conn: imaplib.IMAP4, uids: list[int]):
        typ, data = conn.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"FETCH failed: {_text(data)}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                found = _UID.search(item[0])
                if found:
                    yield int(found.group(1)), item[1]

    def _ingest_all(self, fetched: list[tuple[int, ParsedMail]]) -> list:
        """Each message's IngestResult, or the store's refusal. A sink with
        `batch` takes them all in one transaction (committed when it returns)."""
        batch = getattr(self.ingest, "batch", None)
        if batch is not None:
            return batch([parsed for _uid, parsed in fetched]) if fetched else []
        outcomes = []
        for _uid, parsed in fetched:
            try:
                outcomes.append(self.ingest(parsed))
            except _REFUSED as e:
                outcomes.append(e)
        return outcomes

    def _counted(self, uid: int, parsed: ParsedMail, outcome, report: FetchReport) -> bool:
        """True when the message is in the store (now or before): flag it."""
        if isinstance(outcome, _REFUSED):
            reason = _(outcome.message.template, **outcome.message.params)
            report.refused.append((uid, reason))
            self.say(_("Message {uid} from {sender} was not ingested: {reason} It stays unread in the mailbox.",
                       uid=uid, sender=parsed.sender, reason=reason))
            return False
        if isinstance(outcome, BaseException):
            raise outcome
        result: IngestResult = outcome
        if result.duplicate:
            report.duplicates += 1
        elif result.automatic:
            report.automatic += 1
        else:
            report.added += 1
            report.new_tickets += int(result.new_ticket)
        return True

    # --- watch: IDLE, and reconnect with backoff -------------------------------------------
    def watch(self, stop: threading.Event | None = None, *, idle_seconds: float = IDLE_SECONDS,
              on_pass: Callable[[FetchReport], None] | None = None,
              on_error: Callable[[str], None] | None = None) -> None:
        """Until `stop` is set. `on_pass` after each pass, `on_error` with the
        sentence of each failure before the pause (serve counts them)."""
        stop = stop or threading.Event()
        delay = 1.0
        while not stop.is_set():
            conn = None
            try:
                conn = self.connect()
                if delay > 1:
                    self.say(_("Connected again to {account}.", account=self.config.account))
                delay = 1.0
                idle = b"IDLE" in b" ".join(c.encode() if isinstance(c, str) else c for c in conn.capabilities)
                while not stop.is_set():
                    _arrived(conn)
                    report = self.fetch_pending(conn)
                    if on_pass is not None:
                        on_pass(report)
                    if _arrived(conn):
                        # Mail came while this pass ran: imaplib kept the server's
                        # EXISTS, and IDLE would not say it again.
                        continue
                    if idle:
                        self._idle(conn, idle_seconds, stop)
                    else:
                        stop.wait(60)  # no IDLE: poll once a minute
                        conn.noop()
            except (OSError, imaplib.IMAP4.error, EOFError, MailboxError) as e:
                if stop.is_set():
                    break
                reason = _sentence(e)
                if on_error is not None:
                    on_error(reason)
                self.say(_("{reason}; trying again in {seconds} s.", reason=reason.rstrip("."),
                           seconds=f"{delay:g}"))
                stop.wait(delay)
                delay = min(delay * 2, MAX_BACKOFF)
            finally:
                if conn is not None:
                    try:
                        conn.shutdown()
                    except (OSError, imaplib.IMAP4.error):
                        pass

    def _idle(self, conn: imaplib.IMAP4, seconds: float, stop: threading.Event) -> None:
        """Wait (IMAP IDLE, RFC 2177) until the server says the folder changed,
        `seconds` pass, or `stop` is set. imaplib of Python 3.11 has no IDLE:
        the command is written by hand; a timer thread sends DONE."""
        tag = conn._new_tag()
        conn.send(tag + b" IDLE\r\n")
        first = conn._get_line()
        if not first.startswith(b"+"):
            raise imaplib.IMAP4.error(f"IDLE refused: {_text(first)}")
        lock = threading.Lock()
        done = threading.Event()

        def send_done() -> None:
            with lock:
                if not done.is_set():
                    done.set()
                    try:
                        conn.send(b"DONE\r\n")
                    except OSError:
                        pass

        timer = threading.Timer(seconds, send_done)
        timer.daemon = True
        timer.start()
        stopper = threading.Thread(target=lambda: (stop.wait(seconds + 1), stop.is_set() and send_done()),
                                   daemon=True)
        stopper.start()
        conn.sock.settimeout(seconds + 60)  # a dead connection ends the wait too
        try:
            while True:
                line = conn._get_line()
                if line.startswith(tag):
                    if b" OK" not in line[:len(tag) + 4]:
                        raise imaplib.IMAP4.error(f"IDLE ended badly: {_text(line)}")
                    return
                if re.match(rb"\* \d+ (EXISTS|RECENT)", line):
                    send_done()
        finally:
            timer.cancel()
            conn.sock.settimeout(self.config.timeout)


def _arrived(conn: imaplib.IMAP4) -> bool:
    """Whether the server announced new messages since the last call."""
    exists = conn.untagged_responses.pop("EXISTS", None)
    recent = conn.untagged_responses.pop("RECENT", None)
    return bool(exists or recent)


def _sentence(e: BaseException) -> str:
    if isinstance(e, SagiccError):
        return _(e.message.template, **e.message.params)
    return getattr(e, "strerror", None) or str(e) or type(e).__name__
