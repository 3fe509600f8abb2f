"""#16.6 (L1, P5): the first cards are on screen before the ORM is imported; then all works as before.

The real app runs in a fresh process (this one imported SQLAlchemy long ago)
on a real store, through OpeningBackend with the real lean reader. The full
backend's load is held at a gate until the first cards are drawn: had
anything on the way to the first card waited for the ORM, no card would come.
"""

from __future__ import annotations

import json
import subprocess
import sys

from sagicc_tui.domain.enums import AgentStatus
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.local_store.backend import LocalBackend
from tests.factory import make_world

CHILD = r"""
import asyncio, json, re, sys, threading
from sagicc_tui.app import SagiccApp
from sagicc_tui.local_store.first_page import FirstPageReader
from sagicc_tui.local_store.opening import OpeningBackend
from sagicc_tui.widgets.ticket_list import TicketList

db, username, settings = sys.argv[1:4]
gate = threading.Event()

def load():
    gate.wait(120)  # the full backend: only once the test has looked at the first cards
    from sagicc_tui.local_store.backend import LocalBackend
    return LocalBackend(db)

async def open_backend():
    return OpeningBackend(FirstPageReader.open(db), load)

def numbers(tl):
    text = "\n".join("".join(seg.text for seg in tl.render_line(y)) for y in range(tl.size.height))
    return [int(n) for n in re.findall(r"#(\d+)", text)]

async def until(pilot, test, what):
    for _ in range(3000):
        if test():
            return
        await pilot.pause(0.01)
    raise SystemExit("timed out waiting for " + what)

async def main():
    app = SagiccApp(open_backend=open_backend, username=username, language="en", settings_path=settings)
    out = {}
    async with app.run_test(size=(120, 40)) as pilot:
        lists = lambda: app.screen.query(TicketList)
        await until(pilot, lambda: lists() and lists().first()._pages.card(0) is not None, "the first card")
        tl = lists().first()
        await pilot.pause()
        out["cards"] = numbers(tl)
        out["orm_at_first_card"] = [m for m in ("sqlalchemy", "sqlmodel") if m in sys.modules]
        # Neither needed for the first cards, both about 20 ms of CPU (#16.6):
        out["late_at_first_card"] = [m for m in ("phonenumbers", "rapidfuzz") if m in sys.modules]
        out["sidebar_fields_at_first_card"] = len(app.screen.query("#statuses"))
        out["count_at_first_card"] = tl.total
        gate.set()
        await until(pilot, lambda: tl.total is not None, "the count")
        out["count"] = tl.total
        out["orm_after"] = "sqlalchemy" in sys.modules
        await until(pilot, lambda: app.screen.query("#statuses"), "the sidebar's fields, after the count")
        await pilot.press("enter")  # the ticket screen, read by the full backend
        await until(pilot, lambda: type(app.screen).__name__ == "TicketScreen", "the ticket screen")
        await app.workers.wait_for_complete()
        out["screen"] = type(app.screen).__name__
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "TicketsScreen", "the list again")
        await until(pilot, lambda: app.user.status.value == "available", "Available after the ticket")
        # Keys arriving just after a ticket closes are dropped (#11.8): wait for the list to take them.
        await until(pilot, lambda: app.screen._keys_blocked_until == 0.0, "the list to take keys again")
        await pilot.press("s")  # Available -> Busy: a write, through the full backend
        await until(pilot, lambda: app.user.status.value == "busy", "the new status")
    print("RESULT " + json.dumps(out))

asyncio.run(main())
"""


async def test_first_cards_before_the_orm_then_the_store_as_usual(tmp_path):
    path = tmp_path / "store.db"
    world = await make_world(path)
    for i in range(30):
        await world.incoming(f"c{i}@example.com", f"consulta {i}", name=f"Cliente {i}")
    ana = await world.backend.get_user("ana")
    expected = await world.backend.list_tickets(ana, TicketQuery(campaign_ids=(1,)), limit=100)
    total = await world.backend.count_tickets(ana, TicketQuery(campaign_ids=(1,)))
    await world.backend.aclose()

    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), "ana", str(tmp_path / "settings.json")],
                          capture_output=True, text=True, timeout=300)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    out = json.loads(lines[0][len("RESULT "):])

    assert out["orm_at_first_card"] == []  # the cards came without the ORM...
    assert out["count_at_first_card"] is None  # ...and before the full backend answered anything
    assert out["late_at_first_card"] == [] and out["sidebar_fields_at_first_card"] == 0
    shown = out["cards"]
    assert shown and shown == [c.number for c in expected.rows][:len(shown)]  # ana's scope, newest first
    assert out["count"] == total and out["orm_after"]
    assert out["screen"] == "TicketScreen"
    store = LocalBackend(path)
    try:
        assert (await store.get_user("ana")).status is AgentStatus.BUSY  # the write reached the store
    finally:
        await store.aclose()
