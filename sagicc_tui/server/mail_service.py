"""`sagicc serve --mail`: the support mailboxes read inside the server (#13).

Every server process runs a `MailService`; for each configured mailbox (the
SAGICC_IMAP_* one and each active campaign's, mail/mailboxes.py) it keeps a
watcher thread that first takes the mailbox's lock (server/mail_lock.py):
the one process holding it watches the mailbox (IMAP IDLE, mail/fetch.py),
the others wait and retry, and take over within seconds when the holder
dies -- the supervisor meanwhile starts a new worker in its place. A watcher
thread that ends by an unexpected error is started again by the service;
nothing of the mail ever stops or crashes the server.

Each message is ingested straight into the process's store, then the
connected clients are told (live events). The holder writes its mailbox's
state (last successful pass, consecutive failures) to a small file beside
the store's files, so /healthz and /metrics of any process show it. The
settings are read again every SAGICC_MAIL_RESCAN seconds (default 30): a
campaign's new or changed mailbox is picked up without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from sagicc_tui.domain.ingest import IngestResult
from sagicc_tui.local_store.core import Store
from sagicc_tui.mail.mailboxes import Mailbox, configured
from sagicc_tui.mail.sink import StoreSink

log = logging.getLogger("sagicc.server.mail")


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


class StatusBoard:
    """Each mailbox's state in a file (mail-status/<key>.json under the store's
    files): written by the process holding it, read by every process."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: str) -> Path:
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"

    def write(self, key: str, state: dict) -> None:
        from sagicc_tui.private_files import private_dir, write_private

        try:
            private_dir(self.folder)
            write_private(self.path(key), json.dumps(state).encode())
        except OSError as e:  # a full disk must not stop the mail: the log still says it
            log.warning("cannot write the mail status file %s: %s", self.path(key), e)

    def read(self, key: str) -> dict | None:
        try:
            return json.loads(self.path(key).read_text())
        except (OSError, ValueError):
            return None


class MailboxWatcher:
    """One mailbox: wait for its lock, then watch it until stopped or the lock is lost."""

    def __init__(self, service: MailService, box: Mailbox) -> None:
        self.service = service
        self.box = box
        self.quit = threading.Event()
        self._session = threading.Event()  # ends the current watch: quit, or the lock lost
        self.thread = threading.Thread(target=self._run, name=f"sagicc-mail-{box.label}", daemon=True)
        self.holding = False
        self.state = {"mailbox": box.label, "campaign_id": box.campaign_id, "pid": os.getpid(),
                      "host": socket.gethostname(), "since": None, "last_success_at": None,
                      "last_failure_at": None, "consecutive_failures": 0, "passes": 0, "messages": 0}

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.quit.set()
        self._session.set()

    def _run(self) -> None:
        from sagicc_tui.server.mail_lock import MailboxLock

        lock = MailboxLock(self.service.store, self.box.key)
        try:
            while not self.quit.is_set():
                try:
                    got = lock.try_acquire()
                except Exception as e:  # noqa: BLE001 - the store is away: try again later
                    log.warning("mailbox %s: cannot take its lock (%s); trying again", self.box.label, e)
                    got = False
                if not got:
                    self.quit.wait(self.service.lock_retry)
                    continue
                self.holding = True
                self.state["since"] = time.time()
                log.info("mailbox %s: this process (pid %s) reads it", self.box.label, os.getpid())
                try:
                    self._watch(lock)
                except Exception as e:  # noqa: BLE001 - the store refused, a bug: said, counted, tried again
                    log.exception("mailbox %s: reading it failed", self.box.label)
                    self._failed(f"{type(e).__name__}: {e}")
                    self.quit.wait(self._pause())
                finally:
                    self.holding = False
                    lock.release()
        finally:
            lock.release()

    def _watch(self, lock) -> None:
        from sagicc_tui.domain.errors import SagiccError
        from sagicc_tui.i18n import _
        from sagicc_tui.mail.fetch import FetchReport, MailFetcher

        try:
            config = self.box.config(self.service.env)
        except SagiccError as e:  # no password yet, bad settings: said, counted, tried again later
            self._failed(_(e.message.template, **e.message.params))
            self.quit.wait(self._pause())
            return
        self._session = ended = threading.Event()
        if self.quit.is_set():
            return

        def on_pass(report: FetchReport) -> None:
            self.state.update(last_success_at=time.time(), consecutive_failures=0,
                              passes=self.state["passes"] + 1, messages=self.state["messages"] + report.added)
            self._publish_state()
            if report.fetched:
                log.info("mailbox %s: %s read, %s added (%s new tickets), %s already there, %s left unread",
                         self.box.label, report.fetched, report.added, report.new_tickets, report.duplicates,
                         len(report.refused))
            if not lock.alive():
                log.warning("mailbox %s: its lock was lost with the store's connection; letting it go",
                            self.box.label)
                ended.set()

        fetcher = MailFetcher(config, StoreSink(self.service.store, config.campaign_id, self.service.publish,
                                                self.service.loop),
                              say=lambda line: log.info("mailbox %s: %s", self.box.label, line))
        fetcher.watch(ended, on_pass=on_pass, on_error=self._failed)

    def _pause(self) -> float:
        return min(300.0, self.service.lock_retry * 2 ** min(self.state["consecutive_failures"], 6))

    def _failed(self, reason: str) -> None:
        self.state.update(last_failure_at=time.time(), consecutive_failures=self.state["consecutive_failures"] + 1)
        log.warning("mailbox %s: %s (failure %s in a row)", self.box.label, reason,
                    self.state["consecutive_failures"])
        self._publish_state()

    def _publish_state(self) -> None:
        self.service.board.write(self.box.key, {**self.state, "updated_at": time.time()})


class MailService:
    def __init__(self, store: Store, events=None, *, env: Mapping[str, str] | None = None) -> None:
        self.store = store
        self.events = events
        self.env = dict(os.environ if env is None else env)
        self.lock_retry = _seconds(self.env, "SAGICC_MAIL_LOCK_RETRY", 5.0)
        self.rescan = _seconds(self.env, "SAGICC_MAIL_RESCAN", 30.0)
        self.board = StatusBoard(store.blob_dir / "mail-status")
        self.watchers: dict[str, MailboxWatcher] = {}
        self.boxes: list[Mailbox] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop
        self._thread = threading.Thread(target=self._manage, name="sagicc-mail", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for w in list(self.watchers.values()):
            w.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        for w in list(self.watchers.values()):
            w.thread.join(timeout)

    def publish(self, result: IngestResult) -> None:
        if self.events is None or self.loop is None:
            return
        from sagicc_tui.server import live

        with contextlib.suppress(RuntimeError):  # the loop is closing: the server is going away
            asyncio.run_coroutine_threadsafe(
                self.events.publish("ingest", live.change_of("ingest", {}, result)), self.loop)

    def _wanted(self) -> list[Mailbox]:
        with self.store.read() as conn:
            campaigns = self.store.campaigns(conn)
        return configured(campaigns, self.env)

    def _manage(self) -> None:
        while not self._stop.is_set():
            try:
                self._reconcile(self._wanted())
            except Exception:  # noqa: BLE001 - the store is away, a bug: logged, tried again, the server goes on
                log.exception("reading the mailbox settings failed; trying again in %.0f s", self.rescan)
            self._stop.wait(self.rescan)

    def _reconcile(self, boxes: list[Mailbox]) -> None:
        wanted = {b.key: b for b in boxes}
        for key, w in list(self.watchers.items()):
            if wanted.get(key) != w.box:  # gone, or its settings changed
                w.stop()
                w.thread.join(15)
                del self.watchers[key]
            elif not w.thread.is_alive():
                log.warning("mailbox %s: its watcher ended unexpectedly; starting it again", w.box.label)
                del self.watchers[key]
        for key, box in wanted.items():
            if key not in self.watchers and not self._stop.is_set():
                self.watchers[key] = w = MailboxWatcher(self, box)
                w.start()
        self.boxes = boxes

    # --- what /healthz and /metrics show ------------------------------------------------------
    def status(self) -> list[dict]:
        out = []
        for box in self.boxes:
            state = self.board.read(box.key) or {}
            out.append({"mailbox": box.label, "campaign_id": box.campaign_id,
                        "reader_pid": state.get("pid"), "reader_host": state.get("host"),
                        "last_success_at": state.get("last_success_at"),
                        "consecutive_failures": int(state.get("consecutive_failures") or 0),
                        "messages": int(state.get("messages") or 0)})
        return out
