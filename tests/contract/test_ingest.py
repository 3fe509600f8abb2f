"""Ingest rules: customer by normalised contact, append to the open ticket, or open one."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sagicc_tui.backend import IncomingMessage
from sagicc_tui.domain.enums import ChannelType, TicketStatus
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.query import TicketQuery


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
        await world.incoming("a@x.com", "con adjunto", attachments=(str(tmp_path / "missing.pdf"),))
    with pytest.raises(InvalidInput):
        await world.incoming("", "sin remitente")
    with pytest.raises(InvalidInput):
        await world.incoming("12", "remitente raro", channel=ChannelType.WHATSAPP)
    assert await world.backend.count_tickets(admin, TicketQuery()) == before
    with world.store.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM customer")).scalar() == 0


async def test_attachments_are_stored_once_by_hash(world, tmp_path):
    f = tmp_path / "factura.pdf"
    f.write_bytes(b"%PDF-1.4 demo")
    await world.incoming("a@x.com", "adjunto", attachments=(str(f),))
    await world.incoming("b@x.com", "el mismo adjunto", attachments=(str(f),))
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
