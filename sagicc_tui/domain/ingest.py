"""What a channel delivers (`sagicc ingest`, POST /inbound, the mail fetcher)
and what the store made of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.domain.models import AttachmentContent

#: What a channel may deliver with one message (the store's limit; a file the
#: TUI or an agent sends is at most 10 MB).
MAX_INCOMING_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingMessage:
    """One line of `sagicc ingest`: an interaction a channel received."""

    channel: ChannelType
    sender: str  # the contact value: e-mail address or phone number
    text: str
    name: str = ""
    subject: str = ""
    at: datetime | None = None
    attachments: tuple[AttachmentContent, ...] = ()  # the files' content, never paths
    # The channel's own id of this message (a gateway's `id`, an e-mail's
    # Message-ID): the same id again is the same message, never added twice.
    # Without one, a hash of channel, sender, time, subject, text and files is.
    id: str = ""
    # E-mail threading: the Message-IDs it answers, the most recent first
    # (In-Reply-To, then References from the end).
    references: tuple[str, ...] = ()
    # An auto-reply or a delivery report: recorded on its ticket, never opens
    # or reopens one, never answered.
    automatic: bool = False
    # Set by the server from POST /inbound's Idempotency-Key header (with the
    # token's id): a retry with the same key is the same message.
    idempotency_key: str = ""
    # The campaign it goes to when it came through that campaign's own
    # channel (its mailbox, #13); 0: the campaign that receives the channel.
    campaign_id: int = 0


@dataclass(frozen=True, slots=True)
class IngestResult:
    ticket_id: int  # 0: an automatic message that matched no ticket (recorded as seen only)
    ticket_number: int
    customer_id: int
    new_ticket: bool
    new_customer: bool
    duplicate: bool = False  # this message was already in the store: nothing was added
    automatic: bool = False
