"""Opening a ticket and going back to the list, in the TUI: CPU and wall time per open and per leave.

    python -m bench.ticket_open --db STORE [--runs 10] [--user admin] [--size 160x50]

The app runs headless (Textual's test driver, the same widgets, styles, layout
and rendering as in a terminal, to a virtual screen of the given size) on the
store, as the user. Each run presses Enter on the first card, waits until the
ticket screen's reads are done and the screen is idle, then presses Escape and
waits until the list is idle again. CPU is the process's (all threads, so the
store's reads are in it); the first run is left out (imports, caches). Also
printed: the widgets the ticket screen holds. Nothing asserts a time.

For a before/after, run this file with the Python of an environment where the
other checkout is installed (`cd OTHER && .venv/bin/python /path/to/bench/ticket_open.py
...`): it only needs `sagicc_tui`. PYTHONPATH is not enough with an editable install,
whose finder wins over the path.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time


async def _idle(pilot, app) -> None:
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def measure(db: str, user: str, runs: int, size: tuple[int, int]) -> dict[str, list[float]]:
    from sagicc_tui.app import SagiccApp
    from sagicc_tui.local_store.quick_open import backend_opener

    app = SagiccApp(open_backend=backend_opener(db), username=user, language="en", poll_interval=3600,
                    settings_path=os.path.join(tempfile.mkdtemp(prefix="sagicc-bench-"), "settings.json"))
    app.animation_level = "none"
    out: dict[str, list[float]] = {"open_cpu": [], "open_wall": [], "leave_cpu": [], "leave_wall": [], "widgets": []}
    async with app.run_test(size=size) as pilot:
        for _ in range(200):  # the list's first page: its cards, not only the widget
            await _idle(pilot, app)
            if (type(app.screen).__name__ == "TicketsScreen" and app.screen.query("TicketList")
                    and app.screen.query_one("TicketList").cached_pages()):
                break
            await asyncio.sleep(0.05)
        for run in range(runs + 1):
            c, w = time.process_time(), time.perf_counter()
            await pilot.press("enter")
            await _idle(pilot, app)
            opened = (time.process_time() - c, time.perf_counter() - w)
            if type(app.screen).__name__ != "TicketScreen":
                raise SystemExit(f"Enter did not open a ticket (the screen is {type(app.screen).__name__}).")
            widgets = len(list(app.screen.walk_children()))
            c, w = time.process_time(), time.perf_counter()
            await pilot.press("escape")
            await _idle(pilot, app)
            for _ in range(200):  # back on the list, which has the cursor again (its leave ends first)
                if type(app.focused).__name__ == "TicketList":
                    break
                await pilot.pause(0.01)
            left = (time.process_time() - c, time.perf_counter() - w)
            if run == 0:
                continue  # imports and first-use caches
            out["open_cpu"].append(opened[0])
            out["open_wall"].append(opened[1])
            out["leave_cpu"].append(left[0])
            out["leave_wall"].append(left[1])
            out["widgets"].append(widgets)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True)
    p.add_argument("--user", default="admin")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--size", default="160x50")
    args = p.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    got = asyncio.run(measure(args.db, args.user, args.runs, (width, height)))
    load = os.getloadavg()[0]
    print(f"{args.runs} runs at {width}x{height}, load average {load:.2f}; medians:")
    print(f"  open a ticket:  CPU {statistics.median(got['open_cpu']):.2f} s, wall {statistics.median(got['open_wall']):.2f} s")
    print(f"  back to list:   CPU {statistics.median(got['leave_cpu']):.2f} s, wall {statistics.median(got['leave_wall']):.2f} s")
    print(f"  widgets on the ticket screen: {int(statistics.median(got['widgets']))}")


if __name__ == "__main__":
    main()
