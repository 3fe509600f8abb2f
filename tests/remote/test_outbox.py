"""The offline outbox against a real server: writes made while the server is
down are kept on this machine (fsync'ed, 0600), and sent once, in order, with
their keys, when a server on the same store answers again."""

from __future__ import annotations

import asyncio
import json
import socket
import stat

import pytest

from sagicc_tui.channels.driver import ChannelDrivers
from sagicc_tui.domain.enums import ChannelType, Direction
from sagicc_tui.domain.ticket_screen import OutgoingMessage
from sagicc_tui.remote import wire
from sagicc_tui.remote.backend import QueuedOffline, RemoteBackend
from sagicc_tui.remote.outbox import Outbox
from sagicc_tui.server.app import create_app
from tests.factory import make_world
from tests.support.remote_world import ServerThread, user_tokens


def serve(world, port: int = 0) -> ServerThread:
    """A server over the world's store; `port` pins the port (a restart keeps the client's URL)."""
    server = ServerThread(create_app(world.local))
    server.server.config.port = port
    return server


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


class Rig:
    """A world, its server (stoppable, restartable on the same port) and a remote backend with an outbox."""

    def __init__(self, world, tmp_path) -> None:
        self.world = world
        self.outbox_file = tmp_path / "outbox" / "server.jsonl"
        self.server: ServerThread | None = None
        self.url = ""
        self.backend: RemoteBackend | None = None
        self.tokens: dict[str, str] = {}

    async def start(self) -> None:
        port = port_of(self.url) if self.url else 0
        self.server = serve(self.world, port)
        url = await asyncio.to_thread(self.server.start)
        assert not self.url or url == self.url
        self.url = url

    async def stop(self) -> None:
        assert self.server is not None
        await self.server.stop()
        assert not self.server.thread.is_alive()
        self.server = None
        assert refuses(port_of(self.url)), "the stopped server still accepts connections"

    async def open_backend(self) -> RemoteBackend:
        self.tokens, _channel = user_tokens(self.world)
        self.backend = await RemoteBackend.open(self.url, self.tokens["ana"], user_tokens=self.tokens,
                                                outbox=Outbox(self.outbox_file), backoff=(0.05,))
        return self.backend

    async def aclose(self) -> None:
        if self.backend is not None:
            await self.backend.aclose()
        if self.server is not None:
            await self.server.stop()
        await self.world.aclose()


@pytest.fixture
async def rig(tmp_path):
    world = await make_world(tmp_path / "store.db", blob_dir=tmp_path / "files")
    world.local.configure_channels(ChannelDrivers())  # no gateway: e-mail is recorded, never sent
    r = Rig(world, tmp_path)
    try:
        await r.start()
        yield r
    finally:
        await r.aclose()


def message(key: str, text: str = "Ya revisamos su factura") -> OutgoingMessage:
    return OutgoingMessage(client_key=key, channel=ChannelType.EMAIL, contact="lucia@x.com", text=text,
                           subject="Su caso")


def outbox_lines(rig: Rig) -> list[str]:
    if not rig.outbox_file.exists():
        return []
    return [ln for ln in rig.outbox_file.read_text(encoding="utf-8").splitlines() if ln.strip()]


async def outgoing(backend: RemoteBackend, user, ticket_id: int) -> list:
    page = await backend.conversation(user, ticket_id)
    return [i.interaction for i in page.items if i.interaction.direction is Direction.OUTGOING]


async def test_offline_writes_are_kept_then_sent_once_when_the_server_is_back(rig):
    r = await rig.world.incoming("lucia@x.com", "Mi factura llegó duplicada", name="Lucía Gómez")
    b = await rig.open_backend()
    ana = b.me
    assert ana.username == "ana" and b.connection_state() == "online"

    await rig.stop()

    # A message: kept, and said so in one plain sentence.
    with pytest.raises(QueuedOffline) as err:
        await b.send_message(ana, r.ticket_id, message("composer-1"))
    assert isinstance(err.value, wire.ServerUnreachable)
    sentence = str(err.value)
    assert sentence == ("The server is not answering; the message is kept on this computer and will be "
                        "sent when the server is back.")
    assert b.connection_state() == "offline"
    lines = outbox_lines(rig)
    assert len(lines) == 1
    kept = json.loads(lines[0])
    assert (kept["method"], kept["verb"], kept["username"]) == ("send_message", "POST", "ana")
    assert kept["body"]["message"]["client_key"] == "composer-1" and kept["idempotency_key"]
    assert stat.S_IMODE(rig.outbox_file.stat().st_mode) == 0o600
    assert b.pending_writes() == 1

    # A draft typed after it: kept too, and read back while still offline.
    draft = await b.save_draft(ana, r.ticket_id, "composer", {"text": "Y otra cosa"})
    assert (draft.ticket_id, draft.form, draft.data, draft.user_id) == (r.ticket_id, "composer",
                                                                        {"text": "Y otra cosa"}, ana.id)
    again = await b.get_draft(ana, r.ticket_id, "composer")
    assert again is not None and again.data == {"text": "Y otra cosa"}
    assert len(outbox_lines(rig)) == 2 and b.pending_writes() == 2
    assert b.connection_state() == "offline"

    # Flushing while the server is still down sends nothing and keeps everything.
    assert await b.flush_outbox() == 0
    assert len(outbox_lines(rig)) == 2

    # A server on the same store, on the same address.
    await rig.start()
    await b.flush_outbox()  # (the background reconnect may have sent them first: either way, once)
    assert outbox_lines(rig) == [] and b.pending_writes() == 0
    assert b.outbox_refusals == []
    assert b.connection_state() == "online"

    sent = await outgoing(b, ana, r.ticket_id)
    assert [(m.client_key, m.content) for m in sent] == [("composer-1", "Ya revisamos su factura")]
    on_server = await rig.world.local.get_draft(ana, r.ticket_id, "composer")
    assert on_server is not None and on_server.data == {"text": "Y otra cosa"}
    assert (await b.get_draft(ana, r.ticket_id, "composer")).data == {"text": "Y otra cosa"}

    # The composer presses Send again with the same key: the same message, nothing new.
    replay = await b.send_message(ana, r.ticket_id, message("composer-1", text="otra vez"))
    assert replay.id == sent[0].id and replay.content == sent[0].content
    assert [m.id for m in await outgoing(b, ana, r.ticket_id)] == [sent[0].id]
    # A second flush has nothing left to send.
    assert await b.flush_outbox() == 0


async def test_a_cleared_draft_offline_is_cleared_on_the_server(rig):
    r = await rig.world.incoming("lucia@x.com", "hola", name="Lucía Gómez")
    b = await rig.open_backend()
    ana = b.me
    await b.save_draft(ana, r.ticket_id, "task", {"observations": "antes"})
    await rig.stop()
    await b.save_draft(ana, r.ticket_id, "task", {"observations": "offline"})
    await b.clear_draft(ana, r.ticket_id, "task")
    assert len(outbox_lines(rig)) == 2
    await rig.start()
    await b.flush_outbox()
    assert outbox_lines(rig) == []
    assert await rig.world.local.get_draft(ana, r.ticket_id, "task") is None


async def test_a_torn_last_line_is_skipped_and_the_rest_is_sent(rig):
    r = await rig.world.incoming("lucia@x.com", "hola", name="Lucía Gómez")
    b = await rig.open_backend()
    ana = b.me
    await rig.stop()
    with pytest.raises(QueuedOffline):
        await b.send_message(ana, r.ticket_id, message("torn-1", text="primero"))
    with pytest.raises(QueuedOffline):
        await b.send_message(ana, r.ticket_id, message("torn-2", text="segundo"))
    # The terminal died while writing a third line.
    with open(rig.outbox_file, "ab") as fh:
        fh.write(b'{"id": "x", "method": "send_message", "verb": "PO')
    assert len(b._outbox.items()) == 2  # noqa: SLF001 - the torn line is not an item

    await rig.start()
    await b.flush_outbox()
    sent = await outgoing(b, ana, r.ticket_id)
    assert [m.content for m in sent] == ["primero", "segundo"]
    assert outbox_lines(rig) == [] and b.pending_writes() == 0


async def test_a_write_kept_after_a_torn_line_is_not_lost(rig):
    """After a crash mid-write the next write starts on its own line: the torn
    fragment must not swallow it."""
    r = await rig.world.incoming("lucia@x.com", "hola", name="Lucía Gómez")
    b = await rig.open_backend()
    ana = b.me
    await rig.stop()
    rig.outbox_file.parent.mkdir(parents=True, exist_ok=True)
    with open(rig.outbox_file, "ab") as fh:
        fh.write(b'{"id": "x", "method": "send_message", "verb": "PO')  # left by a crashed terminal
    with pytest.raises(QueuedOffline):
        await b.send_message(ana, r.ticket_id, message("after-tear", text="después del corte"))
    assert [i.body["message"]["client_key"] for i in b._outbox.items()] == ["after-tear"]  # noqa: SLF001

    await rig.start()
    await b.flush_outbox()
    assert [m.content for m in await outgoing(b, ana, r.ticket_id)] == ["después del corte"]
    assert outbox_lines(rig) == []
