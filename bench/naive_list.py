"""The naive ticket list, for comparison (issue 3 baseline): one ListItem per ticket.

    python -m bench.naive_list --db STORE [--repeat N]

In one headless Textual app (160×50), as ``admin``, over every ticket the
administrator sees (``TicketQuery()``):

- naive: read every card from the backend (pages of 500 through the keyset
  cursor), build a ``ListView`` with one ``ListItem`` per card, each holding
  three ``Static`` lines made from the same ``TicketCard`` with the list's
  own ``card_lines`` (plain palette), mount it and let it settle (two
  ``pilot.pause()``): all items mounted, the list painted;
- virtual: mount the real ``TicketList`` on the same query in the same app
  and stop at the first painted card (the probe of ``bench.ticket_list``).

Each repeat mounts a fresh widget and removes it afterwards. Runs in a child
process so the peak RSS is the naive list's own; ``bench.ticket_list
--baseline`` calls `run_baseline`.
"""

from __future__ import annotations

import sys
import time


def run_baseline(db: str, *, repeat: int = 3, timeout: float = 3600) -> dict:
    """Run the comparison in a fresh process; milliseconds per repeat and the peak RSS."""
    import json
    import subprocess

    spec = json.dumps({"db": db, "repeat": repeat})
    proc = subprocess.run([sys.executable, "-m", "bench.naive_list", "--child", spec],
                          check=False, capture_output=True, text=True, timeout=timeout)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            return json.loads(line.removeprefix("BENCH-RESULT "))
    raise SystemExit(f"the naive-list child failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n"
                     f"{proc.stderr[-5000:]}")


async def read_all(backend, user, query) -> list:
    cards = []
    after = None
    while True:
        page = await backend.list_tickets(user, query, limit=500, after=after)
        cards.extend(page.rows)
        if page.next_cursor is None:
            return cards
        after = page.next_cursor


def measure(db: str, repeat: int) -> dict:
    import asyncio
    import gc
    from datetime import UTC, datetime

    from textual.app import App, ComposeResult
    from textual.content import Content
    from textual.widgets import ListItem, ListView, Static

    from bench.ticket_list import Probe, peak_rss_mb
    from sagicc_tui.domain.query import TicketQuery
    from sagicc_tui.local_store.backend import LocalBackend
    from sagicc_tui.widgets.ticket_card import card_lines, plain_palette
    from sagicc_tui.widgets.ticket_list import TicketList

    probe = Probe()
    probe.install(TicketList)

    class Harness(App[None]):
        CSS = "TicketList, ListView { height: 1fr; } ListItem Static { height: 1; }"

        def compose(self) -> ComposeResult:
            yield Static("baseline", id="title")

    def clock() -> datetime:
        return datetime.now(UTC)

    def item(card, width: int, palette) -> ListItem:
        lines = card_lines(card, now=clock(), width=width, palette=palette)
        return ListItem(*(Static(Content("".join(seg.text for seg in strip))) for strip in lines))

    result: dict = {"naive_ms": [], "read_ms": [], "virtual_ms": [], "items": 0}

    async def run() -> None:
        backend = await LocalBackend.open(db)
        user = await backend.get_user("admin")
        query = TicketQuery()
        app = Harness()
        app.animation_level = "none"
        async with app.run_test(size=(160, 50)) as pilot:
            palette = plain_palette()
            width = 156
            for _ in range(repeat):
                # The virtual list, mount → first card painted.
                probe.arm(lambda t, i, y: t._pages.card(i) is not None)
                t0 = time.perf_counter()
                virtual = TicketList(backend, user, query, clock=clock)
                await app.screen.mount(virtual)
                while probe.hit is None:
                    await asyncio.sleep(0.0005)
                result["virtual_ms"].append((probe.hit - t0) * 1000)
                await pilot.pause()
                await virtual.remove()
                await pilot.pause()

                # The naive list: read everything, one ListItem per card, mount, settle.
                t0 = time.perf_counter()
                cards = await read_all(backend, user, query)
                t1 = time.perf_counter()
                naive = ListView(*(item(card, width, palette) for card in cards))
                await app.screen.mount(naive)
                await pilot.pause()
                await pilot.pause()
                t2 = time.perf_counter()
                assert len(naive.children) == len(cards)
                result["read_ms"].append((t1 - t0) * 1000)
                result["naive_ms"].append((t2 - t0) * 1000)
                result["items"] = len(cards)
                await naive.remove()
                for _settle in range(3):  # 4 widgets per card to unmount before the next repeat
                    await pilot.pause()
                gc.collect()
        await backend.aclose()

    asyncio.run(run())
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    res = run_baseline(args.db, repeat=args.repeat)
    from bench.ticket_list import stats

    print(f"{res['items']:,} tickets")
    for key in ("read_ms", "naive_ms", "virtual_ms"):
        med, p95 = stats(res[key])
        print(f"{key:<12} median {med:10.1f} ms   p95 {p95:10.1f} ms")
    print(f"naive / virtual: {stats(res['naive_ms'])[0] / stats(res['virtual_ms'])[0]:.0f}×;"
          f" peak RSS {res['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        import json
        import os

        spec = json.loads(sys.argv[2])
        out = measure(spec["db"], spec["repeat"])
        sys.stdout.write("BENCH-RESULT " + json.dumps(out) + "\n")
        sys.stdout.flush()
        os._exit(0)
    main()
