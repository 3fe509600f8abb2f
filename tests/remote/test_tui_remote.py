"""The real TUI (SagiccApp under Pilot) on a RemoteBackend against a real
server: the same list as on the local store, a ticket opens, and the top bar
says when the server stops answering and when it is back."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from sagicc_tui.channels.driver import ChannelDrivers
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.remote.backend import RemoteBackend
from sagicc_tui.remote.outbox import Outbox
from sagicc_tui.screens.ticket import TicketScreen
from sagicc_tui.screens.tickets import TicketsScreen
from sagicc_tui.server.app import create_app
from sagicc_tui.widgets.conversation import ConversationView
from sagicc_tui.widgets.ticket_header import TicketHeaderBar
from sagicc_tui.widgets.top_bar import TopBar
from tests.factory import make_world
from tests.support.remote_world import ServerThread, user_tokens
from tests.ui.conftest import list_lines, make_app, settle, shown_numbers  # (also pins TZ=UTC)

SIZE = (140, 36)
#: A guard against hanging forever, not a promise about speed.
PATIENCE = 60.0


@pytest.fixture
async def world(tmp_path):
    w = await make_world(tmp_path / "store.db", blob_dir=tmp_path / "files")
    w.local.configure_channels(ChannelDrivers())
    yield w
    await w.aclose()


def serve(world, port: int = 0) -> ServerThread:
    server = ServerThread(create_app(world.local))
    server.server.config.port = port  # 0: any free port; a restart keeps the client's address
    return server


async def until(pilot, condition, what: str) -> None:
    """Waits for ``condition``; a widget it reads that is not mounted yet (the
    screen is up, its compose still running) counts as not yet."""
    from textual.css.query import NoMatches

    def holds() -> bool:
        try:
            return bool(condition())
        except NoMatches:
            return False

    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while not holds():
        if loop.time() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        await pilot.pause(0.1)


def connection(app):
    return app.screen.query_one(TopBar).query_one("#connection")


async def local_view(world, tmp_path) -> tuple[list[int], list[str]]:
    """What the list shows on the local store (its own connection: the app closes it)."""
    local = await LocalBackend.open(world.path, clock=world.clock, blob_dir=tmp_path / "files")
    app = make_app(world, backend=local, poll_interval=3600, settings_path=tmp_path / "local-settings.json")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen)
        return shown_numbers(app), list_lines(app)


async def test_the_tui_on_a_server_lists_opens_and_says_offline(world, tmp_path):
    made = [await world.incoming(f"cliente{i}@x.com", f"mensaje {i}", name=f"Cliente{i} Apellido{i}")
            for i in range(5)]
    numbers, lines = await local_view(world, tmp_path)
    assert numbers == [r.ticket_number for r in reversed(made)]

    server = serve(world)
    url = await asyncio.to_thread(server.start)
    port = int(url.rsplit(":", 1)[1])
    tokens, _channel = user_tokens(world)
    backend = await RemoteBackend.open(url, tokens["admin"], user_tokens=tokens,
                                       outbox=Outbox(tmp_path / "outbox.jsonl"), backoff=(0.05,))
    app = make_app(world, backend=backend, poll_interval=0.1, settings_path=tmp_path / "settings.json")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, TicketsScreen)
            assert app.backend is backend and app.user.username == "admin"
            # The same cards, line for line, as on the local store.
            assert shown_numbers(app) == numbers
            assert list_lines(app) == lines
            assert not connection(app).has_class("-offline")

            # Enter opens the newest ticket, read through the server.
            await pilot.press("enter")
            await settle(pilot)
            await until(pilot, lambda: isinstance(app.screen, TicketScreen), "the ticket screen")
            screen = app.screen
            assert screen.ticket_id == made[-1].ticket_id
            await until(pilot, lambda: f"#{made[-1].ticket_number}" in screen.query_one(TicketHeaderBar).plain(),
                        "the ticket header")
            assert "Cliente4 Apellido4" in screen.query_one(TicketHeaderBar).plain()
            conversation = screen.query_one(ConversationView)
            await until(pilot, lambda: any("mensaje 4" in ln for ln in conversation.text_lines()), "the conversation")
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, TicketsScreen)

            # The server stops: the top bar says so within a few polls.
            await server.stop()
            await until(pilot, lambda: connection(app).has_class("-offline"), "the offline indicator")
            assert "Offline" in str(connection(app).render())
            assert backend.connection_state() == "offline"

            # Back on the same address: the indicator goes.
            server = serve(world, port)
            assert await asyncio.to_thread(server.start) == url
            await until(pilot, lambda: not connection(app).has_class("-offline"), "the indicator to go")
            assert backend.connection_state() == "online"
            await settle(pilot)
            assert shown_numbers(app) == numbers
    finally:
        with contextlib.suppress(Exception):
            await backend.aclose()
        await server.stop()

