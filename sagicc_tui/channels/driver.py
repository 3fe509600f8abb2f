"""The channel-driver interface and the per-channel choice of drivers.

A driver's `deliver` is blocking and runs in a worker thread OUTSIDE any store
transaction (a slow gateway never holds the store's write lock). It reports
what happened as a DeliveryReport and does not raise for delivery failures:
an unreachable server, a refusal or a timeout is a FAILED report with one
sentence a person can act on. `ChannelDrivers.deliver` also turns an
unexpected exception of a driver into a FAILED report, so an outgoing
interaction never stays PENDING because of a bug in a driver.

Configuration (environment):

    SAGICC_SMTP_HOST       the mail server; unset: e-mail is record-only
    SAGICC_SMTP_PORT       default 587 (starttls), 465 (ssl), 25 (plain)
    SAGICC_SMTP_FROM       the sender address, e.g. "Soporte <soporte@example.com>" (required)
    SAGICC_SMTP_SECURITY   starttls (default), ssl, or plain
    SAGICC_SMTP_STARTTLS   1/0: the older switch, used when SAGICC_SMTP_SECURITY is unset
    SAGICC_SMTP_USER, SAGICC_SMTP_PASSWORD   login, when the server asks for one
    SAGICC_SMTP_TIMEOUT    seconds for connecting and for each reply, default 30
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

from sagicc_tui.domain.enums import (  # noqa: F401 - re-exported for the drivers
    CHANNELS_WITH_ATTACHMENTS,
    CHANNELS_WITH_MAIL_FIELDS,
    ChannelType,
    DeliveryState,
)
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.messages import N_, Msg, msg


class ChannelConfigError(SagiccError):
    """The channel configuration (environment) is wrong; nothing was sent."""


@dataclass(frozen=True, slots=True)
class OutboundFile:
    name: str
    mime: str
    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """One message to hand to a gateway."""

    channel: ChannelType
    to: str
    text: str
    subject: str = ""
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    html: str = ""  # an HTML alternative of `text` (transcripts)
    files: tuple[OutboundFile, ...] = ()
    message_id: str = ""  # stable per interaction: a retry carries the same id (the local part)
    in_reply_to: str = ""  # e-mail threading: the customer's message we answer
    references: tuple[str, ...] = ()  # oldest first


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    state: DeliveryState  # SENT, FAILED or RECORDED
    detail: Msg | None = None  # the error sentence (FAILED) or a note (RECORDED, partial refusals)


class ChannelDriver(ABC):
    """Hands messages of one kind of channel to its gateway."""

    #: what the driver is, for people ("SMTP mail.example.com:587", "record only")
    description: str = ""

    @abstractmethod
    def deliver(self, envelope: Envelope) -> DeliveryReport:
        """Blocking. Never raises for a delivery failure: reports it."""


class ChannelDrivers:
    """The driver of each channel; record-only where none is configured."""

    def __init__(self, drivers: Mapping[ChannelType, ChannelDriver] | None = None) -> None:
        from sagicc_tui.channels.record import RecordOnlyDriver

        self._drivers = dict(drivers or {})
        self._record = {ch: RecordOnlyDriver(ch) for ch in ChannelType}

    def for_channel(self, channel: ChannelType) -> ChannelDriver:
        return self._drivers.get(channel) or self._record[channel]

    def has_gateway(self, channel: ChannelType) -> bool:
        return channel in self._drivers

    def deliver(self, envelope: Envelope) -> DeliveryReport:
        driver = self.for_channel(envelope.channel)
        try:
            return driver.deliver(envelope)
        except Exception as e:  # noqa: BLE001 - a driver bug must not leave the message PENDING
            return DeliveryReport(
                DeliveryState.FAILED,
                msg(N_("The {channel} driver failed unexpectedly: {reason}."), channel=envelope.channel.value,
                    reason=f"{type(e).__name__}: {e}"),
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ChannelDrivers:
        """Drivers from the environment; raises ChannelConfigError on a bad setting."""
        from sagicc_tui.channels.smtp import SmtpConfig, SmtpDriver

        env = os.environ if env is None else env
        drivers: dict[ChannelType, ChannelDriver] = {}
        smtp = SmtpConfig.from_env(env)
        if smtp is not None:
            drivers[ChannelType.EMAIL] = SmtpDriver(smtp)
        return cls(drivers)
