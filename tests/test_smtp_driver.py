"""The e-mail driver against a REAL SMTP server on 127.0.0.1 (aiosmtpd), through send_message."""

from __future__ import annotations

import asyncio
import re
import socket
import sqlite3
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from sagicc_tui.channels.driver import ChannelConfigError, ChannelDrivers
from sagicc_tui.channels.smtp import SmtpConfig, SmtpSecurity
from sagicc_tui.domain.enums import ChannelType, DeliveryState, EntityKind
from sagicc_tui.domain.ticket_screen import OutgoingMessage
from sagicc_tui.local_store import schema
from tests.factory import attached


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it accepts, or refuses on demand."""

    def __init__(self) -> None:
        self.received: list = []
        self.refuse: str | None = None
        self.db_path: str | None = None
        self.seen_during_delivery: list[tuple[str, bool]] = []

    async def handle_DATA(self, server, session, envelope):  # the aiosmtpd hook's name
        if self.db_path:
            self.seen_during_delivery.append(_store_state_now(self.db_path))
        if self.refuse:
            return self.refuse
        self.received.append(envelope)
        return "250 OK"


def _store_state_now(path: str) -> tuple[str, bool]:
    """What another terminal sees while the message is being delivered: the
    interaction is already committed, and nobody holds the write lock."""
    con = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    try:
        state = con.execute("SELECT delivery FROM interaction ORDER BY id DESC LIMIT 1").fetchone()[0]
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
            free = True
        except sqlite3.OperationalError:
            free = False
        return state, free
    finally:
        con.close()


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def use_smtp(world, port: int, **env) -> None:
    world.backend.configure_channels(ChannelDrivers.from_env({
        "SAGICC_SMTP_HOST": "127.0.0.1", "SAGICC_SMTP_PORT": str(port),
        "SAGICC_SMTP_FROM": "Soporte <soporte@empresa.co>", "SAGICC_SMTP_SECURITY": "plain",
        "SAGICC_SMTP_TIMEOUT": "5", **env,
    }))


def contact(world, value: str) -> int:
    ct = schema.ContactRow.__table__
    with world.backend.store.read() as conn:
        return conn.execute(select(ct.c.id).where(ct.c.value == value)).scalar_one()


async def test_send_message_arrives_with_headers_body_and_attachment(world, smtp, tmp_path):
    inbox, port = smtp
    inbox.db_path = world.path
    use_smtp(world, port)
    r = await world.incoming("cliente@x.com", "Hola, ¿mi pedido?", name="Lucía Gómez")
    ana = await world.user("ana")
    m = OutgoingMessage(client_key="send-1", channel=ChannelType.EMAIL, contact=contact(world, "cliente@x.com"),
                        text="Hola {customer_name}, su pedido va en camino.", subject="Caso {ticket_number}",
                        cc="jefe@empresa.co", bcc="auditoria@empresa.co")
    sent = await world.backend.send_message(ana, r.ticket_id, m, (attached("factura.pdf", b"%PDF-1.4 factura 123"),))
    assert sent.delivery is DeliveryState.SENT and sent.delivery_error == ""
    # Committed PENDING before the driver ran, and delivered outside the write lock.
    assert inbox.seen_during_delivery == [("pending", True)]

    assert len(inbox.received) == 1
    env = inbox.received[0]
    assert env.mail_from == "soporte@empresa.co"
    assert sorted(env.rcpt_tos) == ["auditoria@empresa.co", "cliente@x.com", "jefe@empresa.co"]
    mail = message_from_bytes(env.original_content, policy=policy.default)
    assert mail["To"] == "cliente@x.com" and mail["Cc"] == "jefe@empresa.co" and mail["Bcc"] is None
    assert mail["Subject"] == f"Caso {r.ticket_number}"
    assert re.fullmatch(rf"<sagicc-{sent.id}\.[0-9a-f]{{12}}@empresa\.co>", mail["Message-ID"])
    assert mail.get_body(("plain",)).get_content().strip() == "Hola Lucía Gómez, su pedido va en camino."
    (part,) = list(mail.iter_attachments())
    assert part.get_filename() == "factura.pdf" and part.get_content() == b"%PDF-1.4 factura 123"

    # The same key again (the first answer was lost): same interaction, no second e-mail.
    again = await world.backend.send_message(ana, r.ticket_id, m)
    assert again.id == sent.id and again.delivery is DeliveryState.SENT
    assert len(inbox.received) == 1
    page = await world.backend.conversation(ana, r.ticket_id)
    assert len(page.items) == 2


async def test_two_sends_with_one_key_at_once_send_one_email(world, smtp):
    inbox, port = smtp
    use_smtp(world, port)
    r = await world.incoming("cliente@x.com", "hola")
    ana = await world.user("ana")
    m = OutgoingMessage(client_key="double-click", channel=ChannelType.EMAIL, contact="cliente@x.com",
                        text="Una sola vez", subject="Su caso")
    first, second = await asyncio.gather(world.backend.send_message(ana, r.ticket_id, m),
                                         world.backend.send_message(ana, r.ticket_id, m))
    assert first.id == second.id
    assert len(inbox.received) == 1


async def test_a_refusing_server_leaves_it_failed_and_retry_sends_it(world, smtp):
    inbox, port = smtp
    use_smtp(world, port)
    r = await world.incoming("cliente@x.com", "hola")
    ana = await world.user("ana")
    inbox.refuse = "550 5.7.1 Mensaje rechazado por politica"
    m = OutgoingMessage(client_key="send-2", channel=ChannelType.EMAIL, contact="cliente@x.com",
                        text="Respuesta", subject="Su caso")
    failed = await world.backend.send_message(ana, r.ticket_id, m)
    assert failed.delivery is DeliveryState.FAILED
    assert "550" in failed.delivery_error and "rechazado" in failed.delivery_error
    assert inbox.received == []
    # Still in the conversation, never lost; the same key does not resend it.
    assert (await world.backend.send_message(ana, r.ticket_id, m)).delivery is DeliveryState.FAILED
    inbox.refuse = None
    retried = await world.backend.retry_delivery(ana, failed.id)
    assert retried.id == failed.id and retried.delivery is DeliveryState.SENT and retried.delivery_error == ""
    assert len(inbox.received) == 1
    mail = message_from_bytes(inbox.received[0].original_content, policy=policy.default)
    assert mail.get_body(("plain",)).get_content().strip() == "Respuesta"
    # The retry carries the Message-ID stored when the message was committed (#13).
    headers = schema.MailHeaderRow.__table__
    with world.store.read() as conn:
        own = conn.execute(select(headers.c.message_id).where(headers.c.interaction_id == failed.id)).scalar()
    assert mail["Message-ID"] == f"<{own}@empresa.co>"
    admin = await world.user("admin")
    deliveries = [(e.previous, e.new) for e in await world.backend.change_log(admin, EntityKind.TICKET, r.ticket_id)
                  if e.field == "delivery"]
    assert deliveries == [("pending", "failed"), ("failed", "pending"), ("pending", "sent")]


async def test_transcript_goes_out_by_email_with_an_html_part(world, smtp):
    inbox, port = smtp
    use_smtp(world, port)
    r = await world.incoming("cliente@x.com", "Necesito la factura <urgente>")
    ana = await world.user("ana")
    await world.backend.add_note(ana, r.ticket_id, "NOTA-PRIVADA", "red")
    sent = await world.backend.send_transcript(ana, r.ticket_id, contact(world, "cliente@x.com"))
    assert sent.delivery is DeliveryState.SENT
    mail = message_from_bytes(inbox.received[0].original_content, policy=policy.default)
    assert mail["Subject"] == f"Transcript of ticket #{r.ticket_number}"
    html = mail.get_body(("html",)).get_content()
    assert "Necesito la factura &lt;urgente&gt;" in html and "NOTA-PRIVADA" not in html
    assert "NOTA-PRIVADA" not in mail.get_body(("plain",)).get_content()


async def test_unreachable_silent_and_plain_only_servers_fail_with_a_sentence(world, smtp):
    inbox, port = smtp
    r = await world.incoming("cliente@x.com", "hola")
    ana = await world.user("ana")

    def m(key):
        return OutgoingMessage(client_key=key, channel=ChannelType.EMAIL, contact="cliente@x.com", text="x",
                               subject="s")

    use_smtp(world, free_port())  # nobody listens there
    down = await world.backend.send_message(ana, r.ticket_id, m("a"))
    assert down.delivery is DeliveryState.FAILED and "Cannot reach the mail server 127.0.0.1" in down.delivery_error

    with socket.socket() as silent:  # accepts the connection, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        use_smtp(world, silent.getsockname()[1], SAGICC_SMTP_TIMEOUT="0.5")
        mute = await world.backend.send_message(ana, r.ticket_id, m("b"))
    assert mute.delivery is DeliveryState.FAILED and "did not answer within 0.5 seconds" in mute.delivery_error

    use_smtp(world, port, SAGICC_SMTP_SECURITY="starttls")  # never falls back to plain text
    tls = await world.backend.send_message(ana, r.ticket_id, m("c"))
    assert tls.delivery is DeliveryState.FAILED and "does not offer STARTTLS" in tls.delivery_error
    assert inbox.received == []


def test_configuration_from_the_environment():
    assert SmtpConfig.from_env({}) is None
    c = SmtpConfig.from_env({"SAGICC_SMTP_HOST": "mail.x.co", "SAGICC_SMTP_FROM": "a@x.co",
                             "SAGICC_SMTP_PASSWORD": "secreto"})
    assert (c.security, c.effective_port, c.timeout) == (SmtpSecurity.STARTTLS, 587, 30.0)
    assert "secreto" not in repr(c)
    assert SmtpConfig.from_env({"SAGICC_SMTP_HOST": "h", "SAGICC_SMTP_FROM": "a@x.co",
                                "SAGICC_SMTP_SECURITY": "ssl"}).effective_port == 465
    assert SmtpConfig.from_env({"SAGICC_SMTP_HOST": "h", "SAGICC_SMTP_FROM": "a@x.co",
                                "SAGICC_SMTP_STARTTLS": "0"}).security is SmtpSecurity.PLAIN
    for bad in ({"SAGICC_SMTP_PORT": "veinticinco"}, {"SAGICC_SMTP_SECURITY": "tls13"}, {"SAGICC_SMTP_FROM": ""},
                {"SAGICC_SMTP_SECURITY": "plain", "SAGICC_SMTP_USER": "u"}, {"SAGICC_SMTP_TIMEOUT": "0"}):
        with pytest.raises(ChannelConfigError):
            SmtpConfig.from_env({"SAGICC_SMTP_HOST": "mail.x.co", "SAGICC_SMTP_FROM": "a@x.co", **bad})
    assert not ChannelDrivers.from_env({}).has_gateway(ChannelType.EMAIL)
