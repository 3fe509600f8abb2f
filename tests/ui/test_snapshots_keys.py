"""#12 snapshots: the query line (`:`) and the help (`?`, every key with its id)
at 80×24 and 160×50, in English and Spanish. Deterministic as the list's
snapshots (tests/ui/test_snapshots.py: fixed clock, UTC, no animation, every
worker finished before the picture)."""

from __future__ import annotations

import pytest

from tests.ui.conftest import make_app, settle
from tests.ui.test_snapshots import snap_world  # noqa: F401 - the fixture

SIZES = [(80, 24), (160, 50)]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("size", SIZES)
def test_query_line(snap_compare, snap_world, language, size):  # noqa: F811
    app = make_app(snap_world, language=language, poll_interval=3600)
    line = "priority:critical assignee:none created:<7d" if language == "en" else \
        "prioridad:crítica asignado:nadie creado:<7d"

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("colon")
        await settle(pilot, rounds=1)
        app.screen.query_one("#query-line").value = ""
        await pilot.press(*line)
        await app.workers.wait_for_complete()
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, snap_world, language, size):  # noqa: F811
    app = make_app(snap_world, language=language, poll_interval=3600)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await app.workers.wait_for_complete()
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
