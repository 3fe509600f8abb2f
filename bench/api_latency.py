"""List-page latency through the HTTP API, with 1, 8 and 32 concurrent clients.

    python -m bench.api_latency --db big.db [--workers 1] [--clients 1,8,32] [--seconds 20]
    python -m bench.api_latency --db 'postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench' \
        --workers 2

Starts `sagicc serve` on the store (a real server process, real sockets),
issues a token per user, then each client loops over what the ticket list
does: the first page of a campaign in one of the orders, then the next pages
by keyset (POST /api/v1/tickets/search, 100 cards a page), as a mix of
administrators, supervisors and agents (agents' pages carry their L2 scope).
Reports p50 / p99 / max in milliseconds and requests per second for each
level of concurrency. Clients run in their own process (asyncio, one
connection each), so the server's CPU is what is measured, on a 2-core
machine shared with the clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time

import httpx

ORDERS = ("created_desc", "created_asc", "unread_desc", "next_task_closest")


def issue_tokens(db: str, count: int) -> list[tuple[str, str, list[int]]]:
    """(role, token, campaign_ids) for up to `count` users of each role."""
    from sagicc_tui.local_store import access
    from sagicc_tui.local_store.backend import LocalBackend

    backend = LocalBackend(db)
    with backend.store.read() as conn:
        users = backend.store.users(conn)
    out = []
    for role in ("administrator", "supervisor", "agent"):
        for u in [u for u in users if u.role.value == role][:count]:
            out.append((role, access.issue_token(backend.store, u.id, "bench"), list(u.campaign_ids) or [1]))
    backend.store.engine.dispose()
    return out


async def client(base: str, who: tuple[str, str, list[int]], until: float, samples: list[float],
                 rng: random.Random) -> None:
    role, token, campaigns = who
    headers = {"Authorization": f"Bearer {token}"}
    # TCP_NODELAY: httpx writes a request's headers and body separately; without
    # it Nagle's algorithm holds the body for the server's delayed ACK (~40 ms).
    transport = httpx.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30, transport=transport) as http:
        while time.perf_counter() < until:
            query = {"campaign_ids": [rng.choice(campaigns)], "order": rng.choice(ORDERS)}
            after = None
            for _page in range(rng.randint(1, 5)):  # first page, then scrolling on
                body = {"query": query, "limit": 100, "after": after}
                t0 = time.perf_counter()
                r = await http.post("/api/v1/tickets/search", json=body)
                samples.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
                after = r.json()["next_cursor"]
                if after is None or time.perf_counter() >= until:
                    break


async def run_level(base: str, users: list, n: int, seconds: float, seed: int) -> dict:
    rng = random.Random(seed)
    samples: list[float] = []
    # Warm-up: caches and connections, not measured.
    await asyncio.gather(*(client(base, users[i % len(users)], time.perf_counter() + 2, [], rng)
                           for i in range(n)))
    until = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(client(base, users[i % len(users)], until, samples, random.Random(seed + i))
                           for i in range(n)))
    elapsed = time.perf_counter() - started
    samples.sort()
    return {
        "clients": n, "requests": len(samples), "rps": round(len(samples) / elapsed, 1),
        "p50": round(statistics.median(samples), 1),
        "p99": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 1),
        "max": round(samples[-1], 1),
    }


def wait_ready(base: str, proc: subprocess.Popen) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            sys.exit("the server exited; see its log (SAGICC_BENCH_LOG)")
        try:
            if httpx.get(base + "/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    sys.exit("the server did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", default="1,8,32")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--port", type=int, default=8877)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    users = issue_tokens(args.db, 4)
    base = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "SAGICC_SERVER_FILES": os.environ.get("SAGICC_SERVER_FILES", "/tmp/sagicc-bench-files")}
    log = open(os.environ.get("SAGICC_BENCH_LOG", "/tmp/sagicc-bench-server.log"), "wb")
    proc = subprocess.Popen([sys.executable, "-m", "sagicc_tui", "serve", "--db", args.db, "--port", str(args.port),
                             "--workers", str(args.workers)], env=env, stdout=log, stderr=log)
    try:
        wait_ready(base, proc)
        print(f"# {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · "
              f"{time.strftime('%Y-%m-%d')} · workers {args.workers} · {args.db.split('?')[0]}")
        print("| clients | requests | req/s | p50 ms | p99 ms | max ms |")
        print("|---:|---:|---:|---:|---:|---:|")
        results = []
        for n in [int(x) for x in args.clients.split(",")]:
            res = asyncio.run(run_level(base, users, n, args.seconds, args.seed))
            results.append(res)
            print(f"| {res['clients']} | {res['requests']} | {res['rps']} | {res['p50']} | {res['p99']} | {res['max']} |",
                  flush=True)
        print(json.dumps(results))
    finally:
        proc.terminate()
        proc.wait(20)


if __name__ == "__main__":
    main()
