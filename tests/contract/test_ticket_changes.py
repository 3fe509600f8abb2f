"""#17.1 update_ticket takes a typed change set (TicketChanges), on every Backend:
only the fields given change, the account can be cleared, a bad value is one
sentence before anything is written, an unknown field cannot be named."""

from __future__ import annotations

import pytest

from sagicc_tui.domain.customers import AccountInput
from sagicc_tui.domain.enums import EntityKind, Priority, TicketStatus, TicketType
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.ticket_changes import NO_ACCOUNT, TicketChanges


async def test_only_the_fields_given_change(world):
    r = await world.incoming("a@x.com", "hola")
    admin = await world.user("admin")
    b = world.backend
    t = await b.get_ticket(admin, r.ticket_id)
    saved = await b.update_ticket(admin, t.id, TicketChanges(priority=Priority.HIGH), expected_version=t.version)
    assert saved.priority is Priority.HIGH
    assert (saved.status, saved.type, saved.description) == (t.status, t.type, t.description)
    assert saved.version > t.version
    log = await b.change_log(admin, EntityKind.TICKET, t.id)
    assert {e.field for e in log if e.previous != e.new} & {"status", "type", "description"} == set()
    # Text read from a form becomes the enum, the same on every backend.
    again = await b.update_ticket(admin, t.id, TicketChanges(type="complaint", status="open"),
                                  expected_version=saved.version)
    assert (again.type, again.status, again.priority) == (TicketType.COMPLAINT, TicketStatus.OPEN, Priority.HIGH)


async def test_the_account_is_set_and_cleared(world):
    r = await world.incoming("a@x.com", "hola")
    admin = await world.user("admin")
    b = world.backend
    acc = await b.add_account(admin, r.customer_id, AccountInput(number="CTA-17"))
    t = await b.get_ticket(admin, r.ticket_id)
    with_account = await b.update_ticket(admin, t.id, TicketChanges(account_id=acc.id), expected_version=t.version)
    assert with_account.account_id == acc.id
    kept = await b.update_ticket(admin, t.id, TicketChanges(description="sin tocar la cuenta"),
                                 expected_version=with_account.version)
    assert kept.account_id == acc.id  # None leaves it as it is
    cleared = await b.update_ticket(admin, t.id, TicketChanges(account_id=NO_ACCOUNT), expected_version=kept.version)
    assert cleared.account_id is None


async def test_a_bad_value_is_one_sentence_and_an_unknown_field_cannot_be_named(world):
    r = await world.incoming("a@x.com", "hola")
    admin = await world.user("admin")
    t = await world.backend.get_ticket(admin, r.ticket_id)
    with pytest.raises(InvalidInput) as err:
        TicketChanges(priority="urgent!")
    assert "urgent!" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InvalidInput):
        TicketChanges(account_id=-3)
    with pytest.raises(TypeError):
        TicketChanges(number=5)  # type: ignore[call-arg]
    assert (await world.backend.get_ticket(admin, t.id)).version == t.version
