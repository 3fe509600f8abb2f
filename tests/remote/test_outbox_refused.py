"""#10.7: the outbox never drops a message. A message kept while the server
was away, that the server refuses when it is back (the ticket was closed
meanwhile), comes back as a draft with the server's sentence; what is still
queued is counted. A real `sagicc serve` process, killed and started again."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from sagicc_tui.domain.enums import ChannelType, Direction
from sagicc_tui.domain.ticket_screen import OutgoingMessage
from sagicc_tui.files import local_file
from sagicc_tui.remote.backend import QueuedOffline, RemoteBackend
from sagicc_tui.remote.outbox import Outbox
from tests.factory import make_world
from tests.support.remote_world import user_tokens
from tests.support.server_process import PATIENCE, ServerProcess


RECEIPT = b"%PDF-1.4 recibo de pago\x00\xff"


def message(key: str, text: str, contact: str = "lucia@x.com") -> OutgoingMessage:
    return OutgoingMessage(client_key=key, channel=ChannelType.EMAIL, contact=contact, text=text, subject="Su caso")


async def outgoing_texts(local, user, ticket_id: int) -> list[str]:
    page = await local.conversation(user, ticket_id)
    return [i.interaction.content for i in page.items if i.interaction.direction is Direction.OUTGOING]


async def until(condition, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while not await condition():
        if loop.time() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        await asyncio.sleep(0.1)


@pytest.fixture
async def rig(tmp_path):
    world = await make_world(tmp_path / "store.db")
    server = ServerProcess(world.path, tmp_path / "server.log")
    try:
        yield world, server
    finally:
        server.kill()
        await world.aclose()


async def test_a_kept_message_the_server_refuses_comes_back_as_a_draft(rig, tmp_path):
    world, server = rig
    closed = await world.incoming("lucia@x.com", "Mi factura", name="Lucía")
    still_open = await world.incoming("pedro@x.com", "Mi pedido", name="Pedro")
    for r in (closed, still_open):
        world.set_ticket(r.ticket_id, assignee_id=3)  # Ana's
    tokens, _channel = user_tokens(world)
    outbox_file = tmp_path / "outbox" / "srv.jsonl"
    await asyncio.to_thread(server.start)
    b = await RemoteBackend.open(server.url, tokens["ana"], user_tokens=tokens, outbox=Outbox(outbox_file),
                                 backoff=(0.05,))
    try:
        ana = b.me
        server.kill()
        with pytest.raises(QueuedOffline):
            await b.send_message(ana, closed.ticket_id, message("k-closed", "Ya reversamos el cobro doble"),
                                 files=(local_file("recibo.pdf", RECEIPT), local_file("recibo.pdf", b"otro")))
        with pytest.raises(QueuedOffline):
            await b.send_message(ana, still_open.ticket_id, message("k-open", "Su pedido sale hoy", "pedro@x.com"))
        state = b.outbox_state()
        assert (state.queued, state.refused) == (2, ())

        # Meanwhile a supervisor closes the first ticket.
        sofia = await world.local.get_user("sofia")
        t = await world.local.get_ticket(sofia, closed.ticket_id)
        await world.local.close_ticket(sofia, t.id, expected_version=t.version)

        await asyncio.to_thread(server.start)  # back, on the same address

        async def drained() -> bool:
            await b.flush_outbox()
            return b.outbox_state().queued == 0

        await until(drained, "the outbox to drain")
        assert await outgoing_texts(world.local, sofia, still_open.ticket_id) == ["Su pedido sale hoy"]
        assert await outgoing_texts(world.local, sofia, closed.ticket_id) == []

        state = b.outbox_state()
        assert state.queued == 0 and len(state.refused) == 1
        [refused] = state.refused
        assert (refused.ticket_id, refused.username, refused.form) == (closed.ticket_id, "ana", "composer")
        assert refused.data["text"] == "Ya reversamos el cobro doble"
        assert refused.data["other"] == "lucia@x.com" and refused.data["subject"] == "Su caso"
        assert "closed" in str(refused.reason), refused.reason  # the server's own sentence
        # Its files come back with it, as content: the outbox kept them, not their paths.
        assert [(f.name, f.data) for f in refused.files] == [("recibo.pdf", RECEIPT), ("recibo.pdf", b"otro")]
        assert refused.data["files"] == ""
        refused_file = outbox_file.with_name("srv.refused.jsonl")
        assert stat.S_IMODE(refused_file.stat().st_mode) == 0o600
    finally:
        await b.aclose()

    # A terminal started again still has it: never dropped until it is back in its form.
    again = await RemoteBackend.open(server.url, tokens["ana"], user_tokens=tokens, outbox=Outbox(outbox_file))
    try:
        assert [(r.data["text"], len(r.files)) for r in again.outbox_state().refused] == [
            ("Ya reversamos el cobro doble", 2)]
        again.dismiss_refused(refused.id)
        assert again.outbox_state().refused == ()
    finally:
        await again.aclose()


async def test_the_tui_shows_the_refused_message_back_in_its_composer(rig, tmp_path, monkeypatch):
    """The same refusal, seen in the TUI: the top bar counts it, the ticket's
    composer has the message again with the server's sentence, and once it is
    a draft on the server the count goes."""
    from textual.widgets import Input, Label, TextArea

    from sagicc_tui.screens.ticket import TicketScreen
    from sagicc_tui.widgets.top_bar import TopBar
    from tests.ui.conftest import make_app, settle

    monkeypatch.setenv("SAGICC_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SAGICC_DATA_DIR", str(tmp_path / "data"))
    world, server = rig
    r = await world.incoming("lucia@x.com", "Mi factura", name="Lucía")
    world.set_ticket(r.ticket_id, assignee_id=3)
    tokens, _channel = user_tokens(world)
    outbox_file = tmp_path / "outbox" / "srv.jsonl"
    await asyncio.to_thread(server.start)
    b = await RemoteBackend.open(server.url, tokens["ana"], user_tokens=tokens, outbox=Outbox(outbox_file),
                                 backoff=(0.05,))
    ana = b.me
    server.kill()
    with pytest.raises(QueuedOffline):
        # Attached from a folder that is gone by the time the refusal comes back.
        await b.send_message(ana, r.ticket_id, message("k-1", "Ya reversamos el cobro doble"),
                             files=(local_file("recibo;pago.pdf", RECEIPT),))
    sofia = await world.local.get_user("sofia")
    t = await world.local.get_ticket(sofia, r.ticket_id)
    await world.local.close_ticket(sofia, t.id, expected_version=t.version)
    await asyncio.to_thread(server.start)

    async def refused() -> bool:
        await b.flush_outbox()
        return len(b.outbox_state().refused) == 1

    await until(refused, "the refusal")

    app = make_app(world, backend=b, username="ana", poll_interval=0.2)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await settle(pilot)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PATIENCE
        while "refused by the server" not in str(app.screen.query_one(TopBar).query_one("#connection").render()):
            assert loop.time() < deadline, "the top bar never counted the refused message"
            await pilot.pause(0.1)
        assert any("closed" in str(n.message) for n in app._notifications)  # noqa: SLF001

        app.push_screen(TicketScreen(b, app.user, r.ticket_id))
        await settle(pilot, rounds=5)
        screen = app.screen
        assert screen.query_one("#composer-text", TextArea).text == "Ya reversamos el cobro doble"
        # Its file is back on this machine, in this user's private folder, and the
        # composer attaches it from there ("; " separates the composer's paths).
        files_field = screen.query_one("#composer-files", Input).value
        [path] = [p.strip() for p in files_field.split(";")]
        back = Path(path)
        assert back.name == "recibo_pago.pdf" and back.read_bytes() == RECEIPT
        assert back.is_relative_to(tmp_path / "data") and stat.S_IMODE(back.stat().st_mode) == 0o600
        assert stat.S_IMODE(back.parent.stat().st_mode) == 0o700
        # The ticket is closed (#11.6): the composer says so and is read-only; the
        # refusal was said where the eyes are (a notice) and the text is back.
        error = str(screen.query_one("#composer-error", Label).render())
        assert "closed" in error
        assert any("refused" in str(n.message) and "closed" in str(n.message)
                   for n in app._notifications)  # noqa: SLF001

        async def a_draft_now() -> bool:
            await settle(pilot)
            draft = await world.local.get_draft(ana, r.ticket_id, "composer")
            return draft is not None and b.outbox_state().refused == ()

        await until(a_draft_now, "the refused message to become the ticket's draft")
        draft = await world.local.get_draft(ana, r.ticket_id, "composer")
        assert draft.data["text"] == "Ya reversamos el cobro doble" and draft.data["files"] == files_field
    await b.aclose()
