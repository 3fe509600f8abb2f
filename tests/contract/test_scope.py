"""L2 scope per role, through the Backend contract."""

from __future__ import annotations

import pytest

from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.domain.errors import NotFound
from sagicc_tui.domain.query import TicketQuery


async def _numbers(world, username, **q):
    user = await world.user(username)
    page = await world.backend.list_tickets(user, TicketQuery(**q), limit=100)
    return {c.number for c in page.rows}


async def test_agent_sees_own_and_unassigned_from_campaign_channels(world):
    mine = await world.incoming("a@x.com", "mine")
    theirs = await world.incoming("b@x.com", "theirs")
    free = await world.incoming("c@x.com", "unassigned")
    odd_channel = await world.incoming("d@x.com", "came by chat")
    world.set_ticket(mine.ticket_id, assignee_id=3)  # ana
    world.set_ticket(theirs.ticket_id, assignee_id=4)  # bruno
    world.set_ticket(odd_channel.ticket_id, origin_channel=ChannelType.CHAT.value)

    seen = await _numbers(world, "ana", campaign_ids=(1,))
    assert seen == {mine.ticket_number, free.ticket_number}
    assert await world.backend.count_tickets(await world.user("ana"), TicketQuery(campaign_ids=(1,))) == 2

    # Supervisors and administrators see everything.
    all_numbers = {mine.ticket_number, theirs.ticket_number, free.ticket_number, odd_channel.ticket_number}
    assert await _numbers(world, "sofia", campaign_ids=(1,)) == all_numbers
    assert await _numbers(world, "admin") == all_numbers


async def test_out_of_scope_ticket_reads_as_missing(world):
    theirs = await world.incoming("b@x.com", "theirs")
    world.set_ticket(theirs.ticket_id, assignee_id=4)
    ana = await world.user("ana")
    with pytest.raises(NotFound) as err:
        await world.backend.get_ticket(ana, theirs.ticket_id)
    # The same sentence as for a ticket that does not exist: nothing leaks.
    with pytest.raises(NotFound) as missing:
        await world.backend.get_ticket(ana, 999_999)
    assert str(err.value).replace(f"id {theirs.ticket_id}", "") == str(missing.value).replace("id 999999", "")
    with pytest.raises(NotFound):
        await world.backend.get_ticket_by_number(ana, theirs.ticket_number)
    with pytest.raises(NotFound):
        await world.interactions(ana, theirs.ticket_id)


async def test_view_all_tickets_campaign_lifts_the_restriction(world):
    call = await world.incoming("3001234567", "llamada", channel=ChannelType.TELEPHONY)
    world.set_ticket(call.ticket_id, assignee_id=6)  # diego, campaign 2 has View All Tickets on
    assert call.ticket_number in await _numbers(world, "carla", campaign_ids=(2,))


async def test_agent_sees_nothing_of_campaigns_they_do_not_belong_to(world):
    call = await world.incoming("3001234567", "llamada", channel=ChannelType.TELEPHONY)
    assert await _numbers(world, "ana") == set()  # ana is only in campaign 1
    assert call.ticket_number in await _numbers(world, "carla")


async def test_agent_campaign_list_is_their_memberships(world):
    ana = await world.user("ana")
    assert [c.name for c in await world.backend.list_campaigns(ana)] == ["Servicio"]
    admin = await world.user("admin")
    assert len(await world.backend.list_campaigns(admin)) == 2
