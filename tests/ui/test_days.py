"""One day parser (domain/days.py): a typed day is the user's local day, so the CLI
and the TUI give the same tickets for an agent who is not on UTC."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from textual.widgets import Input

from sagicc_tui.domain.days import NotADay, parse_day
from sagicc_tui.widgets.filter_bar import FilterBar
from tests.ui.conftest import make_app, settle, shown_numbers

BOGOTA = "America/Bogota"  # UTC-5, no daylight saving time


@pytest.fixture
def in_bogota():
    before = os.environ.get("TZ")
    os.environ["TZ"] = BOGOTA
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before  # the suite's UTC (tests/ui/conftest.py)
    time.tzset()


def test_parse_day_is_local_midnight(in_bogota):
    start = parse_day("2026-11-25")
    assert start.astimezone(UTC) == datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
    assert parse_day(" 2026-11-25 ", end=True).astimezone(UTC) == datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    assert parse_day("  ") is None
    for bad in ("25/11/2026", "20261125", "2026-11-31", "mañana"):
        with pytest.raises(NotADay):
            parse_day(bad)


async def test_cli_and_tui_give_the_same_tickets_off_utc(world, in_bogota):
    # Created around Bogotá's midnights: 23:30 on the 24th, 00:30 and 23:30 on the
    # 25th, 00:30 on the 26th (local). UTC midnight would take the first two instead.
    instants = [datetime(2026, 11, 25, 4, 30), datetime(2026, 11, 25, 5, 30),
                datetime(2026, 11, 26, 4, 30), datetime(2026, 11, 26, 5, 30)]
    made = []
    for i, at in enumerate(instants):
        r = await world.incoming(f"c{i}@x.com", f"mensaje {i}", name=f"Cliente {i}")
        world.set_ticket(r.ticket_id, created_at=int(at.replace(tzinfo=UTC).timestamp()))
        made.append(r.ticket_number)
    on_the_25th = {made[1], made[2]}

    env = {**os.environ, "TZ": BOGOTA, "SAGICC_LANG": "en", "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "sagicc_tui", "--db", world.path, "--user", "admin", "tickets", "list",
         "--created-from", "2026-11-25", "--created-to", "2026-11-26", "--json"],  # --created-to is exclusive
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert {row["number"] for row in json.loads(proc.stdout)} == on_the_25th

    app = make_app(world)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        bar = app.screen.query_one(FilterBar)
        bar.query_one("#created-from", Input).value = "2026-11-25"
        bar.query_one("#created-to", Input).value = "2026-11-25"  # the sidebar's end day is included
        await settle(pilot)
        assert set(shown_numbers(app)) == on_the_25th
