"""`sagicc serve`: run the API over a store with uvicorn.

Stateless: any number of processes (`--workers N`, or several machines) can
serve one PostgreSQL store; live events cross processes through LISTEN/NOTIFY.
A SQLite store is for one machine; its `--workers N` tell each other their
changes through a file beside the store (server/sqlite_feed.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

ENV_DB = "SAGICC_SERVER_DB"
ENV_FILES = "SAGICC_SERVER_FILES"
ENV_MAIL = "SAGICC_SERVER_MAIL"  # "1": every worker runs the mailbox watchers (one reads each mailbox)
ENV_FEED = "SAGICC_SERVER_FEED"  # SQLite with several workers: the file they share their changes through

log = logging.getLogger("sagicc.server")


def app_from_env():
    """The app for uvicorn's factory mode (one per worker process)."""
    from sagicc_tui.local_store.backend import LocalBackend
    from sagicc_tui.server import collector
    from sagicc_tui.server.app import create_app

    db = os.environ[ENV_DB]
    files = os.environ.get(ENV_FILES) or None
    started = time.perf_counter()
    backend = LocalBackend(db, blob_dir=Path(files) if files else None)
    log.info("store ready in %.2f s", time.perf_counter() - started)
    app = create_app(backend, mail=os.environ.get(ENV_MAIL) == "1", live_feed=os.environ.get(ENV_FEED) or None)
    collector.settle()  # this process serves from now on (tests' in-process apps keep their own policy)
    return app


def files_dir_for(db: str) -> str | None:
    """Where attachments live: beside a SQLite file; for PostgreSQL, a folder
    every server process shares (SAGICC_SERVER_FILES), by default ./sagicc-files."""
    if "://" not in db or db.startswith("sqlite"):
        return None  # the store's default, beside the file
    return os.environ.get(ENV_FILES) or os.path.abspath("sagicc-files")


def run(db: str, host: str, port: int, workers: int = 1, log_level: str = "info", *,
        socket_path: str | None = None, socket_group: str | None = None, mail: bool = False) -> None:
    import uvicorn

    # Open (create or upgrade) the store once, before any worker starts, so a
    # bad URL is one sentence here rather than a crash in every worker.
    from sagicc_tui.local_store.backend import LocalBackend

    files = files_dir_for(db)
    opened = LocalBackend(db, blob_dir=Path(files) if files else None)
    if mail:
        _say_mailboxes(opened.store)
    if workers > 1 and opened.store.dialect == "sqlite":
        # Each worker tells the others what it changed (server/sqlite_feed.py).
        os.environ[ENV_FEED] = opened.store.engine.url.database + "-live"
    opened.store.engine.dispose()
    os.environ[ENV_DB] = db
    if mail:
        os.environ[ENV_MAIL] = "1"
    if files:
        os.environ[ENV_FILES] = files
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = dict(log_level=log_level, proxy_headers=True, timeout_graceful_shutdown=5,
                   # Tokens travel in headers, never in URLs, so access logs hold none.
                   access_log=True)
    if socket_path is not None:  # a shared host: each client's OS account is who it is
        from sagicc_tui.server import peercred

        sock = peercred.listening_socket(socket_path, socket_group)
        options["http"] = peercred.protocol_class()
    else:
        sock = listening_socket(host, port)
    if workers > 1:
        _run_workers(sock, workers, options)
        return
    config = uvicorn.Config(app_from_env(), **options)
    _stream_closing_server()(config).run(sockets=[sock])


def _say_mailboxes(store) -> None:
    import sys

    from sagicc_tui.mail.mailboxes import configured

    with store.read() as conn:
        boxes = configured(store.campaigns(conn))
    if boxes:
        print(f"Reading mail: {', '.join(b.label for b in boxes)} (one server process per mailbox; state in "
              "/healthz and /metrics)", file=sys.stderr)
    else:
        print("--mail: no mailbox is configured yet (SAGICC_IMAP_* or `sagicc campaigns mail ID`); one set later "
              "is picked up within 30 s (SAGICC_MAIL_RESCAN)", file=sys.stderr)


def listening_socket(host: str, port: int):
    """The server's socket, with TCP_NODELAY (accepted connections inherit it).

    Without it a response written as headers then body waits for the client's
    delayed ACK: measured here, 48 ms instead of 6 ms for GET /api/v1/me on
    a kept-alive connection."""
    import socket

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _run_workers(sock, workers: int, options: dict) -> None:
    """N server processes forked onto one listening socket, restarted when
    one dies (server/supervisor.py)."""
    from sagicc_tui.server.supervisor import Supervisor

    Supervisor(sock, workers, _worker, (options,)).run()


def _worker(sock, options: dict) -> None:
    import uvicorn

    config = uvicorn.Config(app_from_env(), **options)
    _stream_closing_server()(config).run(sockets=[sock])


def _stream_closing_server():
    import uvicorn

    class StreamClosingServer(uvicorn.Server):
        """Ends the event streams as soon as a stop is asked, so the graceful
        shutdown does not wait on streams that never end by themselves."""

        def handle_exit(self, sig, frame) -> None:
            events = getattr(getattr(self.config.loaded_app, "state", None), "events", None)
            if events is None:
                events = _find_events(self.config.loaded_app)
            if events is not None:
                try:
                    asyncio.get_running_loop().call_soon_threadsafe(events.close_streams)
                except RuntimeError:
                    pass
            super().handle_exit(sig, frame)

    return StreamClosingServer


def _find_events(app):
    # Middleware wraps the FastAPI app; walk down to it.
    for _ in range(10):
        state = getattr(app, "state", None)
        if state is not None and hasattr(state, "events"):
            return state.events
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None
