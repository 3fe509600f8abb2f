"""#13 e-mail both ways against REAL servers on loopback: Dovecot (IMAP, from
the system's packages, its own config/port/maildir under tmp_path) and
aiosmtpd (SMTP). The round trip, exactly once across a crash between the
store's commit and the \\Seen flag, two watchers, a reconnect, the MIME
corpus, and feeding a server through /inbound."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from sagicc_tui.channels.driver import ChannelDrivers
from sagicc_tui.domain.enums import ChannelType, TicketStatus
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.domain.ticket_screen import OutgoingMessage
from tests.factory import make_world
from tests.support.dovecot import Dovecot, free_port

CORPUS = Path(__file__).parent / "fixtures" / "mail"
ENV = {**os.environ, "SAGICC_LANG": "en", "NO_COLOR": "1"}


@pytest.fixture
def dovecot(tmp_path):
    server = Dovecot(tmp_path / "imap").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "pg"])
async def world(request, tmp_path):
    if request.param == "pg":
        from tests.support.pg import pg_store_url

        url = pg_store_url(request)
    else:
        url = str(tmp_path / "store.db")
    # The CLI's store finds its files where the world's are: beside a SQLite
    # file, or in the data dir for PostgreSQL.
    w = await make_world(url, blob_dir=tmp_path / "data" / "files" if request.param == "pg" else None)
    w.url = url
    w.data_dir = tmp_path / "data"
    try:
        yield w
    finally:
        await w.aclose()


class Inbox:
    def __init__(self) -> None:
        self.received: list = []

    async def handle_DATA(self, server, session, envelope):  # the aiosmtpd hook
        self.received.append(envelope)
        return "250 OK"


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


def mail(sender: str, subject: str, body: str, *, message_id: str | None = None, in_reply_to: str = "",
         references: str = "", name: str = "", **headers: str) -> bytes:
    m = EmailMessage()
    m["From"] = f"{name} <{sender}>" if name else sender
    m["To"] = "soporte@empresa.co"
    m["Subject"] = subject
    m["Date"] = format_datetime(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    if message_id:
        m["Message-ID"] = message_id
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
    if references:
        m["References"] = references
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    m.set_content(body)
    return m.as_bytes()


#: Runs `sagicc` dying right after a fetched batch committed, before its \Seen flags.
DIE_AFTER_INGEST = [str(Path(__file__).resolve().parent / "support" / "die_after.py"),
                    "sagicc_tui.mail.fetch:MailFetcher._ingest_all"]


def fetch(world, dovecot, *args: str, env: dict | None = None, check: bool = True,
          die_after_ingest: bool = False) -> subprocess.CompletedProcess:
    launcher = DIE_AFTER_INGEST if die_after_ingest else ["-m", "sagicc_tui"]
    proc = subprocess.run([sys.executable, *launcher, "--db", world.url, "mail", "fetch", *args],
                          capture_output=True, text=True, timeout=300,
                          env={**ENV, **dovecot.env(), "SAGICC_DATA_DIR": str(world.data_dir), **(env or {})})
    if check:
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return proc


def count(world, sql: str) -> int:
    with world.store.read() as conn:
        return conn.execute(text(sql)).scalar()


async def test_round_trip_customer_mail_ticket_reply_and_the_customers_answer(world, dovecot, smtp):
    inbox, port = smtp
    admin = await world.user("admin")
    dovecot.append(mail("ana@cliente.co", "Factura duplicada", "Me cobraron dos veces.", name="Ana Ruiz",
                        message_id="<c1@cliente.co>"))
    out = fetch(world, dovecot)
    assert "1 added to the store (1 new tickets)" in out.stderr
    assert dovecot.unseen() == 0
    [ticket] = (await world.backend.list_tickets(admin, TicketQuery())).rows
    assert ticket.status is TicketStatus.NEW and ticket.description == "Factura duplicada"

    world.backend.configure_channels(ChannelDrivers.from_env({
        "SAGICC_SMTP_HOST": "127.0.0.1", "SAGICC_SMTP_PORT": str(port), "SAGICC_SMTP_SECURITY": "plain",
        "SAGICC_SMTP_FROM": "Soporte <soporte@empresa.co>", "SAGICC_SMTP_TIMEOUT": "5"}))
    [contact] = [c for c in await world.backend.list_contacts(admin, ticket.customer_id)]
    # A template reply: no subject typed; it gets the thread's (refused before #13).
    sent = await world.backend.send_message(admin, ticket.id, OutgoingMessage(
        client_key="k1", channel=ChannelType.EMAIL, contact=contact.id, template_key="hola"))
    assert sent.subject == f"Re: Factura duplicada [#{ticket.number}]"
    [envelope] = inbox.received
    reply = message_from_bytes(envelope.original_content, policy=policy.default)
    assert reply["Subject"] == f"Re: Factura duplicada [#{ticket.number}]"
    assert reply["In-Reply-To"] == "<c1@cliente.co>"
    assert reply["References"] == "<c1@cliente.co>"
    our_id = reply["Message-ID"]
    assert re.fullmatch(rf"<sagicc-{sent.id}\.[0-9a-f]{{12}}@empresa\.co>", our_id)
    # The agent may change the subject.
    await world.backend.send_message(admin, ticket.id, OutgoingMessage(
        client_key="k2", channel=ChannelType.EMAIL, contact=contact.id, text="Otra cosa", subject="Reembolso"))
    assert message_from_bytes(inbox.received[1].original_content, policy=policy.default)["Subject"] == "Reembolso"

    # The customer answers from another address, with a changed subject: In-Reply-To decides.
    dovecot.append(mail("ana.personal@otro.co", "Re: otra cosa", "Gracias, ¿cuándo llega el reembolso?",
                        message_id="<c2@otro.co>", in_reply_to=our_id, references=f"<c1@cliente.co> {our_id}"))
    out = fetch(world, dovecot)
    assert "1 added to the store (0 new tickets)" in out.stderr
    assert await world.backend.count_tickets(admin, TicketQuery()) == 1
    texts = [i.content for i in await world.interactions(admin, ticket.id)]
    assert texts[-1].startswith("Gracias, ¿cuándo llega el reembolso?")
    # Our reply to that names the whole thread.
    await world.backend.send_message(admin, ticket.id, OutgoingMessage(
        client_key="k3", channel=ChannelType.EMAIL, contact=contact.id, text="Mañana."))
    third = message_from_bytes(inbox.received[2].original_content, policy=policy.default)
    assert third["In-Reply-To"] == "<c2@otro.co>"
    assert third["References"].split() == ["<c1@cliente.co>", our_id, "<c2@otro.co>"]
    # Fetching again adds nothing.
    assert "0 messages read" in fetch(world, dovecot).stderr


async def test_a_crash_between_commit_and_flag_adds_nothing_twice(world, dovecot):
    dovecot.append(*(mail(f"c{i}@x.co", f"Asunto {i}", f"Mensaje {i}", message_id=f"<crash-{i}@x.co>")
                     for i in range(3)))
    dovecot.append(mail("sin-id@x.co", "Sin Message-ID", "Este no trae identificador"))
    # The fetcher dies (SIGKILL) right after the batch committed (one transaction), before any \Seen flag.
    crashed = fetch(world, dovecot, die_after_ingest=True, check=False)
    assert crashed.returncode == -signal.SIGKILL
    assert count(world, "SELECT count(*) FROM interaction") == 4
    assert dovecot.unseen() == 4
    out = fetch(world, dovecot)
    assert "4 messages read, 0 added to the store (0 new tickets), 4 already there" in out.stderr
    assert count(world, "SELECT count(*) FROM interaction") == 4
    assert dovecot.unseen() == 0
    # The flag is lost again (someone marks everything unread): still nothing twice,
    # also for the message without a Message-ID (its content hash).
    c = dovecot.client()
    c.select("INBOX")
    c.uid("STORE", "1:*", "-FLAGS", r"(\Seen)")
    c.logout()
    assert "4 already there" in fetch(world, dovecot).stderr
    assert count(world, "SELECT count(*) FROM interaction") == 4


def _watch(world, dovecot) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sagicc_tui", "--db", world.url, "mail", "watch"],
                            stderr=subprocess.PIPE, text=True,
                            env={**ENV, **dovecot.env(), "SAGICC_DATA_DIR": str(world.data_dir)})


def _wait(predicate, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


async def test_two_watchers_idle_reconnect_and_never_add_twice(world, dovecot):
    watchers = [_watch(world, dovecot) for _ in range(2)]
    logs: list[str] = []
    try:
        for w in watchers:  # both connected and idling
            assert "Watching" in w.stderr.readline()
        dovecot.append(*(mail(f"w{i}@x.co", f"Watch {i}", f"Hola {i}", message_id=f"<w-{i}@x.co>")
                         for i in range(10)))
        _wait(lambda: count(world, "SELECT count(*) FROM interaction") == 10 and dovecot.unseen() == 0)
        # The server goes away and comes back: the watchers reconnect by themselves.
        dovecot.stop()
        time.sleep(1.5)
        dovecot.start()
        dovecot.append(*(mail(f"r{i}@x.co", f"Again {i}", f"Otra vez {i}", message_id=f"<r-{i}@x.co>")
                         for i in range(5)))
        _wait(lambda: count(world, "SELECT count(*) FROM interaction") == 15 and dovecot.unseen() == 0)
        time.sleep(1)
        assert count(world, "SELECT count(*) FROM interaction") == 15
        assert count(world, "SELECT count(*) FROM (SELECT content FROM interaction GROUP BY content "
                            "HAVING count(*) > 1) AS twice") == 0
    finally:
        for w in watchers:
            w.send_signal(signal.SIGINT)
        for w in watchers:
            try:
                w.wait(10)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
        logs = [w.stderr.read() for w in watchers]
        print(logs)
    assert any("; trying again in 1 s." in log for log in logs), logs
    assert all("Traceback" not in log for log in logs), logs


# Each real-world shape, with a phrase of its text that must read as sent.
SHAPES = {
    "alternative.eml": ("¿cómo cambio mi contraseña? No encuentro la opción en la aplicación.", [], "María José Peña"),
    "html_only_windows1252.eml": ("El pedido Nº 4521 llegó roto – adjunto fotos.", [], "Jose Ramirez"),
    "nested_related_attachments.eml": ("Adjunto la factura del mes.", ["part-1.png", "passwd.pdf"], "Ana Ruiz"),
    "latin1_quoted_printable.eml": ("Señores, ¿cuándo llega mi envío? Pagué el 20 de noviembre – € 15.", [],
                                    "José Muñoz"),
    "no_message_id.eml": ("Este correo no trae Message-ID.", [], "cliente@example.com"),
    "malformed.eml": ("El texto sigue legible aunque el charset es desconocido.", ["datos.bin", "message.eml"],
                      "Roto"),
    "forwarded_rfc822.eml": ("Les reenvio el correo del banco.", ["forwarded-1.eml"], "Pablo"),
    "reply_quoted_signature.eml": ("Gracias, ya funciona.", [], "Rosa"),
    "not_an_email.eml": ("could not be read", ["message.eml"], "unknown-sender@invalid"),
}


async def test_the_mime_corpus_arrives_readable_through_imap(world, dovecot):
    admin = await world.user("admin")
    dovecot.append(*(p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))))
    out = fetch(world, dovecot)
    assert "0 left unread" in out.stderr, out.stderr
    assert dovecot.unseen() == 0
    rows = (await world.backend.list_tickets(admin, TicketQuery(), limit=100)).rows
    by_customer = {r.customer_name: r for r in rows}
    for name, (phrase, files, customer) in SHAPES.items():
        ticket = by_customer[customer]
        [interaction] = await world.interactions(admin, ticket.id)
        assert phrase in interaction.content, (name, interaction.content)
        with world.store.read() as conn:
            names = conn.execute(text("SELECT name FROM attachment WHERE interaction_id = :i ORDER BY id"),
                                 {"i": interaction.id}).scalars().all()
        assert names == files, name
    subjects = {r.description for r in rows}
    assert {"¿Cómo cambio mi contraseña?", "Información de envío", "Café sin codificar"} <= subjects
    # The auto-reply and the bounce opened nothing.
    assert "2 auto-replies or delivery reports recorded" in out.stderr
    assert len(rows) == len(SHAPES)


def test_every_corpus_message_parses_without_raising():
    from sagicc_tui.mail.parse import parse

    for path in CORPUS.glob("*.eml"):
        parsed = parse(path.read_bytes())
        assert parsed.sender and (parsed.text.strip() or parsed.files), path.name
    bounce = parse((CORPUS / "bounce_report.eml").read_bytes())
    assert bounce.automatic and [f.name for f in bounce.files] == ["delivery-status.txt"]
    assert parse((CORPUS / "auto_reply.eml").read_bytes()).automatic
    nested = parse((CORPUS / "nested_related_attachments.eml").read_bytes())
    assert nested.sender == "ana.facturas@example.org" and nested.name == "Ana Ruiz"  # Reply-To is the contact


async def test_mail_fetch_feeds_a_server_through_inbound(world, dovecot, tmp_path):
    from sagicc_tui.local_store import access
    from sagicc_tui.server.app import create_app
    from tests.support.remote_world import ServerThread

    token = access.issue_token(world.store, None, "mailbox")
    token_file = tmp_path / "channel.token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    server = ServerThread(create_app(world.local))
    url = await asyncio.to_thread(server.start)
    try:
        dovecot.append(mail("eva@x.co", "Por el servidor", "Hola servidor", message_id="<srv-1@x.co>"),
                       mail("eva@x.co", "Re: Por el servidor", "Y otra", message_id="<srv-2@x.co>",
                            in_reply_to="<srv-1@x.co>"))
        env = {**ENV, **dovecot.env()}
        run = [sys.executable, "-m", "sagicc_tui", "mail", "fetch", "--server", url, "--token-file", str(token_file)]
        proc = await asyncio.to_thread(subprocess.run, run, capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert f"2 added to {url} (1 new tickets)" in proc.stderr
        assert count(world, "SELECT count(*) FROM interaction") == 2
        token_file.chmod(0o644)
        proc = await asyncio.to_thread(subprocess.run, run, capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 1 and "can be read by other users" in proc.stderr
    finally:
        await server.stop()


def _store(tmp_path) -> str:
    path = tmp_path / "x.db"

    async def build():
        w = await make_world(str(path))
        await w.aclose()

    asyncio.run(build())
    return str(path)


def test_mailbox_settings_errors_are_one_sentence(tmp_path):
    db = _store(tmp_path)
    base = {**ENV, "SAGICC_IMAP_HOST": "imap.example.com", "SAGICC_IMAP_USER": "soporte"}
    cases = [
        ({}, "SAGICC_IMAP_HOST"),
        ({**base, "SAGICC_IMAP_SECURITY": "tls9"}, "SAGICC_IMAP_SECURITY must be"),
        ({**base, "SAGICC_IMAP_SECURITY": "plain"}, "unencrypted"),
        ({**base, "SAGICC_IMAP_PORT": "abc"}, "SAGICC_IMAP_PORT must be a number"),
        ({**base, "SAGICC_IMAP_PASSWORD_FILE": str(tmp_path / "none")}, "cannot be read"),
        ({**base, "SAGICC_IMAP_HOST": "127.0.0.1", "SAGICC_IMAP_PORT": str(free_port()),
          "SAGICC_IMAP_SECURITY": "plain", "SAGICC_IMAP_PASSWORD": "x"}, "Cannot reach the mailbox server"),
    ]
    env_clean = {k: v for k, v in ENV.items() if not k.startswith("SAGICC_IMAP_")}
    for env, needle in cases:
        proc = subprocess.run([sys.executable, "-m", "sagicc_tui", "--db", db, "mail", "fetch"],
                              capture_output=True, text=True, env={**env_clean, **env}, timeout=60)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_a_wrong_password_is_one_sentence(dovecot, tmp_path):
    env = {**ENV, **dovecot.env(), "SAGICC_IMAP_PASSWORD": "wrong"}
    proc = subprocess.run([sys.executable, "-m", "sagicc_tui", "--db", _store(tmp_path), "mail", "fetch"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1 and "refused the login of soporte" in proc.stderr, proc.stderr
