"""T3 Open external view and the transcript: the conversation, escaped, never a note (T14)."""

from __future__ import annotations

import html
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from sagicc_tui.channels.driver import ChannelDrivers
from sagicc_tui.domain.enums import ChannelType, Direction, Priority, TicketStatus, TicketType
from sagicc_tui.domain.models import AttachmentRef, Interaction, Ticket
from sagicc_tui.domain.ticket_screen import OutgoingMessage
from sagicc_tui.local_store import schema
from sagicc_tui.render import external_view, transcript

HOSTILE = '<script>alert(1)</script><img src=x "onerror=alert(2)"> & \x1b]52;c;ZXZpbA==\x07'
NOTE = "NOTA-PRIVADA: el cliente debe dinero"


async def test_external_view_shows_the_conversation_escaped_and_no_notes(world):
    world.backend.configure_channels(ChannelDrivers())
    r = await world.incoming("a@x.com", HOSTILE, name='Eve "<b>" Hacker', subject="<i>asunto</i>")
    b = world.backend
    ana = await world.user("ana")
    await b.add_note(ana, r.ticket_id, NOTE, "red")
    await b.send_message(ana, r.ticket_id, OutgoingMessage(
        client_key="k", channel=ChannelType.EMAIL, contact="a@x.com", text="Respuesta de Ana", subject="Re"))

    view = await b.external_view(ana, r.ticket_id)
    page = view.html
    assert "Respuesta de Ana" in page and f"#{r.ticket_number}" in page
    assert "NOTA-PRIVADA" not in page and "debe dinero" not in page
    # Hostile text is text: no tag, attribute or terminal escape survives.
    assert "<script>" not in page and "<img" not in page and '"onerror' not in page and "<i>" not in page
    assert html.escape("<script>alert(1)</script>") in page
    assert "&quot;onerror=alert(2)&quot;" in page
    assert "\x1b" not in page and "\x07" not in page
    assert "Eve &quot;&lt;b&gt;&quot; Hacker" in page
    assert "a@x.com" not in page  # contact values are not for outsiders
    assert "Content-Security-Policy" in page and "default-src 'none'" in page

    # The page is on disk under an unguessable name, readable by the owner only.
    path = Path(view.path)
    assert path.read_text(encoding="utf-8") == page and path.name == f"{view.token}.html"
    assert len(view.token) >= 32 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # Opening it again keeps the address and shows the conversation as it is now.
    await world.incoming("a@x.com", "Mensaje nuevo")
    again = await b.external_view(ana, r.ticket_id)
    assert again.token == view.token and "Mensaje nuevo" in Path(again.path).read_text(encoding="utf-8")
    other = await world.incoming("z@x.com", "otro caso")
    assert (await b.external_view(ana, other.ticket_id)).token != view.token


async def test_transcript_has_the_conversation_and_no_notes(world):
    world.backend.configure_channels(ChannelDrivers())
    r = await world.incoming("a@x.com", HOSTILE, name="Ana Cliente")
    b = world.backend
    ana = await world.user("ana")
    await b.add_note(ana, r.ticket_id, NOTE, "yellow")
    ct = schema.ContactRow.__table__
    with b.store.read() as conn:
        cid = conn.execute(select(ct.c.id).where(ct.c.value == "a@x.com")).scalar_one()
    sent = await b.send_transcript(ana, r.ticket_id, cid)
    assert "alert(1)" in sent.content and "NOTA-PRIVADA" not in sent.content
    assert "\x1b" not in sent.content  # made visible, never raw


async def test_transcript_and_external_view_speak_the_senders_language(world):
    """#17.4: rendered in the language of the user who sends or shares them,
    whatever the process's language is (a server serves both languages)."""
    from dataclasses import replace

    from sagicc_tui import i18n

    world.backend.configure_channels(ChannelDrivers())
    r = await world.incoming("a@x.com", "hola", name="Ana Cliente")
    b = world.backend
    ana = await world.user("ana")
    ct = schema.ContactRow.__table__
    with b.store.read() as conn:
        cid = conn.execute(select(ct.c.id).where(ct.c.value == "a@x.com")).scalar_one()
    before = i18n.get_language()
    i18n.set_language("en")
    try:
        spanish = await b.send_transcript(replace(ana, language="es"), r.ticket_id, cid)
        english = await b.send_transcript(replace(ana, language="en"), r.ticket_id, cid)
        page = (await b.external_view(replace(ana, language="es"), r.ticket_id)).html
    finally:
        i18n.set_language(before)
    assert "Transcripción del caso" in spanish.subject and "Transcript of ticket" in english.subject
    assert "Caso #" in page and "Ticket #" not in page


def _ticket() -> Ticket:
    at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    return Ticket(id=1, number=100001, campaign_id=1, customer_id=1, status=TicketStatus.OPEN,
                  priority=Priority.HIGH, type=TicketType.CLAIM, description="<b>desc</b>",
                  origin_channel=ChannelType.EMAIL, created_at=at, updated_at=at)


def _interaction(n: int, content: str, **kw) -> Interaction:
    return Interaction(id=n, ticket_id=1, direction=Direction.INCOMING, channel=ChannelType.EMAIL,
                       sender="Ana", contact="a@x.com", content=content,
                       created_at=datetime(2026, 11, 25, 12, n, tzinfo=UTC), **kw)


def test_renderers_escape_every_field_and_skip_earlier_transcripts():
    items = (
        _interaction(1, "hola <script>", subject='"><svg onload=x>',
                     attachments=(AttachmentRef(id=1, name="<x>.pdf", size=1, mime="application/pdf"),)),
        _interaction(2, "TRANSCRIPCIÓN ANTERIOR", client_key=transcript.TRANSCRIPT_KEY_PREFIX + "1"),
    )
    page = external_view.render(external_view.ExternalViewInput(
        ticket=_ticket(), customer_name="<Eve>", campaign_name="<C>", interactions=items,
        generated_at=datetime(2026, 11, 25, 13, 0, tzinfo=UTC)))
    for raw in ("<script>", "<svg", "<x>", "<Eve>", "<C>", "<b>desc"):
        assert raw not in page
    assert "&lt;x&gt;.pdf" in page and "TRANSCRIPCIÓN ANTERIOR" not in page
    data = transcript.TranscriptInput(ticket=_ticket(), customer_name="Eve", interactions=items)
    text = transcript.text(data)
    assert "hola <script>" in text and "TRANSCRIPCIÓN ANTERIOR" not in text  # plain text is not HTML
    page = transcript.html_page(data)
    assert "<script>" not in page and "hola &lt;script&gt;" in page
