"""`sagicc serve`: run the API over a store with uvicorn.

Stateless: any number of processes (`--workers N`, or several machines) can
serve one PostgreSQL store; live events cross processes through LISTEN/NOTIFY.
A SQLite store is for one machine (a small team): one process is enough.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

ENV_DB = "SAGICC_SERVER_DB"
ENV_FILES = "SAGICC_SERVER_FILES"

log = logging.getLogger("sagicc.server")


def app_from_env():
    """The app for uvicorn's factory mode (one per worker process)."""
    from sagicc_tui.local_store.backend import LocalBackend
    from sagicc_tui.server.app import create_app

    db = os.environ[ENV_DB]
    files = os.environ.get(ENV_FILES) or None
    started = time.perf_counter()
    backend = LocalBackend(db, blob_dir=Path(files) if files else None)
    log.info("store ready in %.2f s", time.perf_counter() - started)
    return create_app(backend)


def files_dir_for(db: str) -> str | None:
    """Where attachments live: beside a SQLite file; for PostgreSQL, a folder
    every server process shares (SAGICC_SERVER_FILES), by default ./sagicc-files."""
    if "://" not in db or db.startswith("sqlite"):
        return None  # the store's default, beside the file
    return os.environ.get(ENV_FILES) or os.path.abspath("sagicc-files")


def run(db: str, host: str, port: int, workers: int = 1, log_level: str = "info") -> None:
    import uvicorn

    # Open (create or upgrade) the store once, before any worker starts, so a
    # bad URL is one sentence here rather than a crash in every worker.
    from sagicc_tui.local_store.backend import LocalBackend

    files = files_dir_for(db)
    LocalBackend(db, blob_dir=Path(files) if files else None).store.engine.dispose()
    os.environ[ENV_DB] = db
    if files:
        os.environ[ENV_FILES] = files
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = dict(host=host, port=port, log_level=log_level, proxy_headers=True, timeout_graceful_shutdown=5,
                   # Tokens travel in headers, never in URLs, so access logs hold none.
                   access_log=True)
    if workers > 1:
        # Each worker process builds its app; a stop waits up to 5 s for open event streams.
        uvicorn.run("sagicc_tui.server.serve:app_from_env", factory=True, workers=workers, **options)
        return
    config = uvicorn.Config(app_from_env(), **options)
    _stream_closing_server()(config).run()


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
