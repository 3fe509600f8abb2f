"""Ingest rules: customer by normalised contact, append to the open ticket, or open one."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sagicc_tui.domain.ingest import MAX_INCOMING_BYTES, IncomingMessage
from sagicc_tui.domain.enums import ChannelType, TicketStatus
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.query import TicketQuery
from tests.factory import attached


async def test_same_customer_by_normalised_email_and_phone(world):
    a = await world.incoming("Juan.Perez@Example.COM ", "uno", name="Juan Pérez")
    b = await world.incoming("juan.perez@example.com", "dos")
    assert a.new_ticket and a.new_customer and not b.new_ticket and b.ticket_id == a.ticket_id
    p1 = await world.incoming("+57 300 123 4567", "hola", channel=ChannelType.WHATSAPP)
    p2 = await world.incoming("0057-300-123-4567", "¿hola?", channel=ChannelType.WHATSAPP)
    assert p2.customer_id == p1.customer_id and p2.ticket_id == p1.ticket_id
    admin = await world.user("admin")
    t = await world.backend.get_ticket(admin, a.ticket_id)
    assert t.status is TicketStatus.NEW and t.unread_count == 2 and t.last_summary == "dos"
    assert (await world.backend.get_customer(admin, a.customer_id)).full_name == "Juan Pérez"


async def test_campaign_comes_from_the_channel(world):
    call = await world.incoming("3001234567", "llamada", channel=ChannelType.TELEPHONY)
    admin = await world.user("admin")
    assert (await world.backend.get_ticket(admin, call.ticket_id)).campaign_id == 2
    with pytest.raises(InvalidInput) as err:
        await world.incoming("x@y.com", "sms", channel=ChannelType.SMS)
    assert "sms" in str(err.value)


async def test_bad_input_writes_nothing(world, tmp_path):
    admin = await world.user("admin")
    before = await world.backend.count_tickets(admin, TicketQuery())
    with pytest.raises(InvalidInput):
        await world.incoming("a@x.com", "demasiado grande", attachments=(
            attached("grande.bin", b"\0" * (MAX_INCOMING_BYTES + 1)),))
    with pytest.raises(InvalidInput):
        await world.incoming("", "sin remitente")
    with pytest.raises(InvalidInput):
        await world.incoming("12", "remitente raro", channel=ChannelType.WHATSAPP)
    assert await world.backend.count_tickets(admin, TicketQuery()) == before
    with world.store.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM customer")).scalar() == 0


async def test_attachments_are_stored_once_by_hash(world, tmp_path):
    f = attached("factura.pdf", b"%PDF-1.4 demo")
    await world.incoming("a@x.com", "adjunto", attachments=(f,))
    await world.incoming("b@x.com", "el mismo adjunto", attachments=(f,))
    blobs = [p for p in world.store.blob_dir.rglob("*") if p.is_file()]
    assert len(blobs) == 1 and blobs[0].read_bytes() == b"%PDF-1.4 demo"
    with world.store.read() as conn:
        rows = conn.execute(text("SELECT name, size, mime FROM attachment")).all()
    assert rows == [("factura.pdf", 13, "application/pdf")] * 2


async def test_ingest_time_is_kept(world):
    from datetime import UTC, datetime

    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    r = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="t@x.com", text="viejo", at=at))
    admin = await world.user("admin")
    assert (await world.backend.get_ticket(admin, r.ticket_id)).created_at == at


# --- #10.4 each message once; #13 e-mail threading -------------------------------------------


def _count(world, sql: str) -> int:
    with world.store.read() as conn:
        return conn.execute(text(sql)).scalar()


async def test_a_message_id_given_twice_is_one_message(world, tmp_path):
    m = IncomingMessage(channel=ChannelType.WHATSAPP, sender="+57 300 555 0101", text="hola", id="wamid.1",
                        attachments=(attached("foto.png", b"\x89PNG demo"),))
    first = await world.backend.ingest(m)
    again = await world.backend.ingest(m)
    assert first.new_ticket and not first.duplicate
    assert again.duplicate and again.ticket_id == first.ticket_id and not again.new_ticket
    # The same id with other text is still the same message (the gateway says so).
    from dataclasses import replace

    assert (await world.backend.ingest(replace(m, text="hola otra vez"))).duplicate
    assert _count(world, "SELECT count(*) FROM interaction") == 1
    assert _count(world, "SELECT count(*) FROM attachment") == 1


async def test_without_an_id_the_content_and_time_are_the_identity(world):
    from datetime import UTC, datetime

    at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    m = IncomingMessage(channel=ChannelType.EMAIL, sender="eva@x.com", text="¿Y mi pedido?", at=at)
    assert not (await world.backend.ingest(m)).duplicate
    assert (await world.backend.ingest(m)).duplicate
    later = IncomingMessage(channel=ChannelType.EMAIL, sender="eva@x.com", text="¿Y mi pedido?",
                            at=datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    assert not (await world.backend.ingest(later)).duplicate  # the same words an hour later: a new message
    assert _count(world, "SELECT count(*) FROM interaction") == 2


async def test_bad_text_is_refused_with_a_sentence(world):
    for bad in ("nul \x00 here", "lone \ud800 surrogate"):
        with pytest.raises(InvalidInput):
            await world.incoming("a@x.com", bad)
    assert _count(world, "SELECT count(*) FROM interaction") == 0


async def test_a_reply_joins_the_ticket_of_the_message_it_answers(world):
    a = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="rosa@x.com", text="uno",
                                                   subject="Factura", id="<m1@x.com>"))
    b = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="rosa@x.com", text="otro tema",
                                                   subject="Otro", id="<m2@x.com>"))
    # Two open tickets of one customer: the open-ticket rule alone would pick b's.
    world.set_ticket(b.ticket_id, created_at=10**10)
    r = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="rosa.otra@x.com", text="Re: uno",
                                                   subject="Re: Factura", id="<m3@x.com>",
                                                   references=("<m1@x.com>",)))
    assert r.ticket_id == a.ticket_id and not r.new_ticket and not r.new_customer


async def test_a_subject_tag_picks_the_customers_ticket(world):
    a = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="tomas@x.com", text="uno"))
    b = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="otro@x.com", text="dos"))
    c = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="tomas@x.com", text="tres",
                                                   subject=f"Re: algo [#{a.ticket_number}]"))
    assert c.ticket_id == a.ticket_id
    # Someone else's ticket number in the subject does not reach into it.
    d = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="tomas@x.com", text="cuatro",
                                                   subject=f"Re: [#{b.ticket_number}]"))
    assert d.ticket_id == a.ticket_id


async def test_auto_replies_never_open_or_reopen_a_ticket(world):
    admin = await world.user("admin")
    a = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="luis@x.com", text="hola",
                                                   id="<q1@x.com>"))
    world.set_ticket(a.ticket_id, status=TicketStatus.CLOSED.value)
    ooo = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="luis@x.com",
                                                     text="Estoy de vacaciones", automatic=True,
                                                     references=("<q1@x.com>",), id="<ooo@x.com>"))
    assert ooo.ticket_id == a.ticket_id and not ooo.new_ticket and ooo.automatic
    assert (await world.backend.get_ticket(admin, a.ticket_id)).status is TicketStatus.CLOSED
    bounce = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="mailer-daemon@y.com",
                                                        text="Undelivered", automatic=True, id="<b1@y.com>"))
    assert bounce.ticket_id == 0 and bounce.automatic
    assert (await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="mailer-daemon@y.com",
                                                       text="Undelivered", automatic=True,
                                                       id="<b1@y.com>"))).duplicate
    assert await world.backend.count_tickets(admin, TicketQuery()) == 1
    assert _count(world, "SELECT count(*) FROM customer") == 1
