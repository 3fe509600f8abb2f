"""Live events for GET /api/v1/events: which tickets changed, per recipient.

The event format is documented in domain/live.py. In short: one ``changed``
event per burst of writes, naming the tickets (and parts of them) that
changed *within the recipient's scope* -- an agent never hears the id of a
ticket it may not see -- or ``"refresh": true`` when the server cannot say.

How an event travels:

1. A write route, after its commit, calls ``publish(reason, change)``
   (server/live.py says what the route changed).
2. PostgreSQL: the change goes out with NOTIFY on one channel per store, and
   every server process (this one included) hears it through LISTEN, so a
   change made through any process reaches the clients of all of them.
   SQLite: one machine. The change is gathered in-process; with several
   server processes (`serve --workers N`) it is also appended to a file
   beside the store that the others read each second (server/sqlite_feed.py).
   A watcher on the store's change token turns writes nobody announced
   (`sagicc ingest` on the same file) into a "refresh".
3. Each process coalesces what it hears for COALESCE seconds, reads the
   changed tickets' scope columns once (campaign, assignee, channel), and
   hands every subscriber the part it may see. A subscriber that has not
   read its last event yet gets the new one merged into it (a slow client
   gets fewer, larger events; nothing is dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sagicc_tui.domain.live import Change
from sagicc_tui.server import live as live_routes
from sagicc_tui.server.sqlite_feed import SqliteFeed

log = logging.getLogger("sagicc.server.events")

WATCH_INTERVAL = 1.0  # seconds between change-token polls (SQLite)
COALESCE = 0.25  # seconds a burst of changes is gathered before it is sent
#: NOTIFY payloads are limited to 8000 bytes; a change naming more tickets
#: than this goes out as a refresh.
MAX_NOTIFIED_TICKETS = 200

TicketRows = Callable[[list[int]], Awaitable[list[tuple[int, int, int | None, str]]]]


class Subscriber:
    """One event stream: its user's scope, and the change it has not sent yet."""

    def __init__(self, scope: Any = None) -> None:
        self.scope = scope  # domain.rules.Scope; None: sees every ticket
        self._pending: dict[str, Any] | None = None
        self._closed = False
        self._ready = asyncio.Event()

    def offer(self, change: Change, meta: dict[str, Any]) -> None:
        if self._pending is None:
            self._pending = {"change": change, **meta}
        else:
            self._pending = {**self._pending, **meta, "change": self._pending["change"].merge(change)}
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    async def get(self) -> dict[str, Any] | None:
        """The next event (merged with any that came meanwhile); None: the stream ends."""
        await self._ready.wait()
        self._ready.clear()
        if self._closed:
            return None
        pending, self._pending = self._pending, None
        if pending is None:
            return await self.get()
        change: Change = pending.pop("change")
        return {"type": "changed", **pending, **change.to_wire()}


class EventHub:
    def __init__(self, *, pg_dsn: str | None = None, change_token: Callable[[], Awaitable[int]] | None = None,
                 channel_seed: str = "", ticket_rows: TicketRows | None = None,
                 feed: SqliteFeed | None = None, writes: Any = None,
                 foreign_commits: Callable[[], Awaitable[dict[str, str]]] | None = None) -> None:
        self._subscribers: set[Subscriber] = set()
        self._pg_dsn = pg_dsn
        self._change_token = change_token
        # SQLite: what every writer outside this server last noted in the
        # store (local_store/commits.py): one that moved is another program.
        self._foreign_commits = foreign_commits
        self._ticket_rows = ticket_rows
        self._feed = feed
        # The store's write queue (local_store/write_queue.py): every write of
        # this process goes through it, so it says which moves are ours.
        self._writes = writes
        self.channel = "sagicc_" + hashlib.sha1(channel_seed.encode()).hexdigest()[:12]
        self._tasks: list[asyncio.Task] = []
        self._notify_conn: Any = None
        self._notify_lock = asyncio.Lock()
        self._seq = 0
        self.listening = asyncio.Event()
        self._gathered: Change | None = None
        self._gathered_reason = ""
        self._gathered_before: list[tuple[int, int, int | None, str]] = []
        self._flush_task: asyncio.Task | None = None
        # SQLite: the change token as read just after this process's last write,
        # and how many such reads are under way. A move to exactly that token
        # is ours; one past it is another program's, even in the same second.
        self._after_own: int | None = None
        self._noting = 0

    # --- subscribers (one per SSE stream) -------------------------------------
    def subscribe(self, scope: Any = None) -> Subscriber:
        sub = Subscriber(scope)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    # --- publishing -------------------------------------------------------------
    def _note_own_write(self) -> None:
        if self._pg_dsn is not None or self._change_token is None:
            return
        self._noting += 1

        async def note() -> None:
            try:
                self._after_own = await self._change_token()
            except Exception:  # noqa: BLE001 - the watcher then takes the next move as unexplained
                pass
            finally:
                self._noting -= 1

        try:
            asyncio.get_running_loop().create_task(note())
        except RuntimeError:  # no loop (a test calling from a thread): nothing to note for
            self._noting -= 1

    async def publish(self, reason: str, change: Change | None = None,
                      before: Iterable[tuple[int, int, int | None, str]] = ()) -> None:
        """After a commit: tell the clients. ``change`` None: they refresh
        everything. ``before``: scope rows of the changed tickets as they
        were before the write (a reassignment tells the agent who lost it)."""
        change = change if change is not None else Change()
        self._note_own_write()
        if change.tickets is not None and len(change.tickets) > MAX_NOTIFIED_TICKETS:
            change = Change(None, change.customers)
        before = list(before)
        payload = json.dumps({"reason": reason, "at": time.time(), **change.to_wire(),
                              "before": [list(r) for r in before]})
        if self._pg_dsn is None:
            self._gather(change, reason, before)
            if self._feed is not None:
                try:
                    await asyncio.to_thread(self._feed.append, payload)
                except Exception as exc:  # noqa: BLE001 - best effort, as NOTIFY
                    log.warning("the live feed refused a line (%s); the other processes' clients refresh", exc)
            return
        try:
            await self._notify(payload)
        except Exception as exc:  # noqa: BLE001 - events are best effort; the change is committed
            log.warning("NOTIFY failed (%s); clients of other processes refresh on their next poll", exc)
            self._gather(change, reason, before)

    async def _notify(self, payload: str) -> None:
        import psycopg

        async with self._notify_lock:
            if self._notify_conn is None or self._notify_conn.closed:
                self._notify_conn = await psycopg.AsyncConnection.connect(self._pg_dsn, autocommit=True)
            await self._notify_conn.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))

    # --- coalescing and fan-out -----------------------------------------------------
    def _gather(self, change: Change, reason: str, before: list) -> None:
        self._gathered = change if self._gathered is None else self._gathered.merge(change)
        self._gathered_reason = reason
        self._gathered_before += before
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(COALESCE)
        change, self._gathered = self._gathered, None
        before, self._gathered_before = self._gathered_before, []
        if change is None:
            return
        try:
            await self._fanout(change, self._gathered_reason, before)
        except Exception:  # noqa: BLE001 - never lose the notice: say "refresh"
            log.exception("scoping a change failed; clients refresh")
            self._deliver(Change(None, change.customers), self._gathered_reason, {}, ())

    async def _fanout(self, change: Change, reason: str, before: list) -> None:
        rows: list[tuple[int, int, int | None, str]] = []
        if change.tickets and self._ticket_rows is not None and any(s.scope is not None for s in self._subscribers):
            rows = list(await self._ticket_rows(sorted(change.tickets))) + before
        self._deliver(change, reason, change.tickets or {}, rows)

    def _deliver(self, change: Change, reason: str, tickets, rows) -> None:
        self._seq += 1
        meta = {"seq": self._seq, "at": time.time(), "reason": reason}
        for sub in list(self._subscribers):
            if change.tickets is None or sub.scope is None:
                mine = change
            else:
                seen = live_routes.visible(rows, sub.scope)
                mine = Change({k: v for k, v in tickets.items() if k in seen}, change.customers)
                if not mine.tickets and not mine.customers:
                    continue  # nothing this client may see changed
            sub.offer(mine, meta)

    def _refresh_all(self, reason: str) -> None:
        self._gather(Change(), reason, [])

    # --- background work ------------------------------------------------------
    async def start(self) -> None:
        if self._pg_dsn is not None:
            self._tasks.append(asyncio.create_task(self._listen(), name="sagicc-listen"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.listening.wait(), 5)
        elif self._change_token is not None:
            if self._writes is not None:
                self._writes.after_each(self._note_own_write)
            self._tasks.append(asyncio.create_task(self._watch(), name="sagicc-watch"))
            self.listening.set()

    def close_streams(self) -> None:
        """End every event stream now (the server is stopping): clients reconnect
        to another process, or once this one is back, instead of the shutdown
        waiting for streams that never end by themselves."""
        for sub in list(self._subscribers):
            sub.close()

    async def stop(self) -> None:
        self.close_streams()
        if self._writes is not None:
            self._writes.forget(self._note_own_write)
        if self._flush_task is not None:
            self._flush_task.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._notify_conn is not None:
            with contextlib.suppress(Exception):
                await self._notify_conn.close()
        if self._feed is not None:
            self._feed.close()

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
                            data = json.loads(note.payload)
                        except ValueError:
                            data = {"refresh": True}
                        before = [tuple(r) for r in data.get("before") or ()]
                        self._gather(Change.from_wire(data), str(data.get("reason", "")), before)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect; clients keep their last data
                log.warning("LISTEN connection lost (%s); reconnecting in %.1f s", exc, delay)
                self._refresh_all("reconnected")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    async def _watch(self) -> None:
        """SQLite: writes by other programs move the change token; ours are
        announced by publish, the other server processes' by their lines in
        the feed. A move to the token read just after our last write is ours;
        one while we write, or in a second the feed brought lines, is taken
        as explained (a write by another program then is announced at the
        next second the token moves alone). Every writer also notes its
        commits in the store (local_store/commits.py): one outside this
        server's group that moved is another program's write, whoever else
        wrote meanwhile, so it is announced even while we write."""
        assert self._change_token is not None
        last = await self._change_token()
        noted = await self._read_foreign_commits()
        doubt = False  # an unexplained move: another process's line may come just after its commit
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            heard = await self._hear_others()
            try:
                now = await self._change_token()
            except Exception as exc:  # noqa: BLE001 - keep watching
                log.warning("change token unavailable: %s", exc)
                continue
            moved, last = now != last, now
            if moved and self._foreign_commits is not None:
                latest = await self._read_foreign_commits()
                foreign = latest is not None and noted is not None and any(
                    noted.get(key) != value for key, value in latest.items())
                noted = latest if latest is not None else noted
                if foreign:
                    self._refresh_all("store")  # another program wrote
                    doubt = False
                    continue
            if doubt and not heard:
                self._refresh_all("store")  # no server process said it: another program wrote
            doubt = False
            ours = now == self._after_own or self._noting or (self._writes is not None and self._writes.running)
            if moved and not (ours or heard):
                if self._feed is None:
                    self._refresh_all("store")
                else:
                    doubt = True

    async def _read_foreign_commits(self) -> dict[str, str] | None:
        if self._foreign_commits is None:
            return None
        try:
            return await self._foreign_commits()
        except Exception as exc:  # noqa: BLE001 - keep watching; the token still says something moved
            log.warning("the store's writers cannot be read (%s)", exc)
            return None

    async def _hear_others(self) -> int:
        """The other server processes' changes from the feed; how many lines came."""
        if self._feed is None:
            return 0
        try:
            lines = await asyncio.to_thread(self._feed.read_new)
        except Exception as exc:  # noqa: BLE001 - keep watching; the token still says something moved
            log.warning("the live feed cannot be read (%s)", exc)
            return 0
        for line in lines:
            try:
                data = json.loads(line)
            except ValueError:
                data = {"refresh": True}
            before = [tuple(r) for r in data.get("before") or ()]
            self._gather(Change.from_wire(data), str(data.get("reason", "")), before)
        return len(lines)
