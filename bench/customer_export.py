"""Export the whole customer base (C3) from a big demo store, and time the customer list (C1).

    python -m bench.customer_export --customers 300000 [--db big.db] [--out DIR]

Builds a demo store with about --customers customers (build_demo makes
tickets/3 customers; the build runs in a child process so its memory does not
count here), or reuses --db. Then exports XLSX and CSV through the
LocalBackend as an administrator and prints, for each, the seconds, the file
size, the peak RSS of this process (getrusage) and the RSS sampled every 50 ms
during the export: min, max and growth over the first sample, to show memory
stays flat. Then the customer list's queries (first page, keyset next page,
offset jump, count, searches) in milliseconds. Target: 300,000 customers in
60 s or less per export.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sagicc_tui.domain.customers import CustomerOrder, CustomerQuery
from sagicc_tui.domain.enums import CustomerStatus
from sagicc_tui.files import export_to_file
from sagicc_tui.local_store.backend import LocalBackend


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Sampler:
    def __init__(self, every: float = 0.05) -> None:
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(rss_mb())
            self._stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _build(path: str, tickets: int) -> None:
    from sagicc_tui.local_store.demo import build_demo

    build_demo(path, tickets=tickets, progress=lambda line: print(f"  {line}", flush=True))


def build(path: str, customers: int) -> None:
    print(f"# building a demo store with {customers * 3} tickets (~{customers} customers) at {path}", flush=True)
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_build, args=(path, customers * 3))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"the demo build failed (exit {child.exitcode})")
    print(f"# built in {time.perf_counter() - t0:.0f} s", flush=True)


async def timed(fn, repeat: int = 7) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[-1]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=300_000)
    ap.add_argument("--db", help="reuse this store (built there first when missing)")
    ap.add_argument("--out", help="folder for the exported files (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the exported files")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sagicc-bench-"))
    db = args.db or str(work / "bench.db")
    if not Path(db).exists():
        build(db, args.customers)
    out = Path(args.out) if args.out else work
    out.mkdir(parents=True, exist_ok=True)
    b = await LocalBackend.open(db)
    admin = next(u for u in await b.list_users() if u.role.value == "administrator")
    total = await b.count_customers(admin, CustomerQuery())
    print(f"# store: {db}  customers: {total}")
    print(f"# machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}")
    print(f"# RSS before the exports: {rss_mb():.0f} MB (peak so far {peak_mb():.0f} MB)")
    print(f"{'export':<8} {'seconds':>8} {'customers':>10} {'MB':>8} {'peak RSS MB':>12} "
          f"{'RSS min..max MB':>16} {'growth MB':>10}")
    for fmt in ("xlsx", "csv"):
        target = out / f"customers.{fmt}"
        with Sampler() as s:
            t0 = time.perf_counter()
            result = await export_to_file(b.session(admin), str(target), fmt)
            seconds = time.perf_counter() - t0
        lo, hi = min(s.samples), max(s.samples)
        growth = hi - s.samples[0]
        print(f"{fmt:<8} {seconds:>8.1f} {result.customers:>10} {result.bytes / 1e6:>8.1f} {peak_mb():>12.0f} "
              f"{lo:>7.0f}..{hi:<8.0f} {growth:>10.0f}", flush=True)
        if not args.keep:
            target.unlink()

    first = await b.list_customers(admin, CustomerQuery())
    sample = first.rows[len(first.rows) // 2]
    cases = {
        "list: first page (100)": lambda: b.list_customers(admin, CustomerQuery()),
        "list: next page (keyset)": lambda: b.list_customers(admin, CustomerQuery(), after=first.next_cursor),
        "list: jump to the middle (offset)": lambda: b.list_customers(admin, CustomerQuery(), offset=total // 2),
        "list: order by name": lambda: b.list_customers(admin, CustomerQuery(order=CustomerOrder.NAME)),
        "list: disabled only": lambda: b.list_customers(admin, CustomerQuery(statuses=(CustomerStatus.DISABLED,))),
        "count: all": lambda: b.count_customers(admin, CustomerQuery()),
        "search: surname": lambda: b.list_customers(admin, CustomerQuery(search=sample.last_name or sample.first_name)),
        "search: document prefix": lambda: b.list_customers(admin, CustomerQuery(search=sample.id_number[:6])),
        "search: e-mail prefix": lambda: b.list_customers(admin, CustomerQuery(search="maria.")),
        "search: phone": lambda: b.list_customers(admin, CustomerQuery(search="300 1")),
        "similar customers": lambda: b.similar_customers(admin, sample.id),
        "profile": lambda: b.customer_profile(admin, sample.id),
    }
    print(f"{'query':<36} {'median ms':>10} {'max ms':>8}")
    for name, fn in cases.items():
        med, worst = await timed(fn)
        print(f"{name:<36} {med:>10.1f} {worst:>8.1f}", flush=True)
    await b.aclose()


if __name__ == "__main__":
    asyncio.run(main())
