"""One e-mail (its raw bytes) to what the store ingests, with the standard
library's `email` package and `policy.default`.

- The contact is Reply-To when the sender set one (where answers must go),
  else From; the name is From's display name.
- Encoded-word subjects and names, and every charset, are decoded; a part
  declared ISO-8859-1 is read as windows-1252 (its superset, what mail
  programs really send), an unknown charset as UTF-8 with replacement.
- The text is the text/plain body when there is one, else the HTML body
  turned into readable text (html2text); further inline text parts follow it.
  Quoted history and signatures stay in the text: the conversation folds them.
- Every other part is an attachment -- inline images too -- under a safe file
  name; a forwarded message is kept whole as .eml.
- Auto-replies and delivery reports (Auto-Submitted, X-Autoreply,
  X-Autorespond, Precedence bulk/junk/auto_reply, multipart/report) are marked
  `automatic`.
- A message that cannot be read is never dropped: it is kept raw as
  message.eml with a note saying so.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from sagicc_tui.domain.models import AttachmentContent
from sagicc_tui.files import safe_file_name
from sagicc_tui.mail.thread import message_ids, normalize_message_id

MAX_TEXT = 95_000  # characters in the conversation (room for the notes under the 100,000 of /inbound)
MAX_ATTACHMENT = 10 * 1024 * 1024  # bytes, like a file sent through the server
MAX_ATTACHMENTS = 20
_ADDRESS = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+")


@dataclass(slots=True)
class ParsedMail:
    sender: str  # the contact's address
    name: str
    subject: str
    text: str
    message_id: str = ""  # "<...>", '' when the message has none
    references: tuple[str, ...] = ()  # the most recent first
    automatic: bool = False
    at: datetime | None = None
    files: list[AttachmentContent] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be kept as sent

    @property
    def full_text(self) -> str:
        """The text with the notes after it, as the conversation shows it."""
        if not self.notes:
            return self.text
        return (self.text.rstrip() + "\n\n" if self.text.strip() else "") + "\n".join(f"[{n}]" for n in self.notes)


def parse(raw: bytes) -> ParsedMail:
    try:
        return _parse(raw)
    except Exception as e:  # noqa: BLE001 - a message we cannot read is kept raw, never dropped
        return _unreadable(raw, f"{type(e).__name__}: {e}")


def _parse(raw: bytes) -> ParsedMail:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    name, address = _contact(msg)
    if not address:
        raise ValueError("no sender address in From or Reply-To")
    subject = _header(msg, "subject")
    parsed = ParsedMail(sender=address, name=name, subject=" ".join(subject.split())[:998], text="",
                        message_id=normalize_message_id(_header(msg, "message-id")),
                        references=_references(msg), automatic=is_automatic(msg), at=_date(msg))
    for problem in msg.defects:
        # Damage the parser worked around: say so once, the text is still read.
        parsed.notes.append(f"The message is damaged ({type(problem).__name__}); the original is attached "
                            "as message.eml.")
        break
    body = _body_part(msg)
    texts: list[str] = []
    if body is not None:
        texts.append(_text_of(body, parsed))
    _collect(msg, body, parsed, texts)
    text = "\n\n".join(t.strip("\n") for t in texts if t.strip())
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
        parsed.notes.append("The text was longer than 95,000 characters; all of it is in message.eml.")
    parsed.text = text
    if parsed.notes and not any(f.name == "message.eml" for f in parsed.files):
        parsed.files.append(AttachmentContent(name="message.eml", mime="message/rfc822", data=raw))
    if not parsed.text.strip() and not parsed.files:
        parsed.text = "(no text)"
    return parsed


def _unreadable(raw: bytes, reason: str) -> ParsedMail:
    """Keep it raw, with a note; best-effort sender from the bytes."""
    head = raw[:20_000].decode("latin-1")
    found = re.search(r"^(?:reply-to|from):(.*(?:\r?\n[ \t].*)*)", head, re.IGNORECASE | re.MULTILINE)
    address = _ADDRESS.search(found.group(1)) if found else None
    mid = re.search(r"^message-id:\s*(<[^>\s]+>)", head, re.IGNORECASE | re.MULTILINE)
    return ParsedMail(
        sender=address.group(0).lower() if address else "unknown-sender@invalid", name="", subject="",
        text="", message_id=mid.group(1) if mid else "",
        files=[AttachmentContent(name="message.eml", mime="message/rfc822", data=raw)],
        notes=[f"This e-mail could not be read ({reason[:200]}); the original is attached as message.eml."],
    )


# --- headers -------------------------------------------------------------------------


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - a malformed header is as good as none
        return ""
    return unescape(str(value or "")).strip()


def unescape(text: str) -> str:
    """Raw 8-bit bytes in a header (no encoded-word) come back from the parser
    as surrogate escapes: read them as UTF-8, else windows-1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _contact(msg: Message) -> tuple[str, str]:
    def first(name: str) -> tuple[str, str]:
        raw = _header(msg, name)
        for display, addr in getaddresses([raw]):
            if "@" in addr:
                return display.strip(), addr.strip()
        found = _ADDRESS.search(raw)
        return ("", found.group(0)) if found else ("", "")

    from_name, from_addr = first("from")
    _reply_name, reply_addr = first("reply-to")
    return from_name, reply_addr or from_addr


def _references(msg: Message) -> tuple[str, ...]:
    out: list[str] = []
    for mid in message_ids(_header(msg, "in-reply-to")) + message_ids(_header(msg, "references"))[::-1]:
        if mid not in out:
            out.append(mid)
    return tuple(out[:50])


def _date(msg: Message) -> datetime | None:
    raw = _header(msg, "date")
    if not raw:
        return None
    try:
        at = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if at is None:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def is_automatic(msg: Message) -> bool:
    """An auto-reply, a list's bulk mail or a delivery report: never answered,
    never opens a ticket (RFC 3834, and what real mailers send)."""
    auto = _header(msg, "auto-submitted").lower()
    if auto and auto != "no":
        return True
    if _header(msg, "x-autoreply") or _header(msg, "x-autorespond"):
        return True
    if _header(msg, "precedence").lower() in ("bulk", "junk", "auto_reply", "list"):
        return True
    return msg.get_content_type() == "multipart/report"


# --- parts ----------------------------------------------------------------------------


def _body_part(msg: EmailMessage) -> Message | None:
    try:
        plain = msg.get_body(preferencelist=("plain",))
        if plain is not None and _decoded(plain).strip():
            return plain
        return msg.get_body(preferencelist=("html", "plain"))
    except Exception:  # noqa: BLE001
        return None


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or bool(part.get_filename())


def _collect(part: Message, body: Message | None, parsed: ParsedMail, texts: list[str]) -> None:
    """Every leaf that is not the body: more text, or a file."""
    if part is body:
        return
    ctype = part.get_content_type()
    if ctype == "message/delivery-status":  # a bounce's report: its header blocks, as text
        blocks = part.get_payload() if isinstance(part.get_payload(), list) else []
        data = b"\n".join(b.as_bytes() for b in blocks) or part.as_bytes()
        _add_file(parsed, part, payload=data, name="delivery-status.txt")
        return
    if ctype.startswith("message/"):  # a forwarded message, kept whole
        inner = part.get_payload()
        data = inner[0].as_bytes() if isinstance(inner, list) and inner else part.as_bytes()
        _add_file(parsed, part, payload=data, name=f"forwarded-{len(parsed.files) + 1}.eml")
        return
    if part.is_multipart():
        children = part.get_payload()
        if not isinstance(children, list):
            return
        alternative = ctype == "multipart/alternative"
        for child in children:
            if alternative and body is not None and _contains(part, body) and not _is_attachment(child):
                continue  # the other renderings of the body
            _collect(child, body, parsed, texts)
        return
    if ctype in ("text/plain", "text/html") and not _is_attachment(part):
        text = _text_of(part, parsed)
        if text.strip():
            texts.append(text)
        return
    _add_file(parsed, part)


def _contains(parent: Message, target: Message) -> bool:
    return any(p is target for p in parent.walk())


def _add_file(parsed: ParsedMail, part: Message, *, payload: bytes | None = None, name: str = "") -> None:
    mime = part.get_content_type()
    if payload is None:
        try:
            payload = part.get_payload(decode=True)
        except Exception:  # noqa: BLE001
            payload = None
        if payload is None:
            payload = part.as_bytes()
    try:
        given = unescape(part.get_filename() or "")
    except Exception:  # noqa: BLE001 - an undecodable file name
        given = ""
    fallback = name or f"part-{len(parsed.files) + 1}{mimetypes.guess_extension(mime) or '.bin'}"
    name = safe_file_name(given, fallback) if given else fallback
    if len(payload) > MAX_ATTACHMENT:
        parsed.notes.append(f"The attachment {name} ({len(payload) / 1_048_576:.1f} MB) is over 10 MB; it is in "
                            "message.eml.")
        return
    if len(parsed.files) >= MAX_ATTACHMENTS:
        parsed.notes.append(f"The attachment {name} is over the limit of {MAX_ATTACHMENTS}; it is in message.eml.")
        return
    names = {f.name for f in parsed.files}
    if name in names:  # two parts named alike: both kept
        stem, dot, suffix = name.rpartition(".")
        digest = hashlib.sha256(payload).hexdigest()[:6]
        name = f"{stem}-{digest}.{suffix}" if dot else f"{name}-{digest}"
    parsed.files.append(AttachmentContent(name=name, mime=mime, data=payload))


def _decoded(part: Message) -> str:
    """A text part's content in any charset; never raises."""
    raw = part.get_payload(decode=True) or b""
    charset = (part.get_content_charset() or "").lower()
    if charset in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", ""):
        # Declared Latin-1 (or nothing) is in practice windows-1252; UTF-8 first when undeclared.
        if not charset:
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
        return raw.decode("cp1252", "replace")
    try:
        return raw.decode(charset, "replace")
    except LookupError:
        return raw.decode("utf-8", "replace")


def _text_of(part: Message, parsed: ParsedMail) -> str:
    text = _decoded(part)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def html_to_text(html: str) -> str:
    import html2text

    h = html2text.HTML2Text()
    h.body_width = 0  # the conversation wraps to its own width
    h.ignore_images = True  # inline images are attachments
    h.ignore_emphasis = True
    h.unicode_snob = True
    h.protect_links = True
    lines = [line.rstrip() for line in h.handle(html).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
