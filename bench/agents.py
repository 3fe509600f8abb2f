"""Simulated agents against a real `sagicc serve` (issue #16).

    python -m bench.agents --agents 300 --minutes 3 --db /tmp/big.db [--workers 1]
    python -m bench.agents --agents 1000 --minutes 3 --db 'postgresql+psycopg://...' --workers 2

Each simulated agent is a RemoteBackend (the TUI's own client) with its own
token, holding the server's event stream open, working with random think
time (exponential): about every 10 s a page of its campaign's list (one of
the orders, sometimes a filter; 1 action in 20 a search instead), about
every 30 s it opens a ticket from its page (header, conversation, tasks),
about every 60 s it replies to one (or adds a task, or a note). Users are
taken in turn from the store's users, so roles come in the demo's
proportions.

The TUI's live refresh is modelled too, polled each second as the ticket
screen does (screens/tickets.py): ``--refresh scoped`` (today's TUI) re-reads
the page on screen when a ticket on it changed, and count + page + pending
at most every 5 s when tickets entered or left; ``--refresh all`` is the TUI
before #16: every change anywhere reloads count, page and pending.

Reported: per route p50 / p99 / max (ms) and errors (5xx, timeouts, lost
connections; business refusals such as "the ticket is closed" are counted
apart), requests per second, the server's CPU (all its processes) and peak
RSS, and the load generator's own CPU. The first --warmup seconds (agents
starting) are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import psutil

from sagicc_tui.domain import live
from sagicc_tui.domain.enums import ChannelType, ContactKind, FieldType, TicketOrder, TicketStatus
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.models import TaskInput
from sagicc_tui.domain.query import SEARCH_COUNT_AT_MOST, TicketQuery
from sagicc_tui.domain.ticket_screen import OutgoingMessage
from sagicc_tui.remote import wire

READS = {"list_tickets", "count_tickets", "pending_tickets", "ticket_header", "conversation", "list_tasks_page",
         "list_contacts", "search"}
WRITES = {"send_message", "add_task", "add_note"}
SEARCH_WORDS = ["factura", "pago", "garantia", "envio", "devolucion"]


class Recorder:
    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.refused: dict[str, int] = defaultdict(int)
        self.counting = False
        self.error_examples: list[str] = []
        self.trace: list[tuple[float, str, float]] = []  # (start, route, ms): when the slow ones happened

    async def time(self, route: str, coro):
        t0 = time.perf_counter()
        try:
            result = await coro
        except wire.ServerUnreachable as exc:
            self._error(route, exc)
            return None
        except SagiccError:
            if self.counting:
                self.refused[route] += 1
            return None
        except Exception as exc:  # noqa: BLE001 - an error, counted
            self._error(route, exc)
            return None
        if self.counting:
            ms = (time.perf_counter() - t0) * 1000
            self.samples[route].append(ms)
            self.trace.append((round(t0, 3), route, round(ms, 1)))
        return result

    def _error(self, route: str, exc: Exception) -> None:
        if self.counting:
            self.errors[route] += 1
            if len(self.error_examples) < 10:
                self.error_examples.append(f"{route}: {type(exc).__name__}: {exc}"[:300])


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


class Agent:
    def __init__(self, n: int, backend, rec: Recorder, rng: random.Random, refresh: str,
                 search_count_at_most: int | None = None) -> None:
        self.n, self.b, self.rec, self.rng, self.refresh_mode = n, backend, rec, rng, refresh
        self.search_count_at_most = search_count_at_most
        self.me = backend.me
        self.campaign = None
        self.query = TicketQuery()
        self.page = None
        self.token = 0
        self.last_reload = 0.0
        self.reload_due: float | None = None
        self.pending_ids: set[int] = set()
        self.events = 0

    async def start(self) -> None:
        campaigns = await self.rec.time("list_campaigns", self.b.list_campaigns(self.me))
        self.campaign = campaigns[self.n % len(campaigns)] if campaigns else None
        self.query = TicketQuery(campaign_ids=(self.campaign.id,) if self.campaign else ())
        self.token = await self.b.change_token()
        await self.reload()

    async def reload(self) -> None:
        self.last_reload = time.monotonic()
        self.reload_due = None
        await asyncio.gather(self.read_count(), self.read_page(), self.read_pending())

    async def read_count(self) -> None:
        # As the TUI's list (widgets/ticket_list.py): a search's count stops early.
        at_most = self.search_count_at_most if self.query.search else None
        await self.rec.time("count_tickets", self.b.count_tickets(self.me, self.query, at_most=at_most))

    async def read_page(self, route: str = "list_tickets") -> None:
        page = await self.rec.time(route, self.b.list_tickets(self.me, self.query, limit=100))
        if page is not None:
            self.page = page

    async def read_pending(self) -> None:
        if self.campaign is None:
            return
        page = await self.rec.time("pending_tickets", self.b.pending_tickets(self.me, self.campaign.id, limit=50))
        if page is not None:
            self.pending_ids = {c.id for c in page.rows}

    # --- the TUI's live refresh (polled each second) ---------------------------------------
    async def follow(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(1.0)
            if self.reload_due is not None and time.monotonic() >= self.reload_due:
                await self.reload()
            found = await self.b.changed_since(self.token)
            if found.token == self.token:
                continue
            self.token = found.token
            self.events += 1
            change = found.change
            if self.refresh_mode == "all" or change.refresh:
                await self.reload()
                continue
            tickets = change.tickets or {}
            if any(parts & live.MEMBERSHIP_PARTS for parts in tickets.values()) and self.reload_due is None:
                self.reload_due = live.membership_reload_at(self.last_reload, self.rng.random)  # as the TUI
            cards = {i for i, parts in tickets.items() if parts & live.CARD_PARTS}
            shown = {c.id for c in self.page.rows[:40]} if self.page else set()  # one screen of cards
            work = []
            if cards & shown:
                work.append(self.read_page())
            if cards & self.pending_ids:
                work.append(self.read_pending())
            if work:
                await asyncio.gather(*work)

    # --- the routine -------------------------------------------------------------------------
    async def routine(self, stop: asyncio.Event) -> None:
        rates = {"list": 1 / 10, "open": 1 / 30, "write": 1 / 60}
        total = sum(rates.values())
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.rng.expovariate(total))
                return
            except TimeoutError:
                pass
            action = self.rng.choices(list(rates), weights=list(rates.values()))[0]
            if self.rng.random() < 1 / 20:
                await self.search()
            elif action == "list":
                await self.list_action()
            elif action == "open":
                await self.open_ticket()
            else:
                await self.write()

    async def list_action(self) -> None:
        order = self.rng.choice(list(TicketOrder))
        statuses = ()
        if self.rng.random() < 0.3:
            statuses = self.rng.choice([(TicketStatus.NEW, TicketStatus.OPEN), (TicketStatus.OPEN,),
                                        (TicketStatus.NEW,)])
        base = TicketQuery(campaign_ids=self.query.campaign_ids)
        query = base.with_(order=order, statuses=statuses)
        # As the TUI's list: another order of the same tickets keeps its count.
        recount = query.with_(order=self.query.order) != self.query
        self.query = query
        await asyncio.gather(*([self.read_count()] if recount else []), self.read_page())

    async def search(self) -> None:
        surnames = [w for c in (self.page.rows if self.page else ()) for w in c.customer_name.split()[1:]
                     if w.isalpha() and len(w) >= 3]
        if surnames and self.rng.random() < 0.5:
            word = self.rng.choice(surnames)  # a customer's surname (not "S.A.S.")
        else:
            word = self.rng.choice(SEARCH_WORDS)
        self.query = TicketQuery(campaign_ids=self.query.campaign_ids, search=word)
        await asyncio.gather(self.read_count(), self.read_page("search"))

    def _pick(self):
        if self.page is None or not self.page.rows:
            return None
        return self.rng.choice(self.page.rows)

    async def open_ticket(self) -> None:
        card = self._pick()
        if card is None:
            return
        await asyncio.gather(
            self.rec.time("ticket_header", self.b.ticket_header(self.me, card.id)),
            self.rec.time("conversation", self.b.conversation(self.me, card.id)),
            self.rec.time("list_tasks_page", self.b.list_tasks_page(self.me, card.id)),
        )

    async def write(self) -> None:
        card = self._pick()
        if card is None or self.campaign is None:
            return
        roll = self.rng.random()
        if roll < 0.5:
            await self.reply(card)
        elif roll < 0.8:
            await self.rec.time("add_task", self.b.add_task(self.me, card.id, self._task()))
        else:
            await self.rec.time("add_note", self.b.add_note(self.me, card.id, "revisado (bench)", "yellow"))

    async def reply(self, card) -> None:
        contacts = await self.rec.time("list_contacts", self.b.list_contacts(self.me, card.customer_id))
        emails = [c for c in contacts or () if c.kind is ContactKind.EMAIL]
        if not emails or ChannelType.EMAIL not in self.campaign.outgoing_channels:
            await self.rec.time("add_task", self.b.add_task(self.me, card.id, self._task()))
            return
        msg = OutgoingMessage(client_key=uuid.uuid4().hex, channel=ChannelType.EMAIL, contact=emails[0].id,
                              text="Gracias por escribirnos; revisamos su caso.", subject="Su caso")
        await self.rec.time("send_message", self.b.send_message(self.me, card.id, msg))

    def _task(self) -> TaskInput:
        values = {}
        for f in self.campaign.task_fields:
            if not f.required:
                continue
            if f.type is FieldType.CHOICE and f.choices:
                values[f.key] = f.choices[0]
            elif f.type is FieldType.NUMBER:
                values[f.key] = 1
            elif f.type is FieldType.DATE:
                values[f.key] = datetime.now(UTC).date().isoformat()
            else:
                values[f.key] = "bench"
        return TaskInput(values=values, observations="seguimiento (bench)",
                         next_task_at=datetime.now(UTC) + timedelta(days=1))


def issue_tokens(db: str, n: int) -> tuple[list[str], dict[str, int]]:
    from sagicc_tui.local_store import access
    from sagicc_tui.local_store.core import Store

    store = Store(db)
    try:
        with store.read() as conn:
            users = [u for u in store.users(conn) if u.active]
        roles: dict[str, int] = defaultdict(int)
        tokens = []
        for i in range(n):
            user = users[i % len(users)]
            roles[user.role.value] += 1
            tokens.append(access.issue_token(store, user.id, f"bench-agent-{i}"))
        return tokens, dict(roles)
    finally:
        store.engine.dispose()


class ServerWatch:
    """CPU and peak RSS of the server process and its workers, sampled."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak_rss = 0
        self._cpu_start = 0.0

    def procs(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu(self) -> float:
        total = 0.0
        for p in self.procs():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def sample(self) -> None:
        rss = 0
        for p in self.procs():
            try:
                rss += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        self.peak_rss = max(self.peak_rss, rss)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run(args) -> dict:
    from sagicc_tui.remote.backend import RemoteBackend

    tokens, roles = await asyncio.to_thread(issue_tokens, args.db, args.agents)
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SAGICC_LOG_ACCESS": "0"}
    server = subprocess.Popen([sys.executable, "-m", "sagicc_tui", "serve", "--db", args.db, "--port", str(port),
                               "--workers", str(args.workers)],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(args.server_log, "w"))
    rec = Recorder()
    rng = random.Random(args.seed)
    agents: list[Agent] = []
    stop = asyncio.Event()
    tasks: list[asyncio.Task] = []
    try:
        import httpx

        for _ in range(600):
            try:
                if httpx.get(url + "/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                raise SystemExit(f"the server exited; see {args.server_log}")
            await asyncio.sleep(0.2)
        watch = ServerWatch(server.pid)

        async def start_agent(i: int) -> None:
            await asyncio.sleep(args.warmup * i / max(1, args.agents) * 0.8)
            b = await RemoteBackend.open(url, tokens[i])
            a = Agent(i, b, rec, random.Random(rng.random()), args.refresh,
                      None if args.search_count == "exact" else SEARCH_COUNT_AT_MOST)
            agents.append(a)
            await a.start()
            tasks.append(asyncio.create_task(a.routine(stop)))
            tasks.append(asyncio.create_task(a.follow(stop)))

        starters = [asyncio.create_task(start_agent(i)) for i in range(args.agents)]
        t_end_warm = time.monotonic() + args.warmup
        while time.monotonic() < t_end_warm:
            watch.sample()
            await asyncio.sleep(0.5)
        await asyncio.gather(*starters, return_exceptions=True)
        # The generator's own collections (gen 2: 100-230 ms at 100 agents) were
        # counted as the server's latency: none while it measures (minutes; the
        # cycles it leaves are freed after).
        gc.collect()
        gc.freeze()
        gc.disable()
        rec.counting = True
        me = psutil.Process()
        cpu0, gen0, t0 = watch.cpu(), me.cpu_times(), time.monotonic()
        load0 = os.getloadavg()
        deadline = t0 + args.minutes * 60
        while time.monotonic() < deadline:
            watch.sample()
            await asyncio.sleep(0.5)
        elapsed = time.monotonic() - t0
        cpu1, gen1 = watch.cpu(), me.cpu_times()
        rec.counting = False
        gc.enable()
        load1 = os.getloadavg()
    finally:
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(a.b.aclose() for a in agents), return_exceptions=True)
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    requests = sum(len(v) for v in rec.samples.values()) + sum(rec.errors.values()) + sum(rec.refused.values())
    reads = [x for r, v in rec.samples.items() if r in READS for x in v]
    writes = [x for r, v in rec.samples.items() if r in WRITES for x in v]
    server_cpu = cpu1 - cpu0
    return {
        "agents": args.agents, "minutes": args.minutes, "db": args.db.split("?")[0], "workers": args.workers,
        "refresh": args.refresh, "search_count": args.search_count, "roles": roles, "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()} {os.cpu_count()} cores {platform.python_version()}",
        "load_average": [round(load0[0], 1), round(load1[0], 1)],
        "elapsed_s": round(elapsed, 1), "requests": requests, "req_per_s": round(requests / elapsed, 1),
        "errors": sum(rec.errors.values()), "refused": sum(rec.refused.values()),
        "reads_p50": round(_pct(reads, 0.5), 1), "reads_p99": round(_pct(reads, 0.99), 1),
        "writes_p50": round(_pct(writes, 0.5), 1), "writes_p99": round(_pct(writes, 0.99), 1),
        "server_cpu_s": round(server_cpu, 1), "server_cpu_cores": round(server_cpu / elapsed, 2),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, requests), 2),
        "server_peak_rss_mb": round(watch.peak_rss / 2**20, 1),
        "generator_cpu_cores": round((gen1.user + gen1.system - gen0.user - gen0.system) / elapsed, 2),
        "events_seen": sum(a.events for a in agents),
        "routes": {r: {"n": len(v), "p50": round(statistics.median(v), 1), "p99": round(_pct(v, 0.99), 1),
                       "max": round(max(v), 1), "errors": rec.errors.get(r, 0), "refused": rec.refused.get(r, 0)}
                   for r, v in sorted(rec.samples.items())},
        "error_examples": rec.error_examples,
        "trace": rec.trace,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, required=True)
    ap.add_argument("--minutes", type=float, default=3)
    ap.add_argument("--db", required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--warmup", type=float, default=30, help="seconds to start the agents (not counted)")
    ap.add_argument("--refresh", choices=("scoped", "all"), default="scoped")
    ap.add_argument("--search-count", choices=("capped", "exact"), default="capped",
                    help="capped: a search's count stops early, as today's TUI; exact: the TUI before #16.5")
    ap.add_argument("--server-log", default="/tmp/bench-agents-server.log")
    ap.add_argument("--json", default=None, help="also write the result here")
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(run(args))
    print(json.dumps({k: v for k, v in result.items() if k not in ("routes", "trace")}, ensure_ascii=False))
    print(f"{'route':<18} {'n':>6} {'p50':>8} {'p99':>8} {'max':>8} {'err':>5} {'refused':>7}")
    for route, r in result["routes"].items():
        print(f"{route:<18} {r['n']:>6} {r['p50']:>8} {r['p99']:>8} {r['max']:>8} {r['errors']:>5} {r['refused']:>7}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
