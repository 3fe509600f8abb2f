"""The TUI's live refresh re-reads only what it shows (issue #16): the real
app on a RemoteBackend against a real server. A change to a ticket on screen
re-reads the page (not the count); a change to a ticket the user may not see
reaches nobody and re-reads nothing. The backend below only counts the calls
the screen makes; every call goes to the server."""

from __future__ import annotations

import asyncio
from collections import Counter

from sagicc_tui.domain.ingest import IncomingMessage
from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.remote.backend import RemoteBackend
from sagicc_tui.screens.tickets import TicketsScreen
from tests.remote.test_tui_remote import SIZE, serve, until, world  # noqa: F401 - the fixture
from tests.support.remote_world import user_tokens
from tests.ui.conftest import make_app, settle, shown_numbers


class CountingRemote(RemoteBackend):
    calls: Counter

    async def count_tickets(self, *a, **kw):
        self.calls["count_tickets"] += 1
        return await super().count_tickets(*a, **kw)

    async def list_tickets(self, *a, **kw):
        self.calls["list_tickets"] += 1
        return await super().list_tickets(*a, **kw)

    async def pending_tickets(self, *a, **kw):
        self.calls["pending_tickets"] += 1
        return await super().pending_tickets(*a, **kw)


async def test_a_change_on_screen_rereads_the_page_and_one_elsewhere_nothing(world):  # noqa: F811
    shown = await world.incoming("visible@x.com", "hola", name="Visible Cliente")
    world.set_ticket(shown.ticket_id, assignee_id=3)  # Ana's
    hidden = await world.incoming("oculto@x.com", "hola", name="Oculto Cliente")
    world.set_ticket(hidden.ticket_id, assignee_id=4)  # Bruno's: Ana may not see it
    server = serve(world)
    url = await asyncio.to_thread(server.start)
    tokens, channel = user_tokens(world)
    ana = await CountingRemote.open(url, tokens["ana"])
    ana.calls = Counter()
    admin = await RemoteBackend.open(url, tokens["admin"], channel_token=channel)
    app = make_app(world, username="ana", backend=ana, poll_interval=0.1)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, TicketsScreen)
                        and shown.ticket_number in shown_numbers(app), "Ana's ticket on screen")
            assert hidden.ticket_number not in shown_numbers(app)
            await asyncio.sleep(1.5)  # the stream's connect and the set-up writes have been announced
            await settle(pilot)
            before = ana.calls.copy()

            # Bruno's ticket changes: Ana's stream names nothing, her screen reads nothing.
            ticket = await admin.get_ticket(admin.me, hidden.ticket_id)
            await admin.update_ticket(admin.me, hidden.ticket_id, TicketChanges(description="otra"),
                                      expected_version=ticket.version)
            await asyncio.sleep(1.0)
            await settle(pilot)
            assert ana.calls == before

            # Her ticket on screen changes: the page is read again, the count is not.
            ticket = await admin.get_ticket(admin.me, shown.ticket_id)
            await admin.update_ticket(admin.me, shown.ticket_id, TicketChanges(description="cambiada"),
                                      expected_version=ticket.version)
            await until(pilot, lambda: ana.calls["list_tickets"] > before["list_tickets"], "the page re-read")
            await settle(pilot)
            assert ana.calls["count_tickets"] == before["count_tickets"]

            # A new ticket (it may enter her list): count and pages, once, however many arrive.
            mid = ana.calls.copy()
            for i in range(5):
                await admin.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender=f"n{i}@x.com", text="nuevo"))
            await until(pilot, lambda: ana.calls["count_tickets"] > mid["count_tickets"], "the count re-read")
            await asyncio.sleep(1.0)
            await settle(pilot)
            assert ana.calls["count_tickets"] - mid["count_tickets"] <= 2
    finally:
        await admin.aclose()
        await server.stop()
