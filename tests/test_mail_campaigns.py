"""#13 (P4, P8): each campaign reads its own mailbox, against a REAL Dovecot.
Set with `sagicc campaigns mail` (headless), read by `sagicc mail fetch`
into that campaign; a campaign's broken setting is one sentence and the
other mailboxes are still read."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import text

from tests.support.dovecot import PASSWORD, USER
from tests.test_mail import ENV, dovecot, mail, world  # noqa: F401 - the fixtures

CLEAN = {k: v for k, v in ENV.items() if not k.startswith("SAGICC_IMAP_")}


def sagicc(world, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "sagicc_tui", "--db", world.url, *args], capture_output=True,
                          text=True, timeout=300, env={**CLEAN, "SAGICC_DATA_DIR": str(world.data_dir)})
    if check:
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return proc


def campaign_of(world, subject: str) -> int:
    with world.store.read() as conn:
        return conn.execute(text("SELECT campaign_id FROM ticket WHERE description = :d"), {"d": subject}).scalar()


def test_two_campaigns_each_read_their_own_mailbox_into_themselves(world, dovecot, tmp_path):  # noqa: F811
    secret = tmp_path / "soporte.password"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    client = dovecot.client()
    client.create("Ventas")
    client.logout()
    common = ["--host", "127.0.0.1", "--port", str(dovecot.port), "--login", USER, "--security", "plain",
              "--password-file", str(secret)]
    sagicc(world, "campaigns", "edit", "2", "--incoming", "telephony,email", "--user", "admin")
    one = json.loads(sagicc(world, "campaigns", "mail", "1", *common, "--user", "admin", "--json").stdout)
    assert one["mailbox"]["folder"] == "INBOX" and "password" not in one["mailbox"]
    two = sagicc(world, "campaigns", "mail", "2", *common, "--folder", "Ventas", "--user", "admin")
    assert f"reads {USER}@127.0.0.1 Ventas" in two.stdout
    # The same folder for a second campaign: one sentence, nothing changed.
    same = sagicc(world, "campaigns", "mail", "2", "--folder", "INBOX", "--user", "admin", check=False)
    assert same.returncode == 1 and "already read by campaign" in same.stderr
    # An agent may not.
    assert "administrator" in sagicc(world, "campaigns", "mail", "1", "--remove", "--user", "ana",
                                     check=False).stderr

    dovecot.append(mail("eva@cliente.co", "Falla el servicio", "No funciona", message_id="<soporte-1@c.co>"))
    dovecot.append(mail("eva@cliente.co", "Quiero comprar", "Precio?", message_id="<ventas-1@c.co>"),
                   folder="Ventas")
    out = sagicc(world, "mail", "fetch")
    assert out.stderr.count("1 added to the store (1 new tickets)") == 2, out.stderr
    assert campaign_of(world, "Falla el servicio") == 1 and campaign_of(world, "Quiero comprar") == 2
    assert dovecot.unseen() == 0 and dovecot.unseen("Ventas") == 0

    # Only one campaign's mailbox.
    dovecot.append(mail("luis@cliente.co", "Otra compra", "Y otra", message_id="<ventas-2@c.co>"), folder="Ventas")
    dovecot.append(mail("rosa@cliente.co", "Otra falla", "Y otra", message_id="<soporte-2@c.co>"))
    out = sagicc(world, "mail", "fetch", "--campaign", "2")
    assert "Ventas: 1 messages read" in out.stderr and "INBOX" not in out.stderr
    assert campaign_of(world, "Otra compra") == 2 and dovecot.unseen() == 1

    # A password file others can read: that mailbox is one sentence, the other still read.
    sagicc(world, "campaigns", "mail", "2", "--password-file", str(tmp_path / "ventas.password"), "--user", "admin")
    (tmp_path / "ventas.password").write_text(PASSWORD + "\n")
    (tmp_path / "ventas.password").chmod(0o644)
    dovecot.append(mail("pablo@cliente.co", "Tercera compra", "Y otra", message_id="<ventas-3@c.co>"), folder="Ventas")
    out = sagicc(world, "mail", "fetch", check=False)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "can be read by other users" in out.stderr and campaign_of(world, "Otra falla") == 1
    assert dovecot.unseen("Ventas") == 1 and dovecot.unseen() == 0
