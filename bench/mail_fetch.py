"""Fetch and ingest e-mail from a real IMAP server (#13): messages per second.

    python -m bench.mail_fetch [--messages 10000] [--store sqlite|pg] [--senders 2000] [--per-message]

Starts Dovecot (from the system's packages, its own config and port under a
temporary folder, as tests/test_mail.py does), appends --messages realistic
messages to its INBOX over IMAP (multipart/alternative, every tenth with a
PDF attachment, about a third answering an earlier one by In-Reply-To),
builds an empty store (a SQLite file, or a fresh PostgreSQL schema on
127.0.0.1:5432), then times one `mail fetch` pass through the same code as
the CLI (MailFetcher -> parse -> ingest_many: a batch of 50 messages in one
transaction, then their \\Seen flags; --per-message: LocalBackend.ingest, one
transaction a message, as before #13's batches). Prints the messages per second and
checks every message is in the store exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.mail.config import ImapConfig
from sagicc_tui.mail.fetch import MailFetcher
from sagicc_tui.mail.sink import BackendSink, LoopThread, StoreSink
from tests.support.dovecot import Dovecot


def message(i: int, senders: int) -> bytes:
    m = EmailMessage()
    sender = i % senders
    m["From"] = f"Cliente {sender} <cliente{sender}@example.com>"
    m["To"] = "soporte@empresa.co"
    m["Subject"] = f"Pedido {i // 3} - ¿dónde está mi envío?" if i % 3 else f"Consulta {i}"
    m["Date"] = format_datetime(datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=i))
    m["Message-ID"] = f"<bench-{i}@example.com>"
    if i % 3 and i >= senders:
        m["In-Reply-To"] = f"<bench-{i - senders}@example.com>"
    body = (f"Hola, escribo por el pedido {i}. Pagué hace una semana y todavía no llega.\n"
            "¿Me pueden decir cuándo lo reciben?\n\nGracias,\nCliente\n\n"
            "> El mensaje anterior, citado\n> con dos líneas\n")
    m.set_content(body)
    m.add_alternative(f"<p>{body.replace(chr(10), '<br>')}</p>", subtype="html")
    if i % 10 == 0:
        m.add_attachment(b"%PDF-1.4\n" + os.urandom(20_000), maintype="application", subtype="pdf",
                         filename=f"factura-{i}.pdf")
    return m.as_bytes()


def fill(server: Dovecot, n: int, senders: int) -> float:
    started = time.monotonic()
    c = server.client()
    try:
        for i in range(n):
            typ, data = c.append("INBOX", None, None, message(i, senders))
            assert typ == "OK", data
    finally:
        c.logout()
    return time.monotonic() - started


async def make_store(kind: str, folder: Path) -> tuple[str, object]:
    from tests.factory import make_world

    if kind == "pg":
        from tests.support.pg import drop_schema, new_schema

        name, url = new_schema()
        cleanup = lambda: drop_schema(name)  # noqa: E731
    else:
        url, cleanup = str(folder / "bench.db"), (lambda: None)
    w = await make_world(url, blob_dir=folder / "files")
    await w.aclose()
    return url, cleanup


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--senders", type=int, default=2_000)
    ap.add_argument("--store", choices=("sqlite", "pg"), default="sqlite")
    ap.add_argument("--per-message", action="store_true",
                    help="one transaction per message (through the Backend), as before batches")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sagicc-bench-mail-") as tmp:
        folder = Path(tmp)
        server = Dovecot(folder / "imap").start()
        try:
            seconds = fill(server, args.messages, args.senders)
            print(f"appended {args.messages} messages over IMAP in {seconds:.1f} s")
            url, cleanup = asyncio.run(make_store(args.store, folder))
            try:
                config = ImapConfig.from_env(server.env())
                with LoopThread() as loop:
                    backend = loop.run(LocalBackend.open(url, blob_dir=folder / "files"))
                    # What `mail fetch --db` uses: a batch of 50 in one transaction.
                    sink = BackendSink(backend, loop.loop) if args.per_message else StoreSink(backend.store)
                    fetcher = MailFetcher(config, sink, say=lambda line: None)
                    started = time.monotonic()
                    report = fetcher.fetch_once()
                    elapsed = time.monotonic() - started
                    with backend.store.read() as conn:
                        stored = conn.execute(text("SELECT count(*) FROM interaction")).scalar()
                        tickets = conn.execute(text("SELECT count(*) FROM ticket")).scalar()
                        files = conn.execute(text("SELECT count(*) FROM attachment")).scalar()
                    loop.run(backend.aclose())
            finally:
                cleanup()
            unseen = server.unseen()
        finally:
            server.stop()
    assert report.fetched == args.messages and stored == args.messages and unseen == 0, (report, stored, unseen)
    print(f"store: {args.store} ({'a transaction per message' if args.per_message else 'a batch per transaction'}); "
          f"load average {os.getloadavg()[0]:.1f}; machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    print(f"fetched, parsed and ingested {report.fetched} messages ({report.new_tickets} new tickets, {tickets} "
          f"tickets, {files} attachments) in {elapsed:.1f} s: {report.fetched / elapsed:.0f} messages/s; "
          f"0 left unseen, each message once")


if __name__ == "__main__":
    main()
