"""Close is final, versions are checked, every change is in the change log (T3, T7, T15)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sagicc_tui.domain.enums import ChangeKind, EntityKind, Priority, TicketStatus
from sagicc_tui.domain.errors import InvalidInput, PermissionDenied, RuleViolation, StaleWrite
from sagicc_tui.domain.models import TaskInput
from sagicc_tui.domain.ticket_changes import TicketChanges


async def test_closed_ticket_stays_closed(world):
    r = await world.incoming("a@x.com", "hola")
    admin = await world.user("admin")
    t = await world.backend.get_ticket(admin, r.ticket_id)
    closed = await world.backend.close_ticket(admin, t.id, expected_version=t.version)
    assert closed.status is TicketStatus.CLOSED and closed.closed_at == world.clock()
    with pytest.raises(RuleViolation):
        await world.backend.close_ticket(admin, t.id, expected_version=closed.version)
    with pytest.raises(RuleViolation):
        await world.backend.update_ticket(admin, t.id, TicketChanges(status="open"), expected_version=closed.version)
    with pytest.raises(RuleViolation):
        await world.backend.add_task(admin, t.id, TaskInput(values={"resultado": "Solucionado"}))
    # A new message from the customer opens a new ticket instead of reopening.
    again = await world.incoming("a@x.com", "otra cosa")
    assert again.new_ticket and again.ticket_id != t.id


async def test_stale_write_is_refused_and_names_who(world):
    r = await world.incoming("a@x.com", "hola")
    ana, bruno = await world.user("ana"), await world.user("bruno")
    loaded_by_ana = await world.backend.get_ticket(ana, r.ticket_id)
    loaded_by_bruno = await world.backend.get_ticket(bruno, r.ticket_id)
    await world.backend.update_ticket(bruno, r.ticket_id, TicketChanges(priority="high"), expected_version=loaded_by_bruno.version)
    with pytest.raises(StaleWrite) as err:
        await world.backend.update_ticket(ana, r.ticket_id, TicketChanges(priority="low"), expected_version=loaded_by_ana.version)
    assert "Bruno Agente" in str(err.value)
    assert err.value.current_version == loaded_by_ana.version + 1
    now = await world.backend.get_ticket(ana, r.ticket_id)
    assert now.priority is Priority.HIGH  # nothing overwritten


async def test_edit_writes_change_log_in_same_transaction(world):
    r = await world.incoming("a@x.com", "hola")
    admin = await world.user("admin")
    t = await world.backend.get_ticket(admin, r.ticket_id)
    t2 = await world.backend.update_ticket(
        admin, t.id, TicketChanges(priority="critical", description="Pedido perdido", status="escalated"),
        expected_version=t.version,
    )
    log = await world.backend.change_log(admin, EntityKind.TICKET, t.id)
    entries = {(e.field, e.previous, e.new) for e in log}
    assert ("priority", "medium", "critical") in entries
    assert ("status", "new", "escalated") in entries
    assert ("description", t.description, "Pedido perdido") in entries
    assert all(e.user_name == "Ada Admin" for e in log if e.field in ("priority", "status"))
    # A failed edit (bad value) writes neither the change nor a log entry.
    with pytest.raises(InvalidInput):
        await world.backend.update_ticket(admin, t.id, TicketChanges(priority="urgent!"), expected_version=t2.version)
    assert len(await world.backend.change_log(admin, EntityKind.TICKET, t.id)) == len(log)
    assert (await world.backend.get_ticket(admin, t.id)).version == t2.version


async def test_change_log_is_for_administrators_only(world):
    r = await world.incoming("a@x.com", "hola")
    for name in ("sofia", "ana"):
        with pytest.raises(PermissionDenied):
            await world.backend.change_log(await world.user(name), EntityKind.TICKET, r.ticket_id)


async def test_change_log_date_filter(world):
    r = await world.incoming("a@x.com", "hola")
    admin = await world.user("admin")
    t = await world.backend.get_ticket(admin, r.ticket_id)
    world.clock.advance(days=2)
    await world.backend.update_ticket(admin, t.id, TicketChanges(priority="low"), expected_version=t.version)
    recent = await world.backend.change_log(admin, EntityKind.TICKET, t.id, since=world.clock() - timedelta(days=1))
    assert [e.field for e in recent] == ["priority"]


async def test_task_validates_and_schedules_next_task(world):
    r = await world.incoming("a@x.com", "hola")
    ana = await world.user("ana")
    with pytest.raises(InvalidInput) as err:
        await world.backend.add_task(ana, r.ticket_id, TaskInput(values={"valor": "12"}))
    assert "Resultado" in str(err.value)
    with pytest.raises(InvalidInput):
        await world.backend.add_task(ana, r.ticket_id, TaskInput(values={"resultado": "Quizás"}))
    when = world.clock() + timedelta(hours=3)
    task = await world.backend.add_task(
        ana, r.ticket_id,
        TaskInput(values={"resultado": "Pendiente", "valor": "12,5", "compromiso": "2026-12-01"},
                  observations="Llamar mañana", next_task_at=when),
    )
    assert task.values == {"resultado": "Pendiente", "valor": 12.5, "compromiso": "2026-12-01"}
    t = await world.backend.get_ticket(ana, r.ticket_id)
    assert t.next_task_at == when and t.last_outcome == "Pendiente" and t.status is TicketStatus.OPEN
    admin = await world.user("admin")
    kinds = [e.kind for e in await world.backend.change_log(admin, EntityKind.TICKET, t.id)]
    assert ChangeKind.TASK_ADDED in kinds and ChangeKind.STATUS in kinds
    assert (await world.backend.list_tasks_page(ana, t.id))[0].observations == "Llamar mañana"


async def test_disabled_user_is_refused(world):
    r = await world.incoming("a@x.com", "hola")
    ana = await world.user("ana")
    from sqlalchemy import text

    world.sql(text("UPDATE app_user SET active = false WHERE username = 'ana'"))
    from sagicc_tui.domain.enums import MassActionKind
    from sagicc_tui.domain.query import MassAction, TicketSelection

    with pytest.raises(PermissionDenied):
        await world.backend.run_mass_action(
            ana, MassAction(kind=MassActionKind.CLOSE, selection=TicketSelection(ids=frozenset({r.ticket_id})))
        )


async def test_business_rule_log_says_why_a_ticket_is_where_it_is(world):
    first = await world.incoming("a@x.com", "hola")
    await world.incoming("A@X.com", "otra vez")
    admin = await world.user("admin")
    log = await world.backend.rule_log(admin, first.ticket_id)
    rules = [(e.rule, e.detail) for e in log]
    assert ("routing", "channel email -> campaign Servicio") in rules
    assert ("customer", "created for contact a@x.com") in rules
    assert ("customer", "matched by contact a@x.com") in rules
    assert ("ticket", f"appended to open ticket #{first.ticket_number}") in rules
    with pytest.raises(PermissionDenied):
        await world.backend.rule_log(await world.user("sofia"), first.ticket_id)


async def test_reading_or_a_new_message_does_not_make_an_edit_stale(world):
    """T15 is about edits: a colleague opening the ticket (marking it read) or
    the customer writing again must not refuse my save."""
    r = await world.incoming("a@x.com", "hola")
    ana, bruno = await world.user("ana"), await world.user("bruno")
    mine = await world.backend.get_ticket(ana, r.ticket_id)
    await world.backend.mark_read(bruno, r.ticket_id)
    await world.incoming("a@x.com", "¿hay novedades?")
    saved = await world.backend.update_ticket(ana, r.ticket_id, TicketChanges(priority="high"), expected_version=mine.version)
    assert saved.priority is Priority.HIGH and saved.unread_count == 1
