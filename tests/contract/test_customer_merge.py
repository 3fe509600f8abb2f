"""#15.1 C6 on every backend: each customer identified, tickets that lose
their account named in the preview and in the change log, and a merge
refused when a customer changed since its preview (versions)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from sagicc_tui.domain.customers import AccountInput, CustomerInput, MergeParts
from sagicc_tui.domain.enums import ChangeKind, ChannelType, EntityKind, IdType
from sagicc_tui.domain.errors import NotFound, StaleWrite
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.local_store import change_names, schema


async def test_namesakes_are_told_apart_and_lost_accounts_are_named(world):
    admin = await world.user("admin")
    a = await world.incoming("remoto@uno.co", "hola", name="Duplicado Remoto")
    b = await world.incoming("+57 301 555 0077", "hola", name="Duplicado Remoto", channel=ChannelType.WHATSAPP)
    acc = await world.backend.add_account(admin, b.customer_id, AccountInput(number="CTA-77"))
    ticket = await world.backend.get_ticket(admin, b.ticket_id)
    await world.backend.update_ticket(admin, ticket.id, TicketChanges(account_id=acc.id), expected_version=ticket.version)
    parts = MergeParts(accounts=False)
    preview = await world.backend.preview_customer_merge(admin, a.customer_id, [b.customer_id], parts)
    assert (preview.main.reach, preview.others[0].reach) == ("remoto@uno.co", "+57 301 555 0077")
    assert preview.main.customer.id != preview.others[0].customer.id
    assert preview.unlinked == (b.ticket_number,)
    said = " ".join(str(m) for m in preview.changes)
    assert f"lose their account" in said and f"#{b.ticket_number}" in said
    await world.backend.merge_customers(admin, a.customer_id, [b.customer_id], parts, preview.expected_versions)
    moved = await world.backend.get_ticket(admin, b.ticket_id)
    assert moved.customer_id == a.customer_id and moved.account_id is None
    ticket_log = await world.backend.change_log(admin, EntityKind.TICKET, b.ticket_id)
    assert any(e.field == "account_id" and e.previous == "CTA-77" and e.new == "" for e in ticket_log)
    main_log = await world.backend.change_log(admin, EntityKind.CUSTOMER, a.customer_id)
    assert any(e.kind is ChangeKind.CUSTOMER_MERGED and e.field == "unlinked_tickets"
               and e.new == f"#{b.ticket_number}" for e in main_log)
    assert any(e.kind is ChangeKind.CUSTOMER_MERGED and e.field == "customer" and e.previous == str(b.customer_id)
               for e in main_log)
    gone_log = await world.backend.change_log(admin, EntityKind.CUSTOMER, b.customer_id)
    assert gone_log[-1].kind is ChangeKind.CUSTOMER_DELETED  # still readable after the merge


async def test_a_customer_edited_since_the_preview_refuses_the_merge(world):
    admin, sofia = await world.user("admin"), await world.user("sofia")
    main = await world.backend.create_customer(admin, CustomerInput(id_type=IdType.CC, id_number="52000601",
                                                                    first_name="Pedro", last_name="Pérez"))
    other = await world.backend.create_customer(admin, CustomerInput(id_type=IdType.CC, id_number="52000602",
                                                                     first_name="Pedro", last_name="Peres"))
    preview = await world.backend.preview_customer_merge(sofia, main.id, [other.id], MergeParts())
    # Someone corrects the other customer's name after the preview was read.
    await world.backend.update_customer(admin, other.id, CustomerInput(
        id_type=IdType.CC, id_number="52000602", first_name="Pedro", last_name="Perea"),
        expected_version=other.version)
    with pytest.raises(StaleWrite):
        await world.backend.merge_customers(sofia, main.id, [other.id], MergeParts(), preview.expected_versions)
    assert (await world.backend.get_customer(admin, other.id)).last_name == "Perea"  # nothing merged
    again = await world.backend.preview_customer_merge(sofia, main.id, [other.id], MergeParts())
    await world.backend.merge_customers(sofia, main.id, [other.id], MergeParts(), again.expected_versions)
    with pytest.raises(NotFound):
        await world.backend.get_customer(admin, other.id)
    # An edit read before the merge cannot land on the customer that stayed, unseen.
    with pytest.raises(StaleWrite):
        await world.backend.update_customer(admin, main.id, CustomerInput(
            id_type=IdType.CC, id_number="52000601", first_name="Pedro", last_name="Pérez Gil"),
            expected_version=main.version)


async def test_a_merged_away_customer_keeps_its_name_in_the_change_log(world):
    """#15 item 4: the merge writes the names of the customers it removes into
    the log, so a ticket's "customer" change still names them; a store
    written before (no such line) reads as it did: id kept, name empty."""
    admin = await world.user("admin")
    main = await world.incoming("marta@uno.co", "hola", name="Marta Lozano")
    gone = await world.incoming("+57 301 555 0088", "hola", name="Marta Losano", channel=ChannelType.WHATSAPP)
    preview = await world.backend.preview_customer_merge(admin, main.customer_id, [gone.customer_id], MergeParts())
    await world.backend.merge_customers(admin, main.customer_id, [gone.customer_id], MergeParts(),
                                        preview.expected_versions)

    async def names():
        ticket_log = await world.backend.change_log(admin, EntityKind.TICKET, gone.ticket_id)
        gone_log = await world.backend.change_log(admin, EntityKind.CUSTOMER, gone.customer_id)
        return ([(e.previous, e.previous_name, e.new_name) for e in ticket_log if e.field == "customer_id"],
                [(e.previous_name, e.new_name) for e in gone_log if e.field == "merged_into"])

    assert await names() == ([(str(gone.customer_id), "Marta Losano", "Marta Lozano")],
                             [("Marta Losano", "Marta Lozano")])
    cl = schema.ChangeLogRow.__table__
    world.sql(delete(cl).where(cl.c.field == change_names.KEPT_NAME))  # as a store written before
    assert await names() == ([(str(gone.customer_id), "", "Marta Lozano")], [("", "Marta Lozano")])
