"""What the ticket-screen test modules share: no real outgoing channel, and
opening the first card of the list."""

from __future__ import annotations

import os

import pytest

from sagicc_tui.screens.ticket import TicketScreen
from tests.ui.conftest import settle


@pytest.fixture(autouse=True)
def no_outgoing_channels(monkeypatch):
    """A send goes to the store's own record, never to a configured SMTP or WhatsApp."""
    for name in list(os.environ):
        if name.startswith(("SAGICC_SMTP", "SAGICC_WHATSAPP")):
            monkeypatch.delenv(name, raising=False)


async def open_first_ticket(pilot, *, rounds: int = 3) -> TicketScreen:
    """Enter on the first card of the list, then wait for the screen to load."""
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot, rounds=rounds)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen)
    return screen
