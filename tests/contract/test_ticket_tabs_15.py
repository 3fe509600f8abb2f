"""#15 items 2, 5, 6 through the Backend contract (all four backends): the Ticket tab's
campaign move (T7), one account per number (T6), related tickets and the change log
with names (T3). And item 4's placeholders, which the store accepts in Spanish."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from sqlalchemy import delete

from sagicc_tui.domain.admin import fill_placeholders
from sagicc_tui.domain.customers import AccountInput, CustomerInput, parse_account_extra
from sagicc_tui.domain.enums import ChangeKind, ChannelType, EntityKind, IdType, TicketStatus
from sagicc_tui.domain.errors import InvalidInput, PermissionDenied, RuleViolation, StaleWrite
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.local_store import change_names, schema

# --- 2. T7: the campaign, in the Ticket tab's save ---------------------------------------------


async def test_update_ticket_moves_the_campaign_with_assigns_rules(world):
    b = world.backend
    r = await world.incoming("a@x.com", "hola")
    world.set_ticket(r.ticket_id, assignee_id=3)  # ana: Servicio only
    sofia = await world.user("sofia")
    t = await b.get_ticket(sofia, r.ticket_id)
    moved = await b.update_ticket(sofia, t.id, TicketChanges(campaign_id=2, priority="high"), expected_version=t.version)
    # Ana does not work in Ventas: unassigned, as Assign -> move to a campaign does.
    assert (moved.campaign_id, moved.assignee_id, moved.priority.value) == (2, None, "high")
    log = await b.change_log(await world.user("admin"), EntityKind.TICKET, t.id)
    assert [(e.kind, e.previous, e.new) for e in log if e.field == "campaign_id"] == [(ChangeKind.CAMPAIGN, "1", "2")]
    assert any(e.field == "priority" for e in log)
    # Diego works in both: he keeps it on the way back.
    world.set_ticket(t.id, assignee_id=6)
    t = await b.get_ticket(sofia, t.id)
    back = await b.update_ticket(sofia, t.id, TicketChanges(campaign_id=1), expected_version=t.version)
    assert (back.campaign_id, back.assignee_id) == (1, 6)
    # The same campaign again changes nothing and still checks the version.
    same = await b.update_ticket(sofia, t.id, TicketChanges(campaign_id=1), expected_version=back.version)
    assert same.version == back.version
    with pytest.raises(StaleWrite):
        await b.update_ticket(sofia, t.id, TicketChanges(campaign_id=2), expected_version=t.version)
    assert (await b.get_ticket(sofia, t.id)).campaign_id == 1


async def test_a_campaign_move_is_refused_where_assign_refuses_it(world):
    b = world.backend
    r = await world.incoming("a@x.com", "hola")
    world.set_ticket(r.ticket_id, assignee_id=3)
    ana = await world.user("ana")
    t = await b.get_ticket(ana, r.ticket_id)
    with pytest.raises(PermissionDenied):  # an agent moves tickets only into their campaigns
        await b.update_ticket(ana, t.id, TicketChanges(campaign_id=2, priority="high"), expected_version=t.version)
    after = await b.get_ticket(ana, t.id)
    assert (after.campaign_id, after.priority, after.version) == (1, t.priority, t.version)  # nothing half-written
    sofia = await world.user("sofia")
    with pytest.raises(Exception) as missing:
        await b.update_ticket(sofia, t.id, TicketChanges(campaign_id=99), expected_version=t.version)
    assert "no campaign with id 99" in str(missing.value)
    closed = await b.close_ticket(sofia, t.id, expected_version=t.version)
    with pytest.raises(RuleViolation):
        await b.update_ticket(sofia, t.id, TicketChanges(campaign_id=2), expected_version=closed.version)


# --- 4. T10: Spanish placeholders --------------------------------------------------------------


async def test_a_script_may_use_the_spanish_placeholders(world):
    admin = await world.user("admin")
    one = await world.backend.get_campaign(admin, 1)
    saved = await world.backend.save_campaign(admin, 1, dataclasses.replace(
        one, script="Hola {cliente}, le habla {agente} del caso {caso} ({campaña})."), expected_version=one.version)
    assert "{cliente}" in saved.script


def test_fill_placeholders_fills_both_names_once_and_leaves_unknown_ones():
    text = "Hola {cliente} / {customer_name}, soy {agente}; {otro} y {caso}"
    assert fill_placeholders(text, customer_name="{agente}", agent_name="Ana", ticket_number=7) == (
        "Hola {agente} / {agente}, soy Ana; {otro} y 7")


# --- 5. T6: an account's number once per customer; extra items need = ----------------------------


async def test_the_same_account_number_is_stored_once_per_customer(world):
    b = world.backend
    r = await world.incoming("a@x.com", "hola")
    admin = await world.user("admin")
    customer_id = (await b.get_ticket(admin, r.ticket_id)).customer_id
    first = await b.add_account(admin, customer_id, AccountInput(number="CTA-1", name="Hogar"))
    with pytest.raises(InvalidInput) as again:
        await b.add_account(admin, customer_id, AccountInput(number="CTA-1", name="Otra"))
    assert "already has account CTA-1" in str(again.value)
    second = await b.add_account(admin, customer_id, AccountInput(number="CTA-2"))
    with pytest.raises(InvalidInput):  # nor by renaming another account to it
        await b.update_account(admin, second.id, AccountInput(number="CTA-1"), expected_version=second.version)
    assert [a.number for a in await b.list_accounts(admin, customer_id)] == ["CTA-1", "CTA-2"]
    assert (await b.update_account(admin, first.id, AccountInput(number="CTA-1", name="Casa"),
                                   expected_version=first.version)).name == "Casa"


async def test_two_terminals_adding_the_same_account_at_once_store_it_once(world):
    r = await world.incoming("a@x.com", "hola")
    admin = await world.user("admin")
    customer_id = (await world.backend.get_ticket(admin, r.ticket_id)).customer_id
    other = await world.other_terminal()
    results = await asyncio.gather(
        *(b.add_account(admin, customer_id, AccountInput(number="CTA-9")) for b in (world.backend, other)
          for _ in range(3)), return_exceptions=True)
    assert sum(not isinstance(x, BaseException) for x in results) == 1
    assert all(isinstance(x, InvalidInput) for x in results if isinstance(x, BaseException)), results
    assert [a.number for a in await world.backend.list_accounts(admin, customer_id)] == ["CTA-9"]


def test_an_extra_item_without_equals_is_refused_with_its_text():
    assert parse_account_extra("plan=Plus; ciudad = Cali ;") == {"plan": "Plus", "ciudad": "Cali"}
    with pytest.raises(InvalidInput) as e:
        parse_account_extra("plan=Plus; ciudad Cali")
    assert "ciudad Cali has no = sign" in str(e.value)


# --- 6. T3: related tickets and the change log, by name ------------------------------------------


async def test_related_tickets_carry_status_customer_and_subject(world):
    b = world.backend
    a = await world.incoming("a@x.com", "hola", name="Pedro Pérez")
    c = await world.incoming("rosa@x.com", "no llegó", name="Rosa Díaz", subject="Factura de octubre")
    d = await world.incoming("+573001112233", "llámenme", name="Luis Mora",
                             channel=ChannelType.WHATSAPP)
    admin = await world.user("admin")
    await b.relate_ticket(admin, a.ticket_id, c.ticket_number)
    related = await b.relate_ticket(admin, a.ticket_id, d.ticket_number)
    shown = {(x.related_number, x.status, x.customer_name, x.subject) for x in related}
    assert shown == {(c.ticket_number, TicketStatus.NEW, "Rosa Díaz", "Factura de octubre"),
                     (d.ticket_number, TicketStatus.NEW, "Luis Mora", "llámenme")}
    assert {x.related_number for x in await b.related_tickets(admin, a.ticket_id)} == {c.ticket_number, d.ticket_number}


async def test_the_change_log_names_the_ids_it_records(world):
    b = world.backend
    r = await world.incoming("a@x.com", "hola", name="Pedro Pérez")
    admin = await world.user("admin")
    t = await b.get_ticket(admin, r.ticket_id)
    laura = await b.create_customer(admin, CustomerInput(id_type=IdType.CC, id_number="52123456",
                                                         first_name="Laura", last_name="Gómez"))
    t = await b.switch_ticket_customer(admin, t.id, laura.id, expected_version=t.version)
    account = await b.add_account(admin, laura.id, AccountInput(number="CTA-77", name="Hogar"))
    t = await b.update_ticket(admin, t.id, TicketChanges(account_id=account.id, campaign_id=2), expected_version=t.version)
    log = await b.change_log(admin, EntityKind.TICKET, t.id)
    named = {e.field: (e.previous_name, e.new_name) for e in log if e.field in ("customer_id", "account_id",
                                                                              "campaign_id")}
    assert named == {"customer_id": ("Pedro Pérez", "Laura Gómez"), "account_id": ("", "CTA-77 (Hogar)"),
                     "campaign_id": ("Servicio", "Ventas")}
    assert all(e.user_name == "Ada Admin" for e in log if e.field in named)
    # A deleted customer keeps the name its delete wrote into the log (#15 item 4).
    pedro = next(e for e in log if e.field == "customer_id").previous
    await b.delete_customer(admin, int(pedro))

    async def customer_names():
        return {e.field: (e.previous_name, e.new_name) for e in await b.change_log(admin, EntityKind.TICKET, t.id)
                if e.field == "customer_id"}

    assert await customer_names() == {"customer_id": ("Pedro Pérez", "Laura Gómez")}
    # A store written before names were kept has no such line: the id, an empty
    # name (the UI says it no longer exists), as it read before.
    cl = schema.ChangeLogRow.__table__
    world.sql(delete(cl).where(cl.c.field == change_names.KEPT_NAME, cl.c.entity_id == int(pedro)))
    assert await customer_names() == {"customer_id": ("", "Laura Gómez")}
