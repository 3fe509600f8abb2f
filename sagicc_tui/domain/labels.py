"""Labels of the enum values more than one layer shows, once: English templates
marked with ``N_``, translated by the reader (widgets/labels.py in the UI's
language, render/ in the reader's language for transcripts and external views)."""

from __future__ import annotations

from sagicc_tui.domain.enums import ChannelType, ContactKind, Direction, TicketStatus
from sagicc_tui.domain.messages import N_

STATUS = {
    TicketStatus.NEW: N_("New"),
    TicketStatus.OPEN: N_("Open"),
    TicketStatus.TRANSFERRED: N_("Transferred"),
    TicketStatus.ESCALATED: N_("Escalated"),
    TicketStatus.CLOSED: N_("Closed"),
}
CHANNEL = {
    ChannelType.EMAIL: N_("Email"),
    ChannelType.WHATSAPP: N_("WhatsApp"),
    ChannelType.TELEPHONY: N_("Telephony"),
    ChannelType.CHAT: N_("Chat"),
    ChannelType.SMS: N_("SMS"),
}
DIRECTION = {Direction.INCOMING: N_("Incoming"), Direction.OUTGOING: N_("Outgoing")}
CONTACT_KIND = {
    ContactKind.EMAIL: N_("E-mail"),
    ContactKind.PHONE: N_("Phone"),
    ContactKind.MOBILE: N_("Mobile"),
    ContactKind.ADDRESS: N_("Address"),
    ContactKind.SOCIAL: N_("Social account"),
}

#: Change-log fields whose values are ids, and what they are the id of: the store
#: names them (ChangeLogEntry.previous_name/new_name), the UI says when one is gone.
ID_FIELDS = {"customer_id": "customer", "account_id": "account", "campaign_id": "campaign",
             "merged_into": "customer"}
