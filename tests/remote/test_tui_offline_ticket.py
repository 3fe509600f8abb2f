"""Issue #18.7: inside a ticket on a server that stops answering, the Offline
indicator (with the time it went offline) is on the ticket screen too, and
pressing r again and again gives one notice, not a stack of identical ones;
the open ticket (header, conversation, the typing) and the last list stay on
screen."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter

from sagicc_tui.remote.backend import RemoteBackend
from sagicc_tui.remote.outbox import Outbox
from sagicc_tui.screens.ticket import TicketScreen
from tests.remote.test_tui_remote import SIZE, connection, serve, until, world  # noqa: F401 - fixture
from tests.support.remote_world import user_tokens
from tests.ui.conftest import make_app, settle


async def test_offline_inside_a_ticket(world, tmp_path, monkeypatch):  # noqa: F811
    from textual.app import App

    shown: list[tuple[str, str]] = []
    original = App.notify

    def recording(self, message, **kw):
        shown.append((message, kw.get("severity", "information")))
        return original(self, message, **kw)

    monkeypatch.setattr(App, "notify", recording)
    await world.incoming("cliente@x.com", "mensaje", name="Cliente Uno")
    server = serve(world)
    url = await asyncio.to_thread(server.start)
    tokens, _channel = user_tokens(world)
    backend = await RemoteBackend.open(url, tokens["admin"], user_tokens=tokens,
                                       outbox=Outbox(tmp_path / "outbox.jsonl"), backoff=(0.05,))
    app = make_app(world, backend=backend, poll_interval=0.1, settings_path=tmp_path / "settings.json")
    app.NOTIFICATION_TIMEOUT = 3600  # every notice stays on screen for the whole test: no timing involved
    stopped = False
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, TicketScreen), "the ticket screen")
            await settle(pilot)
            assert not connection(app).has_class("-offline")
            await server.stop()
            stopped = True
            for _ in range(10):
                await pilot.press("r")
                await pilot.pause(0.05)
            await settle(pilot)
            burst = Counter(m for m in shown if m[1] == "error")  # ten presses: the failure said once
            assert list(burst.values()) == [1], burst
            # The heartbeat (every 10 s) finds the server gone: the indicator, on this screen.
            await until(pilot, lambda: connection(app).has_class("-offline"), "the offline indicator in the ticket")
            assert isinstance(app.screen, TicketScreen)
            assert re.search(r"Offline since \d\d:\d\d", str(connection(app).render()))
    finally:
        with contextlib.suppress(Exception):
            await backend.aclose()
        if not stopped:
            await server.stop()


async def test_offline_the_last_list_stays_on_screen(world, tmp_path):  # noqa: F811
    from tests.ui.conftest import shown_numbers

    made = [await world.incoming(f"c{i}@x.com", f"mensaje {i}", name=f"Cliente{i}") for i in range(4)]
    server = serve(world)
    url = await asyncio.to_thread(server.start)
    tokens, _channel = user_tokens(world)
    backend = await RemoteBackend.open(url, tokens["admin"], user_tokens=tokens,
                                       outbox=Outbox(tmp_path / "outbox.jsonl"), backoff=(0.05,))
    app = make_app(world, backend=backend, poll_interval=0.1, settings_path=tmp_path / "settings.json")
    stopped = False
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            numbers = shown_numbers(app)
            assert numbers == [r.ticket_number for r in reversed(made)]
            await server.stop()
            stopped = True
            await until(pilot, lambda: connection(app).has_class("-offline"), "the offline indicator")
            await pilot.press("r")  # a refresh while offline
            await settle(pilot)
            assert shown_numbers(app) == numbers  # not "0 tickets"
            assert re.search(r"Offline since \d\d:\d\d", str(connection(app).render()))
    finally:
        with contextlib.suppress(Exception):
            await backend.aclose()
        if not stopped:
            await server.stop()


async def test_offline_the_open_ticket_stays_on_screen(world, tmp_path):  # noqa: F811
    """#18.7: the server goes away while a ticket is open: its header, its conversation
    and the composer's typing stay on screen (a refresh that fails empties nothing),
    marked Offline since HH:MM on this very screen."""
    from textual.widgets import TextArea

    from sagicc_tui.widgets.conversation import ConversationView
    from sagicc_tui.widgets.ticket_header import TicketHeaderBar

    made = await world.incoming("cliente@x.com", "mi pedido no llegó", name="Cliente Uno")
    server = serve(world)
    url = await asyncio.to_thread(server.start)
    tokens, _channel = user_tokens(world)
    backend = await RemoteBackend.open(url, tokens["admin"], user_tokens=tokens,
                                       outbox=Outbox(tmp_path / "outbox.jsonl"), backoff=(0.05,))
    app = make_app(world, backend=backend, poll_interval=0.1, settings_path=tmp_path / "settings.json")
    stopped = False
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, TicketScreen), "the ticket screen")
            await settle(pilot)
            screen = app.screen
            conversation = screen.query_one(ConversationView)
            await until(pilot, lambda: any("mi pedido" in ln for ln in conversation.text_lines()), "the conversation")
            await until(pilot, lambda: f"#{made.ticket_number}" in screen.query_one(TicketHeaderBar).plain(),
                        "the ticket header")
            await settle(pilot)
            header = screen.query_one(TicketHeaderBar).plain()
            lines = conversation.text_lines()
            assert f"#{made.ticket_number}" in header and "Cliente Uno" in header
            screen.query_one("#composer-text", TextArea).text = "Le escribo en cuanto"
            await server.stop()
            stopped = True
            await until(pilot, lambda: connection(app).has_class("-offline"), "the offline indicator in the ticket")
            await pilot.press("r")  # a refresh while offline: it fails, and empties nothing
            await settle(pilot)
            assert app.screen is screen
            assert screen.query_one(TicketHeaderBar).plain() == header
            assert conversation.text_lines() == lines
            assert screen.query_one("#composer-text", TextArea).text == "Le escribo en cuanto"
            assert re.search(r"Offline since \d\d:\d\d", str(connection(app).render()))
    finally:
        with contextlib.suppress(Exception):
            await backend.aclose()
        if not stopped:
            await server.stop()
