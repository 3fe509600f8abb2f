"""Live events that scale (issue #16): each event names the tickets that
changed and which part, only within the recipient's scope; private writes
(drafts) tell nobody; a reassignment tells the agent who lost the ticket.

A real server on 127.0.0.1 (SQLite store), real RemoteBackends with their own
tokens and event streams.
"""

from __future__ import annotations

import asyncio

from sagicc_tui.domain.ingest import IncomingMessage
from sagicc_tui.domain import live
from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.remote.backend import RemoteBackend
from sagicc_tui.server.app import create_app
from tests.factory import make_world
from tests.support.remote_world import ServerThread, user_tokens


async def _changes(backend: RemoteBackend, before: int, seconds: float = 5.0) -> live.Change | None:
    """What changed since `before`, once the token moved; None if it never did."""
    for _ in range(int(seconds / 0.05)):
        found = await backend.changed_since(before)
        if found.token != before:
            return found.change
        await asyncio.sleep(0.05)
    return None


async def test_events_name_changed_tickets_within_each_recipients_scope(tmp_path):
    world = await make_world(tmp_path / "store.db")
    server = ServerThread(create_app(world.local))
    url = await asyncio.to_thread(server.start)
    tokens, channel = user_tokens(world)
    clients: dict[str, RemoteBackend] = {}
    gateway = None
    try:
        # Ana's ticket (an agent of campaign 1), and one of Carla's campaign (2) only.
        mine = await world.incoming("cliente1@x.com", "hola")
        world.set_ticket(mine.ticket_id, assignee_id=3)
        for name in ("admin", "ana", "bruno", "carla"):
            clients[name] = await RemoteBackend.open(url, tokens[name])
        gateway = await RemoteBackend.open(url, tokens["admin"], channel_token=channel)
        for c in clients.values():
            await c.change_token()
        await asyncio.sleep(1.5)  # the connect's own refresh, and the watcher's for the set-up, have arrived
        tokens_before = {name: await c.change_token() for name, c in clients.items()}

        admin = clients["admin"]
        ticket = await admin.get_ticket(admin.me, mine.ticket_id)
        await admin.update_ticket(admin.me, ticket.id, TicketChanges(description="cambiada"), expected_version=ticket.version)

        seen = await _changes(clients["ana"], tokens_before["ana"])
        assert seen is not None and not seen.refresh
        assert live.HEADER in seen.tickets[mine.ticket_id]
        # Bruno (same campaign, not his ticket) and Carla (another campaign) hear nothing.
        await asyncio.sleep(0.6)
        for other in ("bruno", "carla"):
            found = await clients[other].changed_since(tokens_before[other])
            assert mine.ticket_id not in (found.change.tickets or {}), other
            assert found.token == tokens_before[other], other

        # A draft is private: no event for anyone else.
        before = await clients["admin"].change_token()
        await clients["ana"].save_draft(clients["ana"].me, mine.ticket_id, "composer", {"text": "borrador"})
        await asyncio.sleep(0.8)
        assert await clients["admin"].change_token() == before

        # A message: Ana hears "interactions" for her ticket, from the same stream.
        before = await clients["ana"].change_token()
        await gateway.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="cliente1@x.com",
                                             text="otra pregunta"))  # through the server (/inbound)
        seen = await _changes(clients["ana"], before)
        assert seen is not None and live.INTERACTIONS in seen.tickets[mine.ticket_id]

        # Reassigned to Bruno: Ana (who loses it) and Bruno (who gets it) both hear of it.
        before_ana, before_bruno = await clients["ana"].change_token(), await clients["bruno"].change_token()
        ticket = await admin.get_ticket(admin.me, mine.ticket_id)
        await admin.reassign_ticket(admin.me, mine.ticket_id, assignee_id=4, expected_version=ticket.version)
        for name, before in (("ana", before_ana), ("bruno", before_bruno)):
            seen = await _changes(clients[name], before)
            assert seen is not None and live.ASSIGNMENT in seen.tickets[mine.ticket_id], name
        assert mine.ticket_id in {c.id for c in (await clients["bruno"].list_tickets(
            clients["bruno"].me, TicketQuery(campaign_ids=(1,)))).rows}
    finally:
        for c in [*clients.values(), *([gateway] if gateway else [])]:
            await c.aclose()
        await server.stop()
        await world.aclose()


async def test_a_burst_of_writes_is_one_event(tmp_path):
    """Coalesced: ten messages within a moment reach a client as one event
    (or a few), merged, never as ten reloads."""
    world = await make_world(tmp_path / "store.db")
    server = ServerThread(create_app(world.local))
    url = await asyncio.to_thread(server.start)
    tokens, channel = user_tokens(world)
    admin = await RemoteBackend.open(url, tokens["admin"], channel_token=channel)
    try:
        await admin.change_token()
        await asyncio.sleep(0.5)
        before = await admin.change_token()
        made = await asyncio.gather(*(admin.ingest(IncomingMessage(
            channel=ChannelType.EMAIL, sender=f"c{i}@x.com", text=f"mensaje {i}")) for i in range(10)))
        await asyncio.sleep(1.0)
        found = await admin.changed_since(before)
        assert 1 <= found.token - before <= 3
        assert {m.ticket_id for m in made} <= set(found.change.tickets)
        assert all(live.CREATED in found.change.tickets[m.ticket_id] for m in made)
    finally:
        await admin.aclose()
        await server.stop()
        await world.aclose()


async def test_the_servers_own_writes_never_reach_its_clients_as_a_refresh(tmp_path):
    """#16.2: the SQLite watcher takes a change nobody announced for another
    program's and tells every client to reload everything. The server's own
    writes are all announced, the Idempotency-Key's answer kept after the
    change included (its commit comes after the change's own event): a busy
    server must not send its clients a refresh per write."""
    world = await make_world(tmp_path / "store.db")
    server = ServerThread(create_app(world.local))
    url = await asyncio.to_thread(server.start)
    tokens, _channel = user_tokens(world)
    ticket = await world.incoming("cliente@x.com", "hola")
    admin = await RemoteBackend.open(url, tokens["admin"])
    try:
        await admin.change_token()
        await asyncio.sleep(1.5)  # the connect's own refresh, and the watcher's for the set-up, have arrived
        before = await admin.change_token()
        for i in range(8):  # the watcher looks once a second: some writes fall on each side of a look
            await admin.add_note(admin.me, ticket.ticket_id, f"nota {i}", "yellow")
            await asyncio.sleep(0.3)
        await asyncio.sleep(2.5)  # two more looks
        found = await admin.changed_since(before)
        assert found.token > before and not found.change.refresh
        assert live.NOTES in found.change.tickets[ticket.ticket_id]
    finally:
        await admin.aclose()
        await server.stop()
        await world.aclose()
