"""Live events for GET /api/v1/events: "something changed, refresh".

An event names no ticket or customer: it goes to every signed-in client, and
an id would tell an agent about tickets outside their scope. Clients refresh
what they show (through their own scoped reads).

- PostgreSQL: every server process LISTENs on one channel per store and
  publishes with NOTIFY, so a change made through any process reaches the
  clients of all of them (the server is stateless; no home-made bus).
- SQLite: one machine, usually one process: events fan out in-process, and a
  watcher on the store's change token picks up writes made by other programs
  (`sagicc ingest` on the same file, a second server process).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("sagicc.server.events")

WATCH_INTERVAL = 1.0  # seconds between change-token polls (SQLite)


class EventHub:
    def __init__(self, *, pg_dsn: str | None = None, change_token: Callable[[], Awaitable[int]] | None = None,
                 channel_seed: str = "") -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._pg_dsn = pg_dsn
        self._change_token = change_token
        self.channel = "sagicc_" + hashlib.sha1(channel_seed.encode()).hexdigest()[:12]
        self._tasks: list[asyncio.Task] = []
        self._notify_conn: Any = None
        self._notify_lock = asyncio.Lock()
        self._seq = 0
        self.listening = asyncio.Event()

    # --- subscribers (one per SSE stream) -------------------------------------
    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        q: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=256)
        self._subscribers.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue) -> None:
        self._subscribers.discard(q)

    def _fanout(self, event: dict[str, Any]) -> None:
        self._seq += 1
        event = {**event, "seq": self._seq}
        for q in list(self._subscribers):
            try:
                q.put_nowait(event)
            except asyncio.QueueFull:
                # A slow client only needs to know that something changed.
                pass

    # --- publishing -------------------------------------------------------------
    async def publish(self, reason: str) -> None:
        event = {"type": "changed", "reason": reason, "at": time.time()}
        if self._pg_dsn is None:
            self._fanout(event)
            return
        try:
            await self._notify(json.dumps(event))
        except Exception as exc:  # noqa: BLE001 - events are best effort; the change is committed
            log.warning("NOTIFY failed (%s); clients of other processes refresh on their next poll", exc)
            self._fanout(event)

    async def _notify(self, payload: str) -> None:
        import psycopg

        async with self._notify_lock:
            if self._notify_conn is None or self._notify_conn.closed:
                self._notify_conn = await psycopg.AsyncConnection.connect(self._pg_dsn, autocommit=True)
            await self._notify_conn.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))

    # --- background work ------------------------------------------------------
    async def start(self) -> None:
        if self._pg_dsn is not None:
            self._tasks.append(asyncio.create_task(self._listen(), name="sagicc-listen"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.listening.wait(), 5)
        elif self._change_token is not None:
            self._tasks.append(asyncio.create_task(self._watch(), name="sagicc-watch"))
            self.listening.set()

    def close_streams(self) -> None:
        """End every event stream now (the server is stopping): clients reconnect
        to another process, or once this one is back, instead of the shutdown
        waiting for streams that never end by themselves."""
        for q in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                q.put_nowait(None)

    async def stop(self) -> None:
        self.close_streams()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._notify_conn is not None:
            with contextlib.suppress(Exception):
                await self._notify_conn.close()

    async def _listen(self) -> None:
        import psycopg

        delay = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._pg_dsn, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {self.channel}")
                    self.listening.set()
                    delay = 0.5
                    async for note in conn.notifies():
                        try:
                            event = json.loads(note.payload)
                        except ValueError:
                            event = {"type": "changed"}
                        event.pop("seq", None)
                        self._fanout(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect; clients keep their last data
                log.warning("LISTEN connection lost (%s); reconnecting in %.1f s", exc, delay)
                self._fanout({"type": "changed", "reason": "reconnected"})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    async def _watch(self) -> None:
        assert self._change_token is not None
        last = await self._change_token()
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                now = await self._change_token()
            except Exception as exc:  # noqa: BLE001 - keep watching
                log.warning("change token unavailable: %s", exc)
                continue
            if now != last:
                last = now
                self._fanout({"type": "changed", "reason": "store", "at": time.time()})
