"""Shared helpers for the UI tests: an app on the `world` store, settling, reading the list."""

from __future__ import annotations

import os
import re
import time

import pytest

from sagicc_tui import i18n

# Card dates are shown in local time: pin it so snapshots match on any machine.
os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(autouse=True)
def _steady_cursors(monkeypatch):
    """Cursors do not blink: a blink timer ticking mid-snapshot changes the picture."""
    from textual.widgets import Input, TextArea

    for widget in (Input, TextArea):
        monkeypatch.setattr(widget.__dict__["cursor_blink"], "_default", False)


@pytest.fixture(autouse=True)
def _notifications_stay(monkeypatch):
    """A notification stays in app._notifications until the test has read it: on a
    loaded machine (or four test workers on two cores) its 10 s can pass mid-test."""
    from textual.notifications import Notification

    monkeypatch.setattr(Notification, "has_expired", property(lambda self: False))


@pytest.fixture(autouse=True)
def _no_debounce(monkeypatch):
    """The search box and the filter sidebar apply after a millisecond instead of a typing pause
    (the pause is a real timer: tests would otherwise sleep through it)."""
    from sagicc_tui.screens import customers, tickets
    from sagicc_tui.widgets import filter_bar

    monkeypatch.setattr(tickets, "SEARCH_DELAY", 0.001)
    monkeypatch.setattr(customers, "SEARCH_DELAY", 0.001)
    monkeypatch.setattr(filter_bar, "APPLY_DELAY", 0.001)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Settings go to a temporary dir; the language global is restored after each test."""
    monkeypatch.setenv("SAGICC_CONFIG_DIR", str(tmp_path / "config"))
    # Keys right after leaving a ticket are dropped for a moment (#11.8); tests press them on purpose.
    monkeypatch.setattr("sagicc_tui.screens.tickets.LEAVE_GRACE", 0)
    before = i18n.get_language()
    yield
    i18n.set_language(before)


def make_app(world, *, username: str | None = "admin", language: str = "en", settings_path=None,
             backend=None, poll_interval: float = 1.0, **kw):
    from sagicc_tui.app import SagiccApp

    target = backend or world.backend

    async def open_backend():
        return target  # already open: the fixture owns it

    app = SagiccApp(open_backend=open_backend, username=username, language=language, clock=world.clock,
                    settings_path=settings_path or (os.environ["SAGICC_CONFIG_DIR"] + "/settings.json"),
                    poll_interval=poll_interval, **kw)
    app.animation_level = "none"
    return app


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their messages land (a few rounds: results start more work)."""
    from textual.worker import WorkerCancelled

    for _ in range(rounds):
        await pilot.pause()
        for _attempt in range(10):
            try:
                await pilot.app.workers.wait_for_complete()
                break
            except WorkerCancelled:  # an exclusive worker replaced by a newer one: wait for that
                await pilot.pause()
        await pilot.pause()


def ticket_list(app):
    from sagicc_tui.widgets.ticket_list import TicketList

    return app.screen.query_one(TicketList)


def list_lines(app) -> list[str]:
    """What the list shows, read through its line API."""
    tl = ticket_list(app)
    return ["".join(seg.text for seg in tl.render_line(y)) for y in range(tl.scrollable_content_region.height)]


_NUMBER = re.compile(r"#(\d+)")


def shown_numbers(app) -> list[int]:
    """Ticket numbers of the cards on screen, top to bottom."""
    numbers = []
    for line in list_lines(app):
        m = _NUMBER.search(line[:20])
        if m:
            numbers.append(int(m.group(1)))
    return numbers


def cursor_number(app) -> int | None:
    card = ticket_list(app).cursor_card
    return card.number if card else None


def on_list_calls(backend, method: str, record) -> None:
    """Calls ``record(query, **kw)`` before each call of the backend's list
    method (``list_tickets``, ``count_tickets``): which pages and counts the
    screen asked for."""
    real = getattr(backend, method)

    async def spied(user, query, **kw):
        record(query, **kw)
        return await real(user, query, **kw)

    setattr(backend, method, spied)
