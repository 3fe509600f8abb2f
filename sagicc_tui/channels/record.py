"""The record-only driver: for channels with no gateway configured.

The message stays in the conversation, marked RECORDED and said as such;
nothing leaves this machine. Telephony always ends here until a dialer is
integrated: the agent places the call and the interaction records it.
"""

from __future__ import annotations

from sagicc_tui.channels.driver import ChannelDriver, DeliveryReport, Envelope
from sagicc_tui.domain.enums import ChannelType, DeliveryState
from sagicc_tui.domain.messages import N_, msg


class RecordOnlyDriver(ChannelDriver):
    def __init__(self, channel: ChannelType) -> None:
        self.channel = channel
        self.description = "record only"

    def deliver(self, envelope: Envelope) -> DeliveryReport:
        return DeliveryReport(
            DeliveryState.RECORDED,
            msg(N_("No gateway is configured for the {channel} channel: the message was recorded in the "
                   "conversation, not sent."), channel=envelope.channel.value),
        )
