"""#13 P8: the support mailbox read inside `sagicc serve --workers 2 --mail`,
against a REAL Dovecot: one process reads it at a time (PostgreSQL advisory
lock / flock for SQLite), a message becomes a ticket exactly once, killing
the reader (kill -9) lets another process take the mailbox over, failures
show in /healthz and /metrics without failing them, and a stop is clean."""

from __future__ import annotations

import dataclasses
import os
import signal
import time

import httpx
import pytest
from sqlalchemy import text

from sagicc_tui.domain.enums import ChannelType, MailSecurity
from sagicc_tui.domain.models import CampaignMailbox
from tests.support.dovecot import PASSWORD, USER, Dovecot
from tests.support.served import serve
from tests.test_mail import mail


@pytest.fixture
def dovecot(tmp_path):
    server = Dovecot(tmp_path / "imap").start()
    try:
        yield server
    finally:
        server.stop()


def _wait(predicate, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError("timed out")


def _mailbox(base: str, label: str = "SAGICC_IMAP") -> dict | None:
    try:
        body = httpx.get(base + "/healthz", timeout=5).json()
    except (httpx.TransportError, ValueError):
        return None
    return next((m for m in body.get("mail") or [] if m["mailbox"] == label), None)


def _interactions(world) -> int:
    with world.store.read() as conn:
        return conn.execute(text("SELECT count(*) FROM interaction")).scalar()


@pytest.mark.parametrize("dialect", ["sqlite", "pg"])
async def test_serve_workers_read_the_mailbox_once_and_take_it_over_when_its_reader_dies(dialect, tmp_path,
                                                                                          request, dovecot):
    env = {**dovecot.env(), "SAGICC_MAIL_LOCK_RETRY": "0.5", "SAGICC_MAIL_RESCAN": "1", "SAGICC_LANG": "en"}
    s = await serve(dialect, tmp_path, request, workers=2, env=env, args=("--mail",))
    try:
        first = _wait(lambda: (m := _mailbox(s.url)) and m["state"] == "ok" and m)
        assert first["mailbox"] == "SAGICC_IMAP" and first["consecutive_failures"] == 0
        dovecot.append(mail("ana@cliente.co", "Por el servidor", "Hola", message_id="<serve-1@cliente.co>"))
        _wait(lambda: _interactions(s.world) == 1 and dovecot.unseen() == 0)
        time.sleep(2)  # the other worker had its chance to add it again
        assert _interactions(s.world) == 1
        with s.world.store.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM ticket WHERE description = 'Por el servidor'")).scalar() == 1

        # kill -9 the worker reading the mailbox: another process takes it over.
        reader = first["reader_pid"]
        os.kill(reader, signal.SIGKILL)
        dovecot.append(mail("eva@cliente.co", "Tras la caída", "Sigo aquí", message_id="<serve-2@cliente.co>"))
        _wait(lambda: _interactions(s.world) == 2 and dovecot.unseen() == 0)
        after = _wait(lambda: (m := _mailbox(s.url)) and m["reader_pid"] not in (None, reader) and m)
        assert after["state"] == "ok"
        time.sleep(2)
        assert _interactions(s.world) == 2

        # A campaign's own mailbox, set while serving: picked up, read into that campaign.
        client = dovecot.client()
        client.create("Ventas")
        client.logout()
        secret = tmp_path / "ventas.password"
        secret.write_text(PASSWORD + "\n")
        secret.chmod(0o600)
        admin = await s.world.user("admin")
        two = await s.world.backend.get_campaign(admin, 2)
        await s.world.backend.save_campaign(admin, 2, dataclasses.replace(
            two, incoming_channels=(*two.incoming_channels, ChannelType.EMAIL), mailbox=CampaignMailbox(
                host="127.0.0.1", port=dovecot.port, user=USER, security=MailSecurity.PLAIN, folder="Ventas",
                password_file=str(secret))), expected_version=two.version)
        dovecot.append(mail("luis@cliente.co", "Quiero comprar", "Precio?", message_id="<serve-v1@c.co>"),
                       folder="Ventas")
        _wait(lambda: _interactions(s.world) == 3 and dovecot.unseen("Ventas") == 0)
        with s.world.store.read() as conn:
            assert conn.execute(text("SELECT campaign_id FROM ticket WHERE description = 'Quiero comprar'")).scalar() == 2

        # The mail server goes away: counted and shown, the API keeps answering (200).
        dovecot.stop()
        failing = _wait(lambda: (m := _mailbox(s.url)) and m["consecutive_failures"] >= 1 and m)
        assert failing["state"] == "failing"
        assert httpx.get(s.url + "/healthz", timeout=5).status_code == 200
        metrics = _wait(lambda: (t := httpx.get(s.url + "/metrics", timeout=5).text)
                        and 'sagicc_mail_consecutive_failures{mailbox="SAGICC_IMAP"} 0' not in t and t)
        assert 'sagicc_mail_last_success_timestamp_seconds{mailbox="SAGICC_IMAP"}' in metrics
        dovecot.start()
        dovecot.append(mail("eva@cliente.co", "Otra vez", "Volvió", message_id="<serve-3@cliente.co>"))
        _wait(lambda: _interactions(s.world) == 4 and dovecot.unseen() == 0)
        _wait(lambda: (m := _mailbox(s.url)) and m["state"] == "ok")
    finally:
        s.proc.send_signal(signal.SIGTERM)
        code = s.proc.wait(30)
    log = next(tmp_path.glob("serve-*.log")).read_text()
    assert code == 0, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert "reads it" in log and "failure 1 in a row" in log
