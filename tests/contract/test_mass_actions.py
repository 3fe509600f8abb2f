"""L8 mass actions: preview, per-ticket results, role refusals, merge semantics."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from sagicc_tui.domain.enums import ChangeKind, ChannelType, EntityKind, MassActionKind, Priority, TicketStatus
from sagicc_tui.domain.errors import InvalidInput, NotFound, PermissionDenied
from sagicc_tui.domain.models import TaskInput
from sagicc_tui.domain.query import MassAction, RedistributeSpec, TicketQuery, TicketSelection


def ids(*results) -> TicketSelection:
    return TicketSelection(ids=frozenset(r.ticket_id for r in results))


async def test_close_refuses_per_ticket_where_campaign_disallows(world):
    a = await world.incoming("a@x.com", "uno")
    b = await world.incoming("3001112233", "dos", channel=ChannelType.TELEPHONY)  # Ventas: no mass close
    admin = await world.user("admin")
    action = MassAction(kind=MassActionKind.CLOSE, selection=ids(a, b))
    preview = await world.backend.preview_mass_action(admin, action)
    assert preview.total == 2 and [o.number for o in preview.refused] == [b.ticket_number]
    assert "Ventas" in str(preview.refused[0].reason)
    # The preview wrote nothing.
    assert (await world.backend.get_ticket(admin, a.ticket_id)).status is TicketStatus.NEW
    result = await world.backend.run_mass_action(admin, action)
    assert (result.done, result.refused) == (1, 1)
    assert (await world.backend.get_ticket(admin, a.ticket_id)).status is TicketStatus.CLOSED
    assert (await world.backend.get_ticket(admin, b.ticket_id)).status is TicketStatus.NEW
    log = await world.backend.change_log(admin, EntityKind.TICKET, a.ticket_id)
    assert log[-1].kind is ChangeKind.CLOSED


@pytest.mark.parametrize("kind", [MassActionKind.MERGE, MassActionKind.ASSIGN, MassActionKind.REDISTRIBUTE])
async def test_agents_may_not_run_supervisor_actions(world, kind):
    a = await world.incoming("a@x.com", "uno")
    ana = await world.user("ana")
    action = MassAction(kind=kind, selection=ids(a), primary_ticket_id=a.ticket_id, assignee_id=3)
    with pytest.raises(PermissionDenied):
        await world.backend.preview_mass_action(ana, action)
    with pytest.raises(PermissionDenied):
        await world.backend.run_mass_action(ana, action)


async def test_merge_moves_everything_to_the_primary_and_closes_the_others(world):
    a = await world.incoming("a@x.com", "primero", name="Ana Cliente")
    b = await world.incoming("b@x.com", "segundo", name="Ana C.")
    c = await world.incoming("c@x.com", "tercero")
    admin = await world.user("admin")
    await world.backend.add_task(admin, b.ticket_id, TaskInput(values={"resultado": "Pendiente"}, next_task_at=world.clock() + timedelta(hours=1)))
    action = MassAction(kind=MassActionKind.MERGE, selection=ids(a, b, c), primary_ticket_id=a.ticket_id, merge_customers=True)
    result = await world.backend.run_mass_action(admin, action)
    assert result.done == 2
    primary = await world.backend.get_ticket(admin, a.ticket_id)
    assert primary.status is TicketStatus.NEW and primary.unread_count == 3
    assert primary.next_task_at == world.clock() + timedelta(hours=1)  # taken from b
    texts = [i.content for i in await world.interactions(admin, a.ticket_id)]
    assert texts == ["primero", "segundo", "tercero"]
    assert len(await world.backend.list_tasks_page(admin, a.ticket_id)) == 1
    for r in (b, c):
        t = await world.backend.get_ticket(admin, r.ticket_id)
        assert t.status is TicketStatus.CLOSED and t.merged_into_id == a.ticket_id
        assert t.customer_id == primary.customer_id  # customers merged
    with pytest.raises(NotFound):
        await world.backend.get_customer(admin, b.customer_id)
    kinds = Counter(e.kind for e in await world.backend.change_log(admin, EntityKind.TICKET, a.ticket_id))
    assert kinds[ChangeKind.MERGED] == 2
    # The remaining customer received the others' contacts: a new mail from b goes to it.
    again = await world.incoming("b@x.com", "sigo esperando")
    assert again.customer_id == primary.customer_id and again.ticket_id == a.ticket_id


async def test_merge_requires_primary_among_tagged(world):
    a = await world.incoming("a@x.com", "uno")
    b = await world.incoming("b@x.com", "dos")
    admin = await world.user("admin")
    with pytest.raises(InvalidInput):
        await world.backend.preview_mass_action(
            admin, MassAction(kind=MassActionKind.MERGE, selection=ids(a), primary_ticket_id=b.ticket_id)
        )


async def test_assign_to_user_and_move_campaign(world):
    a = await world.incoming("a@x.com", "uno")
    b = await world.incoming("b@x.com", "dos")
    sofia = await world.user("sofia")
    res = await world.backend.run_mass_action(sofia, MassAction(kind=MassActionKind.ASSIGN, selection=ids(a, b), assignee_id=4))
    assert res.done == 2
    assert (await world.backend.get_ticket(sofia, a.ticket_id)).assignee_id == 4
    # carla (agent of campaign 2 only) cannot receive campaign 1 tickets.
    preview = await world.backend.preview_mass_action(sofia, MassAction(kind=MassActionKind.ASSIGN, selection=ids(a), assignee_id=5))
    assert len(preview.refused) == 1 and "Carla" in str(preview.refused[0].reason)
    # Moving to Ventas drops bruno (not a member) and keeps nobody assigned.
    res = await world.backend.run_mass_action(sofia, MassAction(kind=MassActionKind.ASSIGN, selection=ids(a), campaign_id=2))
    moved = await world.backend.get_ticket(sofia, a.ticket_id)
    assert moved.campaign_id == 2 and moved.assignee_id is None
    admin = await world.user("admin")
    kinds = {e.kind for e in await world.backend.change_log(admin, EntityKind.TICKET, a.ticket_id)}
    assert {ChangeKind.ASSIGNED, ChangeKind.CAMPAIGN} <= kinds


async def test_add_task_to_each_ticket(world):
    a = await world.incoming("a@x.com", "uno")
    b = await world.incoming("b@x.com", "dos")
    ana = await world.user("ana")
    task = TaskInput(values={"resultado": "Solucionado"}, observations="Masivo")
    with pytest.raises(InvalidInput):
        await world.backend.run_mass_action(ana, MassAction(kind=MassActionKind.ADD_TASK, selection=ids(a, b), task=TaskInput(values={})))
    res = await world.backend.run_mass_action(ana, MassAction(kind=MassActionKind.ADD_TASK, selection=ids(a, b), task=task))
    assert res.done == 2
    for r in (a, b):
        assert [t.observations for t in await world.backend.list_tasks_page(ana, r.ticket_id)] == ["Masivo"]
        assert (await world.backend.get_ticket(ana, r.ticket_id)).last_outcome == "Solucionado"


async def test_redistribute_evenly_among_chosen_agents(world):
    results = [await world.incoming(f"c{i}@x.com", f"m{i}") for i in range(7)]
    sofia = await world.user("sofia")
    sel = TicketSelection(query=TicketQuery(campaign_ids=(1,)))
    action = MassAction(kind=MassActionKind.REDISTRIBUTE, selection=sel,
                        redistribute=RedistributeSpec(agent_ids=(3, 4, 6), seed=1))
    res = await world.backend.run_mass_action(sofia, action)
    assert res.done == 7
    counts = Counter([(await world.backend.get_ticket(sofia, r.ticket_id)).assignee_id for r in results])
    assert set(counts) == {3, 4, 6} and max(counts.values()) - min(counts.values()) <= 1


async def test_redistribute_among_all_campaign_agents(world):
    results = [await world.incoming(f"c{i}@x.com", f"m{i}") for i in range(6)]
    sofia = await world.user("sofia")
    await world.backend.run_mass_action(sofia, MassAction(kind=MassActionKind.REDISTRIBUTE, selection=ids(*results)))
    got = {(await world.backend.get_ticket(sofia, r.ticket_id)).assignee_id for r in results}
    assert got == {3, 4, 6}  # ana, bruno, diego: the agents of campaign 1; not carla


async def test_selection_by_query_with_exclusions_and_filters(world):
    a = await world.incoming("a@x.com", "uno")
    b = await world.incoming("b@x.com", "dos")
    c = await world.incoming("c@x.com", "tres")
    world.set_ticket(c.ticket_id, priority=Priority.CRITICAL.value)
    admin = await world.user("admin")
    sel = TicketSelection(query=TicketQuery(campaign_ids=(1,), priorities=(Priority.MEDIUM,)), excluded=frozenset({b.ticket_id}))
    res = await world.backend.run_mass_action(admin, MassAction(kind=MassActionKind.CLOSE, selection=sel))
    assert [o.number for o in res.outcomes] == [a.ticket_number]


async def test_agent_selection_is_clipped_to_their_scope(world):
    a = await world.incoming("a@x.com", "uno")
    b = await world.incoming("b@x.com", "dos")
    world.set_ticket(b.ticket_id, assignee_id=4)  # bruno's
    ana = await world.user("ana")
    res = await world.backend.run_mass_action(ana, MassAction(kind=MassActionKind.CLOSE, selection=ids(a, b)))
    assert res.done == 1
    admin = await world.user("admin")
    assert (await world.backend.get_ticket(admin, b.ticket_id)).status is TicketStatus.NEW


# --- #12.3: every mass action exact (L8, L10) ---------------------------------------------


def _preview_counts(preview) -> dict[str, int]:
    """"Tickets for Ana: 3." lines of a redistribute preview, as {name: count}."""
    out = {}
    for change in preview.changes:
        if change.template == "Tickets for {user}: {count}.":
            out[change.params["user"]] = change.params["count"]
    return out


async def test_redistribute_preview_is_the_plan_the_run_applies(world):
    """No seed given (what the TUI and CLI send): the preview's split per agent
    is exactly the split the run stores, ticket by ticket."""
    results = [await world.incoming(f"r{i}@x.com", f"m{i}") for i in range(22)]
    sofia = await world.user("sofia")
    action = MassAction(kind=MassActionKind.REDISTRIBUTE, selection=ids(*results),
                        redistribute=RedistributeSpec(agent_ids=(3, 4, 6)))
    preview = await world.backend.preview_mass_action(sofia, action)
    promised = _preview_counts(preview)
    assert sorted(promised.values()) == [7, 7, 8]
    assert [await world.backend.preview_mass_action(sofia, action) for _ in range(3)] == [preview] * 3
    await world.backend.run_mass_action(sofia, action)
    users = {u.id: u.full_name for u in await world.backend.list_users()}
    stored = Counter([users[(await world.backend.get_ticket(sofia, r.ticket_id)).assignee_id] for r in results])
    assert dict(stored) == promised


async def test_merge_primary_by_number_outside_the_loaded_cards(world):
    """A `T` selection (a query): the primary is named by its number, not
    picked from the cards the list happened to load."""
    results = [await world.incoming(f"m{i}@x.com", f"msg {i}") for i in range(5)]
    admin = await world.user("admin")
    sel = TicketSelection(query=TicketQuery(campaign_ids=(1,)))
    target = results[3]
    action = MassAction(kind=MassActionKind.MERGE, selection=sel, primary_ticket_number=target.ticket_number)
    preview = await world.backend.preview_mass_action(admin, action)
    assert preview.total == 4
    res = await world.backend.run_mass_action(admin, action)
    assert res.done == 4
    primary = await world.backend.get_ticket(admin, target.ticket_id)
    assert primary.status is not TicketStatus.CLOSED
    for r in results:
        if r is not target:
            assert (await world.backend.get_ticket(admin, r.ticket_id)).merged_into_id == target.ticket_id
    # A number that is not tagged is refused with a sentence that names it.
    other = await world.incoming("fuera@x.com", "otro", channel=ChannelType.TELEPHONY)
    with pytest.raises(InvalidInput) as e:
        await world.backend.preview_mass_action(
            admin, MassAction(kind=MassActionKind.MERGE, selection=ids(results[0], results[1]),
                              primary_ticket_number=other.ticket_number))
    assert str(other.ticket_number) in str(e.value)


async def test_merge_primary_takes_the_outcome_of_the_newest_task(world):
    a = await world.incoming("a@x.com", "uno")
    b = await world.incoming("b@x.com", "dos")
    admin = await world.user("admin")
    await world.backend.add_task(admin, b.ticket_id, TaskInput(values={"resultado": "Pendiente"}))
    assert (await world.backend.get_ticket(admin, a.ticket_id)).last_outcome is None
    await world.backend.run_mass_action(
        admin, MassAction(kind=MassActionKind.MERGE, selection=ids(a, b), primary_ticket_id=a.ticket_id))
    assert (await world.backend.get_ticket(admin, a.ticket_id)).last_outcome == "Pendiente"
    # The primary's own later task wins over a merged older one.
    c = await world.incoming("c@x.com", "tres")
    await world.backend.add_task(admin, c.ticket_id, TaskInput(values={"resultado": "Pendiente"}))
    world.clock.advance(minutes=5)
    await world.backend.add_task(admin, a.ticket_id, TaskInput(values={"resultado": "Solucionado"}))
    await world.backend.run_mass_action(
        admin, MassAction(kind=MassActionKind.MERGE, selection=ids(a, c), primary_ticket_id=a.ticket_id))
    assert (await world.backend.get_ticket(admin, a.ticket_id)).last_outcome == "Solucionado"


async def test_merge_with_customers_keeps_the_customer_chosen(world):
    """#15.1 T3: "choosing which one stays" -- not always the primary ticket's customer."""
    a = await world.incoming("a@x.com", "primero", name="Duplicado Remoto")
    b = await world.incoming("b@x.com", "segundo", name="Duplicado Remoto")
    c = await world.incoming("c@x.com", "tercero", name="Otro Cliente")
    admin = await world.user("admin")
    action = MassAction(kind=MassActionKind.MERGE, selection=ids(a, b, c), primary_ticket_id=a.ticket_id,
                        merge_customers=True, keep_customer_id=b.customer_id)
    preview = await world.backend.preview_mass_action(admin, action)
    said = " ".join(str(m) for m in preview.changes)
    assert f"id {b.customer_id}" in said and "stays" in said
    await world.backend.run_mass_action(admin, action)
    kept = await world.backend.get_customer(admin, b.customer_id)
    for gone in (a.customer_id, c.customer_id):
        with pytest.raises(NotFound):
            await world.backend.get_customer(admin, gone)
    assert (await world.backend.get_ticket(admin, a.ticket_id)).customer_id == kept.id
    assert sorted(x.value for x in await world.backend.list_contacts(admin, kept.id)) == ["a@x.com", "b@x.com", "c@x.com"]
    outsider = await world.incoming("z@x.com", "ajeno")
    bad = MassAction(kind=MassActionKind.MERGE, selection=ids(a, outsider), primary_ticket_id=a.ticket_id,
                     merge_customers=True, keep_customer_id=999_999)
    with pytest.raises(InvalidInput, match="not a customer of the tickets"):
        await world.backend.preview_mass_action(admin, bad)
