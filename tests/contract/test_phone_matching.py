"""#15.9: one phone however it was written -- E.164 in the campaign's country,
on ingest, on the customer's contacts and in the customer search; phones
stored before (bare digits) still match."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, select, update

from sagicc_tui.domain.customers import ContactInput, CustomerInput, CustomerQuery
from sagicc_tui.domain.enums import ChannelType, ContactKind, IdType
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.local_store import schema

ct = schema.ContactRow.__table__


def _keys(world, customer_id):
    with world.store.read() as conn:
        return sorted(r[0] for r in conn.execute(select(ct.c.normalized).where(ct.c.customer_id == customer_id)))


async def _customer(world, user, doc, first="Ana", last="Ruiz"):
    return await world.backend.create_customer(user, CustomerInput(id_type=IdType.CC, id_number=doc,
                                                                   first_name=first, last_name=last))


async def test_international_and_national_forms_are_one_customer(world):
    a = await world.incoming("+57 301 555 0001", "hola", channel=ChannelType.WHATSAPP)
    b = await world.incoming("3015550001", "otra vez", channel=ChannelType.WHATSAPP)
    c = await world.incoming("(301) 555-0001", "y otra", channel=ChannelType.WHATSAPP)
    assert a.new_customer and not b.new_customer and not c.new_customer
    assert b.customer_id == c.customer_id == a.customer_id and b.ticket_id == a.ticket_id
    assert _keys(world, a.customer_id) == ["573015550001"]


async def test_a_phone_stored_before_e164_still_matches(world):
    admin = await world.user("admin")
    old = await _customer(world, admin, "52000111")
    # What a store written before #15.9 holds: the digits as typed, no country code.
    world.sql(insert(ct).values(customer_id=old.id, kind="mobile", value="301 555 0001", normalized="3015550001"))
    r = await world.incoming("+57 301 555 0001", "hola", channel=ChannelType.WHATSAPP)
    assert r.customer_id == old.id and not r.new_customer
    with pytest.raises(InvalidInput, match="already has"):
        await world.backend.add_contact(admin, old.id, ContactInput(kind=ContactKind.MOBILE, value="+573015550001"))
    assert _keys(world, old.id) == ["3015550001"]


async def test_the_campaigns_country_reads_a_national_number(world):
    with world.store.read() as conn:
        config = json.loads(conn.execute(select(schema.CampaignRow.__table__.c.config)
                                         .where(schema.CampaignRow.__table__.c.id == 1)).scalar())
    config["country"] = "MX"
    world.sql(update(schema.CampaignRow.__table__).where(schema.CampaignRow.__table__.c.id == 1)
              .values(config=json.dumps(config)))
    mx = await world.incoming("55 1234 5678", "hola", channel=ChannelType.WHATSAPP)
    assert _keys(world, mx.customer_id) == ["525512345678"]
    same = await world.incoming("+52 55 1234 5678", "¿hola?", channel=ChannelType.WHATSAPP)
    assert same.customer_id == mx.customer_id
    co = await world.incoming("3015550001", "llamada", channel=ChannelType.TELEPHONY)  # Ventas: Colombia
    assert _keys(world, co.customer_id) == ["573015550001"]


async def test_contacts_are_stored_e164_and_searched_either_way(world):
    admin = await world.user("admin")
    new = await _customer(world, admin, "52000222", "Beatriz", "Gómez")
    phone = await world.backend.add_contact(admin, new.id, ContactInput(kind=ContactKind.MOBILE, value="301 555 0002"))
    assert phone.normalized == "573015550002" and phone.value == "301 555 0002"
    old = await _customer(world, admin, "52000333", "Carlos", "Díaz")
    world.sql(insert(ct).values(customer_id=old.id, kind="mobile", value="3015550003", normalized="3015550003"))

    async def found(text):
        page = await world.backend.list_customers(admin, CustomerQuery(search=text), limit=50)
        return sorted(c.id for c in page.rows)

    assert await found("+57 301 555 0002") == [new.id]
    assert await found("3015550002") == [new.id]
    assert await found("+57 301 555 0003") == [old.id]
    assert await found("3015550003") == [old.id]
    assert await found("301 555 000") == sorted([new.id, old.id])
    assert await found("+57 301 555") == sorted([new.id, old.id])
    assert await world.backend.count_customers(admin, CustomerQuery(phone="+573015550003")) == 1
    with pytest.raises(InvalidInput, match="already has"):
        await world.backend.add_contact(admin, new.id, ContactInput(kind=ContactKind.MOBILE, value="+57 3015550002"))


async def test_a_customer_added_with_email_and_phone_is_reachable(world):
    """#15.8 C2: the add form's e-mail and phone are stored with the customer, in one transaction."""
    admin = await world.user("admin")
    with pytest.raises(InvalidInput, match="not a phone number"):
        await world.backend.create_customer(admin, CustomerInput(
            id_type=IdType.CC, id_number="52000444", first_name="Marta", last_name="Lozano",
            email="marta@correo.co", phone="12"))
    assert await world.backend.count_customers(admin, CustomerQuery()) == 0  # nothing half-written
    made = await world.backend.create_customer(admin, CustomerInput(
        id_type=IdType.CC, id_number="52000444", first_name="Marta", last_name="Lozano",
        email=" Marta@Correo.co ", phone="301 555 0004"))
    assert sorted((c.kind, c.value) for c in await world.backend.list_contacts(admin, made.id)) == [
        (ContactKind.EMAIL, "Marta@Correo.co"), (ContactKind.MOBILE, "301 555 0004")]
    assert (await world.incoming("marta@correo.co", "hola")).customer_id == made.id
    assert (await world.incoming("+573015550004", "hola", channel=ChannelType.WHATSAPP)).customer_id == made.id


async def test_a_number_typed_in_the_composer_finds_the_customers_contact(world):
    """#15.9: the composer's typed number is matched as ingest matches it, so
    `301 555 0001` is the customer's +573015550001 contact (and one stored
    before E.164 as bare digits), not "another contact" the campaign refuses."""
    from sagicc_tui.channels.driver import ChannelDrivers
    from sagicc_tui.domain.errors import RuleViolation
    from sagicc_tui.domain.ticket_screen import OutgoingMessage

    world.local.configure_channels(ChannelDrivers())  # record only
    r = await world.incoming("+57 301 555 0001", "hola", channel=ChannelType.WHATSAPP)
    ana = await world.user("ana")

    def typed(key, number):
        return world.backend.send_message(ana, r.ticket_id, OutgoingMessage(
            client_key=key, channel=ChannelType.WHATSAPP, contact=number, text="Hola"))

    for key, number in (("a", "301 555 0001"), ("b", "(301) 555-0001"), ("c", "+57 3015550001")):
        sent = await typed(key, number)
        assert sent.contact == "+57 301 555 0001"  # the stored contact, as the customer wrote it
    world.sql(insert(ct).values(customer_id=r.customer_id, kind="mobile", value="310 000 0002",
                                normalized="3100000002"))  # written before E.164
    assert (await typed("d", "+57 310 000 0002")).contact == "310 000 0002"
    with pytest.raises(RuleViolation, match="not a contact"):  # one digit off: still another number
        await typed("e", "301 555 0009")
