"""How fast `sagicc demo` builds a store.

    python -m bench.demo_bench --tickets 1000000 [--seed 7] [--keep]

Builds a demo store into a temporary file (removed afterwards unless --keep)
and prints the elapsed time (generation, bulk insert, indexes and the search
index), tickets per second, the file size and the machine. The budget is
1,000,000 tickets in at most 120 seconds on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sagicc_tui.local_store.demo import build_demo

BUDGET_SECONDS = 120.0


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.demo_bench")
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the store and print its path")
    ap.add_argument("--quiet", action="store_true", help="no progress lines")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="sagicc-demo-bench-"))
    db = tmp / "demo.db"
    started = time.perf_counter()

    def progress(msg: str) -> None:
        if not args.quiet:
            print(f"  {time.perf_counter() - started:7.1f} s  {msg}", file=sys.stderr, flush=True)

    try:
        s = build_demo(str(db), tickets=args.tickets, seed=args.seed, progress=progress)
        elapsed = time.perf_counter() - started
        size = _size(db)
        rate = s.tickets / elapsed if elapsed else 0.0
        verdict = "within" if elapsed <= BUDGET_SECONDS else "OVER"
        print(f"demo build: {s.tickets:,} tickets in {elapsed:.1f} s ({rate:,.0f} tickets/s; "
              f"{verdict} the {BUDGET_SECONDS:.0f} s budget for 1,000,000)")
        print(f"rows: {s.campaigns} campaigns, {s.users} users, {s.customers:,} customers, "
              f"{s.interactions:,} interactions ({s.interactions / max(1, s.tickets):.2f}/ticket), "
              f"{s.tasks:,} tasks, {s.notes:,} notes")
        print(f"file size: {size / 1e6:,.1f} MB ({size:,} bytes)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        print(f"peak memory: {peak / 1024:,.0f} MiB")
        print(f"machine: {platform.platform()}; {platform.machine()}; cpu_count={os.cpu_count()}; "
              f"{platform.processor() or 'processor n/a'}; Python {platform.python_version()}")
        if args.keep:
            print(f"store kept at {db}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
