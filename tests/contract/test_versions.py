"""#10.2 Versions are checked, not values: a stale version is refused even
when the new values equal the current ones (the lost update of two
read-modify-writes that both write the same value). Every versioned write:
tickets, customers, contacts, accounts, relations; every Backend."""

from __future__ import annotations

import pytest

from sagicc_tui.domain.customers import AccountInput, ContactInput, CustomerInput
from sagicc_tui.domain.enums import ContactKind, CustomerStatus, IdType
from sagicc_tui.domain.errors import StaleWrite
from sagicc_tui.domain.ticket_changes import TicketChanges


async def test_ticket_writes_refuse_a_stale_version_with_equal_values(world):
    r = await world.incoming("a@x.com", "hola")
    admin = await world.user("admin")
    b = world.backend
    t = await b.get_ticket(admin, r.ticket_id)
    moved = await b.update_ticket(admin, t.id, TicketChanges(description="6"), expected_version=t.version)
    with pytest.raises(StaleWrite) as err:  # read version t, wrote the value someone else already wrote
        await b.update_ticket(admin, t.id, TicketChanges(description="6"), expected_version=t.version)
    assert err.value.current_version == moved.version
    with pytest.raises(StaleWrite):
        await b.reassign_ticket(admin, t.id, assignee_id=moved.assignee_id, expected_version=t.version)
    with pytest.raises(StaleWrite):
        await b.switch_ticket_customer(admin, t.id, moved.customer_id, expected_version=t.version)
    # The current version with equal values is a no-op, not an error.
    same = await b.update_ticket(admin, t.id, TicketChanges(description="6"), expected_version=moved.version)
    assert same.version == moved.version


async def test_customer_writes_refuse_a_stale_version_with_equal_values(world):
    r = await world.incoming("a@x.com", "hola", name="Ana Cliente")
    admin = await world.user("admin")
    b = world.backend
    c = await b.get_customer(admin, r.customer_id)
    data = CustomerInput(id_type=IdType.CC, id_number="1020304050", first_name="Ana", last_name="Cliente")
    moved = await b.update_customer(admin, c.id, data, expected_version=c.version)
    with pytest.raises(StaleWrite):
        await b.update_customer(admin, c.id, data, expected_version=c.version)
    with pytest.raises(StaleWrite):
        await b.set_customer_assignee(admin, c.id, moved.assigned_user_id, expected_version=c.version)
    with pytest.raises(StaleWrite):
        await b.set_customer_assignee(admin, c.id, None, campaign_id=1, expected_version=c.version)
    with pytest.raises(StaleWrite):
        await b.enable_customer(admin, c.id, expected_version=c.version)  # already active
    assert (await b.get_customer(admin, c.id)).status is CustomerStatus.ACTIVE


async def test_contacts_accounts_and_relations_are_versioned(world):
    r = await world.incoming("a@x.com", "hola", name="Ana Cliente")
    other = await world.incoming("b@x.com", "otro", name="Beto Cliente")
    admin = await world.user("admin")
    b = world.backend
    contact = await b.add_contact(admin, r.customer_id, ContactInput(kind=ContactKind.PHONE, value="3001234567"))
    moved = await b.update_contact(admin, contact.id, ContactInput(kind=ContactKind.PHONE, value="3007654321"),
                                   expected_version=contact.version)
    assert moved.version == contact.version + 1
    with pytest.raises(StaleWrite):
        await b.update_contact(admin, contact.id, ContactInput(kind=ContactKind.PHONE, value="3007654321"),
                               expected_version=contact.version)

    account = await b.add_account(admin, r.customer_id, AccountInput(number="A-1", name="0"))
    moved_a = await b.update_account(admin, account.id, AccountInput(number="A-1", name="1"),
                                     expected_version=account.version)
    with pytest.raises(StaleWrite):
        await b.update_account(admin, account.id, AccountInput(number="A-1", name="1"),
                               expected_version=account.version)
    assert (await b.update_account(admin, account.id, AccountInput(number="A-1", name="1"),
                                   expected_version=moved_a.version)).version == moved_a.version

    rel = await b.add_relation(admin, r.customer_id, other.customer_id, "hermano")
    moved_r = await b.update_relation(admin, rel.id, "primo", expected_version=rel.version)
    with pytest.raises(StaleWrite):
        await b.update_relation(admin, rel.id, "primo", expected_version=rel.version)
    assert moved_r.relation == "primo"
    # Without a version the last write wins, as before (callers that never read one).
    assert (await b.update_relation(admin, rel.id, "tío")).relation == "tío"
