"""One queue for a process's writes to a SQLite store (#16).

SQLite lets one writer in at a time. A write that waits for another in
SQLite's busy handler holds a worker thread and sleeps in steps (1, 2, 5, 10
... 100 ms), so under load the waiting writes take the threads the reads need
(reads never wait for the lock) and each wakes up late. Queued here, a write
waits on the event loop instead, in the order it was asked, and runs on the
store's one writing thread. Other programs' writes still meet this one in the
busy handler. PostgreSQL locks rows, not the database: its writes run side
by side, each on a thread of the event loop's own pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class WriteQueue:
    def __init__(self, *, one_at_a_time: bool) -> None:
        self._one_at_a_time = one_at_a_time
        self._thread: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        #: Writes asked for and not yet answered. With `after_each`, this is how
        #: the server's live watcher tells this process's commits from other
        #: programs' (server/events.py): counted and told on the event loop, so
        #: no tick of the watcher falls between a commit and its notice.
        self.running = 0
        self._after: list[Callable[[], None]] = []

    def after_each(self, hook: Callable[[], None]) -> None:
        """Call `hook` on the event loop as each write returns (committed or not)."""
        self._after.append(hook)

    def forget(self, hook: Callable[[], None]) -> None:
        with contextlib.suppress(ValueError):
            self._after.remove(hook)

    async def run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """`fn(*args, **kw)`, which opens its own write transactions, off the event loop."""
        self.running += 1
        try:
            if not self._one_at_a_time:
                return await asyncio.to_thread(fn, *args, **kw)
            # The caller's context goes with the work, as with asyncio.to_thread:
            # the claim of an Idempotency-Key is a ContextVar.
            job = self._writing_thread().submit(contextvars.copy_context().run, fn, *args, **kw)
            try:
                return await asyncio.wrap_future(job)
            except asyncio.CancelledError:
                if not job.cancel():  # already running: it may still commit, so it counts till it ends
                    self.running += 1
                    loop = asyncio.get_running_loop()
                    job.add_done_callback(lambda _job: loop.call_soon_threadsafe(self._answered))
                raise
        finally:
            self._answered()

    def _answered(self) -> None:
        self.running -= 1
        for hook in list(self._after):
            hook()

    def _writing_thread(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sagicc-write")
            return self._thread

    def close(self) -> None:
        """Waits for the writes already asked for; a later write starts a new thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.shutdown(wait=True)
